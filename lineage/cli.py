"""The ``lineage`` command. Every subcommand is a thin layer over the Python API."""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence

from lineage.errors import LineageError


def _cmd_list(args: argparse.Namespace) -> int:
    from lineage.api import artifacts

    arts = artifacts()
    if not arts:
        print("no artifacts yet: save one with lineage.save(value, 'name')")
        return 0
    rows = [("NAME", "VERSION", "TYPE", "CREATED (UTC)")]
    rows += [
        (a.name, str(a.version), a.value_type, a.created_at.strftime("%Y-%m-%d %H:%M:%S"))
        for a in arts
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    from lineage.api import get

    art = get(args.name, args.version)
    lines = art.code.count("\n")
    print(f"name:     {art.name}")
    print(f"version:  {art.version}")
    print(f"created:  {art.created_at:%Y-%m-%d %H:%M:%S} UTC")
    print(f"type:     {art.value_type}")
    print(f"variable: {art.target}")
    print(f"stored:   {'yes' if art.record.value_path else 'no (value could not be pickled)'}")
    print(f"code:     {lines} line{'s' if lines != 1 else ''}\n")
    print(art.code, end="")
    return 0


def _cmd_code(args: argparse.Namespace) -> int:
    from lineage.api import get

    print(get(args.name, args.version).code, end="")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from lineage.runner import run_script

    return run_script(args.script, args.args)


def _cmd_delete(args: argparse.Namespace) -> int:
    from lineage.api import delete

    removed = delete(args.name, args.version)
    which = f"version {args.version}" if args.version is not None else "every version"
    print(f"deleted {which} of {args.name!r} ({removed} version{'s' if removed != 1 else ''})")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from lineage.verify import verify

    result = verify(args.name, args.version, cwd=args.cwd, timeout=args.timeout)
    status = "ok" if result.ok else f"FAILED ({result.outcome.name.lower().replace('_', ' ')})"
    print(f"{result.name} v{result.version}: {status}: {result.detail}")
    return result.outcome.exit_code


def _cmd_info(args: argparse.Namespace) -> int:
    from lineage import __version__
    from lineage.api import info

    store = info()
    print(f"lineage:   {__version__}")
    print(f"database:  {store.database_url}")
    print(f"values:    {store.artifact_url}")
    print(f"schema:    version {store.schema_version}")
    print(f"artifacts: {_count(store.artifacts, 'version')} of {_count(store.names, 'name')}")
    return 0


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'s' if n != 1 else ''}"


def _cmd_gc(args: argparse.Namespace) -> int:
    from lineage.api import gc

    orphans = gc(delete=args.delete, older_than=args.older_than)
    size = sum(o.size or 0 for o in orphans)
    for orphan in orphans:
        print(orphan.key)
    done = "removed" if args.delete else "would remove (a dry run: --delete removes them)"
    print(f"{done}: {_count(len(orphans), 'value object')} no artifact names, {size:,} bytes")
    return 0


def _cmd_push(args: argparse.Namespace) -> int:
    from lineage.api import push

    result = push(args.database_url, args.artifact_url)
    for name, version in result.copied:
        print(f"pushed {name} v{version}")
    already = f", {len(result.present)} already there" if result.present else ""
    print(f"{_count(len(result.copied), 'artifact version')} pushed{already}")
    return 0


# `lineage verify`'s exit statuses, as lineage.verify.Outcome defines them
_VERIFY_EPILOG = """\
exit status:
  0  the code rebuilt a value equal to the stored one
  1  the code ran but rebuilt a different value
  2  error before any run (unknown artifact or version, bad option, unusable store)
  3  the code raised (its traceback is printed; a missing input file hints at --cwd)
  4  the stored value cannot be loaded here, or was never stored (not picklable)
  5  the code ran longer than --timeout and was stopped
"""


def _cmd_export(args: argparse.Namespace) -> int:
    from lineage.export import export

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        paths = export(
            args.names,
            to=args.to,
            output_dir=args.output_dir,
            pipeline_name=args.name,
            params=args.param,
            force=args.force,
            reuse=args.reuse,
        )
    for path in paths:
        print(path)
    for warning in caught:
        print(f"lineage: note: {warning.message}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from lineage import __version__

    parser = argparse.ArgumentParser(
        prog="lineage",
        description="Inspect, verify and export artifacts saved with lineage.save().",
        epilog="Errors exit with status 2 and print `lineage: <what to do>`.",
    )
    parser.add_argument("--version", action="version", version=f"lineage {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("list", help="list saved artifacts, newest first")
    p.set_defaults(func=_cmd_list)

    for name, func, text in (
        ("show", _cmd_show, "show an artifact's metadata and code"),
        ("code", _cmd_code, "print the minimal code that rebuilds an artifact"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("name", help="artifact name")
        p.add_argument("--version", type=int, default=None, help="version (default: latest)")
        p.set_defaults(func=func)

    p = sub.add_parser("delete", help="delete an artifact (every version, or --version N)")
    p.add_argument("name", help="artifact name")
    p.add_argument("--version", type=int, default=None, help="only this version (default: all)")
    p.set_defaults(func=_cmd_delete)

    p = sub.add_parser("run", help="run a Python script with capture on (lineage.save works in it)")
    p.add_argument("script", help="path of the .py file")
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the script")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser(
        "verify",
        help="re-run an artifact's code in a fresh process and compare with the stored value",
        description="Re-run an artifact's code alone in a fresh Python process and compare\n"
        "what it rebuilds with the stored value.",
        epilog=_VERIFY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("name", help="artifact name")
    p.add_argument("--version", type=int, default=None, help="version (default: latest)")
    p.add_argument(
        "--cwd",
        default=None,
        help="folder the input files are copied from (default: where the session ran)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="stop the run after SECONDS (exit status 5; default: no limit)",
    )
    p.set_defaults(func=_cmd_verify)

    p = sub.add_parser(
        "info", help="which store this is (database, values, schema) and what it holds"
    )
    p.set_defaults(func=_cmd_info)

    p = sub.add_parser(
        "gc",
        help="list (or with --delete remove) stored values that no artifact names",
        description="List the value objects under the artifact URL that no artifact names\n"
        "(left by saves cut short). A dry run unless --delete.",
    )
    p.add_argument("--delete", action="store_true", help="remove them (default: only list)")
    p.add_argument(
        "--older-than",
        type=float,
        default=None,
        metavar="SECONDS",
        help="only values written at least SECONDS ago (default: 3600; younger ones may "
        "belong to a save about to commit)",
    )
    p.set_defaults(func=_cmd_gc)

    p = sub.add_parser(
        "push",
        help="copy every artifact of this store into another (e.g. a team's)",
        description="Copy every artifact version of this store (names, versions, code and\n"
        "values) into the store at --database-url and --artifact-url. Safe to repeat: the\n"
        "versions already there are left alone; a version there with other content stops\n"
        "the push before anything is copied.",
    )
    p.add_argument("--database-url", required=True, help="the target's SQLAlchemy URL")
    p.add_argument("--artifact-url", required=True, help="the target's folder or fsspec URL")
    p.set_defaults(func=_cmd_push)

    from lineage.emitters import targets

    p = sub.add_parser(
        "export",
        help="write a pipeline (a script, or for Airflow, Dagster, Kubeflow, Prefect or Ray) "
        "that rebuilds artifacts",
    )
    p.add_argument("names", nargs="+", metavar="NAME", help="artifacts the pipeline rebuilds")
    p.add_argument(
        "--to", choices=targets(), default="script", help="entry point (default: script)"
    )
    p.add_argument("-o", "--output-dir", default=".", help="folder to write (default: .)")
    p.add_argument("--name", default=None, help="pipeline name (default: the first artifact's)")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME",
        help="turn the top-level assignment NAME = <literal> into a pipeline parameter",
    )
    p.add_argument(
        "--reuse",
        action="append",
        default=[],
        metavar="NAME",
        help="load the stored value of artifact NAME (its latest version) instead of "
        "recomputing it",
    )
    p.add_argument("--force", action="store_true", help="replace another pipeline's files")
    p.set_defaults(func=_cmd_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except LineageError as exc:
        print(f"lineage: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

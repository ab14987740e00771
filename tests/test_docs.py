"""The docs match the command (issue 11, item 12): every subcommand of the ``lineage`` parser
is in the README, and every example command in the README's and docs' shell blocks parses
with that parser."""

from __future__ import annotations

import argparse
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

from lineage.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = [README, *sorted((ROOT / "docs").glob("*.md"))]


def subcommands() -> list[str]:
    parser = build_parser()
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(action.choices)


@dataclass(frozen=True)
class Example:
    where: str  # file:line
    command: str


def examples(path: Path) -> list[Example]:
    """The ``lineage ...`` lines of a file's ``sh`` blocks, continuation lines joined."""
    found: list[Example] = []
    in_block = False
    pending = ""
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if line.startswith("```"):
            in_block = line.strip() in ("```sh", "```bash", "```console")
            continue
        if not in_block:
            continue
        text = pending + line.strip()
        if text.endswith("\\"):
            pending = text[:-1] + " "
            continue
        pending = ""
        if text.startswith("lineage "):
            found.append(Example(where=f"{path.name}:{number}", command=text))
    return found


EXAMPLES = [e for path in DOCS for e in examples(path)]


def arguments(command: str) -> list[str]:
    """The command's arguments, without comments and what follows a redirection or pipe."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    words: list[str] = []
    for word in lexer:
        if re.fullmatch(r"[<>|&;()]+", word):
            break
        words.append(word)
    return words[1:]  # without "lineage"


def test_every_subcommand_is_in_the_readme() -> None:
    readme = README.read_text()
    missing = [name for name in subcommands() if f"lineage {name}" not in readme]
    assert not missing, f"README.md does not show: {missing}"
    used = {arguments(e.command)[0] for e in examples(README) if arguments(e.command)}
    assert set(subcommands()) <= used, f"no README example for {set(subcommands()) - used}"


def test_the_examples_are_found() -> None:
    assert len(examples(README)) >= len(subcommands())
    assert any(e.where.startswith("export.md") for e in EXAMPLES)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.where for e in EXAMPLES])
def test_example_parses(example: Example, capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    args = arguments(example.command)
    if args in (["--version"], ["--help"]) or args[-1:] == ["--help"]:
        with pytest.raises(SystemExit) as info:
            parser.parse_args(args)
        assert info.value.code == 0
        return
    try:
        parsed = parser.parse_args(args)
    except SystemExit:  # argparse's usage error; its message is on stderr
        pytest.fail(
            f"{example.where}: `{example.command}` does not parse: {capsys.readouterr().err}"
        )
    assert parsed.command == args[0]


def test_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    out = capsys.readouterr().out
    for name in subcommands():
        assert re.search(rf"^\s+{name}\s+\S", out, re.MULTILINE), (name, out)

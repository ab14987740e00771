"""Generate lineage/specs/stdlib_coverage.json: the standard-library callables stdlib.json (hand
written) does not list, for the modules notebooks use, so that every public callable of them has
a spec (tests/test_specs_coverage.py checks it). Rules, by module:

- logging keeps its configuration and loggers in module state (state:logging): configuring
  writes it, logging reads it (and writes through handlers), getLogger returns a part of it;
- warnings keeps its filters in state:warnings; decimal its context in state:decimal (an object
  getcontext returns: changing ctx.prec changes later arithmetic);
- typing, enum, abc, numbers, dataclasses, types, contextlib: constructs and decorators that
  build new objects (decorators that return their argument say so); the context managers whose
  ``__enter__`` returns their argument (nullcontext, closing, redirect_stdout) hold it;
- encoders, hashes, pretty-printers, difflib, calendar, struct, zlib: pure; what reads or
  writes a file object changes that object.

The modules differ between Python versions (3.13 adds ``copy.replace``, ``warnings.deprecated``,
...), so run it with each Python the package supports, oldest first:

    for py in .venv-3.10 .venv .venv-3.13; do $py/bin/python tools/specgen/gen_stdlib_coverage.py \
        lineage/specs/stdlib_coverage.json; done

Each run regenerates the names its Python has and keeps the entries of names it lacks (those come
from another version), so the file is the union over the versions.
"""

import importlib
import inspect
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_common import write_doc  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))
from lineage.analysis.specs import load_specs  # noqa: E402

MODULES = ["logging", "warnings", "time", "datetime", "re", "string", "textwrap", "pprint",
           "operator", "functools", "copy", "decimal", "fractions", "itertools", "collections",
           "statistics", "math", "cmath", "json", "csv", "pathlib", "os.path", "random", "heapq",
           "bisect", "dataclasses", "enum", "typing", "uuid", "hashlib", "base64", "io",
           "numbers", "glob", "shutil", "pickle", "struct", "difflib", "calendar", "zlib",
           "gzip", "secrets", "contextlib", "abc", "types"]
LOG, WARN, DEC = "state:logging", "state:warnings", "state:decimal"
RETURNS_ARG = {"returns": "arg:0"}
SPECIAL = {
    "logging.getLogger": {"reads": [LOG], "returns": LOG},
    "logging.basicConfig": {"reads": [LOG], "writes": [LOG]},
    "logging.captureWarnings": {"reads": [LOG, WARN], "writes": [LOG, WARN]},
    "logging.FileHandler": {"files": [{"path": 0, "path_kw": "filename", "op": "mode",
                                       "mode": 1, "mode_kw": "mode", "default_mode": "a"}]},
    "logging.StreamHandler": {},
    "logging.makeLogRecord": {}, "logging.getLevelName": {"reads": [LOG]},
    "logging.getLevelNamesMapping": {"reads": [LOG]},
    "logging.getHandlerByName": {"reads": [LOG], "returns": LOG},
    "logging.getHandlerNames": {"reads": [LOG]},
    "logging.getLoggerClass": {"reads": [LOG]}, "logging.getLogRecordFactory": {"reads": [LOG]},
    "warnings.formatwarning": {},
    "warnings.deprecated": {},  # deprecated("why") makes a decorator; it warns when called
    "warnings.catch_warnings": {"reads": [WARN], "writes": [WARN]},
    "decimal.getcontext": {"reads": [DEC], "returns": DEC},
    "decimal.setcontext": {"reads": [DEC], "writes": [DEC], "holds": "arg:0"},
    "decimal.localcontext": {"reads": [DEC], "writes": [DEC]},
    "typing.cast": {"returns": "arg:1"},
    # managers whose __enter__ returns their argument: the manager holds it, and the ``as``
    # target (a part of the manager or of what it holds) may be it
    **{f"contextlib.{n}": {"returns": "holds:0"}
       for n in ("closing", "aclosing", "nullcontext", "redirect_stdout", "redirect_stderr")},
    "hashlib.file_digest": {"mutates": [0, "fileobj"]},
    "base64.encode": {"mutates": [0, 1, "input", "output"]},
    "base64.decode": {"mutates": [0, 1, "input", "output"]},
    "io.FileIO": {"files": [{"path": 0, "path_kw": "file", "op": "mode", "mode": 1,
                             "mode_kw": "mode", "default_mode": "r"}]},
    "io.BufferedRWPair": {"returns": "arg:*"}, "io.BufferedRandom": {"returns": "arg:0"},
    "dataclasses.dataclass": {"mutates": [0], "returns": "arg:0"},
    "dataclasses.replace": {}, "time.tzset": {"reads": ["state:time"], "writes": ["state:time"]},
    "time.clock_settime": {"writes": ["state:time"]},
    "time.clock_settime_ns": {"writes": ["state:time"]},
    "time.clock_gettime": {"reads": ["state:time"]},
    "time.clock_gettime_ns": {"reads": ["state:time"]},
    "secrets.choice": {"returns": "arg:0"}, "shutil.register_archive_format": {"writes":
                                                                            ["state:shutil"]},
    "shutil.unregister_archive_format": {"writes": ["state:shutil"]},
    "shutil.register_unpack_format": {"writes": ["state:shutil"]},
    "shutil.unregister_unpack_format": {"writes": ["state:shutil"]},
    "shutil.get_archive_formats": {"reads": ["state:shutil"]},
    "shutil.get_unpack_formats": {"reads": ["state:shutil"]},
    "calendar.setfirstweekday": {"writes": ["state:calendar"]},
    "calendar.firstweekday": {"reads": ["state:calendar"]},
    "struct.pack_into": {"mutates": [1, "buffer"]},
    "gzip.GzipFile": {"files": [{"path": 0, "path_kw": "filename", "op": "mode", "mode": 1,
                                 "mode_kw": "mode", "default_mode": "r"}]},
}
LOGGING_CALLS = ("critical", "debug", "error", "exception", "fatal", "info", "log", "warn",
                 "warning")
DECORATORS = {"enum.unique", "enum.verify", "typing.final", "typing.overload",
              "typing.no_type_check", "typing.runtime_checkable", "typing.assert_type",
              "typing.reveal_type", "abc.abstractmethod", "functools.singledispatchmethod",
              "abc.update_abstractmethods", "enum.global_enum", "enum.member",
              "enum.nonmember", "enum.property", "typing.no_type_check_decorator",
              "typing.override"}


def effect(qual: str, obj: object) -> dict:
    if qual in SPECIAL:
        return SPECIAL[qual]
    module, name = qual.rsplit(".", 1)
    if module == "logging":
        if name in LOGGING_CALLS:
            return {"reads": [LOG], "writes": [LOG]}  # handlers keep records, and write them
        if name in ("addLevelName", "disable", "setLoggerClass", "setLogRecordFactory",
                    "shutdown"):
            return {"reads": [LOG], "writes": [LOG]}
        return {}  # Formatter, Handler, Filter, ...: new objects
    if module == "warnings":
        if name in ("warn", "warn_explicit", "showwarning"):
            return {"reads": [WARN], "writes": [WARN]}  # the once-registry, the filters
        return {"writes": [WARN], "reads": [WARN]}  # filterwarnings, simplefilter, reset
    if qual in DECORATORS:
        return RETURNS_ARG
    return {}




def _exists(qual: str) -> bool:
    module, name = qual.rsplit(".", 1)
    try:
        return hasattr(importlib.import_module(module), name)
    except ImportError:
        return False


functions = {}
if os.path.exists(sys.argv[1]):
    with open(sys.argv[1]) as f:
        earlier = json.load(f).get("functions", {})
    # names this Python lacks were written by a run on another version: keep them
    functions = {q: e for q, e in earlier.items() if not _exists(q)}
    os.remove(sys.argv[1])  # what stdlib.json lists, not what the last run wrote
specs = load_specs()
for m in MODULES:
    mod = importlib.import_module(m)
    names = getattr(mod, "__all__", None) or [n for n in dir(mod) if not n.startswith("_")]
    for n in names:
        obj = getattr(mod, n, None)
        if n.startswith("_") or obj is None or not callable(obj) or inspect.ismodule(obj):
            continue
        if isinstance(obj, type) and issubclass(obj, BaseException):
            continue
        qual = f"{m}.{n}"
        own = specs.function(qual)
        if own is None or qual in SPECIAL:
            functions[qual] = effect(qual, obj)

write_doc(
    sys.argv[1],
    "Standard-library callables stdlib.json does not list, for the modules notebooks use "
    "(every public callable of them has a spec; tests/test_specs_coverage.py). Format: "
    "docs/specs.md. Generated by tools/specgen/gen_stdlib_coverage.py, whose docstring gives "
    "the rules.",
    [],
    {},
    functions,
    {},
)
print(len(functions))

"""Side-effect specs: what a library call changes, read from JSON data in ``lineage/specs/``.

A spec says, for a function or a method of a type, which of its inputs the call may mutate,
which hidden module state it reads or writes (``state:random``), which files it touches and
whether its result may share objects with its receiver or arguments. The format is documented in
``docs/specs.md``; this module only loads, validates and looks specs up. It does no I/O at import
time: :func:`load_specs` reads the packaged files (and those named in ``$LINEAGE_SPECS``) on its
first call and caches the result.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Container, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from lineage._sentinel import Sentinel
from lineage.errors import LineageError

__all__ = [
    "PURE",
    "Effect",
    "FileEffect",
    "Specs",
    "imported_specs",
    "load_specs",
    "mode_op",
]

FILE_OPS = frozenset({"read", "write", "append", "delete", "mode", "chdir"})
_DOC_KEYS = frozenset({"immutable_types", "aliases", "functions", "methods", "$comment"})
_EFFECT_KEYS = frozenset(
    {
        "mutates",
        "mutates_when",
        "reads",
        "writes",
        "returns",
        "files",
        "unknown",
        "seeded_by",
        "holds",
        "holds_when",
        "iterates",
        "$comment",
    }
)
_FILE_KEYS = frozenset({"path", "path_kw", "op", "mode", "mode_kw", "default_mode", "$comment"})
_WHEN_KEYS = frozenset({"kw", "equals"})
_HOLDS_WHEN_KEYS = frozenset({"arg", "kw", "equals", "holds", "$comment"})
_RETURNS = re.compile(
    r"new|self|part|copy|(?:arg|copy|holds):(?:\d+|\*|[A-Za-z_]\w*)|state:[A-Za-z_][\w.]*"
)
_HOLDS = re.compile(r"new|none|any|arg:(?:\d+|[A-Za-z_]\w*)")
_GIVEN = Sentinel(
    "GIVEN"
)  # holds_when without "equals": the argument is passed (not a literal None)
_IDENT = re.compile(r"[A-Za-z_]\w*")
_MODE = re.compile(r"[rwxa+bt]+")
ENV_VAR = "LINEAGE_SPECS"


@dataclass(frozen=True, slots=True)
class FileEffect:
    """One file the call touches; the path comes from an argument or the receiver."""

    path: int | str | None  # positional index (not counting self), "self", or None
    path_kw: str | None
    op: str  # "read" | "write" | "append" | "delete" | "mode" | "chdir"
    mode: int | None = None
    mode_kw: str | None = None
    default_mode: str = "r"


@dataclass(frozen=True, slots=True)
class Effect:
    """What one call changes. ``Effect()`` (:data:`PURE`) changes nothing and returns a new object."""

    mutates: tuple[int | str, ...] = ()
    mutates_when: tuple[str, object] | None = None
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    returns: str = "new"
    files: tuple[FileEffect, ...] = ()
    unknown: bool = False
    # the reads/writes apply only while this keyword has no value: random_state=0 given to the
    # call, or (for a method) to the call that made or configured the receiver, seeds it
    seeded_by: str | None = None
    # for hidden state that holds an object (pyplot's current figure): what the states the call
    # writes hold afterwards, "new" (the call's result), "none", "any" (any object they held
    # before), "arg:N"; None: the same object, which a write changes
    holds: str | None = None
    # (argument index, keyword, literal or GIVEN, holds): the first that matches the call wins
    holds_when: tuple[tuple[int | None, str | None, object, str], ...] = ()
    # the call may loop over its arguments, which consumes an iterator passed to it; false for
    # calls that only look at the object (print, repr, isinstance, len)
    iterates: bool = True


PURE = Effect()
GIVEN = _GIVEN


def mode_op(mode: str) -> tuple[bool, bool, bool]:
    """``(reads, writes, truncates)`` for an ``open()`` mode string.

    ``reads`` and ``writes`` say what the handle allows; ``truncates`` says the file's earlier
    contents are discarded, so a later reader does not depend on earlier writers. A string that is
    not a valid mode gets the cautious answer: reads and writes, no truncation.
    """
    if not _is_mode(mode):
        return (True, True, False)
    plus = "+" in mode
    if "r" in mode:
        return (True, plus, False)
    if "a" in mode:
        return (plus, True, False)
    return (plus, True, True)  # "w" truncates; "x" creates a new file


class Specs:
    """Merged spec documents with lookups. Later documents win, entry by entry."""

    def __init__(self) -> None:
        self._functions: dict[str, Effect] = {}
        self._methods: dict[str, dict[str, Effect]] = {}
        self._by_method: dict[str, tuple[Effect, ...]] = {}
        self._aliases: dict[str, str] = {}
        self._immutable: set[str] = set()
        self._modules: set[str] = set()
        # hidden states that hold an object (a call returns it: ``"returns": "state:..."``)
        self.object_states: frozenset[str] = frozenset()
        self._docs: list[tuple[int, _Document]] = []  # merged, with their place in the order
        # documents merged once a module they describe is imported: (place in the order,
        # top-level modules, source, decoded data); a library nobody imported made no objects
        self._pending: list[tuple[int, frozenset[str], str, Mapping[str, object]]] = []

    def function(self, qualname: str) -> Effect | None:
        """The spec of a function by its import path (``"json.dump"``); None when unknown."""
        return self._functions.get(qualname)

    def method(self, type_name: str, method: str) -> Effect | None:
        """The spec of ``method`` on a type named ``module.qualname``; None when unknown.

        An exact entry anywhere along the type's alias chain wins over a ``"*"`` default.
        """
        chain = self._chain(type_name)
        for name in chain:
            found = self._methods.get(name, {}).get(method)
            if found is not None:
                return found
        for name in chain:
            found = self._methods.get(name, {}).get("*")
            if found is not None:
                return found
        return None

    def method_everywhere(self, method: str) -> tuple[Effect, ...]:
        """The specs of ``method`` on every type that lists it (for receivers of unknown type)."""
        found = self._by_method.get(method)
        if found is None:
            found = tuple(m[method] for m in self._methods.values() if method in m)
            self._by_method[method] = found
        return found

    def listed_method(self, type_name: str, method: str) -> Effect | None:
        """The entry for exactly ``method`` along the type's alias chain (no ``"*"`` default)."""
        for name in self._chain(type_name):
            found = self._methods.get(name, {}).get(method)
            if found is not None:
                return found
        return None

    def lists_type(self, type_name: str) -> bool:
        """True when some spec describes the type (along its alias chain)."""
        return any(n in self._methods or n in self._immutable for n in self._chain(type_name))

    def knows(self, module: str) -> bool:
        """True when some spec names a function or type of ``module`` (``"numpy"``, ``"os.path"``).

        A library no spec covers may keep hidden state between calls; one with specs says so.
        """
        return module in self._modules

    def is_immutable(self, type_name: str) -> bool:
        """True when nothing reachable from a value of this type can ever change.

        Such a value's methods change no object, but may still touch files (``Path.write_text``):
        look the method up all the same.
        """
        return any(name in self._immutable for name in self._chain(type_name))

    def extend(self, data: Mapping[str, object], *, source: str = "<spec>") -> None:
        """Validate one spec document and merge it in; raises :class:`LineageError` if malformed.

        Nothing is merged when the document is invalid.
        """
        doc = _parse_document(data, source)
        self._docs.append((self._given(), doc))
        self._merge(doc)

    def defer(self, data: Mapping[str, object], *, source: str = "<spec>") -> None:
        """Keep a document to merge (validated then) once one of the modules it describes is
        imported (:meth:`load_imported`); its place in the order is where it was given."""
        self._pending.append((self._given(), _top_modules(data), source, data))

    def load_imported(self, modules: Container[str]) -> bool:
        """Merge the deferred documents that describe one of ``modules`` (``sys.modules``),
        each at its place in the order; True when any was merged."""
        due = [p for p in self._pending if any(m in modules for m in p[1])]
        if not due:
            return False
        self._pending = [p for p in self._pending if p not in due]
        last = max((order for order, _ in self._docs), default=-1)
        self._docs += [(order, _parse_document(data, source)) for order, _, source, data in due]
        self._docs.sort(key=lambda d: d[0])
        if min(p[0] for p in due) < last:  # a later document's entries must keep winning
            self._reset()
            for _, doc in self._docs:
                self._merge(doc)
        else:
            for _, doc in self._docs[-len(due) :]:
                self._merge(doc)
        return True

    def _given(self) -> int:
        return len(self._docs) + len(self._pending)

    def load_all(self) -> Specs:
        """Merge every deferred document now."""
        self.load_imported({m for p in self._pending for m in p[1]})
        return self

    def _reset(self) -> None:
        self._functions, self._methods, self._aliases = {}, {}, {}
        self._immutable, self._modules = set(), set()
        self.object_states = frozenset()

    def _merge(self, doc: _Document) -> None:
        self._by_method.clear()
        self._immutable |= doc.immutable
        self._aliases.update(doc.aliases)
        self._functions.update(doc.functions)
        for type_name, methods in doc.methods.items():
            self._methods.setdefault(type_name, {}).update(methods)
        effects = [*doc.functions.values(), *(e for m in doc.methods.values() for e in m.values())]
        self.object_states |= {e.returns for e in effects if e.returns.startswith("state:")}
        for name in [*doc.functions, *doc.methods, *doc.aliases, *doc.immutable]:
            parts = name.split(".")
            self._modules.update(".".join(parts[:i]) for i in range(1, len(parts)))

    def counts(self) -> dict[str, int]:
        """How many entries of each kind are loaded (for reports and ``lineage`` diagnostics)."""
        return {
            "functions": len(self._functions),
            "methods": sum(len(m) for m in self._methods.values()),
            "types": len(self._methods),
            "aliases": len(self._aliases),
            "immutable_types": len(self._immutable),
        }

    def _chain(self, type_name: str) -> list[str]:
        chain = [type_name]
        seen = {type_name}
        name = type_name
        while (name := self._aliases.get(name, "")) and name not in seen:
            chain.append(name)
            seen.add(name)
        return chain


def union_effects(effects: list[Effect]) -> Effect | None:
    """The least effect covering all of ``effects`` (a sound stand-in for any of them)."""
    if not effects:
        return None
    mutates: list[int | str] = []
    for e in effects:
        mutates += [m for m in e.mutates if m not in mutates]
    whens = {e.mutates_when for e in effects if "self" in e.mutates}
    when = whens.pop() if len(whens) == 1 else None
    returns = {e.returns for e in effects}
    if len(returns) == 1:
        ret = returns.pop()
    elif returns & {"self", "part", "copy"}:
        ret = "part"
    else:
        args = sorted(r for r in returns if r.startswith(("arg:", "copy:")))
        ret = args[0] if len(args) == 1 else ("arg:*" if args else "new")
    files: list[FileEffect] = []
    for e in effects:
        files += [f for f in e.files if f not in files]
    return Effect(
        mutates=tuple(mutates),
        mutates_when=when,
        reads=tuple(sorted({r for e in effects for r in e.reads})),
        writes=tuple(sorted({w for e in effects for w in e.writes})),
        returns=ret,
        files=tuple(files),
        iterates=any(e.iterates for e in effects),
    )


@functools.cache
def load_specs() -> Specs:
    """The packaged specs, then every file named in ``$LINEAGE_SPECS``; cached after the first call.

    ``$LINEAGE_SPECS`` holds paths separated by :data:`os.pathsep`; a directory stands for the
    ``*.json`` files in it. Call ``load_specs.cache_clear()`` to reload.
    """
    return _packaged_and_users().load_all()


@functools.cache
def imported_specs() -> Specs:
    """The specs as :func:`load_specs` has them, with each packaged library's document merged
    only once its library is imported (``Specs.load_imported(sys.modules)``, before each
    replay): a session that never imports scipy never pays for its specs. Cached."""
    return _packaged_and_users()


def _packaged_and_users() -> Specs:
    specs = Specs()
    for source, text in _packaged_documents():
        specs.defer(_decode(text, source), source=source)
    for path in _user_spec_files(os.environ.get(ENV_VAR, "")):
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            raise LineageError(f"{path}: cannot read this spec file ({e})") from e
        specs.extend(_decode(text, str(path)), source=str(path))
    return specs


def _packaged_documents() -> Iterator[tuple[str, str]]:
    from importlib import resources  # only when specs are loaded: keeps capture's imports light

    folder = resources.files("lineage").joinpath("specs")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json") and entry.is_file():
            yield f"lineage/specs/{entry.name}", entry.read_text(encoding="utf-8")


def _top_modules(data: Mapping[str, object]) -> frozenset[str]:
    """The top-level modules a spec document describes (``numpy`` for ``numpy.linalg.norm``)."""
    names: list[object] = [*_keys(data.get("functions")), *_keys(data.get("methods"))]
    names += _keys(data.get("aliases"))  # not their targets: an alias serves its own type
    types = data.get("immutable_types")
    names += types if isinstance(types, list) else []
    return frozenset(n.split(".")[0] for n in names if isinstance(n, str))


def _keys(table: object) -> list[object]:
    return list(table) if isinstance(table, Mapping) else []


def _user_spec_files(value: str) -> Iterator[Path]:
    for item in value.split(os.pathsep):
        if not item.strip():
            continue
        path = Path(item).expanduser()
        if path.is_dir():
            yield from sorted(path.glob("*.json"))
        elif path.is_file():
            yield path
        else:
            raise LineageError(
                f"${ENV_VAR} names {item!r}, which does not exist; "
                f"fix the path or remove it from ${ENV_VAR}"
            )


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    data: dict[str, object] = {}
    for key, value in pairs:
        if key in data:
            raise _Invalid("", f"the key {key!r} appears twice in one object")
        data[key] = value
    return data


def _decode(text: str, source: str) -> dict[str, object]:
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates)
    except _Invalid as e:
        raise LineageError(f"{source}: {e.message}") from None
    except json.JSONDecodeError as e:
        raise LineageError(
            f"{source}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})"
        ) from e
    if not isinstance(data, dict):
        raise LineageError(f"{source}: a spec file holds one JSON object, not {_kind(data)}")
    return data


# --- validation --------------------------------------------------------------------------------


@dataclass(slots=True)
class _Document:
    immutable: set[str]
    aliases: dict[str, str]
    functions: dict[str, Effect]
    methods: dict[str, dict[str, Effect]]


class _Invalid(Exception):
    def __init__(self, where: str, message: str) -> None:
        super().__init__(where, message)
        self.where = where
        self.message = message


def _parse_document(data: object, source: str) -> _Document:
    try:
        return _document(data)
    except _Invalid as e:
        where = f" at {e.where}" if e.where else ""
        raise LineageError(
            f"{source}{where}: {e.message} (the format is described in docs/specs.md)"
        ) from None


def _document(data: object) -> _Document:
    if not isinstance(data, Mapping):
        raise _Invalid("", f"a spec document is a JSON object, not {_kind(data)}")
    _check_keys(data, _DOC_KEYS, "", "top-level key")
    immutable = _str_list(data.get("immutable_types", []), "immutable_types")
    for i, name in enumerate(immutable):
        _check_type_name(name, f"immutable_types[{i}]")
    aliases = _mapping(data.get("aliases", {}), "aliases")
    for name, target in aliases.items():
        _check_type_name(name, f"aliases[{name!r}]")
        if not isinstance(target, str):
            raise _Invalid(f"aliases[{name!r}]", f"expected a type name, got {_kind(target)}")
        _check_type_name(target, f"aliases[{name!r}]")
        if target == name:
            raise _Invalid(f"aliases[{name!r}]", "a type cannot be an alias of itself")
    # generated documents repeat a few hundred distinct effects thousands of times: each
    # distinct one is validated once (an Effect is immutable, so entries can share it)
    seen: dict[tuple[str, bool], Effect] = {}

    def effect(raw: object, where: str, method: bool) -> Effect:
        key = (repr(raw), method)
        found = seen.get(key)
        if found is None:
            found = seen[key] = _effect(raw, where, method=method)
        return found

    functions = {}
    for name, raw in _mapping(data.get("functions", {}), "functions").items():
        where = f"functions[{name!r}]"
        if not _is_qualified(name):
            raise _Invalid(where, "function names are full import paths, such as 'builtins.print'")
        functions[name] = effect(raw, where, False)
    methods: dict[str, dict[str, Effect]] = {}
    for type_name, table in _mapping(data.get("methods", {}), "methods").items():
        where = f"methods[{type_name!r}]"
        _check_type_name(type_name, where)
        entries = {}
        for name, raw in _mapping(table, where).items():
            if name != "*" and not _IDENT.fullmatch(name):
                raise _Invalid(f"{where}[{name!r}]", "a method name is an identifier or '*'")
            entries[name] = effect(raw, f"{where}[{name!r}]", True)
        methods[type_name] = entries
    return _Document(set(immutable), {k: str(v) for k, v in aliases.items()}, functions, methods)


def _effect(raw: object, where: str, *, method: bool) -> Effect:
    if not isinstance(raw, Mapping):
        raise _Invalid(where, f"an effect is a JSON object ({{}} means pure), not {_kind(raw)}")
    _check_keys(raw, _EFFECT_KEYS, where, "effect key")
    unknown = raw.get("unknown", False)
    if not isinstance(unknown, bool):
        raise _Invalid(f"{where}.unknown", f"expected true or false, got {_kind(unknown)}")
    if unknown and set(raw) - {"unknown", "$comment"}:
        raise _Invalid(where, "an effect with 'unknown': true can have no other keys")

    mutates = tuple(
        _check_argument(item, f"{where}.mutates[{i}]", method=method)
        for i, item in enumerate(_list(raw.get("mutates", []), f"{where}.mutates"))
    )
    when = raw.get("mutates_when")
    mutates_when: tuple[str, object] | None = None
    if when is not None:
        mutates_when = _when(when, f"{where}.mutates_when")
        if "self" not in mutates:
            raise _Invalid(
                f"{where}.mutates_when", "only applies to a 'self' mutation: add 'self' to mutates"
            )
    reads = _states(raw.get("reads", []), f"{where}.reads")
    writes = _states(raw.get("writes", []), f"{where}.writes")
    returns = raw.get("returns", "new")
    if not isinstance(returns, str) or not _RETURNS.fullmatch(returns):
        raise _Invalid(
            f"{where}.returns",
            "expected 'new', 'self', 'part', 'copy', 'arg:N', 'arg:<keyword>', 'arg:*' or "
            f"'copy:N' / 'copy:<keyword>' / 'copy:*' or 'holds:N', got {returns!r}",
        )
    if not method and returns in ("self", "part", "copy"):
        raise _Invalid(
            f"{where}.returns", f"a function has no receiver; use 'arg:N' instead of {returns!r}"
        )
    seeded_by = _optional_ident(raw.get("seeded_by"), f"{where}.seeded_by")
    if seeded_by is not None and not (raw.get("reads") or raw.get("writes")):
        raise _Invalid(f"{where}.seeded_by", "only applies to hidden state: add reads or writes")
    iterates = raw.get("iterates", True)
    if not isinstance(iterates, bool):
        raise _Invalid(f"{where}.iterates", f"expected true or false, got {_kind(iterates)}")
    files = tuple(
        _file_effect(item, f"{where}.files[{i}]", method=method)
        for i, item in enumerate(_list(raw.get("files", []), f"{where}.files"))
    )
    holds = _holds(raw.get("holds"), f"{where}.holds")
    holds_when = tuple(
        _holds_case(item, f"{where}.holds_when[{i}]")
        for i, item in enumerate(_list(raw.get("holds_when", []), f"{where}.holds_when"))
    )
    if (holds is not None or holds_when) and not raw.get("writes"):
        raise _Invalid(where, "'holds' says what a written state holds: add it to writes")
    effect = Effect(
        mutates=mutates,
        mutates_when=mutates_when,
        reads=reads,
        writes=writes,
        returns=returns,
        files=files,
        unknown=unknown,
        seeded_by=seeded_by,
        holds=holds,
        holds_when=holds_when,
        iterates=iterates,
    )
    return PURE if effect == PURE else effect


def _holds(raw: object, where: str) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not _HOLDS.fullmatch(raw):
        raise _Invalid(where, f"expected 'new', 'none', 'any' or 'arg:N', got {raw!r}")
    return raw


def _holds_case(raw: object, where: str) -> tuple[int | None, str | None, object, str]:
    if not isinstance(raw, Mapping):
        raise _Invalid(where, f'expected {{"arg": N, "kw": NAME, "holds": ...}}, not {_kind(raw)}')
    _check_keys(raw, _HOLDS_WHEN_KEYS, where, "key")
    arg = raw.get("arg")
    if arg is not None and not _is_index(arg):
        raise _Invalid(f"{where}.arg", f"expected a positional index, got {arg!r}")
    kw = _optional_ident(raw.get("kw"), f"{where}.kw")
    if arg is None and kw is None:
        raise _Invalid(where, "needs 'arg' (a positional index) or 'kw' (a keyword), or both")
    holds = _holds(raw.get("holds"), f"{where}.holds")
    if holds is None:
        raise _Invalid(where, "needs 'holds'")
    equals = raw.get("equals", _GIVEN)
    if not (equals is _GIVEN or equals is None or isinstance(equals, (bool, int, float, str))):
        raise _Invalid(f"{where}.equals", f"expected a literal (not {_kind(equals)})")
    return (cast("int | None", arg), kw, equals, holds)


def _file_effect(raw: object, where: str, *, method: bool) -> FileEffect:
    if not isinstance(raw, Mapping):
        raise _Invalid(where, f"a file effect is a JSON object, not {_kind(raw)}")
    _check_keys(raw, _FILE_KEYS, where, "file effect key")
    if "op" not in raw:
        raise _Invalid(where, f"a file effect needs 'op', one of {sorted(FILE_OPS)}")
    op = raw["op"]
    if op not in FILE_OPS:
        raise _Invalid(f"{where}.op", f"expected one of {sorted(FILE_OPS)}, got {op!r}")
    path: int | str | None = None
    if raw.get("path") is not None:
        path = _check_argument(raw["path"], f"{where}.path", method=method, keywords=False)
    path_kw = _optional_ident(raw.get("path_kw"), f"{where}.path_kw")
    if path is None and path_kw is None:
        raise _Invalid(where, "a file effect needs 'path' (an index or 'self') or 'path_kw'")
    mode = raw.get("mode")
    if mode is not None and not _is_index(mode):
        raise _Invalid(f"{where}.mode", f"expected a positional index, got {mode!r}")
    mode_kw = _optional_ident(raw.get("mode_kw"), f"{where}.mode_kw")
    default_mode = raw.get("default_mode", "r")
    if not isinstance(default_mode, str) or not _is_mode(default_mode):
        raise _Invalid(f"{where}.default_mode", f"expected an open() mode, got {default_mode!r}")
    if op != "mode" and ({"mode", "mode_kw", "default_mode"} & set(raw)):
        raise _Invalid(where, "'mode', 'mode_kw' and 'default_mode' only apply when op is 'mode'")
    return FileEffect(
        path=path,
        path_kw=path_kw,
        op=op,
        mode=mode,
        mode_kw=mode_kw,
        default_mode=default_mode,
    )


def _when(raw: object, where: str) -> tuple[str, object]:
    if not isinstance(raw, Mapping):
        raise _Invalid(where, f'expected {{"kw": NAME, "equals": VALUE}}, got {_kind(raw)}')
    _check_keys(raw, _WHEN_KEYS, where, "key")
    if set(raw) != _WHEN_KEYS:
        raise _Invalid(where, 'needs both "kw" and "equals"')
    kw = raw["kw"]
    if not isinstance(kw, str) or not _IDENT.fullmatch(kw):
        raise _Invalid(f"{where}.kw", f"expected a keyword name, got {kw!r}")
    equals = raw["equals"]
    if not (equals is None or isinstance(equals, (bool, int, float, str))):
        raise _Invalid(f"{where}.equals", f"expected a literal (not {_kind(equals)})")
    return (kw, equals)


def _check_argument(item: object, where: str, *, method: bool, keywords: bool = True) -> int | str:
    if _is_index(item):
        return cast(int, item)
    if item == "self":
        if not method:
            raise _Invalid(where, "a function has no receiver: 'self' only applies to methods")
        return "self"
    if keywords and isinstance(item, str) and _IDENT.fullmatch(item):
        return item
    wanted = "'self', a positional index" + (" or a keyword name" if keywords else "")
    raise _Invalid(where, f"expected {wanted}, got {item!r}")


def _check_keys(raw: Mapping[str, object], allowed: frozenset[str], where: str, what: str) -> None:
    for key in raw:
        if key not in allowed:
            place = f"{where}.{key}" if where else str(key)
            raise _Invalid(
                place, f"unknown {what} {key!r}; expected one of {sorted(allowed - {'$comment'})}"
            )


def _states(raw: object, where: str) -> tuple[str, ...]:
    items = _str_list(raw, where)
    for i, item in enumerate(items):
        if not item.startswith("state:") or len(item) == len("state:"):
            raise _Invalid(f"{where}[{i}]", f"hidden state is named 'state:<name>', got {item!r}")
    return tuple(items)


def _str_list(raw: object, where: str) -> list[str]:
    items = _list(raw, where)
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise _Invalid(f"{where}[{i}]", f"expected a string, got {_kind(item)}")
    return cast("list[str]", items)


def _list(raw: object, where: str) -> list[object]:
    if not isinstance(raw, list):
        raise _Invalid(where, f"expected a list, got {_kind(raw)}")
    return raw


def _mapping(raw: object, where: str) -> Mapping[str, object]:
    if not isinstance(raw, Mapping):
        raise _Invalid(where, f"expected an object, got {_kind(raw)}")
    return raw


def _optional_ident(raw: object, where: str) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not _IDENT.fullmatch(raw):
        raise _Invalid(where, f"expected a keyword name or null, got {raw!r}")
    return raw


def _check_type_name(name: object, where: str) -> None:
    if not isinstance(name, str) or not _is_qualified(name):
        raise _Invalid(
            where,
            f"type names are 'module.QualName' as in type(obj).__module__ + '.' + "
            f"type(obj).__qualname__ (such as 'builtins.list'), got {name!r}",
        )


def _is_qualified(name: str) -> bool:
    parts = name.split(".")
    return len(parts) >= 2 and all(_IDENT.fullmatch(p) for p in parts)


def _is_mode(mode: str) -> bool:
    """A valid ``open()`` mode: one of r/w/x/a, at most one '+', not both 'b' and 't'."""
    return (
        bool(_MODE.fullmatch(mode))
        and sum(mode.count(c) for c in "rwxa") == 1
        and all(mode.count(c) <= 1 for c in "+bt")
        and not ("b" in mode and "t" in mode)
    )


def _is_index(item: object) -> bool:
    return isinstance(item, int) and not isinstance(item, bool) and item >= 0


def _kind(value: object) -> str:
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }.get(type(value), type(value).__name__)

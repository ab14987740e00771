"""What a replayed statement did, by name: the facts the export plan is built from.

The replay knows what a statement changed as object locations and pseudo-locations; exporters
plan steps by name (a step takes ``xs`` and hands on ``xs``). This module turns the replay's
effects into names at the moment the statement ran, before its own bindings: the locations it
changed back to the names bound to them then (so ``random.shuffle(xs)`` changes ``xs``, as the
specs say), and the summaries of the functions it defines into the globals they read when
called. Pure functions over one replay; nothing here parses text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from lineage.analysis.records import NO_NAMES, Facts, Summary, names
from lineage.graph.records import StatementEffects

if TYPE_CHECKING:
    from lineage.graph.objects import ObjectModel

_MAX_SUMMARIES = 64  # notebook functions followed to find the globals a call may change


def changed_names(
    objects: ObjectModel, f: Facts, eff: StatementEffects
) -> tuple[frozenset[str], bool]:
    """The names whose objects the statement may have changed in place: those bound, before
    it ran, to a location it changed, or to a container of one; and whether it changed an
    object none of them holds (a temporary, an alias it does not name). Candidates are the
    names the statement mentions and the globals of the notebook functions it may call (a
    function changing a global it reads), so the cost does not grow with the session."""
    changed = set(eff.mutated)
    changed.update(loc for loc, _ in eff.slot_writes)
    if not changed:
        return NO_NAMES, False
    find = objects.find
    direct = {find(loc) for loc in changed}
    roots = set(direct)
    if objects.st.held_by:
        for root in direct:
            roots.update(objects.containers_of(root))
    st = objects.st
    out: set[str] = set()
    named: set[int] = set()
    for name in _candidates(objects, f):
        loc = st.loc_of.get(name)
        if loc is None or name in st.modules:
            continue
        root = find(loc)
        if root in roots:
            out.add(name)
            named.add(root)
    return names(out), not direct <= named


def _candidates(objects: ObjectModel, f: Facts) -> set[str]:
    names = set(f.reads) | f.stores | f.augs | f.deep_stores | f.iterated | f.binds | f.may_binds
    names.update(name for name, _, _ in f.slot_stores)
    st = objects.st
    if not st.loc_func:
        return names
    todo = list(names)
    seen: set[int] = set()
    while todo and len(seen) < _MAX_SUMMARIES:
        loc = objects.loc(todo.pop())
        summary = st.loc_func.get(loc) if loc is not None else None
        if summary is None or id(summary) in seen:
            continue
        seen.add(id(summary))
        for s in _nested(summary):
            fresh = s.reads - names
            names |= fresh
            todo.extend(fresh)
    return names


def _nested(summary: Summary) -> Iterable[Summary]:
    """A summary, the functions defined inside it, and a class's methods."""
    stack = [summary]
    while stack:
        s = stack.pop()
        yield s
        stack.extend(s.nested)
        stack.extend(s.methods)


def deferred_reads(f: Facts) -> tuple[frozenset[str], frozenset[str]]:
    """(globals read when the functions, lambdas and classes the statement defines or uses are
    called, not now; globals they declare ``global`` and assign)."""
    if not f.defs and not f.inline_funcs:
        return NO_NAMES, NO_NAMES
    reads: set[str] = set()
    writes: set[str] = set()

    def walk(summary: Summary, enclosing: frozenset[str]) -> None:
        if not summary.is_class:
            reads.update(summary.reads - enclosing)
            writes.update(summary.global_binds)
        inner = enclosing | (summary.locals if not summary.is_class else NO_NAMES)
        for nested in (*summary.nested, *summary.methods):
            walk(nested, inner)

    for summary in (*f.defs.values(), *f.inline_funcs):
        walk(summary, NO_NAMES)
    return names(reads - f.reads), names(writes)


def statement_kind(f: Facts) -> str:
    """The statement's kind: "import", "def" (binds one function or lambda), "class", "code"."""
    if f.is_import:
        return "import"
    if f.defs and len(f.binds | f.may_binds) == 1:
        (name,) = f.binds | f.may_binds
        summary = f.defs.get(name)
        if summary is not None and summary.name != "<genexpr>":
            return "class" if summary.is_class else "def"
    return "code"


ARGV = "state:sys.argv"  # the command line: what a slice reading it must run with again
_ARGV_MODULES = frozenset(("argparse", "getopt", "optparse"))
_ARGV_METHODS = frozenset(("parse_args", "parse_known_args", "parse_intermixed_args"))


def reads_argv(objects: ObjectModel, f: Facts, deferred: frozenset[str], text: str) -> bool:
    """The statement reads the command line, now or when a function it defines runs:
    ``sys.argv`` (or ``argv`` imported from sys), or a parser (argparse, getopt, optparse,
    a ``parse_args`` call)."""
    modules = objects.st.modules
    for name in f.reads | deferred:
        path = modules.get(name)
        if path == "sys.argv" or (path == "sys" and "argv" in text):
            return True
    calls = list(f.calls)
    for summary in (*f.defs.values(), *f.inline_funcs):
        for s in _nested(summary):
            calls.extend(s.calls)
    for call in calls:
        func = call.func
        if len(func) > 1 and func[-1] in _ARGV_METHODS:
            return True
        path = modules.get(func[0]) if func else None
        if path is not None and path.split(".")[0] in _ARGV_MODULES:
            return True
    return False

"""Records of the session graph: nodes, the replay state, per-statement effects."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import NamedTuple, NewType

from lineage.analysis.records import Summary

NodeId = NewType("NodeId", int)
Loc = int | str  # an object location (int) or a pseudo-location ("state:random", "file:/p")
Deps = tuple[NodeId, ...]

WILDCARD_FILE = "file:*"
CWD = "state:cwd"  # the working directory: relative paths are read through it
STAR_IMPORTS = "imports:*"  # the statements that ran ``from m import *``
MIXED = "?"  # the type of a location holding objects of different types (State.loc_type)
STATE_HOLDERS = ("sys.path.", "os.environ.")
MODULE_ATTRS = "attrs:"  # + top-level module: attributes stored on it (``mymod.setting = 2``)
CONTAINER_MODULES = ("builtins.", "collections.")
# containers whose own changes (append, setitem, pop, sort...) never change the objects they
# hold, and whose items are the held objects themselves (not views or copies)
PLAIN_CONTAINERS = frozenset(
    "builtins.list builtins.dict builtins.tuple builtins.set builtins.frozenset "
    "collections.deque collections.OrderedDict collections.defaultdict collections.Counter".split()
)
# method names that change nothing on any type we know of; used when the receiver's type is unknown
PURE_METHOD_NAMES = frozenset(
    "copy get keys values items count index startswith endswith format join split rsplit "
    "strip lstrip rstrip lower upper title replace find rfind isdigit isalpha encode decode "
    "__len__ __contains__ __repr__ __str__".split()
)


class CellEndReset(NamedTuple):
    """Hidden state the shell resets whenever a cell ends, and the call that does the same in a
    script: the inline backend closes pyplot's figures (``matplotlib.pyplot`` ``close('all')``)."""

    state: str
    module: str
    call: str


class RuntimeName(NamedTuple):
    """What a name held at the end of its cell, as observed by the tracer."""

    obj_id: int
    type_name: str
    func: tuple[str, int, str] | None = None  # (co_filename, co_firstlineno, co_name)


class Traits(NamedTuple):
    """What a statement is and did beyond its names, rarely other than the defaults: one
    shared instance per distinct value (most statements share the default, :data:`PLAIN`), so a
    node carries one reference for all of them."""

    is_import: bool = False
    excluded: bool = False  # magics and lineage calls: never part of a slice
    # names standing for lineage objects when the statement mentions lineage: its text is
    # rewritten without lineage when rendered (lineage.analysis.own_calls)
    lineage: tuple[tuple[str, str], ...] = ()
    dels: tuple[str, ...] = ()  # names it unbinds
    # global names read later, when a function, lambda or class it defines is called
    deferred: tuple[str, ...] = ()
    global_writes: tuple[str, ...] = ()  # names its functions declare ``global``
    # names bound (before it ran) to objects it may have changed in place
    mutates: tuple[str, ...] = ()
    # hidden state and files it read and wrote (``state:random``, ``file:/abs/path``)
    state_reads: tuple[str, ...] = ()
    state_writes: tuple[str, ...] = ()
    changes: bool = False  # it changed an object no name in ``mutates`` holds
    kind: str = "code"  # "import", "def" (a function or lambda), "class" or "code"
    modules: tuple[str, ...] = ()  # for an import: the dotted paths it imports


PLAIN = Traits()


@dataclass(slots=True)
class Node:
    id: NodeId
    record: int  # index of the cell record in the session (not an execution count)
    execution_count: int | None
    # the statement's text is ``source[start:end]``, with ``span`` ``start << 32 | end``: its
    # cell's text, one string the cell's nodes share (:attr:`text` cuts it); all of ``source``
    # when ``span`` is -1
    source: str
    deps: Deps
    # names are sorted tuples (lineage.analysis.records.sorted_names): a node only lists them
    binds: tuple[str, ...]
    reads: tuple[str, ...]
    # -- what the statement did, by name: the facts exporters plan steps from (kept with each
    # artifact; see lineage.graph.node_facts) ---------------------------------------------------
    sure: tuple[str, ...] = ()  # of ``binds``, those bound whenever it completes
    span: int = -1
    traits: Traits = PLAIN  # the rest, read through the properties below

    @property
    def text(self) -> str:
        """The statement's text, as it ran."""
        span = self.span
        return self.source if span < 0 else self.source[span >> 32 : span & 0xFFFFFFFF]

    @property
    def is_import(self) -> bool:
        return self.traits.is_import

    @property
    def excluded(self) -> bool:
        return self.traits.excluded

    @property
    def lineage(self) -> tuple[tuple[str, str], ...]:
        return self.traits.lineage

    @property
    def dels(self) -> tuple[str, ...]:
        return self.traits.dels

    @property
    def deferred(self) -> tuple[str, ...]:
        return self.traits.deferred

    @property
    def global_writes(self) -> tuple[str, ...]:
        return self.traits.global_writes

    @property
    def mutates(self) -> tuple[str, ...]:
        return self.traits.mutates

    @property
    def state_reads(self) -> tuple[str, ...]:
        return self.traits.state_reads

    @property
    def state_writes(self) -> tuple[str, ...]:
        return self.traits.state_writes

    @property
    def changes(self) -> bool:
        return self.traits.changes

    @property
    def kind(self) -> str:
        return self.traits.kind

    @property
    def modules(self) -> tuple[str, ...]:
        return self.traits.modules


@dataclass(slots=True)
class State:
    binders: dict[str, Deps] = field(default_factory=dict)
    loc_of: dict[str, int] = field(default_factory=dict)
    parent: dict[int, int] = field(default_factory=dict)  # union-find over locations
    writers: dict[Loc, Deps] = field(default_factory=dict)
    loc_type: dict[int, str] = field(default_factory=dict)
    loc_func: dict[int, Summary] = field(default_factory=dict)
    modules: dict[str, str] = field(default_factory=dict)  # name -> imported dotted path
    consts: dict[str, str] = field(default_factory=dict)  # name -> known path string
    rid: dict[str, tuple[int, str]] = field(default_factory=dict)
    id_map: dict[tuple[int, str], str] = field(default_factory=dict)
    file_locs: set[str] = field(default_factory=set)
    next_loc: int = 0
    # a shallow copy's location -> the locations whose elements it shares
    elements_of: dict[int, tuple[int, ...]] = field(default_factory=dict)
    # keywords given a value (not None) when the object at a location was made or configured:
    # RandomForestClassifier(random_state=0), est.set_params(random_state=1)
    configured: dict[int, frozenset[str]] = field(default_factory=dict)
    # names bound to lineage objects other than ``lineage`` itself (``lg``, ``save``) -> path
    lineage_names: dict[str, str] = field(default_factory=dict)
    # the objects of a hidden state that holds one (pyplot's current figure, bound as a name in
    # loc_of/binders) -> every location it held since it last held nothing (not containment:
    # that is holds / held_by)
    state_objects: dict[str, tuple[int, ...]] = field(default_factory=dict)
    # containment (one-way, see ObjectModel.contain): container location -> the locations it holds,
    # and element location -> the containers holding it; entries may be stale roots (use find)
    holds: dict[int, set[int]] = field(default_factory=dict)
    held_by: dict[int, set[int]] = field(default_factory=dict)
    # the statements that last changed something an object holds (not the object itself): what a
    # shallow copy of it sees (``c = list(a); a[0].append(1)``, but not ``a.append(1)``)
    deep_writers: dict[int, Deps] = field(default_factory=dict)
    # element-level writers of a list or dict since its last whole change: loc -> key -> the
    # statements that last wrote that element (``lst[1] = 42``); never changed in place (a
    # copied state shares the inner dictionaries)
    slots: dict[int, dict[int | str, Deps]] = field(default_factory=dict)

    def copy(self) -> State:
        return State(
            binders=dict(self.binders), loc_of=dict(self.loc_of), parent=dict(self.parent),
            writers=dict(self.writers), loc_type=dict(self.loc_type),
            loc_func=dict(self.loc_func), modules=dict(self.modules), consts=dict(self.consts),
            rid=dict(self.rid), id_map=dict(self.id_map), file_locs=set(self.file_locs),
            next_loc=self.next_loc, elements_of=dict(self.elements_of),
            configured=dict(self.configured), lineage_names=dict(self.lineage_names),
            state_objects=dict(self.state_objects),
            holds={k: set(v) for k, v in self.holds.items()},
            held_by={k: set(v) for k, v in self.held_by.items()},
            deep_writers=dict(self.deep_writers), slots=dict(self.slots),
        )  # fmt: skip


class StatementEffects:
    """What one statement reads and changes, gathered before the state is updated."""

    __slots__ = (
        "applied", "binds_may", "binds_sure", "deep", "deps", "mutated", "pseudo_reads",
        "pseudo_writes", "slot_writes",
    )  # fmt: skip

    def __init__(self) -> None:
        self.deps: set[NodeId] = set()
        self.mutated: set[int] = set()
        self.deep: set[int] = set()  # of those, the ones whose elements may have changed too
        self.slot_writes: list[tuple[int, int | str]] = []  # (location, key) of lst[1] = 42
        self.pseudo_reads: set[str] = set()
        self.pseudo_writes: set[str] = set()
        self.binds_may: set[str] = set()
        self.binds_sure: set[str] = set()  # ``global`` names a called function surely binds
        self.applied: set[int] = set()  # ids of summaries already applied (cycle guard)


def in_order(names: AbstractSet[str]) -> Iterable[str]:
    """A set of names in a fixed order: the order a set iterates in depends on the hash seed,
    and reading a name may apply a function's summary, which changes the replay state."""
    return sorted(names) if len(names) > 1 else names


_LAST_ALONE: list[Deps] = [(NodeId(-1),)]


def alone(nid: NodeId) -> Deps:
    """``(nid,)``, the same tuple for the calls of one statement: the binders and writers it
    records share it (a statement usually records two, and each 1-tuple is 48 bytes kept)."""
    last = _LAST_ALONE[0]
    if last[0] != nid:
        last = _LAST_ALONE[0] = (nid,)
    return last


def union(a: Deps, b: Deps) -> Deps:
    """Both dependency tuples, sorted, without repeats."""
    if not a:
        return b
    if not b:
        return a
    # the usual case: b holds the statement running now, newer than every one in a (a name
    # a loop may bind gains one binder a pass, for the whole session: no sort of them each time)
    if a[-1] < b[0]:
        return a + b
    if b[-1] < a[0]:
        return b + a
    return tuple(sorted(set(a) | set(b)))

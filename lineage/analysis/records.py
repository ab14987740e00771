"""The records static analysis produces: call sites, function summaries, statement facts.

A *root* is the name an expression hangs from: ``df`` for ``df["a"].values`` or
``df.loc[0]``. Mutations, call receivers and arguments are reported by root, because a change
to any part of an object reached from a name is a change to what that name holds.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Literal

# How a bound name (or a call's result) relates to existing objects; the value depends on the
# kind (see Facts.links). The static kinds come from the analysis; the graph resolves "call",
# "callpart", "item" and "concat" against the replay state into one of the others, and adds
# "instance" (an object of a notebook class: its Summary) and "immutable" (a new value of the
# operands' immutable type).
LinkKind = Literal[
    "same",  # the same object as a name
    "part",  # a part of a name's object
    "parts",  # the same as or a part of any of these names' objects
    "holds",  # a new display or view holding these names' objects
    "copy",  # a new container holding these names' elements
    "concat",  # ``a + b``: a copy when the result is a container
    "item",  # ``root[...]``: a part of root unless its type copies on indexing
    "call",  # what call i of the statement returned
    "callpart",  # a part of what call i of the statement returned
    "sibling",  # ``x = y = value``: the object the first target was bound to
    "instance",
    "immutable",
    "new",  # a new object nobody else holds
]
Link = tuple[LinkKind, Any]

# A small expression language for file paths, folded later against known string constants:
# ("lit", "data.csv") | ("name", "path") | ("join", part, ...) | ("cat", part, ...)
PathExpr = tuple


# Shared empties. Most statements delete, store and define nothing, and an empty frozenset is
# not a singleton (216 bytes each, an empty dict 64): facts are never changed once built, so
# one empty of each serves every statement (about 1 KB a statement kept after a save).
NO_NAMES: frozenset[str] = frozenset()
NO_ITEMS: dict[Any, Any] = {}  # never written to


def names(items: Collection[str]) -> frozenset[str]:
    """``items`` as a frozenset: the shared empty one when there are none."""
    return frozenset(items) if items else NO_NAMES


def sorted_names(items: Collection[str]) -> tuple[str, ...]:
    """``items`` as a sorted tuple, the form a graph node keeps (a fifth of a frozenset's
    memory; nodes only list their names, for the exporters)."""
    return tuple(sorted(items)) if len(items) > 1 else tuple(items)


@dataclass(frozen=True, slots=True)
class CallSite:
    """One call: ``func`` is the dotted callee (``("random", "shuffle")``, ``("df", "dropna")``,
    ``("f",)``), empty when the callee is not a plain name/attribute chain."""

    func: tuple[str, ...]
    args: tuple[str | None, ...]  # root name of each positional argument
    kwargs: tuple[tuple[str, str | None], ...]  # (keyword, root name)
    paths: tuple[PathExpr | None, ...]  # positional arguments as path expressions
    kwpaths: tuple[tuple[str, PathExpr], ...]
    consts: tuple[tuple[str, object], ...]  # keyword arguments given as literals (inplace=True)
    starred: bool  # *args or **kwargs: argument positions unknown
    receiver_chain: bool  # callee is an attribute of something more than the root (a.b.m())
    computed: bool = False  # the receiver is computed (df.dropna().sum(), d["k"].append(x))
    # for a receiver more than a name: how it relates to existing objects, as in Facts.links
    # (("call", i): the result of call i of the same statement; ("item", root): root[...])
    receiver: Link | None = None
    receiver_path: PathExpr | None = None  # the receiver as a path: Path("a.txt").read_text()
    # the callee is a value computed from this root (``make()(3)``, ``fs[0](x)``); func is ()
    callee_root: str | None = None
    # the call runs whenever its statement (or function body) runs: not in a branch or loop
    unconditional: bool = False
    # for each positional argument that is itself a call (``next(iter(g))``), that call's site;
    # empty when no argument is a call
    arg_calls: tuple[CallSite | None, ...] = ()


@dataclass(frozen=True, slots=True)
class Summary:
    """What calling a notebook-defined function (or method) may do."""

    name: str
    lineno: int
    params: tuple[str, ...]  # positional parameters, in order (``self`` included for methods)
    kwonly: tuple[str, ...]
    reads: frozenset[str]  # global names read at call time
    global_binds: frozenset[str]  # names declared ``global`` and assigned
    stores: frozenset[str]  # roots (params or globals) written through x[...] = / x.a = / del
    calls: tuple[CallSite, ...]
    locals: frozenset[str]
    nested: tuple[Summary, ...] = ()  # functions and lambdas defined inside (closures)
    methods: tuple[Summary, ...] = ()  # for classes: one summary per method
    is_class: bool = False
    bases: tuple[str, ...] = ()
    # how locals relate to other objects (``for r in rows``: r is part of rows), as in Facts
    links: dict[str, Link] = field(default_factory=dict)
    inserts: tuple[tuple[str, str], ...] = ()
    deep_stores: frozenset[str] = frozenset()
    # names declared ``nonlocal`` and assigned: calling the closure changes its own state
    nonlocal_writes: frozenset[str] = frozenset()
    # for a closure: the enclosing function's locals it uses (they live in the function object)
    closure: frozenset[str] = frozenset()
    # hidden state of the function object: parameters with a default that may be mutable and
    # that the body may change (``acc=[]``), and decorators that may keep state (``lru_cache``)
    default_state: frozenset[str] = frozenset()
    wrapped: bool = False
    generator: bool = False  # the body yields: a call returns a generator that runs it lazily
    sure_globals: frozenset[str] = frozenset()  # ``global`` names bound on every path
    iterated: frozenset[str] = frozenset()  # roots looped over (an iterator is consumed)
    deferred: bool = False  # a lambda the function returns: it runs when called, not now


@dataclass(slots=True)
class Facts:
    """What one statement does, statically. Built once per statement and never changed (not
    frozen: a frozen dataclass's __init__ costs a third of the analysis of a simple statement)."""

    reads: frozenset[str]  # names read before any binding inside the statement
    binds: frozenset[str]  # names surely bound
    may_binds: frozenset[str]  # names bound only on some paths
    dels: frozenset[str]
    stores: frozenset[str]  # roots changed through x[...] = , x.attr = , del x[...]
    augs: frozenset[str]  # names updated by ``x op= ...`` (in place for mutable objects)
    calls: tuple[CallSite, ...]
    # target -> how it relates to an existing object: ("same", root) | ("part", root) |
    # ("item", root) for ``root[...]`` | ("parts", roots): the same as or a part of any |
    # ("holds", roots): a new display holding them | ("copy", roots): a new container holding
    # their elements | ("concat", roots): ``a + b``, a copy when the result is a container |
    # ("call", index into calls) | ("callpart", index): a part of what that call returned |
    # ("new", ""); only for plain-name targets
    links: dict[str, Link]
    consts: dict[str, PathExpr]  # names bound to path-like constants
    imports: dict[str, str]  # bound name -> dotted module or object path
    literal_types: dict[str, str]  # names bound to displays of a known type
    defs: dict[str, Summary]  # functions, lambdas and classes bound by name
    inline_funcs: tuple[Summary, ...]  # lambdas/defs used inside the statement itself
    is_import: bool
    mentions_lineage: bool
    # (container root, value root): the container now holds the value (``c[k] = v``,
    # ``obj.attr = v``), so changing the value changes the container
    inserts: tuple[tuple[str, str], ...] = ()
    deep_stores: frozenset[str] = frozenset()  # roots changed through an element: x[0][k] = v
    # loop and comprehension variables: inside the statement they always hold an element
    # of what is iterated, never the name's earlier value
    elements: frozenset[str] = frozenset()
    star_import: bool = False  # ``from m import *`` binds names nobody listed
    # roots the statement loops over or unpacks (``for _ in it``, ``[*it]``, ``x in it``): an
    # iterator among them is consumed
    iterated: frozenset[str] = frozenset()
    # names read only through literal keys (``lst[0]``, ``d["k"]``) -> the keys read (empty when
    # the statement only writes elements: ``lst[1] = 42`` reads the list, not its elements)
    slot_reads: dict[str, tuple[int | str, ...]] = field(default_factory=lambda: NO_ITEMS)
    # (name, key, augmented) for names changed only through literal keys: ``lst[1] = 42``
    # overwrites element 1, ``lst[0] += 1`` updates element 0
    slot_stores: tuple[tuple[str, int | str, bool], ...] = ()


EMPTY_FACTS = Facts(
    NO_NAMES, NO_NAMES, NO_NAMES, NO_NAMES, NO_NAMES, NO_NAMES, (), NO_ITEMS, NO_ITEMS, NO_ITEMS,
    NO_ITEMS, NO_ITEMS, (), False, False, slot_reads=NO_ITEMS,
)  # fmt: skip

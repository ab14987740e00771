"""Static facts about one statement's source, as the emitters need them.

The session graph already knows which statements depend on which; turning statements into
function bodies also needs to know, by name, what each statement reads (now, or later when a
function it defines is called), what it surely or possibly binds, and which objects it may
change in place. What runs now comes from the session's own analysis
(:func:`lineage.analysis.facts.statement_facts`); what functions read when called comes
from :mod:`symtable`, which resolves scopes exactly.
"""

from __future__ import annotations

import ast
import io
import symtable
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass

from lineage.analysis.facts import statement_facts
from lineage.errors import ExportError

# tokens whose text may span lines of a string literal (f-strings are split up from 3.12 on)
_STRING_TOKENS = frozenset(
    t for t in (tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", None)) if t is not None
)
_COMPREHENSIONS = frozenset({"listcomp", "setcomp", "dictcomp", "genexpr"})
# methods that return something new and leave their receiver as it was
_PURE_METHODS = frozenset(
    "copy get keys values items count index startswith endswith format join split rsplit "
    "strip lstrip rstrip lower upper title replace find rfind isdigit isalpha encode decode "
    "head tail describe info groupby mean median sum min max std var agg aggregate apply map "
    "merge astype reset_index set_index sort_values sort_index rename drop dropna fillna query "
    "corr value_counts unique nunique reshape predict predict_proba transform score round abs "
    "cumsum tolist to_list to_dict to_numpy isna notna isin any all most_common filter select "
    "assign pivot pivot_table melt concat explode sample nlargest nsmallest idxmax idxmin".split()
)


@dataclass(frozen=True)
class Facts:
    reads: frozenset[str]  # names read while the statement runs
    deferred: frozenset[str]  # global names read later, when functions it defines are called
    binds: frozenset[str]  # names it may bind
    sure: frozenset[str]  # names it binds whenever it completes
    mutates: frozenset[str]  # names whose objects it may change in place
    global_writes: frozenset[str]  # names its functions declare ``global`` and assign
    kind: str  # "import", "def" (a function), "class" or "code"
    literal: tuple[str, object] | None  # ``NAME = <literal>``: (NAME, value)
    strings: tuple[str, ...]  # string constants it contains (to spot input files)


def analyze(text: str) -> Facts:
    """Facts of one top-level statement's source."""
    try:
        tree = ast.parse(text)
        table = symtable.symtable(text, "<statement>", "exec")
    except SyntaxError as e:
        raise ExportError(
            f"cannot export a statement that does not parse as Python ({e.msg}):\n{text}"
        ) from e
    reads: set[str] = set()
    binds: set[str] = set()
    sure: set[str] = set()
    for node in tree.body:  # what runs now, in order: the session's own analysis knows
        f = statement_facts(node)
        reads |= f.reads - sure
        binds |= f.binds | f.may_binds | f.dels
        sure = (sure | f.binds) - f.dels
    deferred: set[str] = set()
    global_writes: set[str] = set()
    for child in table.get_children():
        _scope_reads(child, set(), deferred, global_writes, later=False)
    mutates: set[str] = set()
    for node in tree.body:
        _mutations(node, mutates)
    kind = "code"
    if tree.body and all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in tree.body):
        kind = "import"
    elif len(tree.body) == 1 and isinstance(tree.body[0], (ast.FunctionDef, ast.AsyncFunctionDef)):
        kind = "def"
    elif len(tree.body) == 1 and isinstance(tree.body[0], ast.ClassDef):
        kind = "class"
    strings = tuple(
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    )
    return Facts(
        reads=frozenset(reads),
        deferred=frozenset(deferred - reads),
        binds=frozenset(binds),
        sure=frozenset(sure),
        mutates=frozenset(mutates),
        global_writes=frozenset(global_writes),
        kind=kind,
        literal=_literal_assignment(tree),
        strings=strings,
    )


def _scope_reads(
    table: symtable.SymbolTable,
    reads: set[str],
    deferred: set[str],
    global_writes: set[str],
    later: bool,
) -> None:
    """Global names a nested scope reads: now (class bodies, comprehensions) or ``later``
    (function and lambda bodies run when called)."""
    kind = table.get_type()
    is_function = str(kind) in ("function", "FUNCTION") and table.get_name() not in _COMPREHENSIONS
    later = later or is_function
    for sym in table.get_symbols():
        if sym.is_declared_global() and sym.is_assigned():
            global_writes.add(sym.get_name())
        if sym.is_referenced() and sym.is_global():
            (deferred if later else reads).add(sym.get_name())
    for child in table.get_children():
        _scope_reads(child, reads, deferred, global_writes, later)


def _root(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call, ast.Starred)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _mutations(node: ast.AST, out: set[str]) -> None:
    """Names whose objects ``node`` may change in place (function bodies excluded: they run
    when called). Changing a loop variable changes the collection it comes from."""
    for sub in _walk_now(node):
        if isinstance(sub, (ast.For, ast.AsyncFor)):
            inner: set[str] = set()
            for stmt in sub.body:
                _mutations(stmt, inner)
            root = _root(sub.iter)
            loop_vars = {n.id for n in ast.walk(sub.target) if isinstance(n, ast.Name)}
            if root and inner & loop_vars:
                out.add(root)
        targets: list[ast.AST] = []
        if isinstance(sub, ast.Assign):
            targets = list(sub.targets)
        elif isinstance(sub, (ast.AugAssign, ast.AnnAssign)):
            targets = [sub.target]
        elif isinstance(sub, ast.Delete):
            targets = list(sub.targets)
        for target in targets:
            if isinstance(target, (ast.Attribute, ast.Subscript)):
                root = _root(target)
                if root:
                    out.add(root)
        if isinstance(sub, ast.AugAssign) and isinstance(sub.target, ast.Name):
            out.add(sub.target.id)
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute):
            root = _root(sub.func.value)
            inplace = any(
                k.arg == "inplace" and isinstance(k.value, ast.Constant) and k.value.value is True
                for k in sub.keywords
            )
            if root and (sub.func.attr not in _PURE_METHODS or inplace):
                out.add(root)


def _walk_now(node: ast.AST) -> Iterator[ast.AST]:
    """Like :func:`ast.walk`, without descending into function or lambda bodies."""
    stack = [node]
    while stack:
        sub = stack.pop()
        yield sub
        for child in ast.iter_child_nodes(sub):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                stack.append(child)


def _literal_assignment(tree: ast.Module) -> tuple[str, object] | None:
    if len(tree.body) != 1:
        return None
    node = tree.body[0]
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target, value = node.targets[0], node.value
    elif isinstance(node, ast.AnnAssign) and node.value is not None and node.simple:
        target, value = node.target, node.value
    else:
        return None
    if not isinstance(target, ast.Name):
        return None
    try:
        return target.id, ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def indent(text: str, prefix: str = "    ") -> str:
    """``text`` with each line indented, except lines inside multi-line strings, whose
    content indenting would change."""
    lines = text.splitlines()
    keep: set[int] = set()  # 0-based indices of lines that continue a string token
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text + "\n").readline):
            if tok.type in _STRING_TOKENS and tok.end[0] > tok.start[0]:
                keep.update(range(tok.start[0], tok.end[0]))
    except (tokenize.TokenError, SyntaxError):
        pass
    return "\n".join(
        line if (i in keep or not line.strip()) else prefix + line for i, line in enumerate(lines)
    )

"""The records planning works on: slices in, steps and a plan out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lineage.emitters.params import Param

if TYPE_CHECKING:
    from lineage.emitters.reuse import Reused
    from lineage.reuse import StoreAddress

# Names the emitted files use next to the user's code: no step or variable may take one.
RESERVED = frozenset(
    "os pickle Path fsspec cloudpickle argparse json copy ray pytest PARAMS "
    "INPUT_DIR INPUT_FILES file_path stage_inputs data_root input_dir "
    "parse_params boolean data_path open_data save_value load_value skip_value keep save "
    "steps run main dag task ARTIFACT_FILES "
    "Param get_current_context SESSION_ARGV load_reused REUSE_STORE".split()
)


_NO_NAMES: frozenset[str] = frozenset()


@dataclass(frozen=True)
class StatementFacts:
    """What a statement did, as the session graph computed it when the artifact was saved
    (``meta["statements"]``, :func:`lineage.slicer.statement_record`): the one model of
    statements the plan is built from."""

    reads: frozenset[str] = _NO_NAMES  # names read while the statement runs
    deferred: frozenset[str] = _NO_NAMES  # globals read later, when functions it defines run
    binds: frozenset[str] = _NO_NAMES  # names it may bind or unbind
    sure: frozenset[str] = _NO_NAMES  # names it binds whenever it completes
    mutates: frozenset[str] = _NO_NAMES  # names whose objects it may change in place
    global_writes: frozenset[str] = _NO_NAMES  # names its functions declare ``global``
    state_reads: frozenset[str] = _NO_NAMES  # hidden state and files (``file:/abs/path``)
    state_writes: frozenset[str] = _NO_NAMES
    changes: bool = False  # it changed an object no name in ``mutates`` holds
    kind: str = "code"  # "import", "def" (a function or lambda), "class" or "code"
    literal: tuple[str, object] | None = None  # ``NAME = <literal>``: (NAME, value)
    modules: tuple[str, ...] = ()  # for an import: the dotted paths it imports

    @property
    def inert(self) -> bool:
        """It binds nothing and changes nothing, named or not: leaving it out of a step
        changes no value (an expression alone, ``df["species"]``)."""
        return (
            self.kind == "code"
            and not self.binds
            and not self.mutates
            and not self.changes
            and not self.state_writes
            and not self.global_writes
        )


@dataclass(frozen=True)
class Statement:
    """One statement of a slice, as saved in the artifact's metadata."""

    id: int
    text: str
    deps: tuple[int, ...] = ()
    cell: int | None = None  # execution count of the cell it ran in
    facts: StatementFacts = StatementFacts()


@dataclass(frozen=True)
class Slice:
    """One artifact to export: its slice and the variable holding its value at the end."""

    artifact: str
    session: str
    target: str
    statements: tuple[Statement, ...]
    extra: str = ""  # a final statement binding ``target`` that the session did not run itself
    extra_facts: StatementFacts = StatementFacts()
    cwd: str = ""
    argv: tuple[str, ...] | None = None  # the session's sys.argv, kept when the slice reads it
    # the statement ``extra`` runs stopped at the save call (a save inside a loop, a function)
    stopped_at: int | None = None


@dataclass(frozen=True)
class Step:
    name: str  # the function's name
    body: tuple[tuple[str, int | None], ...]  # (statement text, cell) in execution order
    inputs: tuple[tuple[str, str], ...]  # (name, step producing it), in argument order
    params: tuple[str, ...]  # parameters it reads, after the inputs
    outputs: tuple[str, ...]  # names it returns
    artifacts: tuple[str, ...]  # artifacts it rebuilds: their values are among its outputs
    users: tuple[str, ...]  # artifacts that need it
    after: tuple[str, ...] = ()  # steps that must run before it
    mutated: tuple[str, ...] = ()  # inputs it changes in place


@dataclass(frozen=True)
class Plan:
    pipeline: str
    imports: tuple[str, ...]  # module-level imports (normalised by ast.unparse)
    helpers: tuple[str, ...]  # module-level notebook functions and classes
    steps: tuple[Step, ...]  # in run order
    params: tuple[Param, ...]
    artifacts: tuple[tuple[str, str, str], ...]  # (artifact, step, output holding its value)
    work_dir: str | None  # the input location's default: the folder the session read files in
    cloudpickle: bool  # values include functions or classes defined inside a step
    modules: tuple[str, ...]  # top-level modules the steps import
    argv: tuple[str, ...] | None = None  # sys.argv the steps set first (the session's)
    # files the code names by path: (string constant, path relative to work_dir)
    input_files: tuple[tuple[str, str], ...] = ()
    # the session folder's modules the steps import (``helpers.py``, ``mypkg``): shipped along
    local_modules: tuple[str, ...] = ()
    # stored artifacts the steps load instead of recomputing them (``--reuse``), and the
    # store they are loaded from
    reused: tuple[Reused, ...] = ()
    reuse_store: StoreAddress | None = None


@dataclass(eq=False)
class PlanStmt:
    key: tuple[str, float]  # (session, position in execution order)
    text: str
    deps: tuple[int, ...]
    cell: int | None
    facts: StatementFacts
    users: list[str] = field(default_factory=list)  # artifacts whose slice holds it

    @property
    def session(self) -> str:
        return self.key[0]

    @property
    def pos(self) -> float:
        return self.key[1]

    def writes(self, name: str) -> bool:
        return name in self.facts.binds or name in self.facts.mutates


PARAM = "param"  # provider marker: the value comes from a pipeline parameter

"""Pipeline parameters: top-level ``NAME = <literal>`` assignments lifted out of the slices.

A parameter keeps the literal as its default and its type: the script and Ray entry points
parse ``--NAME VALUE`` accordingly, the Airflow DAG declares a typed ``Param``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lineage.emitters.naming import literal
from lineage.errors import ExportError

# literal type -> (JSON-schema type for Airflow, how to turn a parsed JSON value back into it)
_KINDS: dict[type, tuple[str | None, str | None]] = {
    bool: ("boolean", None),
    int: ("integer", None),
    float: ("number", "float"),
    str: ("string", None),
    type(None): (None, None),
    list: ("array", None),
    tuple: ("array", "tuple"),
    set: ("array", "set"),
    frozenset: ("array", "frozenset"),
    dict: ("object", None),
}

# the names run() in the steps module binds next to the parameters
_RUN_NAMES = frozenset({"save", "keep", "input_dir"})


@dataclass(frozen=True)
class Param:
    name: str  # the variable, a valid identifier
    default: object  # the literal's value

    @property
    def kind(self) -> str:
        """``bool``, ``int``, ``float``, ``str`` or ``json`` (None and containers)."""
        t = type(self.default)
        if t in (bool, int, float, str):
            return t.__name__
        return "json"

    @property
    def default_source(self) -> str:
        return literal(self.default)

    @property
    def schema_type(self) -> str | None:
        """The JSON-schema type of an Airflow ``Param`` (None: any)."""
        return _KINDS[type(self.default)][0]

    @property
    def coerce(self) -> str | None:
        """The callable that turns a JSON value (from Airflow or the command line) into the
        literal's type, when JSON has no such type (float from an int, tuple, set)."""
        return _KINDS[type(self.default)][1]

    @property
    def json_default(self) -> object:
        """The default as JSON can hold it (tuples and sets become lists)."""
        return _jsonable(self.default)


def _jsonable(value: object) -> object:
    if isinstance(value, (tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return [_jsonable(v) for v in items]
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def _supported(value: object) -> bool:
    if type(value) not in _KINDS:
        return False
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(_supported(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _supported(v) for k, v in value.items())
    return True


def find_params(
    names: Sequence[str], assignments: Iterable[tuple[str, object, str]]
) -> dict[str, Param]:
    """The parameters ``names`` asks for, from the literal assignments in the slices, given as
    (name, value, where). Raises :class:`ExportError` for a name with no such assignment, with
    two different literals, or with a value a command line cannot carry."""
    found: dict[str, list[tuple[object, str]]] = {}
    for name, value, where in assignments:
        found.setdefault(name, []).append((value, where))
    params: dict[str, Param] = {}
    for name in dict.fromkeys(names):
        if name not in found:
            known = ", ".join(sorted(found)) or "none"
            raise ExportError(
                f"--param {name!r}: the exported code has no top-level assignment "
                f"`{name} = <literal>` to turn into a parameter (literal assignments found: "
                f"{known}); check the spelling, or assign a literal to it in the notebook"
            )
        values = found[name]
        first = values[0][0]
        if any(type(v) is not type(first) or v != first for v, _ in values[1:]):
            places = "; ".join(f"{literal_or_repr(v)} in {w}" for v, w in values)
            raise ExportError(
                f"--param {name!r}: the exported code assigns it different literals ({places}); "
                "export the artifacts that use each one separately"
            )
        if name == "steps":  # the entry points call the step functions through ``steps``
            raise ExportError(
                "--param 'steps': the pipeline's entry points use that name for its steps "
                "module; rename the variable in the notebook to make it a parameter"
            )
        if name in _RUN_NAMES:
            raise ExportError(
                f"--param {name!r}: the steps module's run() uses that name itself; rename "
                "the variable in the notebook to make it a parameter"
            )
        if not _supported(first):
            raise ExportError(
                f"--param {name!r}: its literal {first!r} cannot be a pipeline parameter; "
                "parameters are numbers, strings, booleans, None, or lists, tuples, sets and "
                "dicts (with string keys) of those"
            )
        params[name] = Param(name, first)
    return params


def literal_or_repr(value: object) -> str:
    try:
        return literal(value)
    except TypeError:
        return repr(value)

"""Emitters turn a pipeline plan into files, one registered emitter per target.

Each target module registers itself with :func:`register`; adding Dagster or Prefect later means
one new module here and one import below. ``render`` functions are pure (a plan in, a mapping
of relative path to text out); :mod:`lineage.export` does the writing. No emitter imports the
orchestrator it writes for: the files it renders do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lineage.errors import ExportError

if TYPE_CHECKING:
    from lineage.emitters.render import Pipeline

Render = Callable[["Pipeline"], dict[str, str]]


@dataclass(frozen=True)
class Emitter:
    name: str
    render: Render
    entry_point: str  # file name pattern of the entry point it writes, e.g. "{name}_dag.py"
    module: str | None = None  # what the entry point needs installed to run, e.g. "airflow"
    distribution: str | None = None  # the distribution that provides it
    extra: str | None = None  # the notebook-lineage extra that installs it


_REGISTRY: dict[str, Emitter] = {}


def register(
    name: str,
    *,
    entry_point: str,
    module: str | None = None,
    distribution: str | None = None,
    extra: str | None = None,
) -> Callable[[Render], Render]:
    """Class-free registration: ``@register("airflow", entry_point="{name}_dag.py", ...)``."""

    def decorate(render: Render) -> Render:
        _REGISTRY[name] = Emitter(name, render, entry_point, module, distribution, extra)
        return render

    return decorate


def targets() -> list[str]:
    """The names of the registered targets, the plain script (which every export writes)
    first."""
    return sorted(_REGISTRY, key=lambda name: name != "script")


def emitter(name: str) -> Emitter:
    """The emitter for target ``name``; :class:`ExportError` naming the known ones if none."""
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise ExportError(f"unknown export target {name!r}: choose one of {known}") from None


# the targets register on import
from lineage.emitters import airflow, dagster, kubeflow, prefect, ray, script  # noqa: E402, F401

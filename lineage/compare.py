"""Value equality for checking a rebuilt artifact against the stored one."""

from __future__ import annotations

import math
from typing import Any

_MAX_DEPTH = 50


def values_equal(a: Any, b: Any, _depth: int = 0) -> bool:
    """True when ``a`` and ``b`` hold the same data: arrays element-wise (NaN equal to NaN),
    pandas objects with ``.equals``, containers item by item, other objects by ``==`` when
    their class defines it, else by their attributes.

    This is the one rule for comparing a rebuilt value with the saved one: ``lineage verify``
    uses it, and an export's generated test (``lineage/templates/test.py.j2``, which must not
    import lineage) holds the same rule as its ``same()``; tests/test_compare_rule.py checks
    that both agree on every case of tests/test_compare.py."""
    if _depth > _MAX_DEPTH:
        return False
    if a is b:
        return True
    ta, tb = type(a), type(b)
    if ta is not tb and (ta.__module__, ta.__qualname__) != (tb.__module__, tb.__qualname__):
        # a class defined in a notebook is rebuilt as a new class object of the same name
        return False
    module = ta.__module__.split(".")[0]
    if module == "numpy" and hasattr(a, "shape") and hasattr(a, "dtype"):
        import numpy as np

        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        try:
            return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
        except TypeError:
            return bool(np.array_equal(a, b))
    if module == "pandas" and hasattr(a, "equals"):
        return bool(a.equals(b))
    if module == "matplotlib" and hasattr(a, "get_figure") and hasattr(b, "get_figure"):
        return _same_picture(a, b)
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(
            values_equal(x, y, _depth + 1) for x, y in zip(a, b, strict=True)
        )
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(values_equal(a[k], b[k], _depth + 1) for k in a)
    if ta is tb and ta.__eq__ is not object.__eq__:
        try:
            result = a == b
        except Exception:
            result = NotImplemented
        if isinstance(result, bool):
            return result
        if result is not NotImplemented:
            try:
                return bool(result.all()) if hasattr(result, "all") else bool(result)
            except Exception:
                pass
    state_a, state_b = _state(a), _state(b)
    if state_a is not None and state_b is not None:
        return values_equal(state_a, state_b, _depth + 1)
    return False


def _same_picture(a: Any, b: Any) -> bool:
    """Matplotlib artists (a figure, its axes, a line) are equal when the figures they belong to
    draw the same picture: the same PNG bytes under the Agg renderer."""
    import io

    fig_a, fig_b = a.get_figure(), b.get_figure()
    if fig_a is None or fig_b is None:
        return fig_a is fig_b and type(a) is type(b)
    pictures = []
    for fig in (fig_a, fig_b):
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", metadata={"Software": None})
        pictures.append(buffer.getvalue())
    return pictures[0] == pictures[1]


def _state(obj: Any) -> Any:
    """What an object is made of: its attributes, or what it pickles to (extension types
    such as scikit-learn's trees have neither ``__dict__`` nor ``__eq__``)."""
    if hasattr(obj, "__dict__"):
        return dict(vars(obj))
    slots = getattr(type(obj), "__slots__", None)
    if slots:
        names = [slots] if isinstance(slots, str) else list(slots)
        return {n: getattr(obj, n, None) for n in names}
    try:
        reduced = obj.__reduce_ex__(4)
    except Exception:
        return None
    if not isinstance(reduced, tuple) or len(reduced) < 2:
        return None
    factory = reduced[0]
    name = f"{getattr(factory, '__module__', '')}.{getattr(factory, '__qualname__', '')}"
    return [name, *reduced[1:3]]

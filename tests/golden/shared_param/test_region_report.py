"""Checks that the region_report pipeline rebuilds the artifacts saved in the notebook.

    pytest test_region_report.py

Runs region_report.py once, with default parameters, into a temporary
data folder, then compares each artifact it wrote with the value the notebook saved
(kept in expected/).
"""

import math
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ARTIFACTS = ["region_report.pkl", "big_stats.pkl", "double_count.pkl"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder holding what one run of the pipeline wrote."""
    path = tmp_path_factory.mktemp("data")
    script = HERE / "region_report.py"
    env = {**os.environ, "LINEAGE_DATA_DIR": str(path)}
    subprocess.run([sys.executable, str(script)], env=env, check=True)
    return path


def load(path: Path) -> object:
    with open(path, "rb") as f:
        return pickle.load(f)


def same(a: object, b: object, depth: int = 0) -> bool:
    """The rule `lineage verify` compares values with (lineage.compare.values_equal):
    the same type (a class is matched by module and name), arrays element-wise with
    NaN equal to NaN, pandas objects with .equals, figures by the picture they draw,
    floats with NaN equal to NaN, lists, tuples and dicts item by item, then ==, then
    what the objects hold."""
    if depth > 50:
        return False
    if a is b:
        return True
    ta, tb = type(a), type(b)
    named_a = (ta.__module__, ta.__qualname__)
    if ta is not tb and named_a != (tb.__module__, tb.__qualname__):
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
        return same_picture(a, b)
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(
            same(x, y, depth + 1) for x, y in zip(a, b, strict=True)
        )
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], depth + 1) for k in a)
    if ta is tb and ta.__eq__ is not object.__eq__:
        try:
            result = a == b
        except Exception:  # noqa: BLE001 - any type's == may raise: compare what they hold
            result = NotImplemented
        if isinstance(result, bool):
            return result
        if result is not NotImplemented:
            try:
                return bool(result.all()) if hasattr(result, "all") else bool(result)
            except Exception:  # noqa: BLE001 - no truth value: compare what they hold
                result = NotImplemented
    held_a, held_b = state(a), state(b)
    if held_a is not None and held_b is not None:
        return same(held_a, held_b, depth + 1)
    return False


def same_picture(a: object, b: object) -> bool:
    """Matplotlib artists are equal when their figures draw the same PNG bytes."""
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


def state(obj: object) -> object:
    """What an object is made of: its attributes, or else what it pickles to."""
    if hasattr(obj, "__dict__"):
        return dict(vars(obj))
    slots = getattr(type(obj), "__slots__", None)
    if slots:
        names = [slots] if isinstance(slots, str) else list(slots)
        return {n: getattr(obj, n, None) for n in names}
    try:
        reduced = obj.__reduce_ex__(4)
    except Exception:  # noqa: BLE001 - an object that does not pickle holds nothing to compare
        return None
    if not isinstance(reduced, tuple) or len(reduced) < 2:
        return None
    factory = reduced[0]
    module = getattr(factory, "__module__", "")
    name = f"{module}.{getattr(factory, '__qualname__', '')}"
    return [name, *reduced[1:3]]


@pytest.mark.parametrize("artifact", ARTIFACTS)
def test_rebuilds_saved_value(data_dir: Path, artifact: str) -> None:
    rebuilt = load(data_dir / artifact)
    expected = load(HERE / "expected" / artifact)
    assert same(rebuilt, expected)

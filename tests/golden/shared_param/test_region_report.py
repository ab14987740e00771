"""Checks that the region_report pipeline rebuilds the artifacts saved in the notebook.

    pytest test_region_report.py

Runs region_report.py once, with default parameters, into a temporary
data folder, then compares each artifact it wrote with the value the notebook saved
(kept in expected/).
"""

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


def same(a: object, b: object) -> bool:
    """Equal values: containers item by item, arrays and pandas objects by content,
    objects without == by their attributes, anything else with ==."""
    if a is b:
        return True
    if type(a) is not type(b) or isinstance(a, type):
        return False
    if isinstance(a, float):
        return a == b or (a != a and b != b)  # NaN equals NaN here
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if type(a).__eq__ is object.__eq__:  # such as fitted models: compare what they hold
        return same(state(a), state(b))
    return bool(a == b)


def state(obj: object) -> object:
    """What an object holds: its attributes, or else what it pickles to."""
    if hasattr(obj, "__dict__"):
        return vars(obj)
    reduced = obj.__reduce_ex__(4)
    return list(reduced[1:3]) if isinstance(reduced, tuple) else reduced


@pytest.mark.parametrize("artifact", ARTIFACTS)
def test_rebuilds_saved_value(data_dir: Path, artifact: str) -> None:
    rebuilt = load(data_dir / artifact)
    expected = load(HERE / "expected" / artifact)
    assert same(rebuilt, expected)

"""values_equal: how a rebuilt artifact is compared with the stored one."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from lineage.compare import values_equal

X, Y = load_iris(return_X_y=True)


@dataclass
class Point:
    x: int
    y: list[int]


class Plain:
    def __init__(self, v: Any) -> None:
        self.v = v


def fitted(cls: type, seed: int) -> Any:
    return (
        cls(random_state=seed, max_iter=500).fit(X, Y)
        if cls is LogisticRegression
        else cls(random_state=seed, n_estimators=5).fit(X, Y)
    )


CASES = [
    ("ints", 1, 1, True),
    ("int_vs_float", 1, 1.0, False),
    ("nan", float("nan"), float("nan"), True),
    ("lists", [1, [2, 3]], [1, [2, 3]], True),
    ("lists_differ", [1, 2], [1, 3], False),
    ("dicts", {"a": [1.0, float("nan")]}, {"a": [1.0, float("nan")]}, True),
    ("arrays", np.arange(5.0), np.arange(5.0), True),
    ("arrays_nan", np.array([np.nan, 1]), np.array([np.nan, 1]), True),
    ("arrays_dtype", np.arange(3), np.arange(3.0), False),
    ("frames", pd.DataFrame({"a": [1, 2]}), pd.DataFrame({"a": [1, 2]}), True),
    ("frames_differ", pd.DataFrame({"a": [1, 2]}), pd.DataFrame({"a": [1, 3]}), False),
    ("series", pd.Series([1.0, None]), pd.Series([1.0, None]), True),
    ("dataclass", Point(1, [2]), Point(1, [2]), True),
    ("dataclass_differs", Point(1, [2]), Point(1, [3]), False),
    ("plain_object", Plain([1]), Plain([1]), True),
    ("plain_object_differs", Plain([1]), Plain([2]), False),
    (
        "forest",
        fitted(RandomForestClassifier, 0),
        pickle.loads(pickle.dumps(fitted(RandomForestClassifier, 0))),
        True,
    ),
    (
        "forest_other_seed",
        fitted(RandomForestClassifier, 0),
        fitted(RandomForestClassifier, 1),
        False,
    ),
    ("logreg", fitted(LogisticRegression, 0), fitted(LogisticRegression, 0), True),
]


@pytest.mark.parametrize("a, b, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_values_equal(a: Any, b: Any, expected: bool) -> None:
    assert values_equal(a, b) is expected
    assert values_equal(b, a) is expected

"""An export's generated test compares values by the rule ``lineage verify`` uses.

The generated test must run without lineage installed, so it holds its own ``same()``; this
checks it agrees with :func:`lineage.compare.values_equal` on every case of test_compare.py,
each way round, and on a figure.
"""

from __future__ import annotations

from typing import Any

import pytest

from lineage.compare import values_equal
from lineage.emitters.render import render_template

from .test_compare import CASES


def _generated_same() -> Any:
    text = render_template(
        "test.py.j2",
        "test_p.py",
        pipeline="p",
        script="'p.py'",
        script_name="p.py",
        artifacts=[],
        arrays=False,
    )
    namespace: dict[str, Any] = {"__name__": "test_p", "__file__": "test_p.py"}
    exec(compile(text, "test_p.py", "exec"), namespace)
    return namespace["same"]


SAME = _generated_same()


@pytest.mark.parametrize("a, b, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_generated_same_is_values_equal(a: Any, b: Any, expected: bool) -> None:
    assert SAME(a, b) is values_equal(a, b) is expected
    assert SAME(b, a) is values_equal(b, a) is expected


def test_generated_same_compares_figures_by_picture() -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    def figure(ys: list[int]) -> Any:
        fig = Figure()
        fig.add_subplot().plot(ys)
        return fig

    for a, b in [(figure([1, 2]), figure([1, 2])), (figure([1, 2]), figure([2, 1]))]:
        assert SAME(a, b) is values_equal(a, b)

"""Benchmarks for capture overhead, save/code scaling and memory (``make bench``).

``python -m benchmarks.run`` is the runner; each measurement runs in a fresh process through
``python -m benchmarks.child``. See docs/benchmarks.md for the latest numbers.
"""


class BenchError(RuntimeError):
    """A measurement failed: a child process (the message holds the end of its stderr), or what
    a child measures is not there any more (a renamed function the profile wraps)."""

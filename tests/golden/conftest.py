"""Golden files are emitted code kept for review (see tests/test_export.py), not tests."""

collect_ignore_glob = ["*"]

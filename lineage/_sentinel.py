"""Markers that are no value a caller could pass: each one object, named in its repr."""

from __future__ import annotations

from typing import final


@final
class Sentinel:
    """A unique marker (``_ABSENT = Sentinel("ABSENT")``), compared by identity."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"

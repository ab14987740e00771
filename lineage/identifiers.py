"""Python identifiers made from names people give (artifact and pipeline names): one rule for
the variable a saved expression is bound to, and for the steps, values and files an export
names after them."""

from __future__ import annotations

import keyword
import re
import unicodedata

__all__ = ["MAX_IDENTIFIER", "identifier"]

MAX_IDENTIFIER = 60


def identifier(text: str, default: str = "pipeline") -> str:
    """A valid, non-keyword ASCII identifier made from ``text``.

    >>> identifier("my model-v2"), identifier("class"), identifier("1st"), identifier("Café")
    ('my_model_v2', 'class_', 'pipeline_1st', 'Cafe')
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    ident = re.sub(r"[^0-9A-Za-z_]+", "_", ascii_text).strip("_")[:MAX_IDENTIFIER].rstrip("_")
    if not ident:
        ident = default
    elif ident[0].isdigit():
        ident = f"{default}_{ident}"
    if keyword.iskeyword(ident):
        ident += "_"
    return ident

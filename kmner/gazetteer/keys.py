"""The match key: how a term and a piece of text are compared.

Both sides are NFC-normalised, stripped of zero-width characters and all
whitespace, and lower-cased, so "제2형 당뇨병" and "제2형당뇨병" share a key and
"Metformin" matches "metformin".
"""

from __future__ import annotations

import unicodedata

from kmner.core.offsets import ZERO_WIDTH

_DROP_ZERO_WIDTH = {ord(c): None for c in ZERO_WIDTH}


def match_key(term: str) -> str:
    """Same result as normalising with kmner.core.offsets.normalize and removing
    whitespace, without building an offset map (keys are built by the million)."""
    if not term.isascii():
        term = term.translate(_DROP_ZERO_WIDTH)
        if not unicodedata.is_normalized("NFC", term):
            term = unicodedata.normalize("NFC", term)
    return fold("".join(term.split()))


def fold(stripped: str) -> str:
    """Lower-case when that keeps the length (it almost always does); offsets of
    the folded text must stay those of the stripped text."""
    low = stripped.lower()
    return low if len(low) == len(stripped) else stripped

"""The match key: how a term and a piece of text are compared.

Both sides are NFC-normalised, stripped of zero-width characters and all
whitespace, and lower-cased, so "제2형 당뇨병" and "제2형당뇨병" share a key and
"Metformin" matches "metformin".
"""

from __future__ import annotations

from kmner.core.offsets import normalize


def match_key(term: str) -> str:
    return fold("".join(normalize(term).derived.split()))


def fold(stripped: str) -> str:
    """Lower-case when that keeps the length (it almost always does); offsets of
    the folded text must stay those of the stripped text."""
    low = stripped.lower()
    return low if len(low) == len(stripped) else stripped

"""Derived strings with exact maps back to the original text.

Matching happens on derived forms (NFC, zero-width characters removed, spaces
removed); entities are always reported on the original string. Every derived
character remembers the half-open range of original characters it came from, so a
derived span ``[s, e)`` maps back to ``[starts[s], ends[e-1])``.
"""

from __future__ import annotations

import unicodedata
from array import array
from dataclasses import dataclass

# Characters that are invisible and carry no meaning for matching.
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e")

_HANGUL_V_T = range(0x1160, 0x1200)  # conjoining vowels and finals compose with what precedes


@dataclass(frozen=True)
class OffsetMap:
    """Maps each character of ``derived`` to a range of the ``original`` text."""

    original: str
    derived: str
    starts: array
    ends: array

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a non-empty derived span to the original span that covers it."""
        if not (0 <= start < end <= len(self.derived)):
            raise ValueError(f"span [{start}:{end}] outside derived text of length "
                             f"{len(self.derived)}")
        return self.starts[start], self.ends[end - 1]

    def compose(self, inner: "OffsetMap") -> "OffsetMap":
        """``inner`` was derived from ``self.derived``; give a map from inner's
        derived text straight back to ``self.original``."""
        if inner.original != self.derived:
            raise ValueError("maps do not chain: inner.original != self.derived")
        starts = array("l", (self.starts[s] for s in inner.starts))
        ends = array("l", (self.ends[e - 1] for e in inner.ends))
        return OffsetMap(self.original, inner.derived, starts, ends)

    @classmethod
    def identity(cls, text: str) -> "OffsetMap":
        n = len(text)
        return cls(text, text, array("l", range(n)), array("l", range(1, n + 1)))


def _starts_new_cluster(ch: str) -> bool:
    return unicodedata.combining(ch) == 0 and ord(ch) not in _HANGUL_V_T


def _clusters(text: str) -> list[tuple[int, int]]:
    """Split into runs that NFC normalises independently: a starter and the
    combining marks or conjoining jamo that follow it."""
    bounds: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(text)):
        if _starts_new_cluster(text[i]):
            bounds.append((start, i))
            start = i
    if text:
        bounds.append((start, len(text)))
    return bounds


def normalize(text: str, *, strip_zero_width: bool = True) -> OffsetMap:
    """NFC-normalise ``text`` (and drop zero-width characters) with an offset map.

    Where n original characters compose into fewer derived ones (NFD Hangul), each
    derived character maps to the whole original cluster, so spans stay exact.
    """
    if text.isascii():
        return OffsetMap.identity(text)
    out: list[str] = []
    starts = array("l")
    ends = array("l")
    for a, b in _clusters(text):
        chunk = text[a:b]
        if strip_zero_width and any(c in ZERO_WIDTH for c in chunk):
            # Drop zero-width characters but keep the rest of the cluster mapped.
            kept = [(i, c) for i, c in enumerate(chunk, a) if c not in ZERO_WIDTH]
            if not kept:
                continue
            for i, c in kept:
                norm = unicodedata.normalize("NFC", c)
                for nc in norm:
                    out.append(nc)
                    starts.append(i)
                    ends.append(i + 1)
            continue
        norm = unicodedata.normalize("NFC", chunk)
        if len(norm) == len(chunk):
            for k, nc in enumerate(norm):
                out.append(nc)
                starts.append(a + k)
                ends.append(a + k + 1)
        else:
            for nc in norm:
                out.append(nc)
                starts.append(a)
                ends.append(b)
    derived = "".join(out)
    expected = unicodedata.normalize("NFC", "".join(c for c in text if not (
        strip_zero_width and c in ZERO_WIDTH)))
    if derived != expected:
        # Cross-cluster composition (rare scripts): fall back to one cluster per
        # whitespace-delimited run, which is always safe and still local.
        return _normalize_by_runs(text, strip_zero_width)
    return OffsetMap(text, derived, starts, ends)


def _normalize_by_runs(text: str, strip_zero_width: bool) -> OffsetMap:
    out: list[str] = []
    starts = array("l")
    ends = array("l")
    i = 0
    n = len(text)
    while i < n:
        j = i + 1
        while j < n and not text[j].isspace() and not text[j - 1].isspace():
            j += 1
        chunk = "".join(c for c in text[i:j] if not (strip_zero_width and c in ZERO_WIDTH))
        norm = unicodedata.normalize("NFC", chunk)
        for nc in norm:
            out.append(nc)
            starts.append(i)
            ends.append(j)
        i = j
    return OffsetMap(text, "".join(out), starts, ends)


def strip_spaces(text: str) -> OffsetMap:
    """Remove all whitespace, so "제2형 당뇨병" and "제2형당뇨병" look alike."""
    keep = [i for i, c in enumerate(text) if not c.isspace()]
    return OffsetMap(text, "".join(text[i] for i in keep),
                     array("l", keep), array("l", (i + 1 for i in keep)))

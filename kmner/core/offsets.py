"""Derived strings with exact maps back to the original text.

Matching happens on derived forms (NFC, zero-width characters removed, spaces
removed); entities are always reported on the original string. Every derived
character remembers the half-open range of original characters it came from, so a
derived span ``[s, e)`` maps back to ``[starts[s], ends[e-1])``.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

# Characters that are invisible and carry no meaning for matching.
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e")

_ZW_RE = re.compile("[" + "".join(sorted(ZERO_WIDTH)) + "]")
_HANGUL_V_T = range(0x1160, 0x1200)  # conjoining vowels and finals compose with what precedes


@dataclass(frozen=True)
class OffsetMap:
    """Maps each character of ``derived`` to a range of the ``original`` text.

    ``starts``/``ends`` are None for an identity map (the usual case: text that is
    already NFC without zero-width characters), so it costs nothing to build."""

    original: str
    derived: str
    starts: array | None
    ends: array | None

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a non-empty derived span to the original span that covers it."""
        if not (0 <= start < end <= len(self.derived)):
            raise ValueError(f"span [{start}:{end}] outside derived text of length "
                             f"{len(self.derived)}")
        if self.starts is None:
            return start, end
        return self.starts[start], self.ends[end - 1]

    def from_original(self, start: int, end: int) -> tuple[int, int] | None:
        """The derived span whose characters come exactly from original ``[start, end)``,
        or None when an edge falls inside a character that normalisation composed."""
        if self.starts is None:
            return (start, end) if 0 <= start < end <= len(self.original) else None
        s = bisect_left(self.starts, start)
        e = bisect_right(self.ends, end)
        if s >= len(self.starts) or self.starts[s] != start or e == 0 \
                or self.ends[e - 1] != end or s >= e:
            return None
        return s, e

    def compose(self, inner: "OffsetMap") -> "OffsetMap":
        """``inner`` was derived from ``self.derived``; give a map from inner's
        derived text straight back to ``self.original``."""
        if inner.original != self.derived:
            raise ValueError("maps do not chain: inner.original != self.derived")
        if self.starts is None:
            return OffsetMap(self.original, inner.derived, inner.starts, inner.ends)
        if inner.starts is None:
            return OffsetMap(self.original, inner.derived, self.starts, self.ends)
        starts = array("l", (self.starts[s] for s in inner.starts))
        ends = array("l", (self.ends[e - 1] for e in inner.ends))
        return OffsetMap(self.original, inner.derived, starts, ends)

    @classmethod
    def identity(cls, text: str) -> "OffsetMap":
        return cls(text, text, None, None)


def _starts_new_cluster(ch: str) -> bool:
    return unicodedata.combining(ch) == 0 and ord(ch) not in _HANGUL_V_T


def _clusters(text: str, skip: frozenset = frozenset()) -> list[tuple[int, int]]:
    """Split into runs that NFC normalises independently: a starter and the
    combining marks or conjoining jamo that follow it. Characters in ``skip``
    (zero-width ones about to be removed) never start a run, because removing
    them lets their neighbours compose."""
    bounds: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(text)):
        if text[i] not in skip and _starts_new_cluster(text[i]):
            bounds.append((start, i))
            start = i
    if text:
        bounds.append((start, len(text)))
    return bounds


def _prefix_end(chunk: str, norm: str, j: int) -> int | None:
    """Smallest k with NFC(chunk[:k]) == norm[:j+1]: where derived char j ends."""
    target = norm[: j + 1]
    for k in range(1, len(chunk) + 1):
        if unicodedata.normalize("NFC", chunk[:k]) == target:
            return k
    return None


def normalize(text: str, *, strip_zero_width: bool = True) -> OffsetMap:
    """NFC-normalise ``text`` (and drop zero-width characters) with an offset map.

    Where n original characters compose into fewer derived ones (NFD Hangul), each
    derived character maps to the whole original cluster, so spans stay exact.
    """
    if text.isascii() or (unicodedata.is_normalized("NFC", text)
                          and not (strip_zero_width and _ZW_RE.search(text))):
        return OffsetMap.identity(text)
    out: list[str] = []
    starts = array("l")
    ends = array("l")
    for a, b in _clusters(text, skip=ZERO_WIDTH if strip_zero_width else frozenset()):
        idx = [i for i in range(a, b) if not (strip_zero_width and text[i] in ZERO_WIDTH)]
        if not idx:
            continue
        chunk = "".join(text[i] for i in idx)
        norm = unicodedata.normalize("NFC", chunk)
        if len(norm) == len(chunk):
            for i, nc in zip(idx, norm):
                out.append(nc)
                starts.append(i)
                ends.append(i + 1)
            continue
        prev = idx[0]
        for j, nc in enumerate(norm):
            k = _prefix_end(chunk, norm, j)
            out.append(nc)
            if k is None or idx[k - 1] + 1 <= prev:
                starts.append(idx[0])
                ends.append(idx[-1] + 1)
            else:
                starts.append(prev)
                ends.append(idx[k - 1] + 1)
                prev = idx[k - 1] + 1
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

"""Does Kiwi's morphology agree with a dictionary hit?

A hit ``[start, end)`` on a text is accepted only when:

* neither edge falls inside a morpheme (간 in 간호사, 당뇨병 across 당뇨 병원);
* the first morpheme of the hit is not a particle, ending, copula or suffix;
* short terms (one or two syllables) consist of nominal morphemes only, so verbs,
  adverbs and noun+particle readings do not count (간 = 가+ㄴ, 설사 as "even if",
  감기 = 감+기, 비만 = 비+만, 위해 = 위하+어), except a verb or adjective made a
  noun by -(으)ㅁ (떨림 = 떨리+ᆷ, 저림);
* a single syllable is a whole noun morpheme that starts a word and does not follow
  a numeral (두 배, 열 명);
* what follows is a particle, ending, copula, suffix, punctuation, space or the end
  of the text, or, for terms of two or more syllables, another noun (폐암환자).

Each accepted hit gets the name of the rule that accepted its right edge, which is
recorded as provenance.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_left
from itertools import accumulate
from typing import Sequence

# Tag families (Kiwi/Sejong tags; irregular variants such as VV-R reduce to VV).
NOMINAL = frozenset({"NNG", "NNP", "NNB", "NR", "NP", "XR", "XPN", "XSN", "SL", "SH", "SN",
                     "W_SERIAL"})
SHORT_TERM_TAGS = frozenset({"NNG", "NNP", "XR", "XPN", "XSN", "SL", "SH", "SN"})
SINGLE_SYLLABLE_TAGS = frozenset({"NNG", "NNP"})
NOUN_LIKE_NEXT = frozenset({"NNG", "NNP", "NNB", "NR", "NP", "SL", "SH", "SN", "XR",
                            "W_SERIAL"})
CANNOT_START = ("J", "E", "VCP", "VCN", "XSN", "XSV", "XSA", "XSM")
NUMERAL_DETERMINERS = frozenset({
    "한", "두", "세", "석", "서", "네", "넉", "너", "다섯", "여섯", "일곱", "여덟", "아홉",
    "열", "스무", "몇", "여러", "수십", "수백", "몇몇"})


def base_tag(tag: str) -> str:
    return tag.split("-", 1)[0]


class _BaseTags(dict):
    """base_tag, memoised: ``_BASE[tag]``. A plain dict lookup per dictionary hit
    (Kiwi has a few dozen tags); only an unseen tag calls base_tag."""

    def __missing__(self, tag: str) -> str:
        base = self[tag] = base_tag(tag)
        return base


_BASE = _BaseTags()


class MorphIndex:
    """Kiwi tokens of one text as sorted parallel lists, for O(log n) edge checks.

    ``tokens`` are objects with ``start``, ``end`` (or ``len``), ``tag`` and
    ``form``, in Kiwi's order (sorted by start). ``shift`` is subtracted from
    every offset, for tokens of a sentence analysed inside a longer document.
    """

    __slots__ = ("tokens", "starts", "ends", "max_end")

    def __init__(self, tokens: Sequence, shift: int = 0) -> None:
        self.tokens = tokens
        if shift:
            self.starts = [t.start - shift for t in tokens]
            self.ends = [t.end - shift for t in tokens]
        else:
            self.starts = [t.start for t in tokens]
            self.ends = [t.end for t in tokens]
        ends = self.ends
        # Kiwi's ends are practically always non-decreasing (0 of 8,000 benchmark
        # sentences break it), and the sorted() test is ten times cheaper than the
        # running maximum this runs per silver sentence.
        self.max_end = ends if ends == sorted(ends) else list(accumulate(ends, max))

    def __len__(self) -> int:
        return len(self.starts)

    def tag(self, i: int) -> str:
        """Tag of morpheme ``i`` (irregular variants such as VV-R reduced to VV);
        read on demand because only morphemes next to a hit are ever asked."""
        return _BASE[self.tokens[i].tag]

    def form(self, i: int) -> str:
        return self.tokens[i].form

    def previous(self, pos: int) -> int:
        """Index of the last non-empty morpheme ending at or before ``pos``, or -1."""
        i = bisect_left(self.starts, pos) - 1
        while i >= 0 and (self.ends[i] > pos or self.ends[i] == self.starts[i]):
            i -= 1
        return i


def _is_punct(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PS"


def right_edge(text: str, idx: MorphIndex, end: int, n_syllables: int,
               following: int) -> str | None:
    """Name of the rule that accepts what follows ``end``, or None. ``following``
    is the index of the first morpheme starting at or after ``end`` (may be len)."""
    if end >= len(text):
        return "end"
    ch = text[end]
    if not "가" <= ch <= "힣":  # a Hangul syllable (the usual case) is neither
        if ch.isspace():
            return "space"
        if _is_punct(ch):
            return "punct"
    i = following
    if i >= len(idx.starts):
        return "end"
    tag = _BASE[idx.tokens[i].tag]
    if tag[0] == "J":
        return "particle"
    if tag[0] == "E":
        return "ending"
    if tag in ("VCP", "VCN"):
        return "copula"
    if tag.startswith("XS"):
        return "suffix"
    if tag[0] == "S" and tag not in ("SL", "SH", "SN"):
        return "punct"
    if n_syllables >= 2 and tag in NOUN_LIKE_NEXT:
        return "noun"
    return None


def check_hit(text: str, idx: MorphIndex, start: int, end: int, n_chars: int) -> str | None:
    """The accepting rule for hit ``[start, end)`` of a term with ``n_chars``
    characters (spaces excluded), or None when Kiwi disagrees.

    This runs for every dictionary hit of every silver sentence, so it works on
    the index's lists directly: morphemes ``first`` up to ``last`` lie within the
    hit, and each ``max_end`` test asks whether a non-empty morpheme starting
    before an edge runs past it (the edge falls inside it)."""
    starts, max_end = idx.starts, idx.max_end
    first = bisect_left(starts, start)
    if first and max_end[first - 1] > start:
        return None
    last = bisect_left(starts, end, first)
    if last == first or max_end[last - 1] > end:
        return None
    tokens = idx.tokens
    first_tag = _BASE[tokens[first].tag]
    if first_tag.startswith(CANNOT_START):
        return None
    if n_chars == 1:
        if last - first != 1 or first_tag not in SINGLE_SYLLABLE_TAGS:
            return None
        if start > 0 and not (text[start - 1].isspace() or _is_punct(text[start - 1])):
            return None
        p = idx.previous(start)
        if p >= 0:
            ptag = idx.tag(p)
            if ptag in ("NR", "SN") or (ptag == "MM" and idx.form(p) in NUMERAL_DETERMINERS):
                return None
    elif n_chars == 2:
        ends = idx.ends
        for i in range(first, last):
            if ends[i] > starts[i] and _BASE[tokens[i].tag] not in SHORT_TERM_TAGS:
                if not nominalised(tokens, first, last):
                    return None
                break
    return right_edge(text, idx, end, n_chars, last)


def nominalised(tokens: Sequence, first: int, last: int) -> bool:
    """Is the hit one verb or adjective made a noun by -(으)ㅁ (떨림 = 떨리+ᆷ, 저림)?
    The nominaliser -기 does not count: 감기 = 감+기 is "washing", not "a cold"."""
    return (last - first == 2 and _BASE[tokens[first].tag] in ("VV", "VA")
            and tokens[last - 1].tag == "ETN" and tokens[last - 1].form in ("ᆷ", "음"))

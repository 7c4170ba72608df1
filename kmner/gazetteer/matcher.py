"""Dictionary matching that Kiwi's morphology must agree with.

Pipeline for one text:

1. ``prepare``: NFC + zero-width removal (an OffsetMap back to the original).
2. ``candidates``: every Aho-Corasick hit (``iter``, not ``iter_long``, which drops
   valid matches) on the case-folded text with whitespace skipped, so spacing
   variants share one key, in offsets of the normalised text.
3. ``select``: longest hit first, then leftmost, kept when Kiwi agrees with its
   edges (see boundaries.py) and it overlaps no hit already kept; then the
   gazetteer's compose rules, if any (see compose.py).
4. ``to_entities``: map back to the original string; the surface is always sliced
   from the original text, never taken from Kiwi's forms.

Kiwi is only asked about texts that have at least one candidate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

from kmner.core.morph import get_kiwi
from kmner.core.offsets import OffsetMap, normalize
from kmner.core.records import Entity
from kmner.gazetteer.boundaries import MorphIndex, check_hit
from kmner.gazetteer.compiled import CompiledGazetteer
from kmner.gazetteer.compose import COMPOSED_RULES, Composer, compose_settings
from kmner.gazetteer.config import HEAD_TYPE, PART_TYPE
from kmner.gazetteer.keys import fold

_WORD = re.compile(r"\S+")
# Types that are never entities: compose heads and parts.
RESERVED_TYPES = frozenset({HEAD_TYPE, PART_TYPE})
# Whitespace other than the plain space. pyahocorasick's ignore_white_space skips
# only a subset of Python's whitespace (not NBSP, U+2007, U+202F, U+0085 or
# U+001C-U+001F), so texts with any whitespace but the plain space take the
# strip-and-map path; texts with plain spaces only (nearly all) skip it.
_OTHER_WS = re.compile(r"[^\S ]")


def _start_across_spaces(text: str, end: int, n: int) -> int:
    """Start of a hit of ``n`` non-space characters ending at ``end`` (inclusive)
    in a text whose only whitespace is the plain space."""
    k = end
    while True:
        if text[k] != " ":
            n -= 1
            if n == 0:
                return k
        k -= 1


# (start, end, term id, rule) in normalised-text offsets
Hit = tuple[int, int, int, str]


@dataclass(slots=True)
class Prepared:
    """A text ready for matching: its normalisation map and the candidates."""

    norm: OffsetMap
    candidates: list[tuple[int, int, int]]

    @property
    def text(self) -> str:
        return self.norm.derived


class Matcher:
    """Kiwi-checked gazetteer matcher over a CompiledGazetteer."""

    def __init__(self, gazetteer: CompiledGazetteer, *, user_dict: str | None = None,
                 num_workers: int = -1) -> None:
        # Kiwi needs at least one worker thread for batch analysis; -1 = all cores.
        self.gaz = gazetteer
        self.user_dict = user_dict
        self.num_workers = num_workers
        if "compose" not in gazetteer.derived:
            gazetteer.derived["compose"] = compose_settings(gazetteer.info, gazetteer.sources)
        settings = gazetteer.derived["compose"]
        if settings is None and not RESERVED_TYPES.isdisjoint(gazetteer.types):
            settings = {"rules": []}  # heads or parts from a term table: drop them
        self.composer = None if settings is None else Composer(gazetteer.types, **settings)

    # -- steps -----------------------------------------------------------------
    def prepare(self, text: str) -> Prepared:
        norm = normalize(text)
        return Prepared(norm, self.candidates(norm.derived))

    def candidates(self, text: str) -> list[tuple[int, int, int]]:
        """All dictionary hits ``(start, end, term id)`` in ``text`` (already
        normalised), matched on its whitespace-free folded form."""
        lens = self.gaz.key_lens
        if _OTHER_WS.search(text) is None:
            # Only plain spaces: the automaton skips them itself and reports end
            # offsets in ``text``, so no stripped copy or position map is needed.
            # One comprehension, as this runs for every hit of every silver text.
            found = self.gaz.automaton.iter(fold(text), 0, len(text), True)
            return [(start if (start := end + 1 - lens[i]) >= 0
                     and text.find(" ", start, end) < 0  # no space inside the hit
                     else _start_across_spaces(text, end, lens[i]), end + 1, i)
                    for end, i in found]
        words = text.split()
        stripped = fold("".join(words))
        if not stripped:
            return []
        # where each character of the stripped text sits in ``text``
        pos: list[int] = []
        for word in _WORD.finditer(text):
            pos.extend(range(word.start(), word.end()))
        return [(pos[end + 1 - lens[i]], pos[end] + 1, i)
                for end, i in self.gaz.automaton.iter(stripped)]

    def select(self, text: str, candidates: Sequence[tuple[int, int, int]],
               index: MorphIndex) -> list[Hit]:
        """Hits Kiwi agrees with, longest (by key length) first, then leftmost, skipping
        candidates that an already chosen hit overlaps (so they cost no Kiwi check).
        Returned in text order."""
        lens = self.gaz.key_lens
        # Sorting decorated tuples compares in C; a key function would be called
        # per candidate. Ties cannot go further than the start: equal key lengths
        # at one start mean the same characters, so the same end and term.
        order = sorted([(-lens[i], s, e, i) for s, e, i in candidates])
        chosen: list[Hit] = []
        for _, s, e, i in order:
            for c in chosen:
                if s < c[1] and c[0] < e:
                    break
            else:
                rule = check_hit(text, index, s, e, lens[i])
                if rule is not None:
                    chosen.append((s, e, i, rule))
        if len(chosen) > 1:
            chosen.sort()
        if self.composer is not None and chosen:
            return self.composer(text, chosen, index)
        return chosen

    def to_entities(self, original: str, norm: OffsetMap, hits: Iterable[Hit],
                    shift: int = 0, offset: int = 0) -> list[Entity]:
        """Entities on ``original``. Hits are on ``norm.derived`` moved left by
        ``offset`` (hits of one sentence of a document); ``shift`` is subtracted from
        the mapped offsets (for records that are a sentence cut out of ``original``)."""
        types, surfaces, sources, codes = (self.gaz.types, self.gaz.surfaces,
                                           self.gaz.sources, self.gaz.codes)
        alt_types = self.gaz.alt_types
        composed_types = COMPOSED_RULES
        to_original = None if norm.starts is None else norm.to_original
        out = []
        for s, e, i, rule in hits:
            if to_original is None:  # identity map: nearly every text
                a, b = s + offset, e + offset
            else:
                a, b = to_original(s + offset, e + offset)
            meta = {"term": surfaces[i], "source": sources[i], "rule": rule}
            type_ = types[i]
            composed = composed_types.get(rule)
            if composed is not None:
                # a composed span keeps the codes of the disease entry in it and
                # has none when its head is a body part or a generic head noun
                if type_ == "Disease" and codes[i]:
                    meta["codes"] = codes[i].split("|")
                type_ = composed
            elif codes[i]:
                meta["codes"] = codes[i].split("|")
            if alt_types:
                alt = alt_types.get(i)
                if alt:
                    meta["ambiguous"] = [types[i], *alt.split("|")]
            out.append(Entity(type_, original[a:b], a - shift, b - shift, meta))
        return out

    # -- whole texts -------------------------------------------------------------
    def match(self, text: str) -> list[Entity]:
        return next(self.match_many([text]))

    def match_many(self, texts: Iterable[str]) -> Iterator[list[Entity]]:
        """Entities for each text, in order; Kiwi runs in batch on texts with hits."""
        texts = list(texts)
        prepared = [self.prepare(t) for t in texts]
        todo = [p.text for p in prepared if p.candidates]
        kiwi = get_kiwi(self.user_dict, self.num_workers or -1)
        analysed = iter(kiwi.tokenize(todo)) if todo else iter(())
        for original, p in zip(texts, prepared):
            if not p.candidates:
                yield []
                continue
            index = MorphIndex(next(analysed))
            hits = self.select(p.text, p.candidates, index)
            yield self.to_entities(original, p.norm, hits)

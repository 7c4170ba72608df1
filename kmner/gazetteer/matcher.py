"""Dictionary matching that Kiwi's morphology must agree with.

Pipeline for one text:

1. ``prepare``: NFC + zero-width removal (an OffsetMap back to the original), then
   whitespace removal and case folding, so spacing variants share one key.
2. ``candidates``: every Aho-Corasick hit (``iter``, not ``iter_long``, which drops
   valid matches), mapped to the normalised text.
3. ``select``: longest hit first, then leftmost, kept when Kiwi agrees with its
   edges (see boundaries.py) and it overlaps no hit already kept.
4. ``to_entities``: map back to the original string; the surface is always sliced
   from the original text, never taken from Kiwi's forms.

Kiwi is only asked about texts that have at least one candidate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

from kmner.core.offsets import OffsetMap, normalize
from kmner.core.records import Entity
from kmner.gazetteer.boundaries import MorphIndex, check_hit
from kmner.gazetteer.compiled import CompiledGazetteer
from kmner.gazetteer.keys import fold

_WORD = re.compile(r"\S+")

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

    # -- steps -----------------------------------------------------------------
    def prepare(self, text: str) -> Prepared:
        norm = normalize(text)
        return Prepared(norm, self.candidates(norm.derived))

    def candidates(self, text: str) -> list[tuple[int, int, int]]:
        """All dictionary hits ``(start, end, term id)`` in ``text`` (already
        normalised), on its whitespace-free folded form mapped back."""
        words = text.split()
        stripped = fold("".join(words))
        if not stripped:
            return []
        lens = self.gaz.key_lens
        found = self.gaz.automaton.iter(stripped)
        if len(stripped) == len(text):
            return [(end + 1 - lens[i], end + 1, i) for end, i in found]
        # where each character of the stripped text sits in ``text``
        pos: list[int] = []
        for word in _WORD.finditer(text):
            pos.extend(range(word.start(), word.end()))
        return [(pos[end + 1 - lens[i]], pos[end] + 1, i) for end, i in found]

    def select(self, text: str, candidates: Sequence[tuple[int, int, int]],
               index: MorphIndex) -> list[Hit]:
        """Hits Kiwi agrees with, longest (by key length) first, then leftmost, skipping
        candidates that an already chosen hit overlaps (so they cost no Kiwi check).
        Returned in text order."""
        lens = self.gaz.key_lens
        if len(candidates) > 1:
            candidates = sorted(candidates, key=lambda c: (-lens[c[2]], c[0]))
        chosen: list[Hit] = []
        for s, e, i in candidates:
            for c in chosen:
                if s < c[1] and c[0] < e:
                    break
            else:
                rule = check_hit(text, index, s, e, lens[i])
                if rule is not None:
                    chosen.append((s, e, i, rule))
        if len(chosen) > 1:
            chosen.sort()
        return chosen

    def to_entities(self, original: str, norm: OffsetMap, hits: Iterable[Hit],
                    shift: int = 0) -> list[Entity]:
        """Entities on ``original``; ``shift`` is subtracted from mapped offsets
        (for sentences cut out of a longer document)."""
        gaz = self.gaz
        out = []
        for s, e, i, rule in hits:
            a, b = norm.to_original(s, e)
            surface = original[a:b]
            meta = {"term": gaz.surfaces[i], "source": gaz.sources[i], "rule": rule}
            if gaz.codes[i]:
                meta["code"] = gaz.codes[i]
            alt = gaz.alt_types.get(i)
            if alt:
                meta["ambiguous"] = [gaz.types[i], *alt.split("|")]
            out.append(Entity(gaz.types[i], surface, a - shift, b - shift, meta))
        return out

    # -- whole texts -------------------------------------------------------------
    def match(self, text: str) -> list[Entity]:
        return next(self.match_many([text]))

    def match_many(self, texts: Iterable[str]) -> Iterator[list[Entity]]:
        """Entities for each text, in order; Kiwi runs in batch on texts with hits."""
        from kmner.core.morph import get_kiwi

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

"""The naive baseline: plain longest-match Aho-Corasick over the terms exactly as
written, on the NFC text, with no morphology and no spacing variants. Printed
beside the Kiwi-checked matcher so its gain is visible on the same data."""

from __future__ import annotations

from kmner.core.offsets import normalize
from kmner.core.records import Entity
from kmner.gazetteer.compiled import CompiledGazetteer
from kmner.gazetteer.config import HEAD_TYPE, PART_TYPE


class PlainMatcher:
    def __init__(self, gazetteer: CompiledGazetteer) -> None:
        import ahocorasick

        self.gaz = gazetteer
        self.automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        self._lens: dict[int, int] = {}
        for i, surface in enumerate(gazetteer.surfaces):
            if gazetteer.types[i] in (HEAD_TYPE, PART_TYPE):
                continue  # compose-only words are never entities
            key = normalize(surface).derived
            self._lens[i] = len(key)
            if key not in self.automaton:
                self.automaton.add_word(key, i)
        self.automaton.make_automaton()

    def match(self, text: str) -> list[Entity]:
        norm = normalize(text)
        hits = sorted(((end + 1 - self._lens[i], end + 1, i)
                       for end, i in self.automaton.iter(norm.derived)),
                      key=lambda h: (h[0] - h[1], h[0]))
        chosen: list[tuple[int, int, int]] = []
        for h in hits:
            if all(h[1] <= a or b <= h[0] for a, b, _ in chosen):
                chosen.append(h)
        out = []
        for s, e, i in sorted(chosen):
            a, b = norm.to_original(s, e)
            out.append(Entity(self.gaz.types[i], text[a:b], a, b,
                              {"term": self.gaz.surfaces[i], "rule": "plain"}))
        return out

"""Where silver precision and recall go: false positives split into boundary,
type and spurious, misses into "not in the dictionary" and "in the dictionary but
rejected", and coverage per dictionary source. Used by `kmner silver eval`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Sequence

from kmner.core.records import Record
from kmner.gazetteer.compiled import CompiledGazetteer

FP_KINDS = ("boundary", "type", "spurious")
FN_KINDS = ("not_in_dictionary", "rejected")


@dataclass
class Breakdown:
    """Counts and top surfaces per kind; ``sources`` counts, per dictionary source,
    gold occurrences whose surface the source holds and silver true positives
    whose entry came from it (an entry of two sources counts for both)."""

    fp: dict[str, Counter] = field(default_factory=lambda: {k: Counter() for k in FP_KINDS})
    fn: dict[str, Counter] = field(default_factory=lambda: {k: Counter() for k in FN_KINDS})
    rules: dict[str, Counter] = field(default_factory=dict)  # meta.rule -> tp/fp
    sources: dict[str, Counter] = field(default_factory=dict)  # source -> gold/tp/fp

    def count(self, side: str, kind: str) -> int:
        return sum(getattr(self, side)[kind].values())

    def to_dict(self, top: int = 10) -> dict[str, Any]:
        return {"false_positives": {k: {"n": self.count("fp", k),
                                        "top": self.fp[k].most_common(top)} for k in FP_KINDS},
                "misses": {k: {"n": self.count("fn", k), "top": self.fn[k].most_common(top)}
                           for k in FN_KINDS},
                "rules": {r: dict(c) for r, c in sorted(self.rules.items())},
                "sources": {s: dict(c) for s, c in sorted(self.sources.items())}}


def _key(e) -> tuple[int, int, str]:
    return (e.start, e.end, e.type)


def breakdown(gold: Sequence[Record], pred: Sequence[Record], gaz: CompiledGazetteer
              ) -> Breakdown:
    """Gold and predictions after the same label map, record by record."""
    out = Breakdown()
    for g, p in zip(gold, pred):
        gkeys = {_key(e) for e in g.entities}
        pkeys = {_key(e) for e in p.entities}
        for e in p.entities:
            hit = _key(e) in gkeys
            rule = out.rules.setdefault(str(e.meta.get("rule", "?")), Counter())
            rule["tp" if hit else "fp"] += 1
            for src in str(e.meta.get("source", "")).split("|"):
                out.sources.setdefault(src, Counter())["tp" if hit else "fp"] += 1
            if not hit:
                out.fp[_fp_kind(e, g.entities)][f"{e.text} ({e.type})"] += 1
        for e in g.entities:
            found = gaz.lookup(e.text)
            if found is not None:
                for src in found["source"].split("|"):
                    out.sources.setdefault(src, Counter())["gold_in_dictionary"] += 1
            if _key(e) not in pkeys:
                kind = "not_in_dictionary" if found is None else "rejected"
                out.fn[kind][f"{e.text} ({e.type})"] += 1
    return out


def _fp_kind(e, gold_entities) -> str:
    """boundary: overlaps a gold span with other edges; type: same edges, another
    type; spurious: overlaps no gold span."""
    overlapping = [g for g in gold_entities if g.start < e.end and e.start < g.end]
    if any(g.start == e.start and g.end == e.end for g in overlapping):
        return "type"
    return "boundary" if overlapping else "spurious"


def format_breakdown(b: Breakdown, top: int = 8) -> list[str]:
    def tops(c: Counter) -> str:
        return ", ".join(f"{s} x{n}" for s, n in c.most_common(top))

    fp_total = sum(b.count("fp", k) for k in FP_KINDS)
    fn_total = sum(b.count("fn", k) for k in FN_KINDS)
    lines = [f"false positives: {fp_total} = " + " + ".join(
        f"{k} {b.count('fp', k)}" for k in FP_KINDS)]
    lines += [f"  {k}: {tops(b.fp[k])}" for k in FP_KINDS if b.fp[k]]
    lines.append(f"misses: {fn_total} = not in the dictionary {b.count('fn', FN_KINDS[0])} + "
                 f"in the dictionary but rejected {b.count('fn', FN_KINDS[1])}")
    lines += [f"  {k}: {tops(b.fn[k])}" for k in FN_KINDS if b.fn[k]]
    lines.append("per rule (tp/fp): " + ", ".join(
        f"{r} {c['tp']}/{c['fp']}" for r, c in sorted(b.rules.items())))
    lines.append("per source (gold occurrences in it; silver tp/fp from it): " + ", ".join(
        f"{s} {c['gold_in_dictionary']}; {c['tp']}/{c['fp']}"
        for s, c in sorted(b.sources.items()) if s))
    return lines

"""`kmner silver eval`: how good is silver data? Run the matcher over gold texts
and score it against the gold spans, beside plain Aho-Corasick on the same data,
plus how many gold surfaces the dictionary contains at all (coverage) and where
precision and recall go (breakdown.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kmner.core.errors import InputError
from kmner.core.jsonl import load_records
from kmner.core.labelmap import LabelMap
from kmner.core.records import Record
from kmner.evaluation.scoring import Scores
from kmner.evaluation.tables import interval_line, scores_table
from kmner.evaluation.uncertainty import Resampling, ScoredWithCI, score_with_ci
from kmner.gazetteer.compiled import CompiledGazetteer
from kmner.gazetteer.matcher import Matcher
from kmner.gazetteer.plain import PlainMatcher
from kmner.silver.breakdown import Breakdown, breakdown, format_breakdown


@dataclass
class Coverage:
    """Gold entity occurrences whose surface is a dictionary key (any type), and
    those whose dictionary type also equals the gold type (after the label map)."""

    occurrences: int = 0
    in_dictionary: int = 0
    same_type: int = 0
    unique_surfaces: int = 0
    unique_in_dictionary: int = 0
    missing: Counter = field(default_factory=Counter)

    def to_dict(self, top: int = 15) -> dict[str, Any]:
        def share(a, b):
            return round(a / b, 4) if b else 0.0
        return {"occurrences": self.occurrences, "in_dictionary": self.in_dictionary,
                "share": share(self.in_dictionary, self.occurrences),
                "same_type": self.same_type,
                "share_same_type": share(self.same_type, self.occurrences),
                "unique_surfaces": self.unique_surfaces,
                "unique_in_dictionary": self.unique_in_dictionary,
                "unique_share": share(self.unique_in_dictionary, self.unique_surfaces),
                "top_missing": self.missing.most_common(top)}


def coverage(gold: list[Record], gaz: CompiledGazetteer) -> Coverage:
    cov = Coverage()
    seen: dict[str, bool] = {}
    for rec in gold:
        for e in rec.entities:
            cov.occurrences += 1
            found = gaz.lookup(e.text)
            if found is not None:
                cov.in_dictionary += 1
                cov.same_type += found["type"] == e.type
            else:
                cov.missing[f"{e.text} ({e.type})"] += 1
            seen.setdefault(e.text, found is not None)
    cov.unique_surfaces = len(seen)
    cov.unique_in_dictionary = sum(seen.values())
    return cov


KIWI, PLAIN = "kiwi matcher", "plain Aho-Corasick"
JSON_KEYS = {KIWI: "kiwi_matcher", PLAIN: "plain_aho_corasick"}


@dataclass
class SilverEval:
    """The matcher and the plain Aho-Corasick baseline scored on gold, with
    intervals (one resampling for both), and the dictionary's coverage of gold."""

    systems: dict[str, ScoredWithCI]
    coverage: Coverage
    n_records: int
    gazetteer: dict[str, Any]
    label_map: str
    breakdown: Breakdown = field(default_factory=Breakdown)
    # the gold records and the matcher's predictions on them, so callers can write
    # or report them without running the matcher a second time
    gold: list[Record] = field(default_factory=list, repr=False)
    predictions: list[Record] = field(default_factory=list, repr=False)

    @property
    def matcher(self) -> Scores:
        return self.systems[KIWI].scores

    @property
    def baseline(self) -> Scores:
        return self.systems[PLAIN].scores

    @property
    def intervals(self) -> dict[str, Any]:
        """Micro P/R/F1 intervals of each system, keyed as in the JSON."""
        return {JSON_KEYS[name]: sc.micro_dicts() for name, sc in self.systems.items()}

    def to_dict(self) -> dict[str, Any]:
        return {"n_records": self.n_records, "gazetteer": self.gazetteer,
                "label_map": self.label_map, "kiwi_matcher": self.matcher.to_dict(),
                "plain_aho_corasick": self.baseline.to_dict(), "intervals": self.intervals,
                "coverage": self.coverage.to_dict(), "breakdown": self.breakdown.to_dict()}


def evaluate_silver(gold_path: str | Path, gaz: CompiledGazetteer, *,
                    label_map: LabelMap | None = None, threads: int = 2,
                    user_dict: str | None = None, n_resamples: int = 1000, seed: int = 0,
                    confidence: float = 0.95) -> SilverEval:
    gold = load_records(gold_path, allow_overlaps=True)
    if not gold:
        raise InputError("gold file has no records, so there is nothing to score; give a "
                         "non-empty gold JSONL", path=str(gold_path))
    label_map = label_map or LabelMap()
    matcher = Matcher(gaz, user_dict=user_dict, num_workers=threads)
    pred = [r.copy_with(ents) for r, ents in zip(gold, matcher.match_many(r.text for r in gold))]
    plain = PlainMatcher(gaz)
    base = [r.copy_with(plain.match(r.text)) for r in gold]
    rs = Resampling(n_resamples, seed, confidence)
    systems = {name: score_with_ci(gold, p, rs, label_map=label_map)
               for name, p in ((KIWI, pred), (PLAIN, base))}
    mapped_gold = label_map.apply(gold) if label_map else gold
    mapped_pred = label_map.apply(pred) if label_map else pred
    return SilverEval(systems, coverage(mapped_gold, gaz), len(gold),
                      {"name": gaz.info.get("name"), "hash": gaz.content_hash,
                       "terms": len(gaz)}, label_map.describe(),
                      breakdown(mapped_gold, mapped_pred, gaz), gold=gold, predictions=pred)


def format_eval(ev: SilverEval) -> list[str]:
    lines = [f"{ev.n_records} gold records; gazetteer {ev.gazetteer['name']} "
             f"({ev.gazetteer['terms']} terms, {ev.gazetteer['hash'][:12]}); label map: "
             f"{ev.label_map}"]
    lines += scores_table(ev.systems).splitlines()
    lines += [interval_line(name, sc) for name, sc in ev.systems.items()]
    cov = ev.coverage.to_dict()
    lines.append(f"dictionary coverage of gold entities: {cov['in_dictionary']}/"
                 f"{cov['occurrences']} occurrences ({cov['share']:.1%}), with the gold type "
                 f"{cov['share_same_type']:.1%}; unique surfaces {cov['unique_in_dictionary']}/"
                 f"{cov['unique_surfaces']} ({cov['unique_share']:.1%})")
    if cov["top_missing"]:
        lines.append("most frequent gold surfaces not in the dictionary: " + ", ".join(
            f"{s} x{n}" for s, n in cov["top_missing"][:10]))
    return lines + format_breakdown(ev.breakdown)

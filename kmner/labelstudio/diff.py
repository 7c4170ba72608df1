"""What humans did to the silver labels: per type kept / type changed / boundary
changed / deleted / added, the silver precision and recall this implies (with
sentence-bootstrap CIs from kmner.evaluation), and the dictionary terms that
were corrected most (stoplist candidates for the gazetteer).

Only records present in the gold file are compared (excluded or unreviewed
tasks are counted, not judged).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

from kmner.core.errors import InputError
from kmner.core.records import Entity, Record
from kmner.evaluation.bootstrap import ci_label
from kmner.evaluation.tables import text_table
from kmner.evaluation.uncertainty import Resampling, score_with_ci
from kmner.data.ls_tasks import nfc_record

CATEGORIES = ("kept", "type_changed", "boundary_changed", "deleted", "added")


@dataclass
class TermCorrections:
    term: str
    type: str
    seen: int = 0
    corrected: Counter = field(default_factory=Counter)

    @property
    def n_corrected(self) -> int:
        return sum(self.corrected.values())

    def to_dict(self) -> dict[str, Any]:
        return {"term": self.term, "type": self.type, "seen": self.seen,
                "corrected": self.n_corrected,
                "rate": round(self.n_corrected / self.seen, 4) if self.seen else 0.0,
                "how": dict(sorted(self.corrected.items()))}


@dataclass
class DiffReport:
    per_type: dict[str, Counter]
    type_changes: Counter            # (silver type, gold type) -> n
    terms: list[TermCorrections]
    compared: int
    silver_only: int                 # silver records with no gold (not reviewed)
    precision: dict[str, Any]
    recall: dict[str, Any]
    per_type_scores: dict[str, dict[str, Any]]

    @property
    def totals(self) -> Counter:
        total: Counter = Counter()
        for c in self.per_type.values():
            total.update(c)
        return total

    def to_dict(self, top: int = 20) -> dict[str, Any]:
        return {
            "compared_records": self.compared,
            "silver_records_without_gold": self.silver_only,
            "totals": {c: self.totals[c] for c in CATEGORIES},
            "per_type": {t: {c: counts[c] for c in CATEGORIES}
                         for t, counts in sorted(self.per_type.items())},
            "type_changes": [{"from": a, "to": b, "n": n}
                             for (a, b), n in sorted(self.type_changes.items())],
            "silver_precision": self.precision,
            "silver_recall": self.recall,
            "per_type_scores": self.per_type_scores,
            "most_corrected_terms": [t.to_dict() for t in self.terms[:top]],
        }


def term_of(ent: Entity) -> str:
    """The dictionary term behind a silver span (meta term/matched), else its surface."""
    meta = ent.meta or {}
    for key in ("term", "matched"):
        value = meta.get(key)
        if isinstance(value, str) and value:
            return value
    return ent.text


def compare_record(silver: Record, gold: Record) -> list[tuple[str, Entity | None, Entity | None]]:
    """One-to-one matching of spans: exact, then same span with another type, then
    overlapping spans (same type preferred, then the largest overlap)."""
    left = list(silver.sorted_entities())
    right = list(gold.sorted_entities())
    out: list[tuple[str, Entity | None, Entity | None]] = []

    def take(category: str, match) -> None:
        for s in list(left):
            candidates = [g for g in right if match(s, g)]
            if not candidates:
                continue
            g = max(candidates, key=lambda g: (g.type == s.type,
                                               min(s.end, g.end) - max(s.start, g.start),
                                               -g.start))
            left.remove(s)
            right.remove(g)
            out.append((category, s, g))

    take("kept", lambda s, g: s.key == g.key)
    take("type_changed", lambda s, g: (s.start, s.end) == (g.start, g.end))
    take("boundary_changed", lambda s, g: s.overlaps(g))
    out.extend(("deleted", s, None) for s in left)
    out.extend(("added", None, g) for g in right)
    return out


def diff_records(silver: Iterable[Record], gold: Iterable[Record], *, n_resamples: int = 1000,
                 seed: int = 0, confidence: float = 0.95) -> DiffReport:
    gold = [nfc_record(g) for g in gold]
    silver_by_id: dict[Any, Record] = {}
    for s in silver:
        if s.id in silver_by_id:
            raise InputError("duplicate id in silver", record_id=s.id)
        silver_by_id[s.id] = nfc_record(s)
    unknown = [g.id for g in gold if g.id not in silver_by_id]
    if unknown:
        raise InputError(f"{len(unknown)} gold record id(s) are not in the silver file, e.g. "
                         f"{unknown[:3]!r}; was the gold pulled from another project?")
    paired = [silver_by_id[g.id] for g in gold]

    per_type: dict[str, Counter] = {}
    type_changes: Counter = Counter()
    terms: dict[tuple[str, str], TermCorrections] = {}
    for s_rec, g_rec in zip(paired, gold):
        if s_rec.text != g_rec.text:
            raise InputError("text differs between silver and gold", record_id=g_rec.id)
        for category, s, g in compare_record(s_rec, g_rec):
            type_ = s.type if s is not None else g.type
            per_type.setdefault(type_, Counter())[category] += 1
            if category == "type_changed" or (category == "boundary_changed"
                                              and s.type != g.type):
                type_changes[(s.type, g.type)] += 1
            if s is not None:
                tc = terms.setdefault((term_of(s), s.type), TermCorrections(term_of(s), s.type))
                tc.seen += 1
                if category != "kept":
                    tc.corrected[category] += 1

    pr = ("precision", "recall")
    scored = score_with_ci(gold, paired, Resampling(n_resamples, seed, confidence),
                           metrics=pr, type_metrics=pr)
    per_type_scores = {}
    for t, ivs in scored.per_type.items():
        counts = scored.scores.per_type[t]
        per_type_scores[t] = {**{m: iv.to_dict() for m, iv in ivs.items()},
                              "tp": counts.tp, "fp": counts.fp, "fn": counts.fn}
    ranked = sorted((t for t in terms.values() if t.n_corrected),
                    key=lambda t: (-t.n_corrected, -t.n_corrected / t.seen, t.term, t.type))
    return DiffReport(per_type, type_changes, ranked, len(gold),
                      len(silver_by_id) - len(gold), scored.micro["precision"].to_dict(),
                      scored.micro["recall"].to_dict(), per_type_scores)


def format_report(report: DiffReport, top: int = 10) -> str:
    """A plain-text summary for the terminal."""
    lines = [f"compared {report.compared} record(s); {report.silver_only} silver record(s) "
             "have no gold (not reviewed or excluded)"]
    totals = report.totals
    rows = [[t, *(counts[c] for c in CATEGORIES)] for t, counts in sorted(report.per_type.items())]
    rows.append(["all", *(totals[c] for c in CATEGORIES)])
    lines.append(text_table(["type", *CATEGORIES], rows))
    p, r = report.precision, report.recall
    lines.append(f"silver precision {p['value']:.3f} [{p['low']:.3f}, {p['high']:.3f}]  "
                 f"recall {r['value']:.3f} [{r['low']:.3f}, {r['high']:.3f}]  "
                 f"({ci_label(p['confidence'])}, sentence bootstrap)")
    for (a, b), n in sorted(report.type_changes.items()):
        lines.append(f"type change {a} -> {b}: {n}")
    if report.terms:
        lines.append("most-corrected dictionary terms (stoplist candidates):")
        for t in report.terms[:top]:
            d = t.to_dict()
            how = ", ".join(f"{k} {v}" for k, v in d["how"].items())
            lines.append(f"  {t.term} ({t.type}): {d['corrected']}/{d['seen']} corrected ({how})")
    return "\n".join(lines)

"""``kmner silver augment``: model-in-the-loop silver. A trained model's confident
spans are added to dictionary silver, so the next model learns mentions the
dictionary has no entry for (the model found 74% of such gold mentions on the
clinical test, the gazetteer 39%: docs/results.md, Phase 2).

Per record, the model's spans with a score of at least ``min_score`` come first
(they read the context; the dictionary does not), then every dictionary span that
overlaps none of them. With ``prefer="dictionary"`` the order turns round: every
dictionary span first (the dictionary is the more precise of the two), then the
model's confident spans that overlap none of them, so the model only fills the
dictionary's gaps. Records are matched by id and must carry the same text;
every record of the silver file is written, and what was added, kept or dropped
is counted."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from kmner.core.errors import InputError
from kmner.core.records import Entity, Record


@dataclass
class AugmentReport:
    records: int = 0
    records_without_prediction: int = 0
    predictions_without_record: int = 0                         # ids not in the silver
    model_spans: Counter = field(default_factory=Counter)       # added, per type
    below_min_score: int = 0
    dictionary_kept: Counter = field(default_factory=Counter)   # per type
    dictionary_overlapped: int = 0         # overlapped a span kept before it (either side)
    model_overlapped: int = 0              # overlapped a span kept before it (either side)
    dropped_types: Counter = field(default_factory=Counter)     # not in keep_types

    def to_dict(self) -> dict:
        return {"records": self.records,
                "records_without_prediction": self.records_without_prediction,
                "predictions_without_silver_record": self.predictions_without_record,
                "model_spans_added": dict(self.model_spans),
                "model_spans_below_min_score": self.below_min_score,
                "dictionary_spans_kept": dict(self.dictionary_kept),
                "dictionary_spans_overlapping_a_kept_span": self.dictionary_overlapped,
                "model_spans_overlapping_a_kept_span": self.model_overlapped,
                "spans_of_other_types_dropped": dict(self.dropped_types)}


def _score(e: Entity) -> float | None:
    s = (e.meta or {}).get("score")
    return float(s) if isinstance(s, (int, float)) else None


def _overlaps(e: Entity, taken: list[Entity]) -> bool:
    return any(e.start < t.end and t.start < e.end for t in taken)


PREFERENCES = ("model", "dictionary")


def _confident(predicted: Record, min_score: float, report: AugmentReport) -> list[Entity]:
    """``predicted``'s spans scoring at least ``min_score``, best first."""
    kept = []
    for e in sorted(predicted.entities, key=lambda x: -(_score(x) or 0.0)):
        score = _score(e)
        if score is None:
            raise InputError(f"record {predicted.id!r}: predicted span {e.text!r} has no "
                             f"meta.score; use the output of `kmner predict`")
        if score < min_score:
            report.below_min_score += 1
        else:
            kept.append(e)
    return kept


def augment_record(silver: Record, predicted: Record | None, min_score: float,
                   keep_types: set[str] | None, report: AugmentReport,
                   prefer: str = "model") -> Record:
    """``silver`` with ``predicted``'s confident spans added (see the module doc)."""
    report.records += 1
    if predicted is None:
        report.records_without_prediction += 1
        predicted = silver.copy_with([])
    elif predicted.text != silver.text:
        raise InputError(f"record {silver.id!r}: the prediction's text differs from the "
                         f"silver text; predict on the silver file itself")

    def wanted(e: Entity) -> bool:
        if keep_types is not None and e.type not in keep_types:
            report.dropped_types[e.type] += 1
            return False
        return True

    model = [e for e in _confident(predicted, min_score, report) if wanted(e)]
    dictionary = [e for e in silver.entities if wanted(e)]
    chosen: list[Entity] = []
    passes = [(model, report.model_spans), (dictionary, report.dictionary_kept)]
    for spans, added in (passes if prefer == "model" else passes[::-1]):
        for e in spans:
            if not _overlaps(e, chosen):
                chosen.append(e)
                added[e.type] += 1
            elif spans is model:
                report.model_overlapped += 1
            else:
                report.dictionary_overlapped += 1
    return silver.copy_with(sorted(chosen, key=lambda x: (x.start, x.end)))


def augment_silver(silver: list[Record], predicted: list[Record], *, min_score: float,
                   keep_types: set[str] | None = None,
                   prefer: str = "model") -> tuple[list[Record], AugmentReport]:
    """Every silver record, with the confident model spans of the same id added;
    ``prefer`` says which side wins an overlap (see the module doc)."""
    if not 0.0 <= min_score <= 1.0:
        raise InputError(f"--min-score: {min_score} is outside [0, 1]; pass a score "
                         f"between 0 and 1")
    if prefer not in PREFERENCES:
        raise InputError(f"--prefer: {prefer!r} is not a choice; use model or dictionary")
    by_id = {}
    for p in predicted:
        if p.id in by_id:
            raise InputError(f"predictions: id {p.id!r} appears twice; one prediction "
                             f"per silver record")
        by_id[p.id] = p
    report = AugmentReport()
    out = [augment_record(r, by_id.get(r.id), min_score, keep_types, report, prefer)
           for r in silver]
    report.predictions_without_record = len(set(by_id) - {r.id for r in silver})
    return out, report

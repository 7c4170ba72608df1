"""Corpus statistics: sentences, entities per type, span lengths, coverage, duplicates."""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any, Sequence

from kmner.core.records import Record
from kmner.data.dedup import duplicate_groups, duplicate_summary

LENGTH_BUCKETS = ((1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 10), (11, 20), (21, None))


def _bucket(n: int) -> str:
    for lo, hi in LENGTH_BUCKETS:
        if hi is None and n >= lo:
            return f"{lo}+"
        if hi is not None and lo <= n <= hi:
            return str(lo) if lo == hi else f"{lo}-{hi}"
    return "0"


def _lengths(values: Sequence[int]) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    hist = Counter(_bucket(v) for v in values)
    order = [_bucket(lo) for lo, _ in LENGTH_BUCKETS]
    return {"n": len(values), "min": min(values), "median": statistics.median(values),
            "mean": round(statistics.fmean(values), 2), "max": max(values),
            "histogram": {b: hist[b] for b in order if hist[b]}}


def dataset_stats(records: Sequence[Record]) -> dict[str, Any]:
    """Every figure as plain JSON-ready values; span lengths count characters."""
    per_type = Counter(e.type for r in records for e in r.entities)
    with_entities = sum(1 for r in records if r.entities)
    return {
        "sentences": len(records),
        "sentences_with_entities": with_entities,
        "share_with_entities": round(with_entities / len(records), 4) if records else 0.0,
        "entities": sum(per_type.values()),
        "entities_per_type": dict(per_type.most_common()),
        "span_length_chars": {
            "all": _lengths([e.end - e.start for r in records for e in r.entities]),
            **{t: _lengths([e.end - e.start for r in records for e in r.entities
                            if e.type == t]) for t in sorted(per_type)}},
        "sentence_length_chars": _lengths([len(r.text) for r in records]),
        "duplicates": duplicate_summary(duplicate_groups([records])),
    }


def format_stats(stats: dict[str, Any]) -> list[str]:
    lines = [f"sentences: {stats['sentences']:,}",
             f"with entities: {stats['sentences_with_entities']:,} "
             f"({stats['share_with_entities']:.1%})",
             f"entities: {stats['entities']:,}"]
    for t, c in stats["entities_per_type"].items():
        ln = stats["span_length_chars"][t]
        lines.append(f"  {t:<12} {c:>7,}  length median {ln['median']:g}, mean {ln['mean']:g}, "
                     f"max {ln['max']}")
    hist = stats["span_length_chars"]["all"].get("histogram", {})
    if hist:
        lines.append("span length (chars): " + ", ".join(f"{k}: {v}" for k, v in hist.items()))
    d = stats["duplicates"]
    lines.append(f"duplicates: {d['groups']} group(s) ({d['exact_groups']} exact, "
                 f"{d['near_only_groups']} near), {d['extra_copies']} extra copies, "
                 f"{d['conflicting_groups']} with differing entities")
    return lines

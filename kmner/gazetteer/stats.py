"""Summaries of a compiled gazetteer for `kmner gazetteer stats`."""

from __future__ import annotations

from collections import Counter
from typing import Any

from kmner.gazetteer.compiled import CompiledGazetteer


def gazetteer_stats(gaz: CompiledGazetteer) -> dict[str, Any]:
    lens = Counter(min(n, 10) for n in gaz.key_lens)
    per_source: Counter = Counter()
    for s in gaz.sources:
        for name in s.split("|"):
            per_source[name] += 1
    report = gaz.info.get("report", {})
    return {
        "name": gaz.info.get("name"),
        "content_hash": gaz.content_hash,
        "terms": len(gaz),
        "per_type": dict(Counter(gaz.types)),
        "per_source": dict(per_source),
        "key_length": {("10+" if k == 10 else str(k)): v for k, v in sorted(lens.items())},
        "single_syllable_terms": lens.get(1, 0),
        "ambiguous_terms": len(gaz.alt_types),
        "conflict_policy": report.get("conflict_policy"),
        "conflict_examples": report.get("conflict_examples", [])[:10],
        "dropped_by_source": {k: v.get("dropped", {}) for k, v in
                              report.get("sources", {}).items()},
        "filtered": report.get("filtered", {}),
        "build_seconds": gaz.info.get("build_seconds"),
        "load_seconds": gaz.info.get("load_seconds"),
        "built_at": gaz.info.get("built_at"),
    }

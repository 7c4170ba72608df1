"""`kmner silver stats`: what a silver file contains."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from kmner.core.jsonl import RejectLog, read_records


@dataclass
class SilverStats:
    records: int = 0
    records_with_entities: int = 0
    per_type: Counter = field(default_factory=Counter)
    terms: dict[str, Counter] = field(default_factory=dict)
    rules: Counter = field(default_factory=Counter)
    sources: Counter = field(default_factory=Counter)
    unreadable: int = 0

    @property
    def share_with_entities(self) -> float:
        return self.records_with_entities / self.records if self.records else 0.0

    def to_dict(self, top: int = 20) -> dict:
        return {"records": self.records, "records_with_entities": self.records_with_entities,
                "share_with_entities": round(self.share_with_entities, 4),
                "entities": sum(self.per_type.values()), "per_type": dict(self.per_type),
                "top_terms": {t: c.most_common(top) for t, c in self.terms.items()},
                "rules": dict(self.rules), "sources": dict(self.sources),
                "unreadable_lines": self.unreadable}


def silver_stats(path: str | Path) -> SilverStats:
    st = SilverStats()
    rejects = RejectLog()
    for rec in read_records(path, on_error="reject", rejects=rejects, allow_overlaps=True,
                            allow_duplicates=True):
        st.records += 1
        if rec.entities:
            st.records_with_entities += 1
        for e in rec.entities:
            st.per_type[e.type] += 1
            st.terms.setdefault(e.type, Counter())[e.text] += 1
            meta = e.meta or {}
            st.rules[meta.get("rule", "(none)")] += 1
            for src in str(meta.get("source", "(none)")).split("|"):
                st.sources[src] += 1
    st.unreadable = len(rejects)
    return st

"""Exact and near-duplicate sentences.

Two texts are *near-duplicates* when they are equal after NFC normalisation,
removal of zero-width characters, case folding, and removal of all whitespace,
punctuation (Unicode category P*) and symbols (S*). So "설사증상때문에 문의하셨네요 ."
and "설사증상 때문에 문의하셨네요." are one sentence; "38도" and "39도" are not.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from kmner.core.offsets import normalize
from kmner.core.records import Record


def near_key(text: str) -> str:
    """The text reduced to what decides near-duplicates."""
    folded = normalize(text).derived.casefold()
    return "".join(c for c in folded
                   if not (c.isspace() or unicodedata.category(c)[0] in "PS"))


@dataclass
class DuplicateGroup:
    """Records sharing one near-duplicate key; ``exact`` when all texts are equal."""

    key: str
    members: list[tuple[int, Record]] = field(default_factory=list)  # (source index, record)

    @property
    def exact(self) -> bool:
        return len({r.text for _, r in self.members}) == 1

    @property
    def sources(self) -> set[int]:
        return {s for s, _ in self.members}

    @property
    def conflicting(self) -> bool:
        """Do the copies disagree on their entities (relative to their own text)?"""
        keys = {frozenset((e.type, e.text) for e in r.entities) for _, r in self.members}
        return len(keys) > 1


def duplicate_groups(sources: Sequence[Iterable[Record]]) -> list[DuplicateGroup]:
    """Groups of two or more records with the same near-duplicate key, across and
    within sources, in order of first appearance."""
    groups: dict[str, DuplicateGroup] = {}
    for i, records in enumerate(sources):
        for rec in records:
            k = near_key(rec.text)
            groups.setdefault(k, DuplicateGroup(k)).members.append((i, rec))
    return [g for g in groups.values() if len(g.members) > 1]


def duplicate_summary(groups: Sequence[DuplicateGroup]) -> dict[str, int]:
    return {
        "groups": len(groups),
        "exact_groups": sum(g.exact for g in groups),
        "near_only_groups": sum(not g.exact for g in groups),
        "extra_copies": sum(len(g.members) - 1 for g in groups),
        "cross_source_groups": sum(len(g.sources) > 1 for g in groups),
        "conflicting_groups": sum(g.conflicting for g in groups),
    }

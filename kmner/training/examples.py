"""Records -> GLiNER2 training examples, with every span that cannot be trained
on reported (never dropped silently).

GLiNER2 2.1.0 aligns a character-offset gold span by *widening* it to whole word
tokens, and a span wider than ``max_width`` gets no positive label at all (so it
is trained as a negative). Here each gold span is checked against the word
splitter first: spans whose boundaries are not token boundaries, and spans wider
than ``max_width``, are left out of the example and listed in the report with
examples; GLiNER2's own ``processor.find_unalignable_entities`` is run too as a
cross-check of surface alignment.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

from kmner.core.errors import InputError
from kmner.core.kiwi_tokens import cut_tokens
from kmner.core.records import Record
from kmner.training.splitter import KoreanWordSplitter, span_tokens


@dataclass
class AlignmentReport:
    """What happened to every gold span of one data set."""

    name: str
    records: int = 0
    entities: int = 0
    used: int = 0
    unaligned: int = 0
    too_wide: int = 0
    past_max_len: int = 0
    refined_records: int = 0
    plain_splitter_aligned: int = 0
    processor_unalignable: int = 0
    widths: Counter = field(default_factory=Counter)
    examples: list[dict] = field(default_factory=list)

    def note(self, kind: str, rec: Record, ent, detail: str = "") -> None:
        if sum(1 for e in self.examples if e["problem"] == kind) < 10:
            self.examples.append({"problem": kind, "id": rec.id, "type": ent.type,
                                  "text": ent.text, "start": ent.start, "end": ent.end,
                                  "detail": detail})

    @property
    def plain_share(self) -> float:
        return self.plain_splitter_aligned / self.entities if self.entities else 1.0

    def to_dict(self) -> dict:
        return {"name": self.name, "records": self.records, "entities": self.entities,
                "used": self.used, "unaligned": self.unaligned, "too_wide": self.too_wide,
                "past_max_len": self.past_max_len, "refined_records": self.refined_records,
                "plain_splitter_aligned": self.plain_splitter_aligned,
                "plain_splitter_share": round(self.plain_share, 6),
                "processor_unalignable": self.processor_unalignable,
                "widths": dict(sorted(self.widths.items())), "examples": self.examples}

    def summary(self) -> str:
        return (f"{self.name}: {self.records} records, {self.entities} entities, {self.used} used; "
                f"splitter alignment {self.plain_share:.2%}; unaligned {self.unaligned}, "
                f"too wide {self.too_wide}, past max_len {self.past_max_len}")


def check_types(records: Sequence[Record], descriptions: dict[str, str], *, source: str) -> None:
    """Every entity type in the data needs a description (the GLiNER2 prompt)."""
    missing = Counter(e.type for r in records for e in r.entities if e.type not in descriptions)
    if missing:
        first = next(r for r in records if any(e.type in missing for e in r.entities))
        raise InputError(
            f"types without a description: {', '.join(sorted(missing))} "
            f"({sum(missing.values())} entities, first in record {first.id!r}); add them to "
            f"'descriptions' (have: {', '.join(sorted(descriptions))}) or map them with "
            f"data.label_map", path=source)


def max_width_from_data(records: Sequence[Record], splitter: KoreanWordSplitter, cap: int) -> int:
    """The widest gold span in tokens (at least 1, at most ``cap``)."""
    widest = 1
    for r in records:
        offs = splitter.offsets(r.text)
        for e in r.entities:
            rng = span_tokens(offs, e.start, e.end)
            if rng:
                widest = max(widest, rng[1] - rng[0])
    return min(widest, cap)


def declared_types(rec: Record, descriptions: dict[str, str], negative_types: int | None,
                   rng: random.Random) -> dict[str, str]:
    """The types one training prompt asks for: every described type
    (``negative_types`` None), or the record's own types plus that many others
    drawn from ``meta["declare"]`` (the types it may be asked about) or else
    from every described type."""
    if negative_types is None:
        return dict(descriptions)
    own = sorted({e.type for e in rec.entities})
    pool = [t for t in ((rec.meta or {}).get("declare") or sorted(descriptions))
            if t not in own and t in descriptions]
    chosen = own + rng.sample(pool, min(negative_types, len(pool)))
    return {t: descriptions[t] for t in chosen}


def build_examples(records: Sequence[Record], *, descriptions: dict[str, str],
                   splitter: KoreanWordSplitter, max_width: int, name: str,
                   refine_at_gold: bool = False, max_len: int | None = None,
                   processor=None, negative_types: int | None = None,
                   seed: int = 0) -> tuple[list, AlignmentReport]:
    """GLiNER2 ``InputExample`` objects (entities pinned by character offsets;
    the declared types without spans train as negatives, see
    :func:`declared_types`)."""
    from gliner2 import InputExample

    report = AlignmentReport(name)
    splitter.prepare(r.text for r in records)
    examples = []
    type_rng = random.Random(seed)
    for rec in records:
        declared = declared_types(rec, descriptions, negative_types, type_rng)
        report.records += 1
        offs = splitter.offsets(rec.text)
        for e in rec.entities:
            if span_tokens(offs, e.start, e.end):
                report.plain_splitter_aligned += 1
        if refine_at_gold and rec.entities:
            cuts = {p for e in rec.entities for p in (e.start, e.end)}
            refined = cut_tokens(offs, cuts)
            if refined != offs:
                report.refined_records += 1
                splitter.add_pretokenized(rec.text, refined, where=f"record {rec.id}")
                offs = refined
        limit_char = offs[max_len - 1][1] if max_len and len(offs) > max_len else None
        entities: dict[str, list] = {t: [] for t in declared}
        for e in rec.entities:
            report.entities += 1
            rng = span_tokens(offs, e.start, e.end)
            if rng is None:
                report.unaligned += 1
                toks = [rec.text[s:t] for s, t in offs if s < e.end and t > e.start]
                report.note("unaligned", rec, e, "tokens: " + " | ".join(toks))
                continue
            width = rng[1] - rng[0]
            report.widths[width] += 1
            if width > max_width:
                report.too_wide += 1
                report.note("too_wide", rec, e, f"{width} tokens > max_width {max_width}")
                continue
            if limit_char is not None and e.end > limit_char:
                report.past_max_len += 1
                report.note("past_max_len", rec, e, f"text has {len(offs)} tokens > max_len {max_len}")
                continue
            report.used += 1
            entities[e.type].append({"text": e.text, "start": e.start, "end": e.end})
        if processor is not None:
            surfaces = {t: [v["text"] for v in vals] for t, vals in entities.items() if vals}
            report.processor_unalignable += len(processor.find_unalignable_entities(rec.text, surfaces))
        examples.append(InputExample(text=rec.text, entities=entities,
                                     entity_descriptions=declared))
    return examples, report


def weighted(records: Sequence, weight: float, rng: random.Random) -> list:
    """Each record ``floor(weight)`` times, plus a seeded share for the fraction."""
    if weight < 0:
        raise InputError(f"mixing weight must be >= 0, got {weight}")
    whole = int(weight)
    out = [r for r in records for _ in range(whole)]
    frac = weight - whole
    if frac > 0:
        out.extend(rng.sample(list(records), round(frac * len(records))))
    return out


def split_dev(records: Sequence[Record], fraction: float, seed: int) -> tuple[list, list]:
    """Seeded (train, dev) split by shuffled record order."""
    idx = list(range(len(records)))
    random.Random(seed).shuffle(idx)
    n_dev = max(1, round(fraction * len(records))) if fraction > 0 and len(records) > 1 else 0
    dev_idx = set(idx[:n_dev])
    return ([r for i, r in enumerate(records) if i not in dev_idx],
            [r for i, r in enumerate(records) if i in dev_idx])

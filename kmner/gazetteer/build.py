"""Merge entries from every source into one deduplicated, typed table, resolving
surfaces with two types by an explicit policy and reporting all of it."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from kmner.core.errors import InputError
from kmner.gazetteer.config import (HEAD_TYPE, PART_TYPE, GazetteerConfig, check_source_options,
                                     check_types)
from kmner.gazetteer.entries import Entry
from kmner.gazetteer.keys import match_key
from kmner.gazetteer.sources import LOADERS, LoadContext, guess_format


@dataclass
class MergedTerm:
    """All entries that share one match key, reduced to one type."""

    surface: str
    type: str
    sources: tuple[str, ...]
    codes: tuple[str, ...]
    alt_types: tuple[str, ...] = ()  # the other types, when the surface was ambiguous


@dataclass
class BuildReport:
    sources: dict[str, dict] = field(default_factory=dict)
    n_entries: int = 0
    n_terms: int = 0
    per_type: dict[str, int] = field(default_factory=dict)
    conflicts: int = 0
    conflict_policy: str = "priority"
    conflict_examples: list[str] = field(default_factory=list)
    filtered: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def load_entries(cfg: GazetteerConfig, report: BuildReport) -> list[Entry]:
    """Run every configured loader, then the type policy (``apply_policy``). Body-part
    sources load first so KCD loaders can recognise elliptical names that are
    really body parts. The compose heads come last, as entries of type Head."""
    order = sorted(cfg.sources, key=lambda s: (s.type != "Body", ))
    entries: list[Entry] = []
    body: set[str] = set()
    comp = cfg.compose
    heads = {match_key(h) for h in [*comp.heads, *comp.parts]}
    for src in order:
        path = cfg.resolve(src)
        fmt = src.format or guess_format(path)
        if fmt not in LOADERS:
            raise InputError(f"unknown source format {fmt!r}; known: {', '.join(LOADERS)}",
                             path=str(path))
        name = src.name or path.stem
        if not path.exists():
            if src.optional:
                report.sources[name] = {"path": str(path), "skipped": "file not found"}
                continue
            raise InputError("source file not found (set optional: true to skip it)",
                             path=str(path))
        options = check_source_options(src, fmt, where=f"gazetteer {cfg.name!r}")
        ctx = LoadContext(src.type, name, options, frozenset(body))
        loaded = apply_policy(LOADERS[fmt](path, ctx), ctx, heads)
        check_types(loaded, cfg, path)
        if src.type == "Body" or fmt == "anatomy_tsv":
            body.update(e.term.replace(" ", "") for e in loaded)
        entries.extend(loaded)
        report.sources[name] = {"path": str(path), "format": fmt, "entries": len(loaded),
                                "dropped": dict(ctx.dropped), "dropped_examples": ctx.examples}
    if heads:
        entries.extend(Entry(h, HEAD_TYPE, "compose") for h in comp.heads)
        entries.extend(Entry(h, PART_TYPE, "compose") for h in comp.parts)
        report.sources["compose"] = {"path": "(config: compose.heads, compose.parts)",
                                     "format": "heads", "entries": len(heads), "dropped": {},
                                     "dropped_examples": {}}
    return entries


def apply_policy(entries: Iterable[Entry], ctx, heads: set[str]) -> list[Entry]:
    """The type policy at the source: a source's ``exclude_terms`` (homonyms whose
    everyday sense is another type) and generic head nouns and body words
    (compose.heads and compose.parts, which are never entries of their own) are
    dropped, and counted per source."""
    excluded = {match_key(t) for t in ctx.options.get("exclude_terms", ())}
    kept = []
    for e in entries:
        key = match_key(e.term)
        if key in excluded:
            ctx.drop("source exclude_terms (everyday sense is another type)", e.term)
        elif key in heads and e.type not in (HEAD_TYPE, PART_TYPE):
            ctx.drop("generic fragment: a compose head only, not an entry", e.term)
        else:
            kept.append(e)
    return kept


def merge_entries(entries: Iterable[Entry], cfg: GazetteerConfig, report: BuildReport
                  ) -> dict[str, MergedTerm]:
    """Group by match key; one type per key according to ``cfg.conflicts``."""
    excluded = {match_key(t) for t in cfg.exclude_terms}
    rank = {t: i for i, t in enumerate(cfg.type_priority)}
    groups: dict[str, list[Entry]] = {}
    filtered: Counter = Counter()
    n = 0
    lo, hi = max(cfg.min_chars, 1), cfg.max_chars
    for e in entries:
        n += 1
        key = match_key(e.term)
        if lo <= len(key) <= hi and key not in excluded:
            group = groups.get(key)
            if group is None:
                groups[key] = [e]
            else:
                group.append(e)
        elif not key:
            filtered["empty after normalisation"] += 1
        elif key in excluded:
            filtered["in exclude_terms"] += 1
        elif len(key) < lo:
            filtered[f"shorter than min_chars={cfg.min_chars}"] += 1
        else:
            filtered[f"longer than max_chars={cfg.max_chars}"] += 1
    merged: dict[str, MergedTerm] = {}
    for key, group in groups.items():
        first = group[0]
        if len(group) == 1:  # the common case, kept cheap for large gazetteers
            merged[key] = MergedTerm(first.term, first.type, (first.source,),
                                     (f"{first.source}:{first.code}",) if first.code else ())
            continue
        types = sorted({e.type for e in group}, key=lambda t: (rank.get(t, len(rank)), t))
        if len(types) > 1:
            report.conflicts += 1
            if len(report.conflict_examples) < 20:
                report.conflict_examples.append(
                    f"{first.term}: " + ", ".join(
                        f"{t} ({'/'.join(sorted({e.source for e in group if e.type == t}))})"
                        for t in types))
            if cfg.conflicts == "drop":
                filtered["ambiguous type (conflicts: drop)"] += 1
                continue
        chosen = types[0]
        best = [e for e in group if e.type == chosen]
        sources = tuple(dict.fromkeys(e.source for e in best))
        # one code once, under the first source that gives it (kcd:R52, not also
        # kcd_chapter_r:R52)
        by_code = {}
        for e in best:
            if e.code and e.code not in by_code:
                by_code[e.code] = f"{e.source}:{e.code}"
        codes = tuple(by_code.values())
        merged[key] = MergedTerm(best[0].term, chosen, sources, codes, tuple(types[1:]))
    report.n_entries = n
    report.n_terms = len(merged)
    report.per_type = dict(Counter(m.type for m in merged.values()))
    report.conflict_policy = cfg.conflicts
    report.filtered = dict(filtered)
    return merged


def build_terms(cfg: GazetteerConfig) -> tuple[dict[str, MergedTerm], BuildReport]:
    t0 = time.perf_counter()
    report = BuildReport()
    merged = merge_entries(load_entries(cfg, report), cfg, report)
    report.seconds = round(time.perf_counter() - t0, 3)
    return merged, report

"""Train/dev/test splits without leakage.

1. Exact and near-duplicate sentences (see kmner.data.dedup) are removed: the
   first copy is kept, every other copy goes to ``duplicates.jsonl`` with the id
   it duplicates, so no text can end up in two splits and nothing is lost.
2. The unique sentences are assigned by iterative stratification: first every
   split receives one sentence of each entity type (rarest types first) while
   there are sentences to give, then each remaining sentence, rarest type first,
   goes to the split that still wants most of that type.
3. Sizes are counts (``train=40, test=10``) or fractions (``train=0.8,
   test=0.2``); sentences beyond the requested sizes go to a ``rest`` split.
4. A manifest records inputs, sizes, per-type counts, duplicates and a SHA-256
   of each written split.
"""

from __future__ import annotations

import math
import os
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from kmner.core.errors import ConfigError
from kmner.core.hashing import sha256_file
from kmner.core.jsonl import write_json, write_json_lines, write_records
from kmner.core.records import Record
from kmner.data.dedup import DuplicateGroup, duplicate_summary, near_key

SPLIT_ORDER = ("train", "dev", "test")


@dataclass
class SplitConfig:
    """How to split.

    Attributes:
        train: sentences for training, as a count (>= 1) or a fraction (< 1).
        test: sentences for the test set, same kind as ``train``.
        dev: optional development set, same kind as ``train``.
        seed: random seed; the same inputs and seed give the same splits.
    """

    train: float
    test: float
    dev: float | None = None
    seed: int = 0


def split_sizes(config: SplitConfig, n: int) -> dict[str, int]:
    """Sentences per split (plus ``rest``) for ``n`` unique sentences."""
    asked = {k: v for k, v in (("train", config.train), ("dev", config.dev),
                               ("test", config.test)) if v is not None}
    for k, v in asked.items():
        if v < 0 or (v >= 1 and v != int(v)):
            raise ConfigError(f"--{k} {v}: give a whole count (>= 1) or a fraction (< 1)")
    kinds = {"count" if v >= 1 else "fraction" for v in asked.values() if v > 0}
    if len(kinds) > 1:
        raise ConfigError("give all split sizes as counts or all as fractions, not a mix")
    if kinds == {"count"} or not kinds:
        sizes = {k: int(v) for k, v in asked.items()}
        if sum(sizes.values()) > n:
            raise ConfigError(f"the splits ask for {sum(sizes.values())} sentences but only "
                              f"{n} unique ones remain after removing duplicates")
    else:
        total = sum(asked.values())
        if total > 1 + 1e-9:
            raise ConfigError(f"fractions add up to {total:g}, more than 1")
        exact = {k: v * n for k, v in asked.items()}
        sizes = {k: math.floor(x) for k, x in exact.items()}
        target = round(total * n) if abs(total - 1) > 1e-9 else n
        for k in sorted(exact, key=lambda k: exact[k] - sizes[k], reverse=True):
            if sum(sizes.values()) >= target:
                break
            sizes[k] += 1
    sizes["rest"] = n - sum(sizes.values())
    return sizes


@dataclass
class SplitResult:
    splits: dict[str, list[Record]]
    removed: list[dict]  # duplicate records with the id they duplicate
    groups: list[DuplicateGroup]
    missing_types: dict[str, list[str]] = field(default_factory=dict)


def deduplicate(sources: Sequence[Sequence[Record]]
                ) -> tuple[list[Record], list[dict], list[DuplicateGroup]]:
    """Unique records (first copy of each near-duplicate group kept), the removed
    ones and the duplicate groups, from one pass (near_key normalises each text)."""
    groups: dict[str, DuplicateGroup] = {}
    removed = []
    for i, records in enumerate(sources):
        for rec in records:
            k = near_key(rec.text)
            group = groups.setdefault(k, DuplicateGroup(k))
            if group.members:
                first = group.members[0][1]
                removed.append({"source": i, "kind": "exact" if first.text == rec.text
                                else "near", "duplicate_of": first.id, "record": rec.to_dict()})
            group.members.append((i, rec))
    kept = [g.members[0][1] for g in groups.values()]
    return kept, removed, [g for g in groups.values() if len(g.members) > 1]


def assign(records: Sequence[Record], sizes: dict[str, int], seed: int
           ) -> dict[str, list[Record]]:
    """Stratified assignment of ``records`` to splits of the given sizes."""
    names = [s for s in (*SPLIT_ORDER, "rest") if sizes.get(s, 0) > 0]
    rng = random.Random(seed)
    order = list(range(len(records)))
    rng.shuffle(order)
    labels = [{e.type for e in r.entities} for r in records]
    total = Counter(t for ls in labels for t in ls)
    n = max(len(records), 1)
    cap = {s: sizes[s] for s in names}
    want = {s: {t: sizes[s] / n * c for t, c in total.items()} for s in names}
    where: list[str | None] = [None] * len(records)

    def put(i: int, s: str) -> None:
        where[i] = s
        cap[s] -= 1
        for t in labels[i]:
            want[s][t] -= 1

    by_rarity = sorted(total, key=lambda t: (total[t], t))
    for t in by_rarity:  # coverage: one sentence of each type in every real split
        for s in names:
            if s == "rest" or cap[s] <= 0:
                continue
            if any(where[i] == s and t in labels[i] for i in order):
                continue
            i = next((i for i in order if where[i] is None and t in labels[i]), None)
            if i is not None:
                put(i, s)
    while True:
        left = Counter(t for i in order if where[i] is None for t in labels[i])
        if not left:
            break
        t = min(left, key=lambda u: (left[u], u))
        for i in order:
            if where[i] is not None or t not in labels[i]:
                continue
            open_ = [s for s in names if cap[s] > 0]
            put(i, max(open_, key=lambda s: (want[s][t], cap[s], -names.index(s))))
    for i in order:
        if where[i] is None:
            open_ = [s for s in names if cap[s] > 0]
            put(i, max(open_, key=lambda s: (cap[s] / max(sizes[s], 1), -names.index(s))))
    out: dict[str, list[Record]] = {s: [] for s in names}
    for i, s in enumerate(where):  # keep input order inside each split
        assert s is not None
        out[s].append(records[i])
    return out


def split_records(sources: Sequence[Sequence[Record]], config: SplitConfig) -> SplitResult:
    unique, removed, groups = deduplicate(sources)
    splits = assign(unique, split_sizes(config, len(unique)), config.seed)
    all_types = {e.type for r in unique for e in r.entities}
    missing = {}
    for name, recs in splits.items():
        if name == "rest":
            continue
        absent = sorted(all_types - {e.type for r in recs for e in r.entities})
        if absent:
            missing[name] = absent
    return SplitResult(splits, removed, groups, missing)


def write_split(result: SplitResult, out_dir: str | os.PathLike, *, inputs: Sequence[str],
                config: SplitConfig, input_counts: Sequence[int]) -> dict:
    """Write ``<split>.jsonl``, ``duplicates.jsonl`` and ``manifest.json``; return the manifest."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    manifest: dict = {
        "config": {"train": config.train, "dev": config.dev, "test": config.test,
                   "seed": config.seed},
        "inputs": [{"path": str(p), "records": c, "sha256": sha256_file(p)
                    if Path(p).is_file() else None} for p, c in zip(inputs, input_counts)],
        "near_duplicate_rule": "equal after NFC, zero-width removal, case folding and removal "
                               "of whitespace, punctuation and symbols",
        "duplicates": {**duplicate_summary(result.groups), "removed": len(result.removed),
                       "removed_exact": sum(r["kind"] == "exact" for r in result.removed),
                       "removed_near": sum(r["kind"] == "near" for r in result.removed),
                       "file": "duplicates.jsonl"},
        "splits": {},
        "missing_types": result.missing_types,
    }
    write_json_lines(out / "duplicates.jsonl", result.removed)
    for name, recs in result.splits.items():
        path = out / f"{name}.jsonl"
        write_records(path, recs)
        manifest["splits"][name] = {
            "file": path.name, "sentences": len(recs),
            "entities": dict(sorted(Counter(e.type for r in recs for e in r.entities).items())),
            "sha256": sha256_file(path)}
    write_json(out / "manifest.json", manifest)
    return manifest

"""Reference, not a product feature: a score-average ensemble of models trained
with different seeds, to ask whether (c)'s gap is seed noise that averaging removes.

Each input is one model's predictions made with a low threshold (so most candidate
spans keep their ``meta.score``), e.g.

    kmner predict runs/supervised_diagnosis ../shared/data/gold/diagnosis/test.jsonl \
        -o runs/ensemble/test_b0.jsonl --types Disease,Body,Symptom --threshold 0.05 --no-span-filter

A span's ensemble score is the mean of its scores over the inputs (0 where a model
did not return it); spans at or above ``--threshold`` are kept, the most confident
first, without overlaps (the KBMC scheme is flat). The threshold is fixed before
scoring: the mean of the members' own dev-chosen thresholds.

    python bench/seed_ensemble.py runs/ensemble/test_b0.jsonl runs/ensemble/test_b1.jsonl \
        --threshold 0.375 -o runs/ensemble/ens_b.jsonl
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kmner.core.jsonl import load_records, write_records  # noqa: E402
from kmner.core.records import Entity, Record  # noqa: E402


def _score(entity: Entity) -> float:
    score = (entity.meta or {}).get("score")
    if score is None:
        raise ValueError(f"span {entity.text!r} has no meta.score: predict with kmner predict")
    return float(score)


def average_spans(members: list[list[Record]], threshold: float) -> list[Record]:
    """One record per record of the first member, with the mean-score spans kept."""
    others = [{r.id: r for r in m} for m in members[1:]]
    out: list[Record] = []
    for first in members[0]:
        records = [first] + [o[first.id] for o in others]
        mean: dict[tuple[int, int, str], float] = {}
        for record in records:
            for e in record.entities:
                mean[e.key] = mean.get(e.key, 0.0) + _score(e) / len(records)
        kept: list[tuple[int, int, str]] = []
        for key, score in sorted(mean.items(), key=lambda kv: (-kv[1], kv[0])):
            if score >= threshold and not any(key[0] < k[1] and k[0] < key[1] for k in kept):
                kept.append(key)
        entities = [Entity(t, first.text[s:e], s, e, meta={"score": round(mean[(s, e, t)], 4)})
                    for s, e, t in sorted(kept)]
        out.append(Record(first.id, first.text, entities))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("predictions", nargs="+", type=Path, help="prediction JSONL, one per model")
    ap.add_argument("--threshold", type=float, required=True, help="mean score a span needs")
    ap.add_argument("-o", "--output", type=Path, required=True)
    args = ap.parse_args(argv)
    if args.output in args.predictions:
        print(f"error: {args.output}: output is an input; choose another path", file=sys.stderr)
        return 1
    members = [load_records(p) for p in args.predictions]
    merged = average_spans(members, args.threshold)
    n = write_records(args.output, merged)
    print(f"wrote {n} records, {sum(len(r.entities) for r in merged)} spans to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

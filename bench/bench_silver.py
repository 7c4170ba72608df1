"""Silver pipeline benchmark (issue 2): throughput against Kiwi alone, peak RSS,
gazetteer build and load time, with a 500k-term gazetteer.

    python bench/bench_silver.py [--sentences 24000] [--terms 500000] [--threads 2]

Sentences: real text (../shared/data/raw, read in place, never copied) split into
sentences, topped up with clinical templates filled with gazetteer terms. Terms:
the bundled default gazetteer plus realistic compounds (modifier + disease, body
part + disease suffix) plus random words of 3-8 syllables drawn from the
syllables real terms use, to 500k.

The big gazetteer uses the bundled config's compose rules (heads, parts,
modifiers), so the silver side includes the composition layer.

Throughput is measured in one process on the same input, the same Kiwi instance
and the same thread count. The input is cut into chunks and each chunk is run by
Kiwi alone and by the silver pipeline back to back (order alternating), so load
from other processes hits both alike; the ratio is the sum of Kiwi-alone times
over the sum of silver times. Absolute numbers depend on that load; the ratio
much less.
The build runs in a child process so its memory does not count towards the
silver run's peak RSS (reported separately).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHARED = Path(os.environ.get("KMNER_SHARED_DATA", REPO.parent / "shared" / "data"))

MODIFIERS = ["급성", "만성", "재발성", "양측성", "선천성", "외상성", "감염성", "경증", "중증",
             "원발성", "이차성", "진행성", "비특이성", "소아", "노인성"]
SUFFIXES = ["염", "암", "통", "증", "종", "손상", "절제술", "이식", "출혈", "경색", "결석",
            "낭종", "부전", "마비", "협착"]
TEMPLATES = [
    "환자는 {d}(으)로 {t}을 처방받았다.",
    "{b} 부위에 {d} 소견이 있어 추가 검사를 시행하였다.",
    "{d} 진단 후 {t} 투여를 시작했고 경과 관찰 중이다.",
    "최근 {b}에 통증이 있고 {d}이 의심된다고 했다.",
    "{t} 복용 후 {d} 증상이 호전되었다.",
    "내원 당시 {b}의 부종과 {d}이 동반되어 입원하였다.",
    "{d} 병력이 있으며 현재 {t}을 하루 두 번 복용하고 있다.",
    "검사 결과 {b} 기능은 정상이었고 {d}의 재발은 없었다.",
]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def real_sentences() -> list[str]:
    out: list[str] = []
    notices = SHARED / "raw" / "hira_notices_text.txt"
    if notices.exists():
        for line in notices.read_text(encoding="utf-8").splitlines():
            out += re.split(r"(?<=[.!?])\s+", line.strip())
    desc = SHARED / "raw" / "disease_descriptions.json"
    if desc.exists():
        for item in json.loads(desc.read_text(encoding="utf-8")).values():
            for key in ("description", "tips"):
                out += re.split(r"(?<=[.!?])\s+", str(item.get(key, "")).strip())
    return [s for s in out if 10 <= len(s) <= 300]


def make_sentences(n: int, gaz, rng: random.Random) -> list[str]:
    from kmner.gazetteer.cleaning import has_hangul

    sents = real_sentences()
    by_type: dict[str, list[str]] = {}
    for surface, type_ in zip(gaz.surfaces, gaz.types):
        if has_hangul(surface) and len(surface) <= 12:
            by_type.setdefault(type_, []).append(surface)
    while len(sents) < n:
        tpl = rng.choice(TEMPLATES).replace("(으)로", "으로")
        sents.append(tpl.format(d=rng.choice(by_type["Disease"]), b=rng.choice(by_type["Body"]),
                                t=rng.choice(by_type.get("Treatment", by_type["Disease"]))))
    rng.shuffle(sents)
    return sents[:n]


def make_terms(n: int, gaz, rng: random.Random) -> list[tuple[str, str]]:
    terms = list(zip(gaz.surfaces, gaz.types))
    seen = {t for t, _ in terms}
    diseases = [s for s, t in terms if t == "Disease" and len(s) <= 8]
    bodies = [s for s, t in terms if t == "Body" and len(s) <= 6]
    target_compounds = min(n // 5, 60_000)
    attempts = 0
    while len(terms) < len(gaz) + target_compounds and attempts < 20 * target_compounds:
        attempts += 1
        if rng.random() < 0.5:
            t = (f"{rng.choice(MODIFIERS)} {rng.choice(diseases)}", "Disease")
        else:
            suf = rng.choice(SUFFIXES)
            t = (rng.choice(bodies) + suf, "Treatment" if suf in ("절제술", "이식") else "Disease")
        if t[0] not in seen:
            seen.add(t[0])
            terms.append(t)
    # Random words drawn from the syllables real terms use (about 1,500 of the
    # 11,172 possible), so the automaton sees a realistic alphabet.
    syllables = [c for s, _ in terms for c in s if "가" <= c <= "힣"]
    while len(terms) < n:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(3, 8)))
        if word not in seen:
            seen.add(word)
            terms.append((word, rng.choice(["Disease", "Body", "Treatment"])))
    return terms


def build_phase(table: Path, out: Path) -> None:
    """Child process: build and save, print timings and RSS as JSON."""
    from kmner.gazetteer.compiled import build_gazetteer
    from kmner.gazetteer.config import load_gazetteer_config, table_config
    from kmner.gazetteer.default import DEFAULT_CONFIG

    t0 = time.perf_counter()
    cfg = table_config(table)
    # the bundled compose rules, so the silver run pays for composition as it does
    # with the bundled gazetteer
    cfg.compose = load_gazetteer_config(DEFAULT_CONFIG).compose
    gaz = build_gazetteer(cfg)
    t_build = time.perf_counter() - t0
    gaz.save(out)
    print(json.dumps({"build_seconds": t_build, "save_seconds": time.perf_counter() - t0 - t_build,
                      "terms": len(gaz), "build_peak_rss_mb": rss_mb(),
                      "file_mb": out.stat().st_size / 2**20}))


def kiwi_alone(kiwi, sentences: list[str]) -> tuple[float, float]:
    """(wall seconds, process CPU seconds incl. Kiwi's worker threads)."""
    t0, c0 = time.perf_counter(), time.process_time()
    n = 0
    for _ in kiwi.tokenize(sentences):
        n += 1
    assert n == len(sentences)
    return time.perf_counter() - t0, time.process_time() - c0


def silver_alone(cfg, gaz) -> tuple[float, float, object]:
    from kmner.silver.pipeline import run_silver

    t0, c0 = time.perf_counter(), time.process_time()
    summary = run_silver(cfg, progress=False, gazetteer=gaz)
    return time.perf_counter() - t0, time.process_time() - c0, summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sentences", type=int, default=24_000)
    ap.add_argument("--terms", type=int, default=500_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--chunks", type=int, default=6)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "silver.json")
    ap.add_argument("--build-phase", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.build_phase:
        build_phase(*args.build_phase)
        return

    from kmner.core.jsonl import write_json
    from kmner.core.morph import get_kiwi
    from kmner.core.runinfo import environment
    from kmner.gazetteer.compiled import CompiledGazetteer
    from kmner.gazetteer.default import default_gazetteer_path
    from kmner.silver.pipeline import SilverConfig

    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="kmner-bench-"))
    default = CompiledGazetteer.load(default_gazetteer_path())
    sentences = make_sentences(args.sentences, default, rng)
    terms = make_terms(args.terms, default, rng)
    table = work / "terms.tsv"
    with open(table, "w", encoding="utf-8") as fh:
        fh.write("term\ttype\n")
        fh.writelines(f"{t}\t{ty}\n" for t, ty in terms)
    (work / "input.txt").write_text("\n".join(sentences) + "\n", encoding="utf-8")
    del default, terms

    child = subprocess.run([sys.executable, __file__, "--build-phase", str(table),
                            str(work / "big.gaz")], capture_output=True, text=True, check=True)
    build = json.loads(child.stdout.strip().splitlines()[-1])

    t0 = time.perf_counter()
    gaz = CompiledGazetteer.load(work / "big.gaz")
    load_seconds = time.perf_counter() - t0
    rss_after_load = rss_mb()

    kiwi = get_kiwi(None, args.threads)
    kiwi_alone(kiwi, sentences[:500])  # warm up
    size = -(-len(sentences) // args.chunks)
    chunks = [sentences[i:i + size] for i in range(0, len(sentences), size)]
    rounds = []
    records = 0
    entities: dict[str, int] = {}
    for k, chunk in enumerate(chunks):
        path = work / f"chunk{k}.txt"
        path.write_text("\n".join(chunk) + "\n", encoding="utf-8")
        cfg = SilverConfig(inputs=[str(path)], output=str(work / f"silver{k}.jsonl"),
                           threads=args.threads)
        if k % 2 == 0:
            tk, ck = kiwi_alone(kiwi, chunk)
            ts, cs, summary = silver_alone(cfg, gaz)
        else:
            ts, cs, summary = silver_alone(cfg, gaz)
            tk, ck = kiwi_alone(kiwi, chunk)
        assert summary.balanced() and summary.units == len(chunk)
        records += summary.records
        for t, n in summary.entities.items():
            entities[t] = entities.get(t, 0) + n
        rounds.append({"sentences": len(chunk), "kiwi_seconds": tk, "silver_seconds": ts,
                       "kiwi_cpu_seconds": ck, "silver_cpu_seconds": cs, "ratio": tk / ts})
    kiwi_total = sum(r["kiwi_seconds"] for r in rounds)
    silver_total = sum(r["silver_seconds"] for r in rounds)
    result = {
        "sentences": len(sentences), "silver_output_records": records,
        "silver_entities": entities, "terms": build["terms"], "threads": args.threads,
        "kiwi_sents_per_s": len(sentences) / kiwi_total,
        "silver_sents_per_s": len(sentences) / silver_total,
        "ratio": kiwi_total / silver_total,
        "ratio_per_chunk": [round(r["ratio"], 3) for r in rounds],
        # CPU time (all threads) is far less sensitive to other processes than
        # wall time on a shared machine: the work each arm needs, compared.
        "ratio_cpu": sum(r["kiwi_cpu_seconds"] for r in rounds)
        / sum(r["silver_cpu_seconds"] for r in rounds),
        "build_seconds": build["build_seconds"], "build_peak_rss_mb": build["build_peak_rss_mb"],
        "compiled_file_mb": build["file_mb"], "load_seconds": load_seconds,
        "rss_after_load_mb": rss_after_load, "peak_rss_mb": rss_mb(),
        "chunks": rounds,
        "targets": {"ratio": 0.85, "peak_rss_mb": 1200, "build_seconds": 10, "load_seconds": 2},
        "machine": {**environment(), "processor": platform.processor(),
                    "loadavg_at_end": os.getloadavg()},
        "note": "input lines are sentences; silver splits them again by Kiwi's "
                "sentence positions, matches, and writes JSONL; Kiwi alone only tokenises",
    }
    shutil.rmtree(work, ignore_errors=True)
    write_json(args.out, result)
    print(f"sentences {len(sentences)}, terms {build['terms']}, threads {args.threads}, "
          f"chunks {len(rounds)}")
    print(f"Kiwi alone {result['kiwi_sents_per_s']:.0f} sent/s, silver "
          f"{result['silver_sents_per_s']:.0f} sent/s -> ratio {result['ratio']:.3f} "
          f"(target >= 0.85; per chunk {result['ratio_per_chunk']})")
    print(f"CPU-time ratio (Kiwi CPU / silver CPU, all threads): {result['ratio_cpu']:.3f}")
    print(f"peak RSS {result['peak_rss_mb']:.0f} MB (target <= 1200; build child "
          f"{build['build_peak_rss_mb']:.0f} MB)")
    print(f"build {build['build_seconds']:.2f} s (target <= 10), load {load_seconds:.2f} s "
          f"(target <= 2), file {build['file_mb']:.0f} MB")
    print(f"load average at end: {os.getloadavg()}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

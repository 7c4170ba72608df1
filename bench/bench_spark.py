"""`kmner silver run --engine spark --workers 2` against `kmner silver run` (issue 15).

    python bench/bench_spark.py [--sentences 20000] [--repeats 2]

The same input (sentences made as bench/bench_silver.py makes them: real text from
../shared/data read in place, topped up with templates filled with default
gazetteer terms; one sentence per line) goes through both commands as separate
processes, in alternating order, so that start-up (Python, Kiwi, the gazetteer;
for Spark also the JVM and its Python workers) counts. Wall time is the whole
command. Memory is sampled every 50 ms over the command's process tree: peak RSS
of the driver, the JVM and each Spark Python worker. The records of both runs are
compared by id (text and entities). Results go to bench/results/spark.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


def sample_tree(proc: psutil.Process, peaks: dict, cpu: dict, stop: threading.Event) -> None:
    """Peak RSS (MB) and CPU seconds (at the last sample) per process of the tree,
    with a role for each."""
    while not stop.is_set():
        try:
            procs = [proc] + proc.children(recursive=True)
        except psutil.Error:
            break
        for p in procs:
            try:
                rss = p.memory_info().rss / 2**20
                t = p.cpu_times()
                argv = p.cmdline()
            except psutil.Error:
                continue
            cmd = " ".join(argv)
            role = ("jvm" if argv and Path(argv[0]).name == "java" else
                    "python worker" if "pyspark.daemon" in cmd or "pyspark/daemon" in cmd
                    else "driver" if p.pid == proc.pid else "other")
            key = (role, p.pid)
            peaks[key] = max(peaks.get(key, 0.0), rss)
            cpu[key] = t.user + t.system
        stop.wait(0.05)


def timed(cmd: list[str], env: dict) -> dict:
    t0 = time.perf_counter()
    proc = psutil.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        text=True)
    peaks: dict = {}
    cpu: dict = {}
    stop = threading.Event()
    th = threading.Thread(target=sample_tree, args=(proc, peaks, cpu, stop), daemon=True)
    th.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    stop.set()
    th.join()
    if proc.returncode != 0:
        raise SystemExit(f"{cmd} failed:\n{err[-3000:]}")
    # Spark's daemon forks the workers: the daemon itself is also a "python worker"
    # process; the heaviest ones are the workers that hold Kiwi and the gazetteer.
    by_role: dict[str, list[float]] = {}
    cpu_role: dict[str, float] = {}
    for (role, pid), mb in peaks.items():
        by_role.setdefault(role, []).append(round(mb, 1))
        cpu_role[role] = round(cpu_role.get(role, 0.0) + cpu.get((role, pid), 0.0), 2)
    return {"wall_s": round(wall, 2), "cpu_s": round(sum(cpu_role.values()), 2),
            "cpu_s_by_role": cpu_role,
            "peak_rss_mb": {k: sorted(v, reverse=True) for k, v in by_role.items()},
            "stdout": out.strip().splitlines()[-6:]}


def compare(single: Path, folder: Path) -> dict:
    from kmner.core.jsonl import load_records

    a = {r.id: (r.text, [e.to_dict() for e in r.entities]) for r in
         load_records(single, allow_overlaps=True)}
    recs = load_records(folder, allow_overlaps=True)
    b = {r.id: (r.text, [e.to_dict() for e in r.entities]) for r in recs}
    return {"records_single": len(a), "records_spark": len(recs),
            "duplicate_ids_spark": len(recs) - len(b), "identical": a == b}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sentences", type=int, default=20000)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "spark.json"))
    args = ap.parse_args()

    from bench_silver import make_sentences

    from kmner.gazetteer.compiled import CompiledGazetteer
    from kmner.gazetteer.default import default_gazetteer_path

    gaz = CompiledGazetteer.load(default_gazetteer_path())
    sents = make_sentences(args.sentences, gaz, random.Random(15))
    tmp = Path(tempfile.mkdtemp(prefix="kmner-bench-spark-"))
    src = tmp / "sentences.txt"
    src.write_text("\n".join(sents) + "\n", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(REPO)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    base = [sys.executable, "-m", "kmner", "silver", "run", str(src)]
    cmds = {"single": base + ["-o", str(tmp / "single.jsonl"), "--threads",
                              str(args.workers), "--no-progress"],
            "spark": base + ["-o", str(tmp / "spark"), "--engine", "spark",
                             "--workers", str(args.workers)]}
    runs: dict[str, list[dict]] = {"single": [], "spark": []}
    for i in range(args.repeats):
        for name in (("single", "spark") if i % 2 == 0 else ("spark", "single")):
            r = timed(cmds[name], env)
            runs[name].append(r)
            print(f"{name}: {r['wall_s']:.1f}s wall, {r['cpu_s']:.1f} CPU-s "
                  f"{r['cpu_s_by_role']}; peak RSS MB {r['peak_rss_mb']}", flush=True)
    same = compare(tmp / "single.jsonl", tmp / "spark")
    wall = {k: statistics.median(r["wall_s"] for r in v) for k, v in runs.items()}
    cpu = {k: statistics.median(r["cpu_s"] for r in v) for k, v in runs.items()}
    manifest = json.loads((tmp / "spark" / "_kmner_manifest.json").read_text("utf-8"))
    result = {
        "sentences": args.sentences, "workers": args.workers, "repeats": args.repeats,
        "wall_s_median": wall, "ratio_spark_over_single": round(wall["spark"] / wall["single"], 3),
        "cpu_s_median": cpu, "cpu_ratio_spark_over_single": round(cpu["spark"] / cpu["single"], 3),
        "runs": runs, "same_records": same, "spark_manifest_counts": manifest["counts"],
        "spark_engine": manifest["engine"],
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(), "load_avg_at_end": os.getloadavg(),
                    "memory_gb": round(psutil.virtual_memory().total / 2**30, 1)},
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n",
                              encoding="utf-8")
    print(f"{args.sentences} sentences, local[{args.workers}] vs one process "
          f"({args.workers} Kiwi threads): spark {wall['spark']:.1f}s, single "
          f"{wall['single']:.1f}s (x{result['ratio_spark_over_single']:.2f}); CPU-s spark "
          f"{cpu['spark']:.1f}, single {cpu['single']:.1f} "
          f"(x{result['cpu_ratio_spark_over_single']:.2f}); "
          f"identical records: {same['identical']} ({same['records_spark']} records, "
          f"{same['duplicate_ids_spark']} duplicate ids); load average at end "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

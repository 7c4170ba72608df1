"""Benchmark: push 10,000 silver tasks with predictions to a real Label Studio
server and pull them back as gold.

    python bench/bench_labelstudio.py [--n 10000] [--url URL --api-key KEY]

Without --url a local server is started the way the tests start it (needs
KMNER_LABEL_STUDIO_BIN, .venv-ls or label-studio on PATH). Two pulls are timed:
the pushed project as is (10k tasks, no annotations yet) and a project whose 10k
tasks each carry one annotation (every prediction accepted, imported untimed), so
that the gold conversion runs on every task. push and pull run as ``kmner`` CLI processes, so the
times include start-up and the peak RSS is that process's own. Prints the figures
and writes bench/results/labelstudio.json. Targets: push <= 30 s, pull <= 30 s.
"""

from __future__ import annotations

import argparse
import copy
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kmner.core.jsonl import write_json  # noqa: E402
from kmner.core.records import Entity, Record  # noqa: E402
from kmner.core.runinfo import environment  # noqa: E402

TARGET_S = 30.0
_SENTENCES = [
    ("{n}번 환자는 당뇨병과 고혈압으로 내원하여 위 내시경을 시행하였다.",
     [("당뇨병", "Disease"), ("고혈압", "Disease"), ("위", "Body"), ("내시경", "Treatment")]),
    ("간 수치가 높아 {n}일 동안 아스피린 복용을 중단하고 두통을 관찰하였다.",
     [("간", "Body"), ("아스피린", "Treatment"), ("두통", "Disease")]),
    ("폐렴 의심 소견으로 흉부 촬영 후 항생제를 {n}회 투여하였다. 😷",
     [("폐렴", "Disease"), ("흉부", "Body"), ("항생제", "Treatment")]),
]


def silver(n: int) -> list[Record]:
    out = []
    for i in range(n):
        template, terms = _SENTENCES[i % len(_SENTENCES)]
        text = template.format(n=i)
        ents = []
        for surface, type_ in terms:
            s = text.index(surface)
            ents.append(Entity(type_, surface, s, s + len(surface),
                               {"term": surface, "score": round(0.5 + (i % 50) / 100, 2)}))
        out.append(Record(f"bench-{i}", text, ents))
    return out


def run_cli_measured(args: list[str]) -> tuple[float, float, str]:
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+", encoding="utf-8") as err:
        proc = subprocess.Popen([sys.executable, "-m", "kmner", *args], cwd=REPO,
                                stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read()
    if proc.returncode != 0:
        sys.exit(f"kmner {' '.join(args[:2])} failed:\n{text}")
    return seconds, usage.ru_maxrss / 1024, text  # KiB on Linux


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--batch-size", type=int, default=1000)
    ap.add_argument("--url")
    ap.add_argument("--api-key")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "labelstudio.json"))
    args = ap.parse_args()

    from kmner.core.jsonl import load_records, write_records
    from kmner.labelstudio.client import connect
    from kmner.data.ls_tasks import records_to_tasks

    records = silver(args.n)
    work = Path(tempfile.mkdtemp(prefix="kmner-bench-ls-"))
    silver_path = work / "silver.jsonl"
    write_records(silver_path, records)
    server_proc = None
    ls_version = None
    if args.url:
        url, key = args.url, args.api_key
    else:
        from tests import labelstudio_server as lss

        binary, how = lss.find_binary()
        if binary is None:
            sys.exit(f"error: {how}")
        ls_version = lss.installed_version(binary)
        data_dir = work / "data"
        template = lss.template_dir(binary, ls_version)
        if (template / "kmner-template-ready").exists():
            shutil.copytree(template, data_dir)
        else:
            data_dir.mkdir()
        server_proc, url = lss.start(binary, data_dir, work / "server.log",
                                     lss.COLD_START_TIMEOUT_S)
        key = lss.TOKEN
        print(f"started Label Studio {ls_version} at {url} (log {work / 'server.log'})")
    auth = ["--url", url, "--api-key", key]
    try:
        stamp = time.strftime("%H%M%S")
        push_s, push_rss, _ = run_cli_measured(
            ["ls", "push", str(silver_path), "--project", f"bench-push-{stamp}",
             "--batch-size", str(args.batch_size), "--no-progress", *auth])

        pull_unannotated_s, pull_unannotated_rss, err = run_cli_measured(
            ["ls", "pull", "--project", f"bench-push-{stamp}", "-o", str(work / "none.jsonl"),
             "--silver", str(silver_path), *auth])
        assert f"{args.n} unannotated" in err, err

        # Untimed set-up: a project whose tasks each carry one accepted annotation.
        conn = connect(url, key)
        tasks = list(records_to_tasks(records))
        for t in tasks:
            t["annotations"] = [{"result": copy.deepcopy(t["predictions"][0]["result"]),
                                 "lead_time": 5.0}]
        proj = conn.client.projects.create(
            title=f"bench-pull-{stamp}",
            label_config=conn.client.projects.list(title=f"bench-push-{stamp}").items[0]
            .label_config)
        for i in range(0, len(tasks), args.batch_size):
            conn.client.projects.import_tasks(id=proj.id, request=tasks[i:i + args.batch_size])
        del tasks

        gold_path = work / "gold.jsonl"
        pull_s, pull_rss, err = run_cli_measured(
            ["ls", "pull", "--project", str(proj.id), "-o", str(gold_path), "--silver",
             str(silver_path), *auth])
        gold = load_records(gold_path)
        identical = [(g.id, g.text, [e.key for e in g.entities]) for g in gold] == \
            [(r.id, r.text, [e.key for e in r.entities]) for r in records]
    finally:
        if server_proc is not None:
            lss.stop(server_proc)
        shutil.rmtree(work, ignore_errors=True)

    figures = {
        "tasks": args.n, "entities": sum(len(r.entities) for r in records),
        "batch_size": args.batch_size,
        "push_s": round(push_s, 2),
        "pull_s": round(pull_s, 2),
        "pull_unannotated_s": round(pull_unannotated_s, 2),
        "gold_identical_to_silver": identical,
        "client_peak_rss_mib": {"push": round(push_rss, 1), "pull": round(pull_rss, 1),
                                "pull_unannotated": round(pull_unannotated_rss, 1)},
        "timing": "wall time of the kmner CLI process, start-up included",
        "targets_s": {"push": TARGET_S, "pull": TARGET_S},
        "meets_targets": push_s <= TARGET_S and pull_s <= TARGET_S,
        "label_studio": ls_version, "server": url if args.url else "local dev server (started "
                                                                    "by the benchmark)",
        "machine": environment(),
        "load_average_at_end": os.getloadavg(),
        "note": "Label Studio's server runs on the same shared 2-core machine as the client "
                "and other jobs; expect large run-to-run noise.",
    }
    print(f"push {args.n} tasks: {push_s:.1f} s, client peak RSS {push_rss:.0f} MiB "
          f"(target {TARGET_S:.0f} s)")
    print(f"pull {args.n} annotated tasks -> gold: {pull_s:.1f} s, client peak RSS "
          f"{pull_rss:.0f} MiB (target {TARGET_S:.0f} s); identical to silver: {identical}")
    print(f"pull {args.n} unannotated tasks: {pull_unannotated_s:.1f} s, client peak RSS "
          f"{pull_unannotated_rss:.0f} MiB")
    write_json(args.out, figures)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

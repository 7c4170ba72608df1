"""Benchmark: push 10,000 silver tasks with predictions to a real Label Studio
server and pull them back as gold.

    python bench/bench_labelstudio.py [--n 10000] [--url URL --api-key KEY]

Without --url a local server is started the way the tests start it (needs
KMNER_LABEL_STUDIO_BIN, .venv-ls or label-studio on PATH). Two pulls are timed:
the pushed project as is (10k tasks, no annotations yet) and a project whose 10k
tasks each carry one annotation (every prediction accepted, imported untimed), so
that the gold conversion runs on every task. Prints the figures and writes
bench/results/labelstudio.json. Targets: push <= 30 s, pull <= 30 s.
"""

from __future__ import annotations

import argparse
import copy
import json
import resource
import sys
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


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--batch-size", type=int, default=1000)
    ap.add_argument("--url")
    ap.add_argument("--api-key")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "labelstudio.json"))
    args = ap.parse_args()

    from kmner.labelstudio.client import connect, pull, push
    from kmner.labelstudio.gold import import_export
    from kmner.labelstudio.tasks import records_to_tasks

    records = silver(args.n)
    server_proc = None
    ls_version = None
    if args.url:
        url, key = args.url, args.api_key
    else:
        import tempfile

        from tests import labelstudio_server as lss

        binary, how = lss.find_binary()
        if binary is None:
            sys.exit(f"error: {how}")
        ls_version = lss.installed_version(binary)
        tmp = Path(tempfile.mkdtemp(prefix="kmner-bench-ls-"))
        data_dir = tmp / "data"
        template = lss.template_dir(binary, ls_version)
        if (template / "kmner-template-ready").exists():
            import shutil

            shutil.copytree(template, data_dir)
        else:
            data_dir.mkdir()
        server_proc, url = lss.start(binary, data_dir, tmp / "server.log",
                                     lss.COLD_START_TIMEOUT_S)
        key = lss.TOKEN
        print(f"started Label Studio {ls_version} at {url} (log {tmp / 'server.log'})")
    rss_before = peak_rss_mb()
    try:
        conn = connect(url, key)
        stamp = time.strftime("%H%M%S")

        t0 = time.perf_counter()
        summary = push(records, conn, f"bench-push-{stamp}", batch_size=args.batch_size)
        push_s = time.perf_counter() - t0
        rss_push = peak_rss_mb()
        assert summary.pushed == args.n, summary

        t0 = time.perf_counter()
        result = pull(conn, f"bench-push-{stamp}")
        gold, counts = import_export(result.tasks, types=result.types, silver=records)
        pull_unannotated_s = time.perf_counter() - t0
        assert counts.tasks == args.n and counts.unannotated == args.n, counts.to_dict()
        del result, gold

        # Untimed set-up: a project whose tasks each carry one accepted annotation.
        tasks = list(records_to_tasks(records))
        for t in tasks:
            t["annotations"] = [{"result": copy.deepcopy(t["predictions"][0]["result"]),
                                 "lead_time": 5.0}]
        proj = conn.client.projects.create(title=f"bench-pull-{stamp}",
                                           label_config=_config(conn, summary.project_id))
        for i in range(0, len(tasks), args.batch_size):
            conn.client.projects.import_tasks(id=proj.id, request=tasks[i:i + args.batch_size])
        del tasks

        t0 = time.perf_counter()
        result = pull(conn, str(proj.id))
        t1 = time.perf_counter()
        gold, counts = import_export(result.tasks, types=result.types, silver=records)
        pull_s = time.perf_counter() - t0
        pull_convert_s = time.perf_counter() - t1
        assert counts.gold == args.n and counts.rejected == 0, counts.to_dict()
        identical = [(g.id, g.text, [e.key for e in g.entities]) for g in gold] == \
            [(r.id, r.text, [e.key for e in r.entities]) for r in records]
        del result, gold

        # The same unannotated pull again, to separate first-export costs on the
        # server from the cost of the export itself.
        t0 = time.perf_counter()
        result = pull(conn, f"bench-push-{stamp}")
        import_export(result.tasks, types=result.types, silver=records)
        pull_unannotated_again_s = time.perf_counter() - t0
        rss_end = peak_rss_mb()
    finally:
        if server_proc is not None:
            lss.stop(server_proc)

    figures = {
        "tasks": args.n, "entities": sum(len(r.entities) for r in records),
        "batch_size": args.batch_size,
        "push_s": round(push_s, 2),
        "pull_s": round(pull_s, 2),
        "pull_of_which_gold_conversion_s": round(pull_convert_s, 2),
        "pull_unannotated_s": round(pull_unannotated_s, 2),
        "pull_unannotated_again_s": round(pull_unannotated_again_s, 2),
        "gold_identical_to_silver": identical,
        "client_peak_rss_mb": {"before_push": round(rss_before, 1),
                               "after_push": round(rss_push, 1), "end": round(rss_end, 1)},
        "targets_s": {"push": TARGET_S, "pull": TARGET_S},
        "meets_targets": push_s <= TARGET_S and pull_s <= TARGET_S,
        "label_studio": ls_version, "server": url if args.url else "local dev server (started "
                                                                    "by the benchmark)",
        "machine": environment(),
        "note": "Label Studio's server runs on the same shared 2-core machine as the client "
                "and other jobs; expect +-30% run to run.",
    }
    print(f"push {args.n} tasks: {push_s:.1f} s (target {TARGET_S:.0f} s)")
    print(f"pull {args.n} annotated tasks -> gold: {pull_s:.1f} s (target {TARGET_S:.0f} s); "
          f"of which {pull_convert_s:.1f} s turning the export into gold; identical to "
          f"silver: {identical}")
    print(f"pull {args.n} unannotated tasks: {pull_unannotated_s:.1f} s, again at the end: "
          f"{pull_unannotated_again_s:.1f} s")
    print(f"client peak RSS: {rss_end:.0f} MiB")
    write_json(args.out, figures)
    print(f"wrote {args.out}")


def _config(conn, project_id: int) -> str:
    return conn.client.projects.get(id=project_id).label_config


if __name__ == "__main__":
    main()

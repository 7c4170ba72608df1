"""Writing report directories: metrics.json, report.md, report.html and run.yaml
for one evaluation or one comparison. The renderers only render; this module
only writes what they return."""

from __future__ import annotations

import os
from pathlib import Path

from kmner.core.jsonl import atomic_write, write_json
from kmner.core.runinfo import write_run_info
from kmner.evaluation.comparison import Comparison
from kmner.evaluation.render_html import comparison_html, evaluation_html
from kmner.evaluation.render_md import comparison_markdown, evaluation_markdown
from kmner.evaluation.results import Evaluation


def write_reports(out_dir: str | os.PathLike, metrics: dict, markdown: str, html: str
                  ) -> dict[str, Path]:
    """Write metrics.json, report.md and report.html into ``out_dir`` (created)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"metrics": out / "metrics.json", "markdown": out / "report.md",
             "html": out / "report.html"}
    write_json(paths["metrics"], metrics)
    with atomic_write(paths["markdown"]) as fh:
        fh.write(markdown)
    with atomic_write(paths["html"]) as fh:
        fh.write(html)
    return paths


def write_evaluation(ev: Evaluation, out_dir: str | os.PathLike, *,
                     command: str = "kmner evaluate") -> dict[str, Path]:
    """Write metrics.json, report.md, report.html and run.yaml into ``out_dir``."""
    paths = write_reports(out_dir, ev.to_dict(), evaluation_markdown(ev), evaluation_html(ev))
    paths["run"] = write_run_info(Path(out_dir), command=command, config=ev.config,
                                  seed=ev.config.seed, extra={"inputs": ev.inputs})
    return paths


def write_comparison(cmp: Comparison, out_dir: str | os.PathLike) -> dict[str, Path]:
    """Write metrics.json, report.md, report.html and run.yaml into ``out_dir``."""
    paths = write_reports(out_dir, cmp.to_dict(), comparison_markdown(cmp), comparison_html(cmp))
    paths["run"] = write_run_info(Path(out_dir), command="kmner compare", seed=cmp.seed,
                                  config={"n_resamples": cmp.n_resamples,
                                          "n_permutations": cmp.n_permutations,
                                          "confidence": cmp.confidence,
                                          "systems": {s.name: s.source for s in cmp.systems}})
    return paths

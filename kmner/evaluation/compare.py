"""Before/after comparison of systems scored on the same test set, from
predictions or from saved ``kmner evaluate`` reports, written as a report
directory (deltas, their CIs and a paired significance test).

The first system is the baseline; the comparison itself is comparison.py.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

from kmner.core.records import Record
from kmner.evaluation.comparison import (Comparison, SystemResult, compare_systems,
                                         system_from_evaluation, system_from_report)
from kmner.evaluation.config import EvaluationConfig, resolve_config
from kmner.evaluation.evaluate import evaluate
from kmner.evaluation.report import write_comparison, write_evaluation

__all__ = ["Comparison", "SystemResult", "compare_systems", "system_from_evaluation",
           "system_from_report", "compare_to_dir", "compare_reports_to_dir"]


def compare_to_dir(gold: Sequence[Record], preds: dict[str, list[Record]],
                   out_dir: str | os.PathLike, *, label_map: Any = None, seed: int = 0,
                   title: str | None = None, config: EvaluationConfig | None = None,
                   gold_name: str = "gold", sources: dict[str, str] | None = None,
                   allow_new_types: bool | None = None) -> Comparison:
    """Evaluate each prediction set (first = baseline) against ``gold``, write each
    full report under ``out_dir/systems/<name>/`` and the comparison into ``out_dir``."""
    config = resolve_config(config, label_map=label_map, seed=seed,
                            allow_new_types=allow_new_types)
    systems = []
    out = Path(out_dir)
    for name, pred in preds.items():
        src = (sources or {}).get(name, name)
        ev = evaluate(gold, pred, config, title=f"{title or 'Evaluation'}: {name}",
                      gold_name=gold_name, pred_name=src)
        write_evaluation(ev, out / "systems" / _safe(name))
        systems.append(system_from_evaluation(name, ev, src))
    cmp = compare_systems(systems, seed=seed, n_resamples=config.n_resamples,
                          n_permutations=config.n_permutations, title=title,
                          confidence=config.confidence)
    cmp.extra["system_reports"] = {s.name: f"systems/{_safe(s.name)}/report.html"
                                   for s in systems}
    write_comparison(cmp, out)
    return cmp


def compare_reports_to_dir(report_dirs: Sequence[str | os.PathLike], out_dir: str | os.PathLike,
                           *, names: Sequence[str] | None = None, seed: int = 0,
                           n_permutations: int = 10000, n_resamples: int = 1000,
                           title: str | None = None, confidence: float = 0.95) -> Comparison:
    """Compare saved ``kmner evaluate`` reports (first = baseline)."""
    names = list(names or [])
    systems = [system_from_report(d, names[i] if i < len(names) else None)
               for i, d in enumerate(report_dirs)]
    if len({s.name for s in systems}) < len(systems) and not names:
        # runs/a/report vs runs/b/report: fall back to the last two path parts.
        for s, d in zip(systems, report_dirs):
            s.name = "/".join(Path(d).resolve().parts[-2:])
    cmp = compare_systems(systems, seed=seed, n_resamples=n_resamples,
                          n_permutations=n_permutations, title=title, confidence=confidence)
    write_comparison(cmp, out_dir)
    return cmp


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "system"

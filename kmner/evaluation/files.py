"""`kmner evaluate` and `kmner compare` as library calls on file paths: read the
records, settle the configuration and the threshold, evaluate or compare, and
write the report directory. The commands only parse flags and print."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from kmner.core.errors import InputError
from kmner.core.jsonl import load_records
from kmner.core.paths import check_outputs
from kmner.core.records import Record
from kmner.core.runinfo import load_config
from kmner.evaluation.compare import compare_reports_to_dir, compare_to_dir
from kmner.evaluation.comparison import Comparison
from kmner.evaluation.config import EvaluationConfig
from kmner.evaluation.evaluate import choose_threshold_on_dev, evaluate
from kmner.evaluation.report import write_evaluation
from kmner.evaluation.results import Evaluation
from kmner.evaluation.threshold import ThresholdChoice


def load_side(path: str | os.PathLike, what: str) -> list[Record]:
    """Records of one side of an evaluation; an empty file is an error."""
    records = load_records(path, allow_overlaps=True)
    if not records:
        raise InputError(f"{what} file has no records (empty file?)", path=str(path))
    return records


def check_report_dir(output: Path, inputs: Sequence) -> None:
    """The report directory is safe to write (checked before any work)."""
    check_outputs(inputs=inputs, dirs=[output],
                  dir_files=["metrics.json", "report.md", "report.html", "report.png"])


def evaluation_config(path: str | os.PathLike | None = None, *, seed: int | None = None,
                      n_resamples: int | None = None, allow_new_types: bool = False,
                      label_map: str | None = None) -> EvaluationConfig:
    """EvaluationConfig from a YAML/TOML file (or the defaults), with the given
    values overriding the file's."""
    config = load_config(EvaluationConfig, path) if path else EvaluationConfig()
    if seed is not None:
        config.seed = seed
    if n_resamples is not None:
        config.n_resamples = n_resamples
    config.allow_new_types = allow_new_types or config.allow_new_types
    if label_map is not None:
        config.label_map = label_map
    return config


@dataclass
class EvaluationRun:
    evaluation: Evaluation
    threshold: ThresholdChoice | None  # chosen on the dev set, when one was given


def evaluate_files(gold: Path, pred: Path, output: Path, config: EvaluationConfig, *,
                   threshold: float | None = None, dev_gold: Path | None = None,
                   dev_pred: Path | None = None, title: str | None = None,
                   inputs: Sequence[Path | None] = ()) -> EvaluationRun:
    """Evaluate ``pred`` against ``gold`` and write the report into ``output``.
    The confidence threshold is ``threshold``, or the best-F1 one on the dev
    set (``dev_gold`` with ``dev_pred``), or none. ``inputs``: other files read
    (the config), which the report must not overwrite."""
    if (dev_gold is None) != (dev_pred is None):
        raise InputError("--dev-gold and --dev-pred go together")
    if dev_gold is not None and threshold is not None:
        raise InputError("give either --threshold or --dev-gold/--dev-pred, not both")
    check_report_dir(output, [gold, pred, dev_gold, dev_pred, *inputs])
    gold_records = load_side(gold, "gold")
    pred_records = load_side(pred, "prediction")
    choice = None
    if dev_gold is not None:
        choice = choose_threshold_on_dev(load_side(dev_gold, "dev gold"),
                                         load_side(dev_pred, "dev prediction"),
                                         label_map=config.label_map, test_gold=gold_records,
                                         gold_name=str(dev_gold), pred_name=str(dev_pred))
        config.threshold = choice.threshold
        config.threshold_source = f"best dev F1 {choice.dev_f1:.3f} on {dev_gold}"
    elif threshold is not None:
        config.threshold = threshold
        config.threshold_source = "given with --threshold"
    ev = evaluate(gold_records, pred_records, config, title=title, gold_name=str(gold),
                  pred_name=str(pred))
    write_evaluation(ev, output)
    return EvaluationRun(ev, choice)


def compare_files(output: Path, *, reports: Sequence[Path] = (), gold: Path | None = None,
                  preds: Sequence[Path] = (), names: Sequence[str] = (),
                  config: EvaluationConfig | None = None, title: str | None = None
                  ) -> Comparison:
    """Compare saved report directories, or ``preds`` scored against ``gold`` (the
    first is the baseline), and write the comparison into ``output``."""
    config = config or EvaluationConfig()
    reports, preds, names = list(reports), list(preds), list(names)
    check_report_dir(output, [*reports, *(r / "metrics.json" for r in reports), gold, *preds])
    if reports and (gold or preds):
        raise InputError("give report directories, or --gold with --pred files, not both")
    if reports:
        if len(reports) < 2:
            raise InputError("kmner compare needs two report directories (or --gold/--pred)")
        return compare_reports_to_dir(reports, output, names=names, seed=config.seed,
                                      n_permutations=config.n_permutations,
                                      n_resamples=config.n_resamples, title=title,
                                      confidence=config.confidence)
    if gold is None or len(preds) < 2:
        raise InputError("kmner compare needs --gold and at least two --pred files "
                         "(or two report directories)")
    if names and len(names) != len(preds):
        raise InputError(f"{len(names)} --name for {len(preds)} --pred files")
    names = names or [p.stem for p in preds]
    if len(set(names)) != len(names):
        names = [f"{i + 1}:{n}" for i, n in enumerate(names)]
    systems = {n: load_side(p, "prediction") for n, p in zip(names, preds)}
    return compare_to_dir(load_side(gold, "gold"), systems, output, seed=config.seed,
                          title=title, config=config, gold_name=str(gold),
                          sources={n: str(p) for n, p in zip(names, preds)})

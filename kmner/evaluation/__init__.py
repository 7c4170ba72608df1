"""Scoring span predictions against gold records: one trusted implementation used
by ``kmner evaluate``, ``kmner compare``, ``kmner silver eval``, ``kmner ls diff``
and training.

Light names are imported eagerly; the report machinery loads on first use."""

from kmner.evaluation.scoring import PRF, Scores, align_records, score_records

__all__ = ["PRF", "Scores", "align_records", "score_records", "evaluate", "evaluate_to_dir",
           "compare_to_dir", "EvaluationConfig", "bootstrap_ci", "choose_threshold",
           "apply_threshold"]

_LAZY = {
    "evaluate": "kmner.evaluation.evaluate",
    "evaluate_to_dir": "kmner.evaluation.evaluate",
    "EvaluationConfig": "kmner.evaluation.evaluate",
    "compare_to_dir": "kmner.evaluation.compare",
    "bootstrap_ci": "kmner.evaluation.bootstrap",
    "choose_threshold": "kmner.evaluation.threshold",
    "apply_threshold": "kmner.evaluation.threshold",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'kmner.evaluation' has no attribute {name!r}")

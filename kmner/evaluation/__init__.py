"""Scoring span predictions against gold records: one trusted implementation used
by ``kmner evaluate``, ``kmner silver eval``, ``kmner ls diff`` and training."""

from kmner.evaluation.scoring import PRF, Scores, align_records, score_records

__all__ = ["PRF", "Scores", "align_records", "score_records"]

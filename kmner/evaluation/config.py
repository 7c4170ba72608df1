"""Settings of one evaluation (saved in metrics.json and run.yaml), and how a
call's explicit arguments override them."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from kmner.core.labelmap import LabelMap


@dataclass
class EvaluationConfig:
    """Settings of one evaluation; saved in metrics.json and run.yaml."""

    RANGES: ClassVar[dict] = {"n_resamples": (1, 100_000), "n_permutations": (1, 1_000_000),
                              "confidence": (0.5, 0.999), "threshold": (0, 1),
                              "top_k": (0, None), "context_width": (0, None),
                              "max_example_sentences": (0, None)}

    # Label map applied to gold and predictions before scoring: a preset name
    # ("kbmc"), "A=B,C=" (C dropped), a YAML/JSON file, or a dict. None = no map.
    label_map: Any = None
    # Seed of every bootstrap and permutation draw; same seed, same intervals.
    seed: int = 0
    # Sentence bootstrap resamples behind each confidence interval.
    n_resamples: int = 1000
    # Permutations of the paired significance test (kmner compare).
    n_permutations: int = 10000
    # Confidence level of every interval.
    confidence: float = 0.95
    # Accept predicted types that never occur in gold (else an error).
    allow_new_types: bool = False
    # Keep only predictions with confidence >= threshold (chosen on a dev set).
    threshold: float | None = None
    # Where the threshold came from, e.g. "dev: dev.jsonl" (reported only).
    threshold_source: str | None = None
    # How many of the most frequent false negatives/positives to list.
    top_k: int = 15
    # Characters of context either side of an error example.
    context_width: int = 20
    # Sentences shown with gold and predicted spans highlighted.
    max_example_sentences: int = 12


def resolve_config(config: EvaluationConfig | None, *, label_map, seed: int,
                   allow_new_types: bool | None) -> EvaluationConfig:
    """A copy of ``config`` (or the defaults) with the call's explicit overrides."""
    config = dataclasses.replace(config) if config else EvaluationConfig()
    if allow_new_types is not None:
        config.allow_new_types = allow_new_types
    if label_map is not None:
        config.label_map = label_map.mapping if isinstance(label_map, LabelMap) else label_map
    config.seed = seed
    return config

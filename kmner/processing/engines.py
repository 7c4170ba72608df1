"""``--engine spark`` for ``kmner silver run`` and ``kmner predict``: registered
with :mod:`kmner.core.engines`, because the silver and training commands cannot
import this package (it imports them). pyspark is still only loaded when a
runner runs."""

from __future__ import annotations

from typing import Any

from kmner.core import engines
from kmner.processing.predict import predict_cli
from kmner.processing.silver import SparkOptions, run_silver_spark
from kmner.silver.pipeline import SilverConfig, SilverSummary


def silver_run(cfg: SilverConfig, *, master: str | None, workers: int | None,
               file_format: str, task_cpus: int | None) -> SilverSummary:
    """``kmner silver run --engine spark``: the run's summary."""
    summary, _ = run_silver_spark(cfg, SparkOptions(master, workers, file_format,
                                                    task_cpus=task_cpus))
    return summary


def predict(args: dict[str, Any], thresholds: dict[str, float] | None) -> None:
    """``kmner predict --engine spark`` with the local command's options."""
    predict_cli(args, thresholds)


def register() -> None:
    engines.register("silver run", "spark", silver_run)
    engines.register("predict", "spark", predict)

"""`kmner evaluate` and `kmner compare`: parse the flags, call files.py (which
reads the records and writes the report directory) and print a summary."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from kmner.core.errors import finite
from kmner.evaluation.config import EvaluationConfig
from kmner.evaluation.console import console_comparison, console_summary
from kmner.evaluation.files import compare_files, evaluate_files, evaluation_config
from kmner.evaluation.screenshot import screenshot as screenshot_png


def _echo_warnings(warnings: list[str]) -> None:
    if warnings:
        typer.secho("!" * 72, fg=typer.colors.RED, err=True)
        typer.secho("WARNING: TEST SET TOO SMALL TO SUPPORT A CLAIM", fg=typer.colors.RED,
                    bold=True, err=True)
        for w in warnings:
            typer.secho(f"  - {w}", fg=typer.colors.RED, err=True)
        typer.secho("!" * 72, fg=typer.colors.RED, err=True)


def _screenshot(out_dir: Path) -> None:
    png = screenshot_png(out_dir / "report.html", out_dir / "report.png")
    typer.echo(f"screenshot: {png}")


def evaluate_command(
    gold: Path = typer.Option(..., "--gold", help="Gold records (JSONL)."),
    pred: Path = typer.Option(..., "--pred", help="Predicted records (JSONL), same ids and texts."),
    output: Path = typer.Option(..., "-o", "--output", help="Report directory to write."),
    label_map: Optional[str] = typer.Option(
        None, "--label-map", help="Type map for both sides: preset (kbmc), 'A=B,C=' or a file."),
    seed: Optional[int] = typer.Option(None, "--seed",
                                       help="Seed for bootstrap intervals [default: 0]."),
    allow_new_types: bool = typer.Option(
        False, "--allow-new-types", help="Count predicted types absent from gold as errors "
        "instead of stopping."),
    threshold: Optional[float] = typer.Option(
        None, "--threshold", callback=finite,
        help="Keep predictions with confidence >= this (chosen on dev)."),
    dev_gold: Optional[Path] = typer.Option(None, "--dev-gold",
                                            help="Dev gold to choose the threshold on."),
    dev_pred: Optional[Path] = typer.Option(None, "--dev-pred",
                                            help="Dev predictions with confidences."),
    n_resamples: Optional[int] = typer.Option(None, "--n-resamples", min=1, max=100_000,
                                              help="Bootstrap resamples [default: 1000]."),
    title: Optional[str] = typer.Option(None, "--title", help="Report title."),
    config_path: Optional[Path] = typer.Option(
        None, "--config", help="YAML/TOML with EvaluationConfig fields (flags override)."),
    screenshot: bool = typer.Option(False, "--screenshot",
                                    help="Also render report.html to report.png (chromium)."),
) -> None:
    """Score predictions against gold, with CIs and error analysis.

    Writes metrics.json, report.md and report.html (strict and lenient P/R/F1, per-type
    scores, recognition rate, confusion, boundary errors, PR curve) into OUTPUT."""
    config = evaluation_config(config_path, seed=seed, n_resamples=n_resamples,
                               allow_new_types=allow_new_types, label_map=label_map)
    run = evaluate_files(gold, pred, output, config, threshold=threshold, dev_gold=dev_gold,
                         dev_pred=dev_pred, title=title,
                         inputs=[config_path])
    if run.threshold is not None:
        typer.echo(f"threshold {run.threshold.threshold:g} chosen on {dev_gold} "
                   f"(dev F1 {run.threshold.dev_f1:.3f})")
    ev = run.evaluation
    typer.echo(console_summary(ev))
    for note in ev.notes:
        typer.secho(f"note: {note}", fg=typer.colors.YELLOW, err=True)
    _echo_warnings(ev.warnings)
    typer.echo(f"wrote {output}/metrics.json, report.md, report.html")
    if screenshot:
        _screenshot(output)


def compare_command(
    reports: Optional[List[Path]] = typer.Argument(
        None, help="Report directories from `kmner evaluate` (first = baseline)."),
    gold: Optional[Path] = typer.Option(None, "--gold", help="Gold records, with --pred."),
    pred: Optional[List[Path]] = typer.Option(
        None, "--pred", help="Prediction files, repeat (first = baseline)."),
    name: Optional[List[str]] = typer.Option(None, "--name", help="System names, in order."),
    output: Path = typer.Option(..., "-o", "--output", help="Report directory to write."),
    label_map: Optional[str] = typer.Option(None, "--label-map", help="Type map (with --gold)."),
    allow_new_types: bool = typer.Option(False, "--allow-new-types",
                                         help="Count predicted types absent from gold as "
                                         "errors instead of stopping."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap and permutations."),
    n_permutations: int = typer.Option(10000, "--n-permutations", min=1, max=1_000_000,
                                       help="Permutations of the significance test."),
    confidence: float = typer.Option(0.95, "--confidence", callback=finite, min=0.5,
                                     max=0.999,
                                     help="Confidence level of every interval."),
    title: Optional[str] = typer.Option(None, "--title", help="Report title."),
    screenshot: bool = typer.Option(False, "--screenshot",
                                    help="Also render report.html to report.png (chromium)."),
) -> None:
    """Before/after table with deltas, CIs and a paired significance test.

    Compares two `kmner evaluate` report directories, or --gold with two or more --pred
    files (the first is the baseline), and writes the same three artefacts."""
    config = EvaluationConfig(label_map=label_map, seed=seed, n_permutations=n_permutations,
                              allow_new_types=allow_new_types, confidence=confidence)
    cmp = compare_files(output, reports=reports or [], gold=gold, preds=pred or [],
                        names=name or [], config=config, title=title)
    typer.echo(console_comparison(cmp))
    _echo_warnings(cmp.warnings)
    typer.echo(f"wrote {output}/metrics.json, report.md, report.html")
    if screenshot:
        _screenshot(output)


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate_command)
    app.command("compare")(compare_command)

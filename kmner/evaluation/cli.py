"""`kmner evaluate` and `kmner compare`: thin wrappers over evaluate.py and
compare.py that read files, print a summary and write the report directory."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from kmner.core.errors import InputError


def _load(path: Path, what: str):
    from kmner.core.jsonl import load_records

    records = load_records(path, allow_overlaps=True)
    if not records:
        raise InputError(f"{what} file has no records (empty file?)", path=str(path))
    return records


def _echo_warnings(warnings: list[str]) -> None:
    if warnings:
        typer.secho("!" * 72, fg=typer.colors.RED, err=True)
        typer.secho("WARNING: TEST SET TOO SMALL TO SUPPORT A CLAIM", fg=typer.colors.RED,
                    bold=True, err=True)
        for w in warnings:
            typer.secho(f"  - {w}", fg=typer.colors.RED, err=True)
        typer.secho("!" * 72, fg=typer.colors.RED, err=True)


def _screenshot(out_dir: Path) -> None:
    from kmner.evaluation.screenshot import screenshot

    png = screenshot(out_dir / "report.html", out_dir / "report.png")
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
        None, "--threshold", help="Keep predictions with confidence >= this (chosen on dev)."),
    dev_gold: Optional[Path] = typer.Option(None, "--dev-gold",
                                            help="Dev gold to choose the threshold on."),
    dev_pred: Optional[Path] = typer.Option(None, "--dev-pred",
                                            help="Dev predictions with confidences."),
    n_resamples: Optional[int] = typer.Option(None, "--n-resamples",
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
    from kmner.core.runinfo import load_config
    from kmner.evaluation.evaluate import EvaluationConfig, choose_threshold_on_dev, evaluate
    from kmner.evaluation.report import write_evaluation
    from kmner.evaluation.console import console_summary

    config = load_config(EvaluationConfig, config_path) if config_path else EvaluationConfig()
    # Flags given on the command line override the config file.
    if seed is not None:
        config.seed = seed
    if n_resamples is not None:
        config.n_resamples = n_resamples
    config.allow_new_types = allow_new_types or config.allow_new_types
    if label_map is not None:
        config.label_map = label_map
    if (dev_gold is None) != (dev_pred is None):
        raise InputError("--dev-gold and --dev-pred go together")
    if dev_gold is not None and threshold is not None:
        raise InputError("give either --threshold or --dev-gold/--dev-pred, not both")
    gold_records = _load(gold, "gold")
    pred_records = _load(pred, "prediction")
    if dev_gold is not None:
        choice = choose_threshold_on_dev(_load(dev_gold, "dev gold"),
                                         _load(dev_pred, "dev prediction"),
                                         label_map=config.label_map, test_gold=gold_records,
                                         gold_name=str(dev_gold), pred_name=str(dev_pred))
        config.threshold = choice.threshold
        config.threshold_source = (f"best dev F1 {choice.dev_f1:.3f} on {dev_gold}")
        typer.echo(f"threshold {choice.threshold:g} chosen on {dev_gold} "
                   f"(dev F1 {choice.dev_f1:.3f})")
    elif threshold is not None:
        config.threshold = threshold
        config.threshold_source = "given with --threshold"
    ev = evaluate(gold_records, pred_records, config, title=title, gold_name=str(gold),
                  pred_name=str(pred))
    write_evaluation(ev, output)
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
    n_permutations: int = typer.Option(10000, "--n-permutations",
                                       help="Permutations of the significance test."),
    confidence: float = typer.Option(0.95, "--confidence",
                                     help="Confidence level of every interval."),
    title: Optional[str] = typer.Option(None, "--title", help="Report title."),
    screenshot: bool = typer.Option(False, "--screenshot",
                                    help="Also render report.html to report.png (chromium)."),
) -> None:
    """Before/after table with deltas, CIs and a paired significance test.

    Compares two `kmner evaluate` report directories, or --gold with two or more --pred
    files (the first is the baseline), and writes the same three artefacts."""
    from kmner.evaluation.compare import compare_reports_to_dir, compare_to_dir
    from kmner.evaluation.evaluate import EvaluationConfig
    from kmner.evaluation.console import console_comparison

    reports, pred, names = list(reports or []), list(pred or []), list(name or [])
    if reports and (gold or pred):
        raise InputError("give report directories, or --gold with --pred files, not both")
    if reports:
        if len(reports) < 2:
            raise InputError("kmner compare needs two report directories (or --gold/--pred)")
        cmp = compare_reports_to_dir(reports, output, names=names, seed=seed,
                                     n_permutations=n_permutations, title=title,
                                     confidence=confidence)
    else:
        if gold is None or len(pred) < 2:
            raise InputError("kmner compare needs --gold and at least two --pred files "
                             "(or two report directories)")
        if names and len(names) != len(pred):
            raise InputError(f"{len(names)} --name for {len(pred)} --pred files")
        names = names or [p.stem for p in pred]
        if len(set(names)) != len(names):
            names = [f"{i + 1}:{n}" for i, n in enumerate(names)]
        config = EvaluationConfig(label_map=label_map, seed=seed, n_permutations=n_permutations,
                                  allow_new_types=allow_new_types, confidence=confidence)
        gold_records = _load(gold, "gold")
        preds = {n: _load(p, "prediction") for n, p in zip(names, pred)}
        cmp = compare_to_dir(gold_records, preds, output, seed=seed, title=title, config=config,
                             gold_name=str(gold), sources={n: str(p) for n, p in zip(names, pred)})
    typer.echo(console_comparison(cmp))
    _echo_warnings(cmp.warnings)
    typer.echo(f"wrote {output}/metrics.json, report.md, report.html")
    if screenshot:
        _screenshot(output)


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate_command)
    app.command("compare")(compare_command)

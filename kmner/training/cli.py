"""CLI for the training stage: ``kmner train``, ``kmner predict``, ``kmner tokenize``,
``kmner model init`` and ``kmner experiment phase1|phase2``. Each command is a thin
wrapper over a function in this package; heavy imports stay inside them."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from kmner.training.encoder.cli import register_model_commands
from kmner.training.splitter import DEFAULT_SPLITTER

model_app = typer.Typer(help="Build and convert models.", no_args_is_help=True)
experiment_app = typer.Typer(help="End-to-end experiments with reports.", no_args_is_help=True)


def train_cmd(config: Path = typer.Argument(..., help="Training config (YAML or TOML)."),
              quiet: bool = typer.Option(False, "--quiet", help="No progress bar.")) -> None:
    """Train GLiNER2 (LoRA or full) with model selection on dev F1."""
    from kmner.core.runinfo import load_config
    from kmner.training.config import TrainConfig
    from kmner.training.train import run_training

    cfg = load_config(TrainConfig, config)
    run_training(cfg, progress=not quiet)


def predict_cmd(model: str = typer.Argument(..., help="Model folder, run folder, adapter or hub id."),
                input: Path = typer.Argument(..., help="JSONL records (text, id)."),
                output: Path = typer.Option(..., "-o", "--output", help="Predictions JSONL."),
                base: Optional[str] = typer.Option(None, help="Base model for an adapter."),
                types: Optional[str] = typer.Option(
                    None, help="Comma-separated types (default: the model's)."),
                threshold: Optional[float] = typer.Option(None, help="Default span threshold."),
                thresholds: Optional[str] = typer.Option(
                    None, help="Per-type thresholds, e.g. Disease=0.4,Body=0.6."),
                batch_size: int = typer.Option(16, help="Texts per forward pass."),
                chunk_words: int = typer.Option(200, help="Word tokens per chunk of long texts."),
                device: Optional[str] = typer.Option(None, help="cpu or cuda (default: cuda if any)."),
                precision: str = typer.Option("fp32", help="fp32, or bf16/fp16 autocast (faster)."),
                splitter: Optional[str] = typer.Option(
                    None, help="Override the word splitter (default: the model's own)."),
                no_kiwi: bool = typer.Option(False, "--no-kiwi",
                                             help="Use only token offsets stored in the input."),
                engine: str = typer.Option("local", help="local, or spark (OUT is a folder of "
                                                         "part files)."),
                workers: Optional[int] = typer.Option(None, help="Spark: local[N] cores."),
                master: Optional[str] = typer.Option(None, help="Spark master URL.")) -> None:
    """Predict entities with exact character offsets."""
    if engine != "local":
        from kmner.processing.predict import predict_cli

        return predict_cli(locals(), _parse_thresholds(thresholds))
    from kmner.core.jsonl import load_records, write_records
    from kmner.training.model import load_model
    from kmner.training.predict import PredictStats, predict_records
    from kmner.training.splitter import load_pretokenized

    loaded = load_model(model, base=base, device=device, splitter=splitter,
                        allow_kiwi=False if no_kiwi else None)
    records = load_records(input)
    load_pretokenized(loaded.splitter, records)
    type_map = None
    if types:
        names = [t.strip() for t in types.split(",") if t.strip()]
        type_map = {t: loaded.descriptions.get(t, "") for t in names}
    thr = _parse_thresholds(thresholds)
    stats = PredictStats()
    preds = predict_records(loaded, records, types=type_map, threshold=threshold, thresholds=thr,
                            batch_size=batch_size, chunk_words=chunk_words, progress=True,
                            stats=stats, precision=precision)
    n = write_records(output, preds)
    typer.echo(f"wrote {n} records, {sum(len(r.entities) for r in preds)} entities to {output}; "
               + stats.summary())


def tokenize_cmd(input: Path = typer.Argument(..., help="JSONL records."),
                 output: Path = typer.Option(..., "-o", "--output"),
                 splitter: str = typer.Option(DEFAULT_SPLITTER, help="Word splitter.")) -> None:
    """Store word-token offsets in the data, so GPU machines need no Kiwi."""
    from kmner.core.jsonl import load_records, write_records
    from kmner.training.splitter import KoreanWordSplitter, pretokenize

    recs = load_records(input)
    n = write_records(output, pretokenize(recs, KoreanWordSplitter(splitter)))
    typer.echo(f"tokenised {n} records with {splitter} -> {output}")


@model_app.command("init")
def model_init(encoder: str = typer.Option(..., help="Encoder directory or hub id."),
               output: Path = typer.Option(..., "-o", "--output", help="New GLiNER2 folder."),
               max_width: int = typer.Option(8, help="Longest span in word tokens."),
               splitter: str = typer.Option(DEFAULT_SPLITTER, help="Word splitter to record."),
               seed: int = typer.Option(0)) -> None:
    """Build a fresh GLiNER2 (random heads) on an encoder."""
    from kmner.training.model import build_base

    out = build_base(encoder, output, max_width=max_width, splitter=splitter, seed=seed)
    typer.echo(f"GLiNER2 base on {encoder} written to {out}")


@experiment_app.command("phase1")
def phase1_cmd(config: Path = typer.Argument(..., help="Phase 1 config (YAML/TOML).")) -> None:
    """Split gold 40/10, evaluate the base, train LoRA, evaluate, compare with CIs."""
    from kmner.core.runinfo import load_config
    from kmner.training.experiment import Phase1Config, run_phase1

    run_phase1(load_config(Phase1Config, config))


@experiment_app.command("phase2")
def phase2_cmd(config: Path = typer.Argument(..., help="Phase 2 config (YAML/TOML).")) -> None:
    """Silver -> train -> gold fine-tune, against gold-only and the gazetteer alone."""
    from kmner.core.runinfo import load_config
    from kmner.training.experiment import Phase2Config, run_phase2

    run_phase2(load_config(Phase2Config, config))


def register(app: typer.Typer) -> None:
    app.command("train")(train_cmd)
    app.command("predict")(predict_cmd)
    app.command("tokenize")(tokenize_cmd)
    register_model_commands(model_app)
    app.add_typer(model_app, name="model")
    app.add_typer(experiment_app, name="experiment")


def _parse_thresholds(spec: str | None) -> dict[str, float]:
    """``"Disease=0.4,Body=0.6"`` -> {type: threshold}; a malformed item is a ConfigError."""
    from kmner.core.errors import ConfigError

    out: dict[str, float] = {}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise ConfigError(f"--thresholds item {part.strip()!r} is not TYPE=NUMBER, "
                              "e.g. Disease=0.4,Body=0.6") from None
        if not sep or not name.strip():
            raise ConfigError(f"--thresholds item {part.strip()!r} is not TYPE=NUMBER")
    return out

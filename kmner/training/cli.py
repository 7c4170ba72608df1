"""CLI for the training stage: ``kmner train``, ``kmner predict``, ``kmner tokenize``,
``kmner model init`` and ``kmner experiment phase1|phase2``. Each command is a thin
wrapper over a function in this package; heavy imports stay inside them."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from kmner.core import engines
from kmner.core.errors import ConfigError, InputError, finite
from kmner.core.jsonl import load_records, write_json, write_records
from kmner.core.labelmap import LabelMap
from kmner.core.paths import check_outputs
from kmner.core.runinfo import load_config
from kmner.evaluation.specificity import type_specificity
from kmner.training.config import TrainConfig
from kmner.training.encoder.cli import register_model_commands
from kmner.training.ensemble import predict_ensemble
from kmner.training.experiment import Phase1Config, run_phase1
from kmner.training.phase2 import Phase2Config, run_phase2
from kmner.training.model import build_base, load_model
from kmner.training.predict import (MODEL, PredictStats, predict_each_type_alone,
                                    predict_records)
from kmner.training.pretrain import PretrainConfig, run_pretrain
from kmner.training.span_morphology import learn_span_morphology
from kmner.training.splitter import (DEFAULT_SPLITTER, KoreanWordSplitter, load_pretokenized,
                                     pretokenize)
from kmner.training.train import run_training

model_app = typer.Typer(help="Build and convert models.", no_args_is_help=True)
experiment_app = typer.Typer(help="End-to-end experiments with reports.", no_args_is_help=True)


SET_HELP = ("Override a config key, KEY=VALUE (repeatable; dotted keys reach nested ones: "
            "--set seed=1 --set output_dir=runs/seed1 --set data.dev_fraction=0.2).")


def set_option():
    """The ``--set KEY=VALUE`` option of every command that reads a run config."""
    return typer.Option(None, "--set", metavar="KEY=VALUE", help=SET_HELP)


def train_cmd(config: Path = typer.Argument(..., help="Training config (YAML or TOML)."),
              quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
              overrides: Optional[list[str]] = set_option()
              ) -> None:
    """Train GLiNER2 (LoRA or full) with model selection on dev F1."""
    cfg = load_config(TrainConfig, config, overrides or ())
    check_train_paths(cfg, str(config))
    run_training(cfg, progress=not quiet)


def _looks_local(ref: str) -> bool:
    """A model reference that can only be a local path (a hub id is ORG/NAME). An
    ORG/NAME whose ORG is a local folder (runs/b) is taken as a path too: offline,
    a typo there would otherwise end in minutes of hub retries."""
    return (ref.startswith(("/", ".", "~")) or ref.count("/") > 1 or "\\" in ref
            or (ref.count("/") == 1 and Path(ref.split("/")[0]).is_dir()))


def check_model_ref(where: str, ref: str) -> None:
    """A model reference that can only be a local path must exist."""
    if ref and _looks_local(ref) and not Path(ref).expanduser().exists():
        raise ConfigError(f"{where}: {ref!r} does not exist; give a local model folder "
                          "(e.g. from `kmner model fetch`) or a hub id ORG/NAME")


def check_train_paths(cfg, where: str) -> None:
    """Before any work: data files exist and a local base/encoder path exists."""
    for key, ref in (("base", cfg.base), ("encoder", cfg.encoder)):
        check_model_ref(f"{where}: {key}", ref)
    for key in ("train", "dev", "silver"):
        ref = getattr(cfg.data, key)
        if ref and not Path(ref).is_file():
            raise ConfigError(f"{where}: data.{key}: {ref!r} is not a file; check the path")


def predict_cmd(model: str = typer.Argument(..., help="Model folder, run folder, adapter or hub id."),
                input: Path = typer.Argument(..., help="JSONL records (text, id)."),
                output: Path = typer.Option(..., "-o", "--output", help="Predictions JSONL."),
                base: Optional[str] = typer.Option(None, help="Base model for an adapter."),
                types: Optional[str] = typer.Option(
                    None, help="Comma-separated types (default: the model's)."),
                threshold: Optional[float] = typer.Option(None, help="Default span threshold.",
                                                            callback=finite, min=0.0, max=1.0),
                thresholds: Optional[str] = typer.Option(
                    None, help="Per-type thresholds, e.g. Disease=0.4,Body=0.6."),
                batch_size: int = typer.Option(16, min=1, help="Texts per forward pass."),
                chunk_words: int = typer.Option(200, min=1,
                                                help="Word tokens per chunk of long texts."),
                device: Optional[str] = typer.Option(None, help="cpu or cuda (default: cuda if any)."),
                precision: str = typer.Option("fp32", help="fp32, or bf16/fp16 autocast (faster)."),
                splitter: Optional[str] = typer.Option(
                    None, help="Override the word splitter (default: the model's own)."),
                no_kiwi: bool = typer.Option(False, "--no-kiwi",
                                             help="Use only token offsets stored in the input."),
                engine: str = typer.Option("local", help="local, or spark (OUT is a folder of "
                                                         "part files)."),
                workers: Optional[int] = typer.Option(None, help="Spark: local[N] cores."),
                master: Optional[str] = typer.Option(None, help="Spark master URL."),
                span_filter_from: Optional[Path] = typer.Option(
                    None, help="Gold JSONL to learn span morphology from (instead of the "
                               "model's own): which Kiwi tags may start, fill and end an entity."),
                span_filter_min_count: Optional[int] = typer.Option(
                    None, min=1, help="With --span-filter-from: how many gold entities must "
                                      "show a tag in a place for it to pass (default 2)."),
                no_span_filter: bool = typer.Option(
                    False, "--no-span-filter", help="Keep spans whatever their morphemes."),
                ensemble_with: Optional[list[str]] = typer.Option(
                    None, help="Another model to average with (repeat): a span is kept by its "
                               "mean score over all models; the threshold defaults to the mean "
                               "of theirs.")) -> None:
    """Predict entities with exact character offsets."""
    if engine not in engines.ENGINES:
        raise typer.BadParameter(f"must be one of {', '.join(engines.ENGINES)}, got {engine!r}",
                                 param_hint="--engine")
    local = engine == "local"  # else OUT is a folder of part files
    models = [model] + list(ensemble_with or [])
    check_outputs(inputs=[input, *models] + ([span_filter_from] if span_filter_from else []),
                  files=[output] if local else [], dirs=[] if local else [output])
    for i, ref in enumerate(models):
        check_model_ref("model" if i == 0 else "--ensemble-with", ref)
    if base:
        check_model_ref("--base", base)
    if ensemble_with:
        _check_ensemble_options(local, thresholds, span_filter_from or span_filter_min_count)
    span_morphology = span_filter_choice(span_filter_from, span_filter_min_count, no_span_filter)
    if not local:
        return engines.runner("predict", engine)(locals(), _parse_thresholds(thresholds))
    _predict_local(models, input, output, base=base, device=device, splitter=splitter,
                   no_kiwi=no_kiwi, types=types, threshold=threshold,
                   thresholds=_parse_thresholds(thresholds), batch_size=batch_size,
                   chunk_words=chunk_words, precision=precision, span_morphology=span_morphology)


def _predict_local(models: list[str], input: Path, output: Path, *, base, device, splitter,
                   no_kiwi: bool, types: Optional[str], threshold: Optional[float], thresholds,
                   batch_size: int, chunk_words: int, precision: str, span_morphology) -> None:
    """One model's predictions, or with more than one their score-averaged ensemble."""
    loaded = [load_model(m, base=base, device=device, splitter=splitter,
                         allow_kiwi=False if no_kiwi else None) for m in models]
    records = load_records(input)
    for one in loaded:
        load_pretokenized(one.splitter, records)
    type_map = None
    if types:
        names = [t.strip() for t in types.split(",") if t.strip()]
        type_map = {t: loaded[0].descriptions.get(t, "") for t in names}
    stats = PredictStats()
    if len(loaded) > 1:
        preds = predict_ensemble(loaded, records, types=type_map, threshold=threshold,
                                 batch_size=batch_size, chunk_words=chunk_words, progress=True,
                                 stats=stats, precision=precision)
    else:
        preds = predict_records(loaded[0], records, types=type_map, threshold=threshold,
                                thresholds=thresholds, batch_size=batch_size,
                                chunk_words=chunk_words, progress=True, stats=stats,
                                precision=precision, span_morphology=span_morphology)
    n = write_records(output, preds)
    ensemble = f" (mean of {len(loaded)} models)" if len(loaded) > 1 else ""
    typer.echo(f"wrote {n} records, {sum(len(r.entities) for r in preds)} entities{ensemble} "
               f"to {output}; " + stats.summary())


def _check_ensemble_options(local: bool, thresholds: Optional[str], span_filter: object) -> None:
    """What an ensemble does not take: it averages every model's candidates itself."""
    if not local:
        raise typer.BadParameter("runs on the local engine only", param_hint="--ensemble-with")
    if thresholds:
        raise typer.BadParameter("an ensemble has one threshold (--threshold); drop --thresholds",
                                 param_hint="--ensemble-with")
    if span_filter:
        raise typer.BadParameter("an ensemble averages unfiltered candidates; drop "
                                 "--span-filter-from/--span-filter-min-count",
                                 param_hint="--ensemble-with")


def span_filter_choice(learn_from: Optional[Path], min_count: Optional[int], off: bool):
    """What ``--span-filter-from``/``--no-span-filter`` ask of ``predict_records``:
    counts learned from a gold file, none, or the model's own."""
    if off and (learn_from or min_count):
        raise typer.BadParameter("--no-span-filter turns the filter off; drop "
                                 "--span-filter-from/--span-filter-min-count or it",
                                 param_hint="--no-span-filter")
    if min_count and not learn_from:
        raise typer.BadParameter("applies to counts learned with --span-filter-from; pass "
                                 "that too", param_hint="--span-filter-min-count")
    if off:
        return None
    if not learn_from:
        return MODEL
    try:
        return learn_span_morphology(load_records(learn_from), min_count or 2)
    except ValueError as err:
        raise InputError(f"{err}; pass a gold file with entities", path=str(learn_from)) from None


def tokenize_cmd(input: Path = typer.Argument(..., help="JSONL records."),
                 output: Path = typer.Option(..., "-o", "--output"),
                 splitter: str = typer.Option(DEFAULT_SPLITTER, help="Word splitter.")) -> None:
    """Store word-token offsets in the data, so GPU machines need no Kiwi."""
    check_outputs(inputs=[input], files=[output])
    recs = load_records(input)
    n = write_records(output, pretokenize(recs, KoreanWordSplitter(splitter)))
    typer.echo(f"tokenised {n} records with {splitter} -> {output}")


@model_app.command("init")
def model_init(encoder: str = typer.Option(..., help="Encoder directory or hub id."),
               output: Path = typer.Option(..., "-o", "--output", help="New GLiNER2 folder."),
               max_width: int = typer.Option(8, min=1, help="Longest span in word tokens."),
               splitter: str = typer.Option(DEFAULT_SPLITTER, help="Word splitter to record."),
               seed: int = typer.Option(0)) -> None:
    """Build a fresh GLiNER2 (random heads) on an encoder."""
    out = build_base(encoder, output, max_width=max_width, splitter=splitter, seed=seed)
    typer.echo(f"GLiNER2 base on {encoder} written to {out}")


@model_app.command("pretrain")
def model_pretrain(config: Path = typer.Argument(..., help="Pretrain config (YAML/TOML)."),
                   quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
                   overrides: Optional[list[str]] = set_option()
                   ) -> None:
    """Build an offline Korean GLiNER2 base that reads the types it is asked for
    (many-type silver from your own text, general Korean NER, negative types)."""
    result = run_pretrain(load_config(PretrainConfig, config, overrides or ()),
                          progress=not quiet)
    typer.echo(f"base written to {result.model_dir}; use it as `base: {result.model_dir}` "
               f"or `kmner predict {result.model_dir} INPUT --types ...`")


@model_app.command("specificity")
def model_specificity(model: str = typer.Argument(..., help="Model folder, run folder or adapter."),
                      gold: Path = typer.Argument(..., help="Gold records (JSONL)."),
                      types: Optional[str] = typer.Option(
                          None, help="Comma-separated types (default: the model's)."),
                      label_map: Optional[str] = typer.Option(None, "--label-map"),
                      output: Optional[Path] = typer.Option(None, "-o", "--output",
                                                            help="Write the figures as JSON."),
                      batch_size: int = typer.Option(16),
                      precision: str = typer.Option("fp32")) -> None:
    """Ask each type alone; report the share of returned gold spans of that type."""
    loaded = load_model(model)
    records = LabelMap.parse(label_map).apply(load_records(gold))
    names = ([t.strip() for t in types.split(",") if t.strip()] if types
             else list(loaded.meta.get("types") or []))
    alone = predict_each_type_alone(loaded, records, names, batch_size=batch_size,
                                    precision=precision)
    spec = type_specificity(records, alone)
    typer.echo("\n".join(spec.lines()))
    if output:
        write_json(output, spec.to_dict())


@experiment_app.command("phase1")
def phase1_cmd(config: Path = typer.Argument(..., help="Phase 1 config (YAML/TOML)."),
               overrides: Optional[list[str]] = set_option()
               ) -> None:
    """Split gold 40/10, evaluate the base, train LoRA, evaluate, compare with CIs."""
    run_phase1(load_config(Phase1Config, config, overrides or ()))


@experiment_app.command("phase2")
def phase2_cmd(config: Path = typer.Argument(..., help="Phase 2 config (YAML/TOML)."),
               overrides: Optional[list[str]] = set_option()
               ) -> None:
    """Silver -> train -> gold fine-tune, against gold-only and the gazetteer alone."""
    run_phase2(load_config(Phase2Config, config, overrides or ()))


def register(app: typer.Typer) -> None:
    app.command("train")(train_cmd)
    app.command("predict")(predict_cmd)
    app.command("tokenize")(tokenize_cmd)
    register_model_commands(model_app)
    app.add_typer(model_app, name="model")
    app.add_typer(experiment_app, name="experiment")


def _parse_thresholds(spec: str | None) -> dict[str, float]:
    """``"Disease=0.4,Body=0.6"`` -> {type: threshold}; a malformed item is a ConfigError."""
    out: dict[str, float] = {}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        try:
            out[name.strip()] = float(value)
            if not 0 <= out[name.strip()] <= 1:
                raise ValueError(value)
        except ValueError:
            raise ConfigError(f"--thresholds item {part.strip()!r} is not TYPE=NUMBER with "
                              "a number from 0 to 1, e.g. Disease=0.4,Body=0.6") from None
        if not sep or not name.strip():
            raise ConfigError(f"--thresholds item {part.strip()!r} is not TYPE=NUMBER")
    return out

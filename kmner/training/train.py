"""``kmner train CONFIG``: GLiNER2 LoRA or full fine-tuning with model selection
on dev F1 from :mod:`kmner.evaluation` (never on loss), every unusable span
reported, and a self-describing output folder."""

from __future__ import annotations

import json
import random
import re
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from kmner.core.errors import ConfigError, InputError
from kmner.core.jsonl import load_records, write_json
from kmner.core.labelmap import LabelMap
from kmner.core.records import Record
from kmner.training.config import TrainConfig
from kmner.training.examples import (AlignmentReport, build_examples, check_types,
                                     max_width_from_data, split_dev, weighted)
from kmner.core.runinfo import write_run_info
from kmner.training.devscore import (THRESHOLD_GRID, dev_descriptions, score_at_best_threshold,
                                     score_dev)
from kmner.training.hooks import (STATE_FILE, add_type_contrast, apply_type_pooling,
                                  configure_sampling, make_trainer_class, progress_bars,
                                  train_marker_rows_only)
from kmner.training.model import (LoadedModel, attach_splitter, ensure_base,
                                  load_adapter_weights, load_full_weights, load_gliner,
                                  load_model, merge_adapter, save_full, set_dropout,
                                  weights_hash, write_meta)
from kmner.training.predict import predict_records
from kmner.training.span_morphology import SpanMorphology, learn_span_morphology
from kmner.training.splitter import KoreanWordSplitter, load_pretokenized, splitter_spec
from kmner.training.trainer_options import TrainerOptions


@dataclass
class TrainResult:
    output_dir: Path
    model_dir: Path
    best_dev_f1: float
    epochs_run: int
    seconds: float
    train_examples: int
    reports: list[AlignmentReport] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)


@dataclass
class PreparedData:
    train: list[Record]
    dev: list[Record]
    silver: list[Record]
    label_map_counts: dict[str, int]


def load_training_data(cfg: TrainConfig) -> PreparedData:
    d = cfg.data
    if not d.train:
        raise ConfigError("data.train is required (a gold JSONL file)")
    lm = LabelMap.parse(d.label_map)
    counts: Counter = Counter()
    train = lm.apply(load_records(d.train), counts)
    if d.max_records:
        train = train[: d.max_records]
    check_types(train, cfg.descriptions, source=d.train)
    if d.dev:
        dev = lm.apply(load_records(d.dev), counts)
        check_types(dev, cfg.descriptions, source=d.dev)
    else:
        train, dev = split_dev(train, d.dev_fraction, cfg.seed)
    if cfg.dev_types:
        dev = [r.copy_with([e for e in r.entities if e.type in cfg.dev_types]) for r in dev]
    silver: list[Record] = []
    if d.silver:
        silver = lm.apply(load_records(d.silver), counts)
        check_types(silver, cfg.descriptions, source=d.silver)
    n_ents = sum(len(r.entities) for r in train) + sum(len(r.entities) for r in silver)
    if not train and not silver or n_ents == 0:
        raise InputError(
            f"training set is empty after filtering: {len(train)} gold and {len(silver)} silver "
            f"records with {n_ents} entities left (label map: {lm.describe()}, "
            f"max_records: {d.max_records}, dev_fraction: {d.dev_fraction})", path=d.train)
    return PreparedData(train, dev, silver, dict(counts))


def _precision_flags(cfg: TrainConfig) -> dict[str, bool]:
    """GLiNER2's own mixed-precision flags (CUDA only; CPU bf16 goes through
    :class:`kmner.training.trainer_options.TrainerOptions`)."""
    import torch

    if not torch.cuda.is_available() or cfg.precision == "fp32":
        return {"fp16": False, "bf16": False}
    if cfg.precision == "auto":
        bf16 = torch.cuda.is_bf16_supported()
        return {"fp16": False, "bf16": bf16}
    return {"fp16": cfg.precision == "fp16", "bf16": cfg.precision == "bf16"}


def _cpu_bf16(cfg: TrainConfig) -> bool:
    import torch

    return cfg.precision == "bf16" and not torch.cuda.is_available()


def _resume_epoch(path: str) -> int:
    m = re.search(r"checkpoint-epoch-(\d+)$", str(Path(path).resolve()))
    if not m:
        raise ConfigError(f"resume_from must be a checkpoints/checkpoint-epoch-N folder, got {path}")
    if not Path(path).is_dir():
        raise ConfigError(f"resume_from: {path} does not exist")
    return int(m.group(1))


@dataclass
class Splitters:
    """``plain`` splits as at inference time (dev, predictions); ``train`` starts
    from the same offsets and may be refined at gold span boundaries."""

    plain: KoreanWordSplitter
    train: KoreanWordSplitter
    max_width: int


def prepare_splitters(cfg: TrainConfig, data: PreparedData, log) -> Splitters:
    plain = KoreanWordSplitter(cfg.splitter)
    for recs in (data.train, data.dev, data.silver):
        load_pretokenized(plain, recs)
    # Kiwi runs once per text; the training splitter copies the offsets
    plain.prepare(r.text for recs in (data.train, data.silver, data.dev) for r in recs)
    max_width = cfg.max_width or max_width_from_data(data.train + data.silver, plain,
                                                     cfg.max_width_cap)
    log(f"splitter {cfg.splitter}; max_width {max_width}"
        + (" (from data)" if not cfg.max_width else ""))
    return Splitters(plain, plain.copy(), max_width)


def prepare_model(cfg: TrainConfig, sp: Splitters, out: Path, log):
    """The GLiNER2 to train, its base path and the base's weight hash."""
    if cfg.encoder:
        base_dir = ensure_base(cfg.encoder, out / "base", max_width=sp.max_width,
                               splitter=cfg.splitter, seed=cfg.seed)
        base = str(base_dir.resolve())
    else:
        base = str(Path(cfg.base).resolve()) if Path(cfg.base).exists() else cfg.base
    base_sha = weights_hash(base)
    model = load_gliner(base, max_width=sp.max_width)
    attach_splitter(model, sp.train)
    apply_type_pooling(model, cfg.type_pooling)
    add_type_contrast(model, cfg.type_contrast)
    configure_sampling(model, shuffle_types=cfg.shuffle_types,
                       synthetic_label_prob=cfg.synthetic_label_prob)
    if cfg.dropout is not None:
        log(f"dropout {cfg.dropout} in {set_dropout(model, cfg.dropout)} modules")
    if not cfg.use_lora and cfg.freeze_embeddings:
        emb = model.encoder.get_input_embeddings()
        emb.weight.requires_grad = False
        if cfg.train_type_markers:
            n = train_marker_rows_only(model)
            log(f"token embeddings frozen except {n} prompt-marker rows")
        else:
            log(f"token embeddings frozen ({emb.weight.numel():,} weights)")
    return model, base, base_sha


def prepare_examples(cfg: TrainConfig, data: PreparedData, sp: Splitters, model, out: Path,
                     log) -> tuple[list, list, list[AlignmentReport]]:
    rng = random.Random(cfg.seed)
    common = dict(descriptions=cfg.descriptions, max_width=sp.max_width, max_len=cfg.max_len,
                  negative_types=cfg.negative_types, seed=cfg.seed)
    gold_ex, gold_rep = build_examples(data.train, splitter=sp.train, name="train gold",
                                       refine_at_gold=cfg.refine_at_gold,
                                       processor=model.processor, **common)
    reports = [gold_rep]
    train_ex = weighted(gold_ex, cfg.data.gold_weight, rng)
    if data.silver:
        silver_ex, silver_rep = build_examples(data.silver, splitter=sp.train,
                                               name="train silver",
                                               refine_at_gold=cfg.refine_at_gold,
                                               processor=model.processor, **common)
        reports.append(silver_rep)
        train_ex += weighted(silver_ex, cfg.data.silver_weight, rng)
    dev_ex, dev_rep = build_examples(data.dev, splitter=sp.plain, name="dev", processor=None,
                                     **dict(common, negative_types=None,
                                            descriptions=dev_descriptions(cfg)))
    reports.append(dev_rep)
    for rep in reports:
        log(rep.summary())
        for ex in rep.examples[:3]:
            log(f"  {ex['problem']}: {ex['id']} {ex['type']} {ex['text']!r} ({ex['detail']})")
    write_json(out / "alignment.json", {"splitter": cfg.splitter, "max_width": sp.max_width,
                                        "reports": [r.to_dict() for r in reports],
                                        "label_map_counts": data.label_map_counts})
    if not train_ex or sum(rep.used for rep in reports[:-1]) == 0:
        raise InputError("training set is empty after filtering: no trainable entity left "
                         "(see alignment.json)", path=cfg.data.train)
    return train_ex, dev_ex, reports


def gliner_training_config(cfg: TrainConfig, out: Path, num_epochs: int):
    from gliner2.training.trainer import TrainingConfig as GTrainingConfig

    return GTrainingConfig(
        output_dir=str(out / "checkpoints"), experiment_name=out.name,
        num_epochs=num_epochs, max_steps=cfg.max_steps, batch_size=cfg.batch_size,
        eval_batch_size=cfg.eval_batch_size,
        gradient_accumulation_steps=cfg.gradient_accumulation_steps,
        encoder_lr=cfg.encoder_lr, task_lr=cfg.task_lr, weight_decay=cfg.weight_decay,
        max_grad_norm=cfg.max_grad_norm, scheduler_type=cfg.scheduler_type,
        warmup_ratio=cfg.warmup_ratio, eval_strategy=cfg.eval_strategy,
        eval_steps=cfg.eval_steps, save_best=cfg.save_best, save_total_limit=2,
        metric_for_best="eval_f1", greater_is_better=True,
        early_stopping=cfg.early_stopping, early_stopping_patience=cfg.early_stopping_patience,
        num_workers=cfg.num_workers, pin_memory=False, seed=cfg.seed,
        max_len=cfg.max_len, use_lora=cfg.use_lora, lora_r=cfg.lora_r,
        lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout,
        lora_target_modules=list(cfg.lora_target_modules), save_adapter_only=True,
        logging_steps=1, validate_data=True, **_precision_flags(cfg))


@dataclass
class ResumeState:
    epoch_offset: int = 0
    state: dict = field(default_factory=dict)


def read_resume_state(cfg: TrainConfig, model) -> ResumeState:
    """Where a resumed run starts; full weights are loaded here, adapter weights
    once the trainer has wrapped the model (:func:`load_adapter_weights`)."""
    if not cfg.resume_from:
        return ResumeState()
    offset = _resume_epoch(cfg.resume_from)
    if offset >= cfg.num_epochs:
        raise ConfigError(f"resume_from is at epoch {offset}; num_epochs "
                          f"{cfg.num_epochs} leaves nothing to train")
    state_path = Path(cfg.resume_from) / STATE_FILE
    state = json.loads(state_path.read_text()) if state_path.exists() else {}
    if not cfg.use_lora:
        load_full_weights(model, cfg.resume_from)
    return ResumeState(offset, state)


def dev_metrics_fn(cfg: TrainConfig, data: PreparedData, sp: Splitters,
                   morphology: SpanMorphology | None):
    """Dev F1 for model selection, predicted with the plain splitter and the span
    morphology filter exactly as at inference time."""
    precision = "bf16" if _cpu_bf16(cfg) else "fp32"
    types = dev_descriptions(cfg)

    def compute_metrics(m, _eval_dataset) -> dict[str, float]:
        attach_splitter(m, sp.plain)
        try:
            pred = predict_records(
                LoadedModel(m, sp.plain, {}), data.dev, types=types,
                threshold=THRESHOLD_GRID[0] if cfg.tune_threshold else cfg.threshold,
                thresholds={} if cfg.tune_threshold else cfg.thresholds,
                batch_size=cfg.eval_batch_size, precision=precision, span_morphology=morphology)
        finally:
            attach_splitter(m, sp.train)
        return (score_at_best_threshold(data.dev, pred) if cfg.tune_threshold
                else score_dev(data.dev, pred))

    return compute_metrics


def make_trainer(cfg: TrainConfig, model, out: Path, data: PreparedData, sp: Splitters,
                 resume: ResumeState, morphology: SpanMorphology | None, log):
    options = TrainerOptions(
        cpu_bf16=_cpu_bf16(cfg), group_by_length=cfg.group_by_length, type_lr=cfg.type_lr,
        max_failed_samples=cfg.max_failed_samples, lora_top_layers=cfg.lora_top_layers,
        epoch_offset=resume.epoch_offset,
        history=list(resume.state.get("history", [])))
    gconf = gliner_training_config(cfg, out, cfg.num_epochs - resume.epoch_offset)
    trainer = make_trainer_class(options)(model=model, config=gconf,
                                          compute_metrics=dev_metrics_fn(cfg, data, sp,
                                                                         morphology))
    if cfg.resume_from:
        if cfg.use_lora:
            load_adapter_weights(trainer.model, cfg.resume_from)
        if "best_metric" in resume.state:
            trainer.best_metric = resume.state["best_metric"]
        log(f"resumed from {cfg.resume_from} at epoch {resume.epoch_offset}")
    return trainer


def selected_checkpoint(cfg: TrainConfig, out: Path, history: list[dict]) -> tuple[Path, dict]:
    """The checkpoint that ships and the dev evaluation that belongs to it: the
    best epoch with ``save_best``, else the last one."""
    ck = out / "checkpoints"
    if cfg.save_best and (ck / "best").exists():
        src = ck / "best"
        chosen = max(history, key=lambda h: h.get("eval_f1", 0.0), default={})
    else:
        src = ck / "final"
        chosen = history[-1] if history else {}
    return src, chosen


def finalise(cfg: TrainConfig, out: Path, trainer, summary: dict, sp: Splitters, base: str,
             base_sha: str, n_train: int, t0: float, log,
             morphology: SpanMorphology | None = None) -> tuple[Path, float, dict]:
    """Copy the selected checkpoint to ``model/`` or ``adapter/`` and write its
    metadata, ``metrics.json`` and ``run.yaml``."""
    history = trainer.kmner.history
    src, chosen = selected_checkpoint(cfg, out, history)
    model_dir = out / ("adapter" if cfg.use_lora else "model")
    if model_dir.exists():
        shutil.rmtree(model_dir)
    shutil.copytree(src, model_dir)
    dev_f1 = float(chosen.get("eval_f1", 0.0))
    threshold = cfg.threshold
    if cfg.tune_threshold and dev_f1 > 0:
        threshold = chosen.get("eval_threshold", cfg.threshold)
    meta = {"kind": "adapter" if cfg.use_lora else "full", "splitter": splitter_spec(sp.plain),
            "types": sorted(cfg.descriptions), "descriptions": dict(cfg.descriptions),
            "threshold": threshold, "thresholds": dict(cfg.thresholds),
            "label_map": LabelMap.parse(cfg.data.label_map).mapping, "max_width": sp.max_width,
            "best_dev_f1": dev_f1, "selected": src.name, "type_pooling": cfg.type_pooling}
    if morphology:
        meta["span_morphology"] = morphology.to_dict()
    if cfg.use_lora:
        meta.update(base=base, base_sha256=base_sha)
    else:
        meta.update(base_of_finetune=base, weights_sha256=weights_hash(model_dir))
    write_meta(model_dir, meta)
    if cfg.use_lora and cfg.save_merged:
        save_full(merge_adapter(load_model(str(model_dir), device="cpu")), out / "merged")
    seconds = time.time() - t0
    metrics = {"best_dev_f1": dev_f1, "selected_checkpoint": src.name, "threshold": threshold,
               "eval_history": history,
               "train_history": list(summary.get("train_metrics_history", []))[-200:],
               "total_steps": summary.get("total_steps"), "epochs_run": summary.get("total_epochs"),
               "epoch_offset": trainer.kmner.epoch_offset, "train_examples": n_train,
               "failed_samples": trainer.failed_samples,
               "samples_per_second": summary.get("samples_per_second"), "seconds": seconds}
    write_json(out / "metrics.json", metrics)
    write_meta(out, {"kind": "run", "model": model_dir.name, "best_dev_f1": dev_f1})
    write_run_info(out, command="kmner train", config=cfg, seed=cfg.seed,
                   extra={"base": base, "base_sha256": base_sha, "max_width": sp.max_width})
    log(f"dev F1 {dev_f1:.4f} ({src.name}, threshold {threshold}); model in {model_dir}; "
        f"{seconds:.0f}s")
    return model_dir, dev_f1, metrics


def run_training(cfg: TrainConfig, *, progress: bool = True, log=print) -> TrainResult:
    """Train GLiNER2 as ``cfg`` says: data, splitters, model, examples, trainer,
    then the selected checkpoint with its metadata."""
    import torch

    t0 = time.time()
    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = load_training_data(cfg)
    morphology = None
    if cfg.span_filter_min_count:
        morphology = learn_span_morphology(data.train + data.silver, cfg.span_filter_min_count)
        log(f"span morphology from {morphology.entities} training entities")
    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    if cfg.cpu_threads:
        torch.set_num_threads(cfg.cpu_threads)
    sp = prepare_splitters(cfg, data, log)
    model, base, base_sha = prepare_model(cfg, sp, out, log)
    train_ex, dev_ex, reports = prepare_examples(cfg, data, sp, model, out, log)
    resume = read_resume_state(cfg, model)
    trainer = make_trainer(cfg, model, out, data, sp, resume, morphology, log)
    if not progress:
        import logging

        logging.getLogger("gliner2").setLevel(logging.WARNING)
    with progress_bars(progress):
        summary = trainer.train(train_data=train_ex, eval_data=dev_ex if data.dev else None)
    model_dir, dev_f1, _ = finalise(cfg, out, trainer, summary, sp, base, base_sha,
                                    len(train_ex), t0, log, morphology)
    return TrainResult(out, model_dir, dev_f1, int(summary.get("total_epochs") or 0),
                       time.time() - t0, len(train_ex), reports, trainer.kmner.history)


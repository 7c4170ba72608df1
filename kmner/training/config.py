"""Training configuration: one dataclass per run, loaded from YAML or TOML with
:func:`kmner.core.runinfo.load_config` (unknown keys are errors naming the valid
ones) and saved next to the outputs. Field names follow GLiNER2 2.1.0's
``TrainingConfig`` where they exist there, so they map one to one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from kmner.core.records import KBMC_DESCRIPTIONS
from kmner.core.runinfo import from_mapping
from kmner.training.hooks import TYPE_POOLINGS

DEFAULT_DESCRIPTIONS = KBMC_DESCRIPTIONS


@dataclass
class DataConfig:
    """Where the examples come from and how they are mixed.

    train: gold JSONL used for training (KBMC-style records).
    dev: gold JSONL for model selection (dev F1); when empty, ``dev_fraction`` of
        ``train`` is held out with ``seed``.
    dev_fraction: share of ``train`` held out as dev when ``dev`` is empty.
    silver: optional silver JSONL (e.g. from ``kmner silver run``) mixed in.
    gold_weight: how many times each gold record is seen per epoch (1 = once;
        2 = duplicated; 0.5 = a seeded half).
    silver_weight: the same for silver records.
    label_map: label map applied to every input (``"Symptom=Disease"``, ``"kbmc"``,
        a file, or a mapping); see :class:`kmner.core.labelmap.LabelMap`.
    max_records: keep only the first N training records (0 = all); for smoke runs.
    """

    train: str = ""
    dev: str = ""
    dev_fraction: float = 0.2
    silver: str = ""
    gold_weight: float = 1.0
    silver_weight: float = 1.0
    label_map: Any = None
    max_records: int = 0

    RANGES: ClassVar[dict] = {"dev_fraction": (0, 0.9), "gold_weight": (0, None),
                              "silver_weight": (0, None), "max_records": (0, None)}


@dataclass
class TrainConfig:
    """Everything a ``kmner train`` run needs.

    base: GLiNER2 checkpoint to start from: a local directory (e.g. from
        ``kmner model init``) or a hub id such as ``fastino/gliner2-multi-v1``.
    encoder: instead of ``base``, build a fresh GLiNER2 on this encoder (a local
        transformers directory with a tokenizer, or a hub id).
    output_dir: run folder; gets ``adapter/`` (LoRA) or ``model/`` (full
        fine-tuning), optional ``merged/``, ``run.yaml``, ``kmner.json``,
        ``metrics.json``, ``alignment.json`` and trainer ``checkpoints/``.
    data: see :class:`DataConfig`.
    descriptions: entity type -> natural-language description given to GLiNER2;
        every type in the data must have one.
    splitter: word splitter (``kiwi-terms``, ``kiwi-morphs``, ``kiwi-parts``,
        ``whitespace``; see kmner.training.splitter);
        saved in the model's kmner metadata and restored on load.
    shuffle_types: shuffle the order of the entity types in the GLiNER2 prompt for
        every training example. GLiNER2 2.1.0 keeps the declared order by default
        (``SamplingConfig.shuffle_entities=False``), and kmner declares every type
        in every example, so without shuffling the model can learn a type from its
        slot in the prompt instead of its name and description (a fresh-head run
        scored Body spans as Disease and followed the slot when types were reordered).
    type_pooling: how a type's query vector is read from the prompt: ``label``
        (mean over its [E] marker and label subwords, so types differ from the
        first step) or ``marker`` (GLiNER2's own: the marker alone). Recorded in
        the model's kmner.json and applied again on load.
    type_contrast: weight of an extra loss term: cross-entropy over the declared
        types at each gold span (0 = GLiNER2's per-span BCE alone). The BCE's type
        signal comes from the few gold spans and is drowned by the many negative
        spans; this term says directly which asked type a mention is.
    synthetic_label_prob: share of training prompts whose types GLiNER2 renames
        "entity 1..n" (then known only by their descriptions). GLiNER2's default
        is 0.2; with few types it teaches the heads to answer any entity for
        any type, so kmner's default is 0.
    train_type_markers: with ``freeze_embeddings``, still train the embedding rows
        of GLiNER2's prompt markers ([E], [P], ...). A type's query is the encoder
        output at its [E] marker; frozen at their initial values, all markers
        start from one shared vector.
    type_lr: learning rate of the type side (marker rows and ``count_embed``,
        which turns marker outputs into type queries) in full fine-tuning;
        None = ``count_embed`` at ``task_lr`` and marker rows at ``encoder_lr``
        (GLiNER2's own two groups); marker rows never get weight decay, so the
        frozen rows stay exactly as they were.
    negative_types: None = every described type is declared in every training
        prompt (absent ones train as negatives); N = the record's own types plus
        N others, drawn per record from ``meta.declare`` or all described types
        (many-type data such as ``kmner model pretrain``).
    dev_types: the types asked when predicting dev for model selection (empty =
        every described type); dev records keep only entities of these types.
    group_by_length: batch texts of similar length together (less padding);
        batches are still shuffled.
    max_failed_samples: GLiNER2's span model catches any per-sample exception
        and trains on a zero loss; kmner counts them and stops the run once more
        than this many have failed.
    refine_at_gold: in training data only, also cut Kiwi tokens at gold span
        boundaries so every gold span is trainable; spans the plain splitter
        cannot express are still counted in ``alignment.json``.
    max_width: longest span in word tokens; 0 = the widest gold span in the
        training data, capped at ``max_width_cap``. Wider spans are reported.
    max_width_cap: upper bound for the automatic ``max_width``.
    max_len: word-token cap per training text (None = no cap). The default 200
        keeps a text within a 512-subword encoder; GLiNER2 cuts longer texts and the
        entities past the cap are counted in ``alignment.json``.
    use_lora: train a LoRA adapter (peft) instead of all weights.
    lora_r: LoRA rank.
    lora_alpha: LoRA scaling (effective scale alpha / r).
    lora_dropout: dropout on the LoRA branch.
    lora_target_modules: GLiNER2 module groups that get LoRA layers: any of
        ``encoder``, ``encoder.query``/``key``/``value``/``dense``, ``span_rep``,
        ``classifier``, ``count_embed``, ``count_pred``.
    lora_top_layers: LoRA layers in the top N encoder layers only (0 = every
        layer). Nothing below them trains, so backward stops there: a CPU speed
        lever (bench/bench_training_speed.py).
    dropout: while training, every dropout probability of the model (encoder
        and heads; the LoRA branch has ``lora_dropout``); None keeps the
        checkpoint's own (0.1 in BERT-style encoders). A CPU speed lever: each
        dropout draws a random mask per activation (bench/bench_training_speed.py).
    num_epochs: training epochs.
    max_steps: stop after this many optimiser steps (-1 = use epochs).
    batch_size: examples per step.
    eval_batch_size: examples per step when predicting dev.
    gradient_accumulation_steps: steps whose gradients are summed per update.
    freeze_embeddings: in full fine-tuning, keep the encoder's token embeddings
        fixed (most of a multilingual encoder's weights; much faster on CPU).
    task_lr: learning rate of the task heads; with LoRA the only one used.
    encoder_lr: learning rate of the encoder in full fine-tuning.
    weight_decay: AdamW weight decay.
    max_grad_norm: gradient clipping.
    warmup_ratio: share of steps with linear warm-up.
    scheduler_type: ``linear``, ``cosine``, ``cosine_restarts`` or ``constant``.
    eval_strategy: ``epoch`` or ``steps`` (every ``eval_steps``); dev F1 is
        computed at each evaluation.
    eval_steps: steps between evaluations with ``eval_strategy: steps``.
    save_best: keep the checkpoint with the best dev F1 (never dev loss).
    early_stopping: stop when dev F1 has not improved for ``early_stopping_patience``
        evaluations.
    early_stopping_patience: see ``early_stopping``.
    precision: ``auto`` (bf16 on a GPU that supports it, else fp32), ``fp32``,
        ``bf16`` or ``fp16``. On CPU, ``bf16`` runs the forward pass under bf16
        autocast with the encoder's attention in fp32 (weights and optimiser stay
        fp32; see docs/training.md for the speed and dev F1 it gives); ``auto``
        and ``fp16`` run fp32 there.
    seed: seed for splits, sampling and initialisation.
    num_workers: DataLoader workers (0-1 on small machines).
    cpu_threads: torch CPU threads (0 = torch's default). On a small shared
        machine 1 is often faster than 2: small matrix products stall on thread
        synchronisation.
    threshold: default span threshold for dev predictions and saved metadata.
    thresholds: per-type thresholds overriding ``threshold``.
    span_filter_min_count: learn from the training entities which Kiwi tags may
        start, fill and end an entity, keeping tags seen in at least this many
        of them; dev scoring and every later prediction reject spans with other
        tags (joined across a comma, a clause pulled in) and count them. Saved
        in the model's ``kmner.json``. 0 (default) learns nothing. Use 2 with
        thousands of training entities: on diagnosis/train's dev split (learned
        from 2,017 entities) it was the best of 1, 2, 3 and 5 (0.828 against 0.812 off);
        learned from Phase 1's 78 entities it cost recall (docs/results.md).
    tune_threshold: at every evaluation also choose the global threshold with the
        best dev F1 (grid 0.05-0.95); ``eval_f1`` is then the F1 at that threshold
        and the selected model keeps it as its default. Per-type ``thresholds``
        are not applied while tuning.
    save_merged: also write ``merged/``, the adapter merged into the base.
    resume_from: a ``checkpoints/checkpoint-epoch-N`` folder of an earlier run of
        this config; training continues from its weights at epoch N+1 (optimiser
        and scheduler restart: GLiNER2 2.1.0 does not save them).
    """

    base: str = ""
    encoder: str = ""
    output_dir: str = "runs/train"
    data: DataConfig = field(default_factory=DataConfig)
    descriptions: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_DESCRIPTIONS))
    splitter: str = "kiwi-terms"
    shuffle_types: bool = True
    type_pooling: str = "label"
    type_contrast: float = 1.0
    synthetic_label_prob: float = 0.0
    train_type_markers: bool = True
    type_lr: float | None = None
    negative_types: int | None = None
    dev_types: list[str] = field(default_factory=list)
    group_by_length: bool = True
    max_failed_samples: int = 0
    refine_at_gold: bool = True
    max_width: int = 0
    max_width_cap: int = 12
    max_len: int | None = 200
    use_lora: bool = True
    lora_r: int = 16
    lora_alpha: float = 32.0
    lora_dropout: float = 0.1
    lora_target_modules: list[str] = field(
        default_factory=lambda: ["encoder", "span_rep", "classifier"])
    lora_top_layers: int = 0
    dropout: float | None = None
    num_epochs: int = 20
    max_steps: int = -1
    batch_size: int = 8
    eval_batch_size: int = 16
    gradient_accumulation_steps: int = 1
    freeze_embeddings: bool = False
    task_lr: float = 5e-4
    encoder_lr: float = 1e-5
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    warmup_ratio: float = 0.1
    scheduler_type: str = "linear"
    eval_strategy: str = "epoch"
    eval_steps: int = 100
    save_best: bool = True
    early_stopping: bool = True
    early_stopping_patience: int = 5
    precision: str = "auto"
    seed: int = 0
    num_workers: int = 0
    cpu_threads: int = 0
    threshold: float = 0.5
    thresholds: dict[str, float] = field(default_factory=dict)
    span_filter_min_count: int = 0
    tune_threshold: bool = True
    save_merged: bool = False
    resume_from: str = ""

    RANGES: ClassVar[dict] = {
        "max_width": (0, None), "max_width_cap": (1, None), "max_len": (1, None),
        "lora_r": (1, None), "lora_alpha": (0, None), "lora_dropout": (0, 1),
        "lora_top_layers": (0, None),
        "num_epochs": (1, None), "max_steps": (-1, None), "batch_size": (1, None),
        "eval_batch_size": (1, None), "gradient_accumulation_steps": (1, None),
        "task_lr": (0, None), "encoder_lr": (0, None), "weight_decay": (0, None),
        "max_grad_norm": (0, None), "warmup_ratio": (0, 1), "eval_steps": (1, None),
        "early_stopping_patience": (1, None), "num_workers": (0, None),
        "cpu_threads": (0, None), "threshold": (0, 1), "span_filter_min_count": (0, None)}
    CHOICES: ClassVar[dict] = {
        "precision": ("auto", "fp32", "bf16", "fp16"), "eval_strategy": ("epoch", "steps"),
        "scheduler_type": ("linear", "cosine", "cosine_restarts", "constant")}

    def __post_init__(self) -> None:
        if bool(self.base) == bool(self.encoder):
            raise ValueError("set exactly one of 'base' (a GLiNER2 checkpoint) and "
                             "'encoder' (build a fresh GLiNER2)")
        if self.dropout is not None and not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1) or null, got {self.dropout}")
        if self.precision not in ("auto", "fp32", "bf16", "fp16"):
            raise ValueError(f"precision must be auto, fp32, bf16 or fp16, got {self.precision!r}")
        if self.eval_strategy not in ("epoch", "steps"):
            raise ValueError(f"eval_strategy must be 'epoch' or 'steps', got {self.eval_strategy!r}")
        if self.type_pooling not in TYPE_POOLINGS:
            raise ValueError(f"type_pooling must be one of {', '.join(TYPE_POOLINGS)}, "
                             f"got {self.type_pooling!r}")
        if not self.type_contrast >= 0:
            raise ValueError(f"type_contrast must be >= 0, got {self.type_contrast}")
        if not 0.0 <= self.synthetic_label_prob <= 1.0:
            raise ValueError(f"synthetic_label_prob must be in [0, 1], got {self.synthetic_label_prob}")
        if self.type_lr is not None and not self.type_lr > 0:
            raise ValueError(f"type_lr must be positive or null, got {self.type_lr}")
        unknown = [t for t in self.dev_types if t not in (self.descriptions or {})]
        if unknown:
            raise ValueError(f"dev_types {unknown} have no description")
        if not self.descriptions:
            raise ValueError("descriptions must name at least one entity type")
        if isinstance(self.data, dict):
            self.data = from_mapping(DataConfig, self.data, where="data")

"""Every place where kmner reaches into GLiNER2 2.1.0 beyond its public API.

GLiNER2's trainer has no extension points for what kmner needs, so a subclass
overrides six private methods, and the prompt sampling is set on the
processor's ``sampling_config``. All of it lives here, and
:data:`PRIVATE_API` lists what is relied on, so a test
(``tests/test_training_recipe.py``) fails the moment a GLiNER2 release renames
or reshapes any of it:

- ``ExtractorTrainer._backward_one(batch, step, use_amp, amp_dtype, *, is_last_micro)``:
  bf16 autocast on CPU (GLiNER2 turns mixed precision off on CPU) with the
  encoder's attention kept in fp32 (:mod:`kmner.training.cpu_attention`), and counting
  samples whose loss GLiNER2's span model swallowed ("Error processing sample
  i": it prints the exception and trains on a zero loss);
- ``ExtractorTrainer._create_dataloader``: length-grouped batches
  (:class:`LengthBatches`) for the span architecture too (GLiNER2 groups only
  the boundary architecture), so a batch pads to similar lengths;
- ``ExtractorTrainer._create_optimizer``: a learning-rate group for the type
  side (the ``[E]`` marker rows and ``count_embed``, which turns the marker
  outputs into type queries) besides GLiNER2's encoder and task groups;
- ``SchemaTransformer.extract_embeddings_from_batch`` (wrapped on one model's
  processor by :func:`pool_type_labels`): a type's query vector becomes the
  mean of the encoder outputs over its ``[E]`` marker *and its label words*,
  where GLiNER2 takes the marker alone. The marker's own embedding row is the
  same for every type, so at first every type gets nearly the same query and a
  fresh head learns "entity or not" long before "which type" (a tiny model
  trained 30 epochs scored each gold span 0.49-0.51 under every type). The
  label words differ from the first step. Models trained so record
  ``type_pooling: label`` in kmner.json, and :func:`kmner.training.model.load_model`
  applies the same pooling;
- ``Extractor.compute_struct_loss_from_scores(scores, structure, masking_rate)``
  (wrapped on one model by :func:`add_type_contrast`): besides GLiNER2's
  per-span, per-type BCE, a cross-entropy over the declared types at every gold
  span, so the loss says directly which of the asked types a mention is. In the
  BCE the few gold spans' type terms are drowned by hundreds of negative spans
  that push every type's query the same way;
- ``ExtractorTrainer._setup_lora``: LoRA in the top N encoder layers only
  (``lora_top_layers``). GLiNER2's ``apply_lora`` resolves its target groups
  with ``gliner2.training.lora._resolve_targets`` at call time, so the hook
  narrows that function's answer while LoRA is set up. With no trainable weight
  below them, backward stops at the lowest adapted layer;
- ``ExtractorTrainer._log_metrics`` and ``_save_checkpoint``: dev F1 on the
  progress bar, epoch numbers after a resume, and a state file per checkpoint.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import math
import re
from dataclasses import replace

from kmner.core.errors import InputError
from kmner.core.jsonl import write_json
from kmner.training.batching import LengthBatches
from kmner.training.cpu_attention import fp32_attention
from kmner.training.trainer_options import TrainerOptions, only_top_layers

PINNED_GLINER2 = "2.1.0"
STATE_FILE = "kmner_state.json"

# (module, attribute, parameter names or None): what this module relies on.
PRIVATE_API: tuple[tuple[str, str, tuple[str, ...] | None], ...] = (
    ("gliner2.training.trainer", "ExtractorTrainer._backward_one",
     ("self", "batch", "step", "use_amp", "amp_dtype", "is_last_micro")),
    ("gliner2.training.trainer", "ExtractorTrainer._create_dataloader",
     ("self", "dataset", "batch_size", "shuffle", "is_training")),
    ("gliner2.training.trainer", "ExtractorTrainer._create_optimizer", ("self",)),
    ("gliner2.training.trainer", "ExtractorTrainer._setup_lora", ("self",)),
    ("gliner2.training.lora", "_resolve_targets", ("model", "targets")),
    ("gliner2.training.trainer", "ExtractorTrainer._log_metrics", ("self", "metrics", "prefix")),
    ("gliner2.training.trainer", "ExtractorTrainer._save_checkpoint", ("self", "name")),
    ("gliner2.models.span.model", "Extractor.compute_struct_loss_from_scores",
     ("self", "scores", "structure", "masking_rate")),
    ("gliner2.training.trainer", "tqdm", None),
    ("gliner2.training.data", "tqdm", None),
    ("gliner2.processor", "SchemaTransformer.SPECIAL_TOKENS", None),
    ("gliner2.processor", "SchemaTransformer.extract_embeddings_from_batch",
     ("self", "token_embeddings", "input_ids", "batch")),
    ("gliner2.processor", "SamplingConfig", None),
)

# dataclass fields read from GLiNER2's batches
PRIVATE_FIELDS = (("gliner2.processor", "PreprocessedBatch",
                   ("mapped_indices", "schema_special_indices")),)

_SAMPLE_ERROR = re.compile(r"Error processing sample (\d+): (.*)")


class SampleErrors(RuntimeError):
    """GLiNER2 swallowed exceptions for some training samples."""


def check_private_api() -> list[str]:
    """What of :data:`PRIVATE_API` the installed gliner2 lacks or has reshaped."""
    import importlib
    import inspect

    problems = []
    for module_name, dotted, params in PRIVATE_API:
        obj = importlib.import_module(module_name)
        try:
            for part in dotted.split("."):
                obj = getattr(obj, part)
        except AttributeError:
            problems.append(f"{module_name}.{dotted} is missing")
            continue
        if params is not None:
            have = tuple(inspect.signature(obj).parameters)
            if have != params:
                problems.append(f"{module_name}.{dotted}{have} != {params}")
    for module_name, cls_name, names in PRIVATE_FIELDS:
        cls = getattr(importlib.import_module(module_name), cls_name)
        have_fields = {f.name for f in dataclasses.fields(cls)}
        problems += [f"{module_name}.{cls_name}.{n} is missing" for n in names
                     if n not in have_fields]
    return problems


def marker_token_ids(model) -> list[int]:
    """Token ids of GLiNER2's prompt markers ([E], [P], [SEP_TEXT], ...): the rows
    GLiNER2 adds to the encoder's embedding matrix."""
    proc = model.processor
    return sorted(set(proc.tokenizer.convert_tokens_to_ids(list(proc.SPECIAL_TOKENS))))


def train_marker_rows_only(model) -> int:
    """Let the marker rows of a frozen embedding matrix train: the matrix takes
    gradients, and a hook zeroes every row but the markers'. (A type's query is
    the encoder output at its ``[E]`` marker; frozen at their initial values
    the markers start every type from the same vector.) Returns the row count."""
    import torch

    emb = model.encoder.get_input_embeddings()
    rows = torch.tensor(marker_token_ids(model), dtype=torch.long)
    keep = torch.zeros(emb.weight.shape[0], 1, dtype=emb.weight.dtype)
    keep[rows] = 1.0
    emb.weight.requires_grad = True
    emb.weight.register_hook(lambda grad: grad * keep.to(grad.device, grad.dtype))
    emb.weight._kmner_marker_rows_only = True
    return len(rows)


TYPE_POOLINGS = ("marker", "label")


def pool_type_labels(model) -> None:
    """Make ``model`` embed each type as the mean over its ``[E]`` marker and label
    subwords (see the module docstring). Idempotent."""
    proc = model.processor
    if getattr(proc, "_kmner_type_pooling", "marker") == "label":
        return
    original = proc.extract_embeddings_from_batch

    def extract(token_embeddings, input_ids, batch):
        token_embs, schema_embs = original(token_embeddings, input_ids, batch)
        for i, per_schema in enumerate(schema_embs):
            mappings = batch.mapped_indices[i]
            for j, embs in enumerate(per_schema):
                positions = batch.schema_special_indices[i][j]
                pooled = list(embs[:1])  # [P] stays as it is
                for p in positions[1:len(embs)]:
                    label = mappings[p][1] + 1  # the schema token after the marker
                    end = p + 1
                    while end < len(mappings) and mappings[end][1] == label \
                            and mappings[end][0] == "schema":
                        end += 1
                    pooled.append(token_embeddings[i, p:end].mean(dim=0))
                per_schema[j] = pooled
        return token_embs, schema_embs

    proc.extract_embeddings_from_batch = extract
    proc._kmner_type_pooling = "label"


def apply_type_pooling(model, pooling: str | None) -> None:
    if pooling in (None, "marker"):
        return
    if pooling != "label":
        raise InputError(f"type_pooling must be one of {', '.join(TYPE_POOLINGS)}, got {pooling!r}")
    pool_type_labels(model)


def _gold_cells(structure) -> list[tuple[int, int, int]]:
    """(type index, start, width) of every gold span of an entity task."""
    cells = []
    for k, spans in enumerate(structure[1][0] if structure[0] else []):
        for span in ([spans] if isinstance(spans, tuple) else spans or []):
            if span is not None and span != (-1, -1):
                cells.append((k, span[0], span[1] - span[0]))
    return cells


def add_type_contrast(model, weight: float) -> None:
    """Add ``weight`` x cross-entropy over the declared types at each gold span to
    the span loss of ``model`` (training only; see the module docstring)."""
    import torch
    import torch.nn.functional as F

    if weight <= 0 or getattr(model, "_kmner_type_contrast", 0.0):
        return
    original = model.compute_struct_loss_from_scores

    def loss_with_contrast(scores, structure, masking_rate=0.5):
        loss = original(scores, structure, masking_rate)
        if not model.training or scores.shape[1] < 2:
            return loss
        cells = [(k, s, w) for k, s, w in _gold_cells(structure)
                 if s < scores.shape[2] and 0 <= w < scores.shape[3]]
        if not cells:
            return loss
        idx = torch.tensor(cells, device=scores.device)
        logits = scores[0, :, idx[:, 1], idx[:, 2]].transpose(0, 1)  # [gold spans, types]
        return loss + weight * F.cross_entropy(logits.float(), idx[:, 0], reduction="sum")

    model.compute_struct_loss_from_scores = loss_with_contrast
    model._kmner_type_contrast = weight


@contextlib.contextmanager
def progress_bars(shown: bool):
    """GLiNER2 draws its training, evaluation and validation bars whatever it is
    told; with ``shown`` False its modules' ``tqdm`` is swapped for a disabled one
    for the duration."""
    import gliner2.training.data as gdata
    import gliner2.training.trainer as gtrainer

    if shown:
        yield
        return
    saved = gtrainer.tqdm, gdata.tqdm

    def silenced(bar):
        # GLiNER2 passes disable= itself, so it is overridden, not defaulted
        return lambda *args, **kwargs: bar(*args, **{**kwargs, "disable": True})

    gtrainer.tqdm, gdata.tqdm = silenced(saved[0]), silenced(saved[1])
    try:
        yield
    finally:
        gtrainer.tqdm, gdata.tqdm = saved


def configure_sampling(model, *, shuffle_types: bool, synthetic_label_prob: float) -> None:
    """Prompt sampling for training: types in a fresh order for every example
    (so a type is known by its name, never by its slot), and the share of
    prompts whose types are renamed "entity 1..n" (described only)."""
    model.processor.sampling_config = replace(
        model.processor.sampling_config, shuffle_entities=bool(shuffle_types),
        synthetic_entity_label_prob=float(synthetic_label_prob))


def _type_side(name: str) -> bool:
    return name.startswith("count_embed.") or ".count_embed." in name


class KmnerTrainerMixin:
    """kmner's overrides of GLiNER2's trainer (see the module docstring); combined
    with ``ExtractorTrainer`` by :func:`make_trainer_class`."""

    kmner: TrainerOptions = TrainerOptions()
    last_f1: float | None = None
    failed_samples: int = 0
    first_sample_error: str = ""

    def _backward_one(self, batch, step, use_amp, amp_dtype, *, is_last_micro=True):
        import torch

        cpu_bf16 = self.kmner.cpu_bf16 and self.device.type == "cpu"
        if cpu_bf16:
            use_amp, amp_dtype = True, torch.bfloat16
        captured = io.StringIO()
        # CPU flash attention is slow backwards in bf16: keep it in fp32 (cpu_attention.py)
        attention = fp32_attention(self.model) if cpu_bf16 else contextlib.nullcontext()
        with contextlib.redirect_stdout(captured), attention:
            loss = super()._backward_one(batch, step, use_amp, amp_dtype,
                                         is_last_micro=is_last_micro)
        self._count_sample_errors(captured.getvalue(), batch)
        return loss

    def _count_sample_errors(self, printed: str, batch) -> None:
        errors = _SAMPLE_ERROR.findall(printed)
        outputs = self._last_train_outputs or {}
        valid = outputs.get("batch_size", len(batch))
        failed = max(len(errors), len(batch) - int(valid)) if len(batch) else 0
        other = "\n".join(line for line in printed.splitlines()
                          if not _SAMPLE_ERROR.match(line))
        if other:
            print(other)
        if not failed:
            return
        self.failed_samples += failed
        if not self.first_sample_error and errors:
            self.first_sample_error = errors[0][1]
        if self.failed_samples > self.kmner.max_failed_samples:
            raise SampleErrors(
                f"{self.failed_samples} training samples failed inside GLiNER2's forward "
                f"pass (it trains on a zero loss for them) by step {self.global_step}; "
                f"first error: {self.first_sample_error or 'not printed'}; "
                f"fix the data or raise max_failed_samples "
                f"({self.kmner.max_failed_samples})")

    def _create_dataloader(self, dataset, batch_size, shuffle=True, is_training=True):
        from torch.utils.data import DataLoader

        loader = super()._create_dataloader(dataset, batch_size, shuffle, is_training)
        if not (is_training and shuffle and self.kmner.group_by_length
                and loader.sampler.__class__.__name__ == "RandomSampler"):
            return loader
        batches = LengthBatches(dataset.lengths, loader.batch_size, seed=self.config.seed)
        batches.epoch = self.kmner.epoch_offset  # a resumed run continues the order
        return DataLoader(dataset, batch_sampler=batches, num_workers=loader.num_workers,
                          collate_fn=loader.collate_fn)

    def _setup_lora(self):
        top = self.kmner.lora_top_layers
        if not (self.config.use_lora and top):
            return super()._setup_lora()
        import gliner2.training.lora as gliner2_lora

        resolve = gliner2_lora._resolve_targets
        gliner2_lora._resolve_targets = lambda model, targets: only_top_layers(
            resolve(model, targets), top)
        try:
            return super()._setup_lora()
        finally:
            gliner2_lora._resolve_targets = resolve

    def _create_optimizer(self):
        from torch.optim import AdamW

        params = list(self.model.named_parameters())
        markers = any(getattr(p, "_kmner_marker_rows_only", False) for _, p in params)
        if self.config.use_lora or (self.kmner.type_lr is None and not markers):
            return super()._create_optimizer()
        cfg = self.config
        groups: dict[str, list] = {"encoder": [], "task": [], "type": [], "markers": []}
        for name, p in params:
            if not p.requires_grad:
                continue
            if getattr(p, "_kmner_marker_rows_only", False):
                groups["markers"].append(p)
            elif _type_side(name):
                groups["type"].append(p)
            else:
                groups["encoder" if "encoder" in name else "task"].append(p)
        type_lr = self.kmner.type_lr
        lrs = {"encoder": cfg.encoder_lr, "task": cfg.task_lr,
               "type": cfg.task_lr if type_lr is None else type_lr,
               "markers": cfg.encoder_lr if type_lr is None else type_lr}
        # weight decay would shrink the frozen rows of the marker-only matrix
        return AdamW([{"params": ps, "lr": lrs[g],
                       "weight_decay": 0.0 if g == "markers" else cfg.weight_decay}
                      for g, ps in groups.items() if ps],
                     betas=(cfg.adam_beta1, cfg.adam_beta2), eps=cfg.adam_epsilon,
                     foreach=True)

    def _log_metrics(self, metrics, prefix=""):
        super()._log_metrics(metrics, prefix)
        if isinstance(metrics, dict) and "eval_f1" in metrics:
            self.last_f1 = metrics["eval_f1"]
            self.kmner.history.append(
                {"epoch": self.epoch + 1 + self.kmner.epoch_offset, "step": self.global_step,
                 **{k: v for k, v in metrics.items()
                    if isinstance(v, (int, float)) and k not in ("epoch", "step")}})
        if self.progress_bar is not None and self.last_f1 is not None:
            base = self.progress_bar.postfix or ""
            if "dev_f1" not in base:
                self.progress_bar.set_postfix_str(
                    (base + ", " if base else "") + f"dev_f1={self.last_f1:.3f}", refresh=False)

    def _save_checkpoint(self, name):
        m = re.fullmatch(r"checkpoint-epoch-(\d+)", name)
        if m:
            name = f"checkpoint-epoch-{int(m.group(1)) + self.kmner.epoch_offset}"
        super()._save_checkpoint(name)
        best = self.best_metric
        state = {"epoch": self.epoch + 1 + self.kmner.epoch_offset,
                 "global_step": self.global_step,
                 # GLiNER2 starts from -inf before the first evaluation; JSON has no inf
                 "best_metric": best if best is not None and math.isfinite(best) else None,
                 "history": self.kmner.history}
        write_json(self.output_dir / name / STATE_FILE, state)



def make_trainer_class(options: TrainerOptions | None = None):
    """GLiNER2's ``ExtractorTrainer`` with :class:`KmnerTrainerMixin` (gliner2 is
    imported here, not at module import). ``options`` are in place before
    GLiNER2's ``__init__`` runs, which already sets LoRA up."""
    from gliner2.training.trainer import ExtractorTrainer

    return type("KmnerTrainer", (KmnerTrainerMixin, ExtractorTrainer),
                {"kmner": options or TrainerOptions()})

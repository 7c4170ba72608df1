"""``kmner experiment phase2``: silver from raw text, then gold; against gold only
and the gazetteer alone, on one test set, with paired significance tests.

A run may reuse models built before (``silver_model``, ``silver_then_gold_model``,
``gold_only_model``): the kmner base of ``kmner model pretrain`` is a model
trained on silver at a larger scale than one experiment can afford on a CPU; (b),
``configs/supervised_diagnosis.yaml``, is its fine-tune on gold; and
``configs/gold_only_diagnosis.yaml`` is the same recipe from the bare encoder."""

from __future__ import annotations

import dataclasses
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kmner.core.errors import ConfigError
from kmner.core.jsonl import atomic_write, load_records, write_json, write_records
from kmner.core.records import Record
from kmner.core.runinfo import from_mapping, load_mapping, to_mapping, write_run_info
from kmner.gazetteer.compiled import CompiledGazetteer
from kmner.gazetteer.default import default_gazetteer_path
from kmner.silver.pipeline import SilverConfig, run_silver
from kmner.training.config import TrainConfig
from kmner.training.experiment import (TestSet, _base_of, _compare, _load_test, _table,
                                       f1_with_ci, predict_test, train_config, train_settings)
from kmner.training.model import load_model, resolve_model_dir
from kmner.training.train import run_training

# run-config keys that may differ between a reused gold-only model and this run
_NOT_RECIPE = {"base", "encoder", "output_dir", "data"}


@dataclass
class Phase2Config:
    """Phase 2: silver from raw text, then gold; against gold-only and the gazetteer.

    raw: raw text inputs for ``kmner silver run`` (.txt, a document per line, or .jsonl).
    silver: an existing silver JSONL to use instead of running the silver step.
    silver_model: an already trained silver model (a run folder or model
        directory), e.g. the base of ``kmner model pretrain``: the silver step and
        the silver training are skipped.
    silver_then_gold_model: an already trained fine-tune of ``silver_model`` on
        ``gold_train`` with ``gold_train_settings``, e.g. the (b) run of
        ``configs/supervised_diagnosis.yaml`` (its saved run config is compared
        with them and any difference is logged).
    gold_only_model: an already trained gold-only model, trained on ``gold_train``
        with ``gold_train_settings`` from the same starting point (compared the
        same way).
    gazetteer: compiled gazetteer or term table (default: the bundled one).
    max_silver: keep at most this many silver sentences with entities (0 = all),
        a seeded sample: for scaled-down CPU runs.
    gold_train: gold JSONL for the gold fine-tune and the gold-only model.
    max_gold: train both on at most this many ``gold_train`` sentences (0 = all), one
        seeded sample written to ``gold_used.jsonl``: a point of the learning curve,
        since silver is meant for when gold is scarce. Needs both gold models
        trained here (not reused).
    test: the test set (scored with its label map; ``test.ask`` sets the types asked).
    output_dir: results folder.
    silver_train: settings for training on silver, a mapping of :class:`TrainConfig`
        keys with ``base`` or ``encoder`` (``data.train`` is filled in).
    gold_train_settings: settings for the gold fine-tune and the gold-only model
        (the fine-tune's ``base`` is the silver model; the gold-only model starts
        from the silver run's base, or from these settings' own base/encoder).
    seed: seed for sampling and the bootstrap.
    """

    raw: list[str] = field(default_factory=list)
    silver: str = ""
    silver_model: str = ""
    silver_then_gold_model: str = ""
    gold_only_model: str = ""
    gazetteer: str = ""
    max_silver: int = 0
    gold_train: str = ""
    max_gold: int = 0
    test: TestSet = field(default_factory=TestSet)
    output_dir: str = "runs/phase2"
    silver_train: dict[str, Any] = field(default_factory=dict)
    gold_train_settings: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    predict_batch_size: int = 16

    def __post_init__(self) -> None:
        if self.max_gold < 0:
            raise ConfigError(f"phase2: max_gold must be 0 (all) or more, got {self.max_gold}")
        if self.max_gold and (self.silver_then_gold_model or self.gold_only_model):
            raise ConfigError("phase2: max_gold trains both gold models on a sample; drop "
                              "silver_then_gold_model and gold_only_model, or max_gold")
        self.silver_train = train_settings(self.silver_train, "silver_train")
        self.gold_train_settings = train_settings(self.gold_train_settings, "gold_train_settings")
        if isinstance(self.test, dict):
            self.test = from_mapping(TestSet, self.test, where="test")


def gazetteer_predictions(recs: list[Record], out: Path, gazetteer: str = "") -> list[Record]:
    inp = out / "gaz_input.jsonl"
    write_records(inp, [r.copy_with([]) for r in recs])
    pred_path = out / "gazetteer_predictions.jsonl"
    run_silver(SilverConfig(inputs=[str(inp)], output=str(pred_path), threads=1,
                            gazetteer=gazetteer or None), progress=False)
    by_id = {r.id: r for r in load_records(pred_path)}
    return [by_id.get(r.id, r.copy_with([])) for r in recs]


def recall_outside_gazetteer(gold: list[Record], pred: list[Record], gazetteer: str = "") -> dict:
    """Recall on gold entities whose surface the gazetteer does not contain."""
    gaz = CompiledGazetteer.load(gazetteer or default_gazetteer_path())
    found = {(p.id, e.key) for p in pred for e in p.entities}
    total = hit = 0
    for r in gold:
        for e in r.entities:
            if gaz.lookup(e.text) is None:
                total += 1
                hit += (r.id, e.key) in found
    return {"entities_not_in_gazetteer": total, "found": hit,
            "recall": hit / total if total else 0.0}


def _saved_config(model: str) -> dict | None:
    """The training config saved beside ``model`` (its run folder's run.yaml)."""
    run_file = next((p for p in (Path(model) / "run.yaml", Path(model).parent / "run.yaml")
                     if p.is_file()), None)
    return None if run_file is None else (load_mapping(run_file) or {}).get("config") or {}


def recipe_differences(model: str, saved: dict | None, settings: TrainConfig) -> list[str]:
    """Keys of ``saved``, the run config saved beside ``model``, that differ from
    ``settings`` (starting point, output and data paths aside); a model without
    one is one line."""
    if saved is None:
        return [f"{model}: no run.yaml beside it, its recipe cannot be compared"]
    wanted = to_mapping(settings)
    return [f"{k}: {saved.get(k)!r} there, {v!r} here" for k, v in sorted(wanted.items())
            if k not in _NOT_RECIPE and k in saved and saved[k] != v]


def _silver_step(cfg: Phase2Config, out: Path, progress: bool, log) -> tuple[Path, int]:
    silver_path = Path(cfg.silver) if cfg.silver else out / "silver.jsonl"
    if not cfg.silver:
        if not cfg.raw:
            raise ConfigError("phase2: set raw (raw text inputs), silver or silver_model")
        s = run_silver(SilverConfig(inputs=list(cfg.raw), output=str(silver_path), threads=1,
                                    gazetteer=cfg.gazetteer or None), progress=progress)
        log(f"silver: {s.records} sentences, {s.records_with_entities} with entities")
    silver = _sample(
        [r for r in load_records(silver_path) if r.entities], cfg.max_silver, cfg.seed)
    used = out / "silver_used.jsonl"
    write_records(used, silver)
    return used, len(silver)


def _sample(records: list[Record], limit: int, seed: int) -> list[Record]:
    """At most ``limit`` of ``records`` (0 = all), a seeded sample."""
    if limit and len(records) > limit:
        return random.Random(seed).sample(records, limit)
    return records


def _gold_step(cfg: Phase2Config, out: Path, log) -> str:
    """The gold file both gold models train on: ``gold_train``, or a seeded
    sample of ``max_gold`` of its sentences."""
    if not cfg.max_gold:
        return cfg.gold_train
    gold = _sample(load_records(cfg.gold_train), cfg.max_gold, cfg.seed)
    used = out / "gold_used.jsonl"
    write_records(used, gold)
    log(f"phase2: gold: {len(gold)} sentences of {cfg.gold_train} (max_gold {cfg.max_gold})")
    return str(used)


def _reused(cfg: Phase2Config, model: str, name: str, log, base: str = "") -> str:
    """A model trained before: log how its saved recipe (and, given ``base``, its
    starting point) differs from this run's ``gold_train_settings``."""
    settings = train_config(cfg.gold_train_settings, "gold_train_settings", base="x",
                            data={"train": cfg.gold_train}, seed=cfg.seed)
    saved = _saved_config(model)
    for line in recipe_differences(model, saved, settings):
        log(f"phase2: {name} model differs from gold_train_settings: {line}")
    saved_base = (saved or {}).get("base")
    if base and saved_base and Path(saved_base).resolve() != Path(base).resolve():
        log(f"phase2: {name} model started from {saved_base}, not from the silver model {base}")
    log(f"phase2: {name} model reused: {model}")
    return model


def _train_models(cfg: Phase2Config, out: Path, timings: dict, progress: bool, log
                  ) -> tuple[dict[str, str], int]:
    """The three models (silver, silver then gold, gold only; built or reused) and
    the number of silver sentences trained on (0 when the silver model is reused)."""
    def train(name: str, where: str, base_model: str, data_train: str) -> str:
        tc = train_config(getattr(cfg, where), where, base=base_model,
                          data={"train": data_train}, output_dir=str(out / name), seed=cfg.seed)
        tc = dataclasses.replace(tc, save_merged=tc.use_lora)
        tt = time.time()
        run_training(tc, progress=progress, log=log)
        timings[name] = time.time() - tt
        return str(out / name)

    starts = cfg.silver_train if (cfg.silver_train.get("base") or cfg.silver_train.get("encoder")) \
        else cfg.gold_train_settings
    # the starting point of the models trained here (none when both are reused)
    base = "" if cfg.silver_model and cfg.gold_only_model else \
        _base_of(train_config(starts, "silver_train", seed=cfg.seed), out)
    n_silver = 0
    gold_train = _gold_step(cfg, out, log)
    if cfg.silver_model:
        silver_model = cfg.silver_model
        log(f"phase2: silver model reused: {silver_model}")
    else:
        t = time.time()
        used, n_silver = _silver_step(cfg, out, progress, log)
        timings["silver"] = time.time() - t
        silver_model = train("silver_model", "silver_train", base, str(used))
    if cfg.silver_then_gold_model:
        finetuned = _reused(cfg, cfg.silver_then_gold_model, "silver-then-gold", log,
                            base=str(resolve_model_dir(silver_model)))
    else:  # the fine-tune continues from the merged silver model (a full GLiNER2)
        finetuned = train("silver_then_gold", "gold_train_settings",
                          str(resolve_model_dir(silver_model)), gold_train)
    if cfg.gold_only_model:
        gold_only = _reused(cfg, cfg.gold_only_model, "gold-only", log)
    else:
        gold_only = train("gold_only", "gold_train_settings", base, gold_train)
    return {"silver": silver_model, "silver+gold": finetuned, "gold-only": gold_only}, n_silver


def run_phase2(cfg: Phase2Config, *, log=print, progress: bool = True) -> dict:
    t0 = time.time()
    if not (cfg.silver_model or cfg.silver_train.get("base") or cfg.silver_train.get("encoder")
            or cfg.gold_train_settings.get("base") or cfg.gold_train_settings.get("encoder")):
        train_config(cfg.silver_train, "silver_train")  # the ConfigError naming the keys
    if not cfg.gold_train:
        raise ConfigError("phase2: gold_train is required (the gold JSONL)")
    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_run_info(out, command="kmner experiment phase2", config=cfg, seed=cfg.seed)
    test = _load_test(cfg.test)
    timings: dict[str, float] = {}
    gaz_pred = [p.copy_with([e for e in p.entities if e.type in test.types])
                for p in gazetteer_predictions(test.records, out, cfg.gazetteer)]
    models, n_silver = _train_models(cfg, out, timings, progress, log)
    descriptions = {**cfg.silver_train.get("descriptions", {}),
                    **cfg.gold_train_settings.get("descriptions", {})}
    systems = {"gazetteer": gaz_pred}
    for name, path in models.items():
        systems[name] = predict_test(load_model(path), test, descriptions,
                                     cfg.predict_batch_size, log=log)
    for name, preds in systems.items():
        write_records(out / "predictions" / f"{name.replace('+', '_')}.jsonl", preds)
    _compare(test.records, systems, out / "compare", cfg.seed, f"Phase 2 on {cfg.test.name}")
    # the question phase 2 asks: does silver before gold beat gold alone (same gold)?
    _compare(test.records, {k: systems[k] for k in ("gold-only", "silver+gold")},
             out / "compare_vs_gold_only", cfg.seed,
             f"Phase 2 on {cfg.test.name}: silver then gold against gold only")
    results = {"test": cfg.test.name, "systems": {}, "timings": timings, "models": models,
               "silver_sentences": n_silver}
    rows = []
    for name, preds in systems.items():
        m = f1_with_ci(test.records, preds, cfg.seed)
        m["recall_outside_gazetteer"] = recall_outside_gazetteer(test.records, preds, cfg.gazetteer)
        results["systems"][name] = m
        rows.append((cfg.test.name, name, m))
    results["seconds"] = time.time() - t0
    write_json(out / "results.json", results)
    oov = "\n".join(f"- {n}: recall on gold entities not in the gazetteer "
                    f"{m['recall_outside_gazetteer']['recall']:.3f} "
                    f"({m['recall_outside_gazetteer']['found']}/"
                    f"{m['recall_outside_gazetteer']['entities_not_in_gazetteer']})"
                    for n, m in results["systems"].items())
    md = f"# Phase 2 results\n\n{_table(rows)}\n\n{oov}\n\nTotal {results['seconds']:.0f}s.\n"
    with atomic_write(out / "results.md") as fh:
        fh.write(md)
    log(md)
    return results


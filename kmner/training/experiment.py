"""``kmner experiment phase1``, and what every experiment shares: test sets, F1
with bootstrap CIs, tables (phase 2 is :mod:`kmner.training.phase2`). Each
experiment writes one results folder with HTML reports (from
:mod:`kmner.evaluation`), ``results.json`` and ``results.md``."""

from __future__ import annotations

import dataclasses
import random
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from kmner.core.bundled import bundled_path
from kmner.core.errors import ConfigError, InputError
from kmner.core.jsonl import atomic_write, load_records, write_json, write_records
from kmner.core.labelmap import LabelMap
from kmner.core.records import Record
from kmner.core.runinfo import from_mapping, to_mapping, write_run_info
from kmner.evaluation.bootstrap import bootstrap_ci, ci_label
from kmner.evaluation.compare import compare_to_dir
from kmner.evaluation.scoring import score_records
from kmner.training.config import TrainConfig
from kmner.training.model import ensure_base, load_model
from kmner.training.predict import PredictStats, predict_records
from kmner.training.train import run_training

TRAIN_KEYS = tuple(f.name for f in dataclasses.fields(TrainConfig) if f.init)


def train_settings(value: Any, where: str) -> dict[str, Any]:
    """Nested training settings as a plain mapping of TrainConfig keys (a TrainConfig
    is accepted too). Unknown keys are ConfigErrors now; the values are validated
    by :func:`train_config`, once base/encoder and data are filled in."""
    if isinstance(value, TrainConfig):
        return {k: to_mapping(getattr(value, k)) for k in TRAIN_KEYS}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: expected a mapping of training settings, got "
                          f"{type(value).__name__}")
    unknown = [k for k in value if k not in TRAIN_KEYS]
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}; valid keys: "
                          f"{', '.join(sorted(TRAIN_KEYS))}")
    return dict(value)


def train_config(settings: Mapping[str, Any], where: str, *, base: str = "",
                 data: Mapping[str, Any] | None = None, **fill: Any) -> TrainConfig:
    """``settings`` validated into a TrainConfig. ``base`` (when given) replaces the
    settings' base/encoder, ``data`` is merged into their ``data``, ``fill`` sets
    further keys. ConfigError naming the key when neither base nor encoder is set."""
    m = dict(settings)
    if base:
        m["base"], m["encoder"] = base, ""
    if not m.get("base") and not m.get("encoder"):
        raise ConfigError(f"{where}: set {where}.base (a GLiNER2 checkpoint) or "
                          f"{where}.encoder (build a fresh GLiNER2 on it)")
    if data:
        m["data"] = {**dict(m.get("data") or {}), **data}
    m.update(fill)
    return from_mapping(TrainConfig, m, where=where)


@dataclass
class TestSet:
    """An evaluation set.

    name: short name used for folders and tables.
    path: gold JSONL.
    label_map: applied to the gold before scoring (e.g. ``Symptom=Disease``).
    types: types to score (default: the gold's types after the map); the models
        are asked for them unless ``ask`` is set.
    ask: types to ask the models for; their predictions then go through
        ``label_map`` too (a model trained with Disease, Body and Symptom is asked
        all three and scored with Symptom=Disease, so its Symptom spans count).
    """

    name: str = ""
    path: str = ""
    label_map: Any = None
    types: list[str] = field(default_factory=list)
    ask: list[str] = field(default_factory=list)


@dataclass
class Phase1Config:
    """Phase 1: LoRA on a few gold sentences, before/after.

    gold: gold JSONL to split (default: the bundled sample gold set).
    n_train: sentences to train on (a seeded share of them is held out as dev for
        model selection, see ``train.data.dev_fraction``).
    n_test: sentences to test on, disjoint from the training ones.
    seed: seed of the split, the bootstrap and the training.
    extra_tests: further test sets scored before and after (e.g. diagnosis).
    output_dir: results folder.
    train: training settings, a mapping of :class:`TrainConfig` keys with ``base``
        or ``encoder`` (``data.train``, ``output_dir`` and ``seed`` are filled in).
    """

    gold: str = "data/sample/gold.jsonl"
    n_train: int = 40
    n_test: int = 10
    seed: int = 0
    extra_tests: list[TestSet] = field(default_factory=list)
    output_dir: str = "runs/phase1"
    train: dict[str, Any] = field(default_factory=dict)
    predict_batch_size: int = 16

    def __post_init__(self) -> None:
        self.train = train_settings(self.train, "train")
        self.extra_tests = [t if isinstance(t, TestSet) else _test_set(t) for t in self.extra_tests]


def _test_set(d: Any) -> TestSet:
    return from_mapping(TestSet, d, where="extra_tests")


# ---------------------------------------------------------------------------

def split_gold(records: Sequence[Record], n_train: int, n_test: int, seed: int
               ) -> tuple[list[Record], list[Record]]:
    if n_train + n_test > len(records):
        raise InputError(f"cannot take {n_train} train + {n_test} test sentences from "
                         f"{len(records)} records")
    idx = list(range(len(records)))
    random.Random(seed).shuffle(idx)
    return [records[i] for i in idx[:n_train]], [records[i] for i in idx[n_train:n_train + n_test]]


@dataclass
class LoadedTest:
    """A test set read and mapped: what to score, what to ask, how to map answers."""

    name: str
    records: list[Record]
    types: list[str]
    ask: list[str]
    label_map: LabelMap


def _load_test(ts: TestSet) -> LoadedTest:
    lm = LabelMap.parse(ts.label_map)
    recs = lm.apply(load_records(ts.path))
    types = list(ts.types) or sorted({e.type for r in recs for e in r.entities})
    return LoadedTest(ts.name, recs, types, list(ts.ask), lm)


def predict_test(loaded, test: LoadedTest, descriptions: dict, batch_size: int,
                 log=print) -> list[Record]:
    """Ask ``test.ask`` (or ``test.types``), map the answers like the gold, keep
    ``test.types``. Predictions are flat (one type per span), so a map that merges
    two types cannot make a span twice."""
    preds = _predict(loaded, test.records, test.ask or test.types, descriptions, batch_size,
                     log=log)
    if not test.ask:
        return preds
    return [rec.copy_with([e for e in rec.entities if e.type in test.types])
            for rec in test.label_map.apply(preds)]


def f1_with_ci(gold: Sequence[Record], pred: Sequence[Record], seed: int) -> dict:
    s = score_records(gold, pred)
    ci = bootstrap_ci(s.per_sentence, metric="f1", seed=seed)
    return {"f1": s.micro.f1, "precision": s.micro.precision, "recall": s.micro.recall,
            "ci_low": ci.low, "ci_high": ci.high, "confidence": ci.confidence, "tp": s.micro.tp, "fp": s.micro.fp,
            "fn": s.micro.fn, "sentences": len(gold),
            "per_type": {t: round(p.f1, 4) for t, p in sorted(s.per_type.items())}}


def _predict(loaded, recs: list[Record], types: Sequence[str], descriptions: dict,
             batch_size: int, log=print) -> list[Record]:
    """Predictions of an already loaded model (load it once per model, not per test set)."""
    stats = PredictStats()
    desc = {t: descriptions.get(t, loaded.descriptions.get(t, "")) for t in types}
    preds = predict_records(loaded, recs, types=desc, batch_size=batch_size, stats=stats)
    log(f"  predicted {loaded.path} on {len(recs)} sentences: {stats.summary()}")
    return preds


def _compare(gold, preds: dict[str, list[Record]], out: Path, seed: int, title: str) -> None:
    # a model asked for a type the test set lacks (Treatment on a 10-sentence split)
    # is scored: its spans count as false positives
    compare_to_dir(gold, preds, out, seed=seed, title=title, allow_new_types=True)


def slug(name: str) -> str:
    """A test set's name as a file name: "diagnosis test (Symptom->Disease)" ->
    "diagnosis_test_Symptom-_Disease"."""
    return re.sub(r"[^\w.-]+", "_", name).strip("_") or "test"


def _table(rows: list[tuple[str, str, dict]]) -> str:
    label = ci_label(rows[0][2].get("confidence", 0.95)) if rows else "CI"
    lines = [f"| test set | system | F1 | {label} | P | R | sentences |",
             "|---|---|---|---|---|---|---|"]
    for test, system, m in rows:
        lines.append(f"| {test} | {system} | {m['f1']:.3f} | {m['ci_low']:.3f}–{m['ci_high']:.3f} "
                     f"| {m['precision']:.3f} | {m['recall']:.3f} | {m['sentences']} |")
    return "\n".join(lines)


def _base_of(train: TrainConfig, out: Path) -> str:
    """The starting model: the configured base, or one built from the encoder."""
    if train.base:
        return train.base
    return str(ensure_base(train.encoder, out / "base", max_width=train.max_width or 8,
                           splitter=train.splitter, seed=train.seed))


def run_phase1(cfg: Phase1Config, *, log=print, progress: bool = True) -> dict:
    t0 = time.time()
    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    settings = train_config(cfg.train, "train", seed=cfg.seed)
    gold = load_records(cfg.gold)
    train, test = split_gold(gold, cfg.n_train, cfg.n_test, cfg.seed)
    write_records(out / "train.jsonl", train)
    write_records(out / "test.jsonl", test)
    write_run_info(out, command="kmner experiment phase1", config=cfg, seed=cfg.seed)
    descriptions = dict(settings.descriptions)
    tests = [LoadedTest("gold10", test, sorted(descriptions), [], LabelMap({}))]
    tests += [_load_test(ts) for ts in cfg.extra_tests]

    base = _base_of(settings, out)
    log(f"phase1: {len(train)} train / {len(test)} test sentences from {cfg.gold}; base {base}")
    base_model = load_model(base, splitter=settings.splitter)
    before = {t.name: predict_test(base_model, t, descriptions, cfg.predict_batch_size, log=log)
              for t in tests}
    del base_model

    tcfg = train_config(cfg.train, "train", base=base, data={"train": str(out / "train.jsonl")},
                        output_dir=str(out / "model"), seed=cfg.seed)
    t_train = time.time()
    result = run_training(tcfg, progress=progress, log=log)
    train_seconds = time.time() - t_train
    trained = load_model(str(out / "model"))
    after = {t.name: predict_test(trained, t, descriptions, cfg.predict_batch_size, log=log)
             for t in tests}

    rows, results = [], {"tests": {}, "train_seconds": train_seconds,
                         "best_dev_f1": result.best_dev_f1, "epochs_run": result.epochs_run}
    for t in tests:
        name, recs = t.name, t.records
        write_records(out / "predictions" / f"{slug(name)}.before.jsonl", before[name])
        write_records(out / "predictions" / f"{slug(name)}.after.jsonl", after[name])
        _compare(recs, {"before": before[name], "after": after[name]}, out / f"compare_{slug(name)}",
                 cfg.seed, f"Phase 1 on {name}: before vs after LoRA")
        mb, ma = f1_with_ci(recs, before[name], cfg.seed), f1_with_ci(recs, after[name], cfg.seed)
        results["tests"][name] = {"before": mb, "after": ma}
        rows += [(name, "before (base)", mb), (name, "after (LoRA)", ma)]
    results["seconds"] = time.time() - t0
    write_json(out / "results.json", results)
    md = ("# Phase 1 results\n\n" + _table(rows) + f"\n\nTraining: {train_seconds:.0f}s, "
          f"{result.epochs_run} epochs, best dev F1 {result.best_dev_f1:.3f}. Total {results['seconds']:.0f}s.\n")
    with atomic_write(out / "results.md") as fh:
        fh.write(md)
    log(md)
    return results


def demo_phase1_config(output_dir: str | Path, *, encoder: str | Path,
                       gold: str | Path | None = None, num_epochs: int = 8,
                       cpu_threads: int = 1, seed: int = 0) -> Phase1Config:
    """The demo's Phase 1: LoRA on 40 bundled gold sentences (8 of them held out as
    dev), before/after on 10, sized for a few minutes on a 2-core CPU."""
    if gold is None:
        gold = bundled_path("sample", "gold.jsonl")
    train = {"encoder": str(encoder), "output_dir": str(Path(output_dir) / "model"),
             "data": {"dev_fraction": 0.2}, "num_epochs": num_epochs,
             "early_stopping_patience": 3, "cpu_threads": cpu_threads}
    return Phase1Config(gold=str(gold), output_dir=str(output_dir), train=train, seed=seed)


def run_demo_training(output_dir: str | Path, *, encoder: str | Path,
                      gold: str | Path | None = None, num_epochs: int = 8, seed: int = 0,
                      log=print, progress: bool = True) -> dict:
    """What ``kmner demo`` calls for "Phase 1 LoRA + before/after report": writes
    ``output_dir/results.md`` and the HTML comparison in ``output_dir/compare_gold10/``."""
    cfg = demo_phase1_config(output_dir, encoder=encoder, gold=gold, num_epochs=num_epochs,
                             seed=seed)
    return run_phase1(cfg, log=log, progress=progress)

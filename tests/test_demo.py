import json

from kmner.core.jsonl import load_records
from kmner.demo import DemoConfig, run_demo


def test_demo_without_training_produces_every_artefact(tmp_path):
    lines = []
    figures = run_demo(DemoConfig(output_dir=str(tmp_path), train=False), log=lines.append)
    silver = load_records(tmp_path / "silver.jsonl")
    assert figures["silver"]["sentences"] == len(silver) > 0
    assert sum(figures["silver"]["entities"].values()) == sum(len(r.entities) for r in silver)
    tasks = json.loads((tmp_path / "labelstudio_tasks.json").read_text("utf-8"))
    assert len(tasks) == len(silver)
    metrics = json.loads((tmp_path / "silver_eval" / "metrics.json").read_text("utf-8"))
    # The HTML report and the console table come from the same scorer.
    assert abs(metrics["strict"]["micro"]["f1"] - figures["silver_eval"]["f1"]) < 1e-9
    assert (tmp_path / "silver_eval" / "report.html").exists()
    assert (tmp_path / "run.yaml").exists()
    assert 0 < figures["silver_eval"]["plain_aho_corasick_f1"] < figures["silver_eval"]["f1"]


def test_library_logs_are_quiet_unless_verbose():
    import logging

    from kmner.demo import library_logs

    trainer = logging.getLogger("gliner2.training.trainer")  # level NOTSET: inherits
    before = logging.getLogger("gliner2").level
    with library_logs(verbose=False):
        assert not trainer.isEnabledFor(logging.INFO)
        assert trainer.isEnabledFor(logging.WARNING)
    assert logging.getLogger("gliner2").level == before
    logging.getLogger("gliner2").setLevel(logging.INFO)
    try:
        with library_logs(verbose=True):
            assert trainer.isEnabledFor(logging.INFO)
    finally:
        logging.getLogger("gliner2").setLevel(before)

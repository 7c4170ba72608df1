"""`kmner data ...` end to end through the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from kmner.cli import app
from kmner.data import formats

FIX = Path(__file__).parent / "fixtures" / "data"


def run(*args):
    result = CliRunner().invoke(app, ["data", *map(str, args)])
    return result


def test_convert_guesses_formats_and_applies_label_map(tmp_path):
    out = tmp_path / "out.jsonl"
    r = run("convert", FIX / "charmask_sample.txt", out, "--label-map",
            "DS=Disease,BD=Body,ST=Symptom")
    assert r.exit_code == 0, r.output
    recs = formats.load(out)
    assert {e.type for r in recs for e in r.entities} == {"Disease", "Body", "Symptom"}
    assert "wrote 3 records" in r.output


def test_convert_refuses_options_that_do_not_apply(tmp_path):
    r = run("convert", FIX / "records_sample.jsonl", tmp_path / "o.conll", "--respace")
    assert r.exit_code != 0
    assert "--respace" in str(r.exception) and "do not apply" in str(r.exception)


def test_convert_reject_mode_writes_rejects(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("Sentence\tTags\n두통 이\tDisease-B O\n복통\tDisease-B O\n", "utf-8")
    out = tmp_path / "o.jsonl"
    r = run("convert", bad, out, "--on-error", "reject")
    assert r.exit_code == 0, r.output
    assert len(formats.load(out)) == 1
    rejects = [json.loads(x) for x in (tmp_path / "o.jsonl.rejects.jsonl").read_text().splitlines()]
    assert len(rejects) == 1 and rejects[0]["line"] == 3


def test_split_and_stats_commands(tmp_path):
    r = run("split", FIX / "records_sample.jsonl", FIX / "gliner2_sample.jsonl", "-o",
            tmp_path / "s", "--train", "4", "--test", "2", "--seed", "1")
    assert r.exit_code == 0, r.output
    manifest = json.loads((tmp_path / "s" / "manifest.json").read_text())
    assert manifest["splits"]["train"]["sentences"] == 4
    assert manifest["splits"]["test"]["sentences"] == 2
    assert (tmp_path / "s" / "run.yaml").exists()
    r = run("stats", tmp_path / "s" / "train.jsonl", "--json", tmp_path / "st.json")
    assert r.exit_code == 0, r.output
    stats = json.loads((tmp_path / "st.json").read_text())
    assert stats["sentences"] == 4 and "sentences: 4" in r.output


def test_export_instruct_needs_train_for_few_shot(tmp_path):
    out = tmp_path / "i.jsonl"
    r = run("export-instruct", FIX / "records_sample.jsonl", "-o", out, "--few-shot", "2")
    assert r.exit_code != 0 and "--few-shot-from" in str(r.exception)
    r = run("export-instruct", FIX / "records_sample.jsonl", "-o", out, "--few-shot", "1",
            "--few-shot-from", FIX / "gliner2_sample.jsonl", "--types", "Disease,Body")
    assert r.exit_code == 0, r.output
    first = json.loads(out.read_text("utf-8").splitlines()[0])
    assert "예시:" in first["instruction"] and set(json.loads(first["output"])) == {"Disease", "Body"}


def test_help_does_not_import_optional_heavy_packages():
    code = ("import sys, kmner.cli; from typer.testing import CliRunner; "
            "r = CliRunner().invoke(kmner.cli.app, ['data', '--help']); assert r.exit_code == 0; "
            "print([m for m in ('datasets', 'spacy', 'pyarrow', 'kiwipiepy', 'torch') "
            "if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"

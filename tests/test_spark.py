"""`--engine spark` in local mode: the same records as one process, compared by id,
counts that balance, a retried task that neither duplicates nor loses records,
Parquet in and out, and kmner's readers on the output folder.

One SparkSession for the module (``local[2,4]``: two cores, up to four attempts
per task; one CPU per task, so two Python workers run side by side); small blocks (8 KiB) so that text files are split and line numbers
must be carried across blocks."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

pyspark = pytest.importorskip("pyspark", reason="pyspark missing: pip install 'kmner[spark]'")

from kmner.core.errors import InputError  # noqa: E402
from kmner.core.jsonl import load_records, read_records  # noqa: E402
from kmner.core.parts import MANIFEST, iter_part_lines, part_files  # noqa: E402
from kmner.core.records import Record  # noqa: E402
from kmner.silver.pipeline import SilverConfig, run_silver  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"
pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture(scope="module")
def spark():
    from kmner.processing.spark import spark_session

    s = spark_session("local[2,4]", 2, "kmner tests",
                      {"spark.sql.files.maxPartitionBytes": "8k",
                       "spark.sql.files.openCostInBytes": "1k"}, task_cpus=1)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> list[str]:
    """Two text files (documents per line, an empty line) and gzipped JSONL records
    (one without an id, a blank line, a malformed line, an empty text)."""
    d = tmp_path_factory.mktemp("inputs")
    raw = (SAMPLE / "raw.txt").read_text(encoding="utf-8")
    (d / "notes.txt").write_text(raw + "\n\n" + raw[:500] + "\n", encoding="utf-8")
    descs = (SAMPLE / "disease_descriptions.txt").read_text(encoding="utf-8").splitlines()
    (d / "desc.txt").write_text("\n".join(descs[:100]) + "\n", encoding="utf-8")
    lines = (SAMPLE / "gold.jsonl").read_text(encoding="utf-8").splitlines()[:80]
    lines[3] = json.dumps({"text": "당뇨병과 고혈압이 있어 약을 먹는다."}, ensure_ascii=False)
    lines[10:10] = ["", "{not json", json.dumps({"id": "blank", "text": "  "})]
    lines.append(json.dumps({"text": "폐렴으로 입원했다."}, ensure_ascii=False))
    with gzip.open(d / "gold.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    return [str(d / "notes.txt"), str(d / "desc.txt"), str(d / "gold.jsonl.gz")]


@pytest.fixture(scope="module")
def single(inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("single") / "silver.jsonl"
    summary = run_silver(SilverConfig(inputs=inputs, output=str(out)), progress=False)
    rejects = [json.loads(x) for x in
               out.with_name("silver.rejects.jsonl").read_text("utf-8").splitlines()]
    return summary, by_id(load_records(out, allow_overlaps=True)), rejects


def by_id(records: list) -> dict:
    ids = [r.id for r in records]
    assert len(ids) == len(set(ids)), "duplicate ids"
    return {r.id: (r.text, [e.to_dict() for e in r.entities], r.meta) for r in records}


def run_spark(spark, inputs, out: Path, **opts):
    from kmner.processing.silver import SparkOptions, run_silver_spark

    cfg = SilverConfig(inputs=inputs, output=str(out))
    return run_silver_spark(cfg, SparkOptions(**opts), spark=spark)


def reject_lines(folder: Path) -> list[dict]:
    return [json.loads(line) for part in part_files(folder)
            for line in part.read_text("utf-8").splitlines()]


def assert_same_as_single(single, summary, out: Path) -> None:
    s_summary, s_records, s_rejects = single
    records = by_id(load_records(out, allow_overlaps=True))
    assert records.keys() == s_records.keys()
    assert records == s_records
    key = lambda r: (r["source"], r["line"] or 0, str(r["id"]))  # noqa: E731
    assert sorted(reject_lines(out / "_rejects"), key=key) == sorted(s_rejects, key=key)
    for field in ("units", "written_units", "rejected", "records", "records_with_entities",
                  "entities", "reject_reasons"):
        assert getattr(summary, field) == getattr(s_summary, field), field
    assert summary.balanced()


def test_spark_records_equal_single_process(spark, inputs, single, tmp_path):
    summary, manifest = run_spark(spark, inputs, tmp_path / "out")
    assert_same_as_single(single, summary, tmp_path / "out")
    c = manifest["counts"]
    assert c["units"] == c["written_units"] + c["rejected"]
    assert len(list(iter_part_lines(tmp_path / "out"))) == c["records"]
    assert manifest["engine"]["input_blocks"] > 3  # text files were split in blocks
    # Kiwi and the gazetteer were loaded once in each Python worker
    assert set(manifest["engine"]["python_workers"].values()) == {1}
    assert single[2] and any(r["line"] == 12 for r in single[2])  # the malformed line


def run_failing_first_attempts(spark, inputs, tmp_path):
    """Silver on Spark into ``tmp_path/out`` with the first attempt of some tasks
    failing after they wrote output: (summary, manifest, failed attempts)."""
    from kmner.processing.batches import FAIL_FIRST_ATTEMPT

    markers = tmp_path / "failed"
    markers.mkdir()
    spark.sparkContext.setLocalProperty(FAIL_FIRST_ATTEMPT, str(markers))
    try:
        summary, manifest = run_spark(spark, inputs, tmp_path / "out")
    finally:
        spark.sparkContext.setLocalProperty(FAIL_FIRST_ATTEMPT, None)
    return summary, manifest, len(list(markers.iterdir()))


def test_retried_tasks_neither_duplicate_nor_lose_records(spark, inputs, single, tmp_path):
    summary, _, failed = run_failing_first_attempts(spark, inputs, tmp_path)
    assert failed == 2  # two first attempts failed, after output
    assert_same_as_single(single, summary, tmp_path / "out")  # no duplicate, none lost


def test_parquet_in_and_out(spark, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    gold = load_records(SAMPLE / "gold.jsonl")[:60]
    rows = {"id": [r.id for r in gold], "text": [r.text for r in gold]}
    rows["id"][5] = None  # numbered like a JSONL record without an id
    pq.write_table(pa.table(rows), tmp_path / "notes.parquet")
    with open(tmp_path / "notes.jsonl", "w", encoding="utf-8") as fh:
        for rid, text in zip(rows["id"], rows["text"]):
            fh.write(json.dumps({"id": rid, "text": text} if rid else {"text": text},
                                ensure_ascii=False) + "\n")
    summary, manifest = run_spark(spark, [str(tmp_path / "notes.parquet")], tmp_path / "out",
                                  file_format="parquet")
    ref = run_silver(SilverConfig(inputs=[str(tmp_path / "notes.jsonl")],
                                  output=str(tmp_path / "ref.jsonl")), progress=False)
    got = by_id(load_records(tmp_path / "out"))
    assert got == by_id(load_records(tmp_path / "ref.jsonl"))
    assert "notes-6" in got and summary.records == ref.records == 60
    table = pq.read_table(part_files(tmp_path / "out")[0])
    assert {"id", "text", "entities", "record"} <= set(table.column_names)
    # the library function, as a user's own job calls it
    from kmner.processing import OUTPUT_SCHEMA
    from kmner.processing.batches import silver_mapper

    notes = spark.read.parquet(str(tmp_path / "notes.parquet"))
    rows = notes.mapInPandas(silver_mapper(), OUTPUT_SCHEMA).filter("kind = 'record'")
    mine = by_id([Record.from_dict(json.loads(r["record"])) for r in rows.collect()])
    assert {k: v for k, v in mine.items() if k} == \
        {k: v for k, v in got.items() if k != "notes-6"}


def test_cli_engine_spark_and_readers_take_the_folder(spark, inputs, single, tmp_path):
    from typer.testing import CliRunner

    from kmner.cli import app
    from kmner.data.formats import load as load_any

    out = tmp_path / "cli"
    r = CliRunner().invoke(app, ["silver", "run", "--engine", "spark", *inputs, "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "input units:" in r.output and (out / MANIFEST).exists()
    expected = single[1]
    assert by_id(load_records(out, allow_overlaps=True)) == expected
    assert len(load_any(out)) == len(expected)  # data convert's reader, by sniffing
    r = CliRunner().invoke(app, ["data", "convert", str(out), str(tmp_path / "one.jsonl")])
    assert r.exit_code == 0, r.output
    assert len(load_records(tmp_path / "one.jsonl")) == len(expected)
    r = CliRunner().invoke(app, ["silver", "stats", str(out), "--json"])
    assert json.loads(r.output)["records"] == len(expected)


def test_folder_without_manifest_is_refused(tmp_path):
    (tmp_path / "part-00000.txt").write_text("{}\n", encoding="utf-8")
    with pytest.raises(InputError, match="without a _kmner_manifest.json"):
        list(read_records(tmp_path))


def test_import_and_help_do_not_load_pyspark():
    code = ("import sys, kmner, kmner.cli; "
            "from typer.testing import CliRunner; "
            "r = CliRunner().invoke(kmner.cli.app, ['silver', 'run', '--help']); "
            "assert r.exit_code == 0 and '--engine' in r.output, r.output; "
            "heavy = [m for m in ('pyspark', 'torch', 'pandas') if m in sys.modules]; "
            "assert not heavy, heavy")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO)
    assert out.returncode == 0, out.stderr + out.stdout


def test_one_gzip_file_is_spread_over_the_slots_and_retried(spark, inputs, tmp_path):
    """A .gz file is one block: its units are numbered where it is read, then
    repartitioned; a retried task after that shuffle still loses nothing."""
    gz = [inputs[2]]
    ref = run_silver(SilverConfig(inputs=gz, output=str(tmp_path / "ref.jsonl")),
                     progress=False)
    rejects = [json.loads(x) for x in (tmp_path / "ref.rejects.jsonl").read_text().splitlines()]
    summary, manifest, failed = run_failing_first_attempts(spark, gz, tmp_path)
    assert manifest["engine"]["input_blocks"] == 1 and manifest["engine"]["partitions"] == 4
    assert failed == 2
    single = (ref, by_id(load_records(tmp_path / "ref.jsonl", allow_overlaps=True)), rejects)
    assert_same_as_single(single, summary, tmp_path / "out")


def test_rerun_overwrites_and_counts_balance(spark, inputs, single, tmp_path):
    run_spark(spark, inputs, tmp_path / "out")
    summary, manifest = run_spark(spark, inputs, tmp_path / "out")
    assert_same_as_single(single, summary, tmp_path / "out")
    on_disk = json.loads((tmp_path / "out" / MANIFEST).read_text("utf-8"))
    assert on_disk["counts"] == manifest["counts"] and on_disk["balanced"]
    reasons = Counter(r["reason"] for r in reject_lines(tmp_path / "out" / "_rejects"))
    assert sum(reasons.values()) == manifest["counts"]["rejected"]


# -- predict ----------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    """A randomly initialised GLiNER2 on a tiny encoder (no training)."""
    from kmner.training.model import build_base
    from tests.training_fixtures import build_tiny_encoder

    w = tmp_path_factory.mktemp("model")
    build_tiny_encoder(w / "enc")
    return Path(build_base(str(w / "enc"), w / "base", seed=0))


def test_spark_predict_equals_local_predict(spark, tiny_model, tmp_path):
    from kmner.core.jsonl import write_records
    from kmner.processing.predict import PredictOptions, run_predict_spark
    from kmner.training.model import load_model
    from kmner.training.predict import predict_records
    from tests.training_fixtures import tiny_records

    recs = tiny_records(30)
    long_text = " ".join(r.text for r in tiny_records(6)) * 2  # chunked: 40-word windows
    recs.append(type(recs[0])("long", long_text, []))
    write_records(tmp_path / "in.jsonl", recs)
    types = ["Disease", "Body", "Treatment"]
    local = predict_records(load_model(str(tiny_model), device="cpu"), recs, types=types,
                            threshold=0.3, chunk_words=40)
    opts = PredictOptions(str(tiny_model), device="cpu", types=types, threshold=0.3,
                          chunk_words=40)
    manifest = run_predict_spark(opts, str(tmp_path / "in.jsonl"), str(tmp_path / "out"),
                                 spark=spark)
    got = {r.id: r for r in load_records(tmp_path / "out")}
    assert got.keys() == {r.id for r in local} and manifest["counts"]["records"] == len(recs)
    assert manifest["counts"]["chunked_records"] == 1
    n = 0
    for r in local:
        g = got[r.id]
        assert g.text == r.text
        assert [(e.start, e.end, e.type, e.text) for e in g.entities] == \
               [(e.start, e.end, e.type, e.text) for e in r.entities]
        for a, b in zip(g.entities, r.entities):
            assert a.meta["score"] == pytest.approx(b.meta["score"], abs=1e-3)
        n += len(r.entities)
    assert n > 0  # the random model does find spans at this threshold
    # the same through `kmner predict --engine spark`
    from typer.testing import CliRunner

    from kmner.cli import app

    r = CliRunner().invoke(app, ["predict", str(tiny_model), str(tmp_path / "in.jsonl"), "-o",
                                 str(tmp_path / "cli"), "--engine", "spark", "--device", "cpu",
                                 "--types", ",".join(types), "--threshold", "0.3",
                                 "--chunk-words", "40"])
    assert r.exit_code == 0, r.output
    assert {x.id: x.entities for x in load_records(tmp_path / "cli")} == \
        {x.id: x.entities for x in got.values()}
    # and `kmner evaluate` scores the folder as it scores a JSONL file
    r = CliRunner().invoke(app, ["evaluate", "--gold", str(tmp_path / "in.jsonl"), "--pred",
                                 str(tmp_path / "out"), "-o", str(tmp_path / "report"),
                                 "--n-resamples", "20"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "report" / "metrics.json").exists()

"""Every command against hostile files (tests/hostile_files.py), run as a real
`python -m kmner` process with a timeout. Each case asserts the exit code (1 for
user errors, 2 for usage errors), that a user error is exactly one `error:` line
with no traceback, that no input file changed, and that nothing hangs."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile_files import BAD_CONFIGS, BAD_RECORDS, write_corpus

REPO = Path(__file__).resolve().parents[1]
TIMEOUT = 120  # seconds per command; a hang fails the case instead of the suite


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    write_corpus(d)
    return d


def kmner(*args: str, cwd: Path, env: dict | None = None, limit_bytes: int | None = None
          ) -> subprocess.CompletedProcess:
    def limit() -> None:  # a full disk, as far as kmner can tell
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    full_env = {**os.environ, "PYTHONPATH": str(REPO), "KMNER_CRASH_DIR": str(cwd / "crash"),
                **(env or {})}
    full_env.pop("KMNER_DEBUG", None) if not env or "KMNER_DEBUG" not in env else None
    try:
        return subprocess.run([sys.executable, "-m", "kmner", *args], cwd=cwd,
                              capture_output=True, text=True, timeout=TIMEOUT, env=full_env,
                              preexec_fn=limit if limit_bytes else None)
    except subprocess.TimeoutExpired:
        pytest.fail(f"kmner {' '.join(args)} did not finish in {TIMEOUT}s (hang)")


def snapshot(d: Path) -> dict[str, str]:
    return {str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(d.rglob("*")) if p.is_file() and not p.is_symlink()
            and p.name != "fifo.jsonl"
            and "out" not in p.parts and "crash" not in p.parts}


def assert_user_error(res: subprocess.CompletedProcess, code: int = 1,
                      mentions: str | None = None) -> str:
    err_lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert res.returncode == code, (res.returncode, res.stdout, res.stderr)
    assert "Traceback" not in res.stderr, res.stderr
    if code == 1:
        errors = [ln for ln in err_lines if ln.startswith("error: ")]
        assert len(errors) == 1 and errors[0] == err_lines[-1], res.stderr
        assert "bug in kmner" not in errors[0], res.stderr
        if mentions:
            assert mentions in errors[0], errors[0]
        return errors[0]
    return res.stderr


# (case id, arguments with {d} for the corpus folder, exit code, text the error names)
CASES = [
    ("evaluate-nan-confidence", "evaluate --gold gold.jsonl --pred nan_score.jsonl -o out/e1",
     1, "nan_score.jsonl:1"),
    ("evaluate-dev-nan", "evaluate --gold gold.jsonl --pred gold2.jsonl --dev-gold gold.jsonl "
     "--dev-pred nan_score.jsonl -o out/e2", 1, "NaN"),
    ("compare-pred-nan", "compare --gold gold.jsonl --pred gold2.jsonl --pred nan_score.jsonl "
     "-o out/c1", 1, "NaN"),
    ("evaluate-threshold-nan", "evaluate --gold gold.jsonl --pred gold2.jsonl --threshold nan "
     "-o out/e3", 2, None),
    ("evaluate-threshold-inf", "evaluate --gold gold.jsonl --pred gold2.jsonl --threshold inf "
     "-o out/e3", 2, None),
    ("evaluate-resamples-0", "evaluate --gold gold.jsonl --pred gold2.jsonl --n-resamples 0 "
     "-o out/e4", 2, None),
    ("compare-permutations-0", "compare --gold gold.jsonl --pred gold.jsonl --pred gold2.jsonl "
     "--n-permutations 0 -o out/c2", 2, None),
    ("evaluate-output-is-file", "evaluate --gold gold.jsonl --pred gold2.jsonl -o gold.jsonl",
     1, "output folder is a file"),
    ("evaluate-empty-gold", "evaluate --gold empty.jsonl --pred gold.jsonl -o out/e5", 1,
     "no records"),
    ("evaluate-binary", "evaluate --gold binary.jsonl --pred gold.jsonl -o out/e6", 1,
     "binary"),
    ("evaluate-broken-gzip", "evaluate --gold broken.jsonl.gz --pred gold.jsonl -o out/e7", 1,
     "gzip"),
    ("evaluate-folder-input", "evaluate --gold a_folder --pred gold.jsonl -o out/e8", 1,
     "directory"),
    ("compare-output-is-report", "compare report_a report_b -o report_a", 1, "overwrite"),
    ("compare-not-reports", "compare report_a report_b -o out/c3", 1,
     "not a kmner evaluation report"),
    ("compare-report-nan", "compare report_nan report_b -o out/c4", 1, "NaN"),
    ("compare-report-altered", "compare report_altered report_altered -o out/c5", 1,
     "metrics.json"),
    ("label-map-list-values", "evaluate --gold gold.jsonl --pred gold2.jsonl -o out/l1 "
     "--label-map labelmap_list_values.yaml", 1, "maps to [1]"),
    ("silver-input-is-folder", "silver run a_folder -o out/sf.jsonl", 1, "a_folder"),
    ("silver-input-unknown-kind", "silver run terms.tsv -o out/sk.jsonl", 1,
     "unknown input type"),
    ("silver-kiwi-dict-folder", "silver run gold.jsonl --kiwi-dict a_folder -o out/sd.jsonl",
     1, "a_folder"),
    ("evaluate-fifo-input", "evaluate --gold fifo.jsonl --pred gold.jsonl -o out/ff", 1,
     "not a regular file"),
    ("convert-output-is-device", "data convert gold.jsonl /dev/null --to jsonl", 1,
     "not a regular file"),
    ("silver-resamples-huge", "evaluate --gold gold.jsonl --pred gold2.jsonl -o out/h "
     "--n-resamples 1000000000", 2, None),
    ("score-instruct-id-list", "data score-instruct gold.jsonl answers_bad_id.jsonl", 1,
     "expected an id"),
    ("score-instruct-nan", "data score-instruct gold.jsonl answers_nan.jsonl", 1, "NaN"),
    ("export-instruct-style", "data export-instruct gold.jsonl -o out/ei.jsonl --style x", 2,
     None),
    ("convert-on-error-choice", "data convert gold.jsonl out/oe.jsonl --on-error maybe", 2,
     None),
    ("convert-scheme-choice", "data convert gold.jsonl out/sc.conll --scheme bio2", 2, None),
    ("predict-missing-local-model", "predict ./no/such/model gold.jsonl -o out/p.jsonl", 1,
     "does not exist"),
    ("predict-missing-model-in-local-folder", "predict a_folder/no_model gold.jsonl "
     "-o out/p.jsonl", 1, "does not exist"),
    ("predict-missing-ensemble-member", "predict a_folder gold.jsonl -o out/p.jsonl "
     "--ensemble-with a_folder/no_model", 1, "--ensemble-with"),
    ("ls-diff-empty-gold", "ls diff gold.jsonl empty.jsonl", 1, "no records"),
    ("silver-output-is-input", "silver run gold.jsonl -o gold.jsonl", 1, "overwrite"),
    ("silver-output-is-symlinked-input", "silver run gold.jsonl -o gold_link.jsonl", 1,
     "overwrite"),
    ("silver-rejects-is-output", "silver run gold.jsonl -o out/s.jsonl --rejects out/s.jsonl",
     1, "same file"),
    ("silver-output-is-folder", "silver run gold.jsonl -o a_folder", 1, "is a folder"),
    ("silver-parent-is-file", "silver run gold.jsonl -o gold2.jsonl/s.jsonl", 1,
     "is a file"),
    ("silver-gazetteer-is-output", "silver run gold.jsonl -g terms.tsv -o terms.tsv", 1,
     "overwrite"),
    ("silver-threads-0", "silver run gold.jsonl -o out/s0.jsonl --threads 0", 2, None),
    ("silver-pickle-gazetteer", "silver run gold.jsonl -g evil.gaz -o out/s1.jsonl", 1,
     "pickle"),
    ("silver-eval-empty-gold", "silver eval empty.jsonl -g terms.tsv", 1, "no records"),
    ("silver-eval-blank-gold", "silver eval blank_only.jsonl -g terms.tsv", 1, "no records"),
    ("gazetteer-output-is-input", "gazetteer build terms.tsv -o terms.tsv", 1, "overwrite"),
    ("gazetteer-no-terms", "gazetteer build terms_header_only.tsv -o out/none.gaz", 1,
     "no terms"),
    ("gazetteer-miscased-type", "gazetteer build terms_miscased.tsv -o out/m.gaz", 1,
     "did you mean 'Disease'"),
    ("gazetteer-options-typo", "gazetteer build gaz_options_typo.yaml -o out/o.gaz", 1,
     "exclude_code_prefx"),
    ("gazetteer-options-not-taken", "gazetteer build gaz_options_tsv.yaml -o out/o2.gaz", 1,
     "'lower'"),
    ("gazetteer-options-anatomy-type",
     "gazetteer build gaz_options_anatomy.yaml -o out/o3.gaz", 1, "exclude_sections"),
    ("gazetteer-type-miscased-config", "gazetteer build gaz_type_miscased.yaml -o out/t.gaz",
     1, "sources[0].type"),
    ("gazetteer-conflicts-choice", "gazetteer build gaz_conflicts.yaml -o out/c.gaz", 1,
     "conflicts: expected one of"),
    ("gazetteer-min-chars-word", "gazetteer build gaz_min_chars.yaml -o out/c.gaz", 1,
     "min_chars: expected an integer"),
    ("gazetteer-output-folder", "gazetteer build terms.tsv -o a_folder", 1, "is a folder"),
    ("gazetteer-pickle-never-runs", "gazetteer stats evil.gaz", 1, "pickle"),
    ("gazetteer-junk-file", "gazetteer lookup junk.gaz 당뇨병", 1, "not a kmner gazetteer"),
    ("gazetteer-kiwi-dict-over-input", "gazetteer kiwi-dict junk.gaz -o junk.gaz", 1,
     "overwrite"),
    ("convert-output-is-input", "data convert gold.jsonl gold.jsonl", 1, "overwrite"),
    ("convert-output-via-symlink", "data convert gold.jsonl gold_link.jsonl", 1, "overwrite"),
    ("convert-rejects-is-input", "data convert mixed.jsonl out/m.conll --on-error reject "
     "--rejects mixed.jsonl", 1, "overwrite"),
    ("split-nan-size", "data split gold.jsonl -o out/split --train nan --test 1", 2, None),
    ("ls-import-annotations-object", "ls import ls_annotations_object.json -o out/g.jsonl", 1,
     "'annotations' must be a list"),
    ("ls-import-data-list", "ls import ls_data_list.json -o out/g2.jsonl", 1,
     "'data' must be an object"),
    ("ls-import-region-without-text", "ls import ls_region_without_text.json -o out/g3.jsonl",
     1, "region has no text"),
    ("ls-import-nan", "ls import ls_nan.json -o out/g4.jsonl", 1, "NaN"),
    ("ls-import-over-export", "ls import ls_nan.json -o ls_nan.json", 1, "overwrite"),
    ("ls-diff-output-is-input", "ls diff gold.jsonl gold2.jsonl -o gold2.jsonl", 1,
     "overwrite"),
    ("ls-export-output-is-input", "ls export gold.jsonl -o gold.jsonl", 1, "overwrite"),
    ("train-config-is-a-list", "train train_not_mapping.yaml", 1, "mapping"),
]
CASES += [(f"evaluate-{name}", f"evaluate --gold gold.jsonl --pred {name}.jsonl -o out/x", 1,
           f"{name}.jsonl:1") for name in BAD_RECORDS]
CASES += [(f"evaluate-gold-{name}", f"evaluate --gold {name}.jsonl --pred gold.jsonl -o out/y",
           1, f"{name}.jsonl:1") for name in ("type_null", "meta_string", "duplicate_span")]
CASES += [(f"train-{name}", f"train train_{name}.yaml", 1, f"train_{name}.yaml")
          for name in BAD_CONFIGS if name != "not_mapping"]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_hostile_command(corpus, case):
    _, args, code, mentions = case
    before = snapshot(corpus)
    res = kmner(*args.split(), cwd=corpus)
    assert_user_error(res, code, mentions)
    assert snapshot(corpus) == before, "an input file changed"
    for arg in args.split():  # a failed command leaves no output, partial file or folder
        if arg.startswith("out/"):
            assert not list(corpus.glob(arg + "*")), f"{arg} left behind"
    assert not (corpus / "MARKER").exists(), "loading a pickle ran its code"
    assert not (corpus / "crash").exists(), "a hostile input reached a bug"


def _units_line(stdout: str) -> tuple[int, int, int]:
    line = next(ln for ln in stdout.splitlines() if ln.startswith("input units:"))
    nums = [int(w) for w in line.replace("=", " ").replace("+", " ").split() if w.isdigit()]
    return nums[0], nums[1], nums[2]


def test_silver_run_rejects_every_bad_line_and_counts_all(corpus):
    """mixed.jsonl: good records, every bad record, a blank and an undecodable line."""
    before = snapshot(corpus)
    out = corpus / "out" / "mixed_silver.jsonl"
    res = kmner("silver", "run", "mixed.jsonl", "-o", str(out), "--no-progress", cwd=corpus)
    assert res.returncode == 0, res.stderr
    total, written, rejected = _units_line(res.stdout)
    n_lines = len((corpus / "mixed.jsonl").read_bytes().splitlines())
    assert total == n_lines == written + rejected
    # the two good records, and the one with a duplicated span: silver replaces the
    # entities of its inputs, so only spans that no longer match the text disqualify
    assert written == 3
    rejects = [json.loads(x) for x in out.with_name("mixed_silver.rejects.jsonl")
               .read_text(encoding="utf-8").splitlines()]
    assert len(rejects) == rejected and all(r["reason"] for r in rejects)
    assert sorted(r["line"] for r in rejects) == sorted(set(r["line"] for r in rejects))
    reasons = " ".join(r["reason"] for r in rejects)
    for word in ("not a finite number", "non-empty string", "must be an object", "'id'",
                 "lone surrogate", "blank line", "not valid UTF-8", "does not match"):
        assert word in reasons, word
    assert len(out.read_text(encoding="utf-8").splitlines()) == written
    assert snapshot(corpus) == before


@pytest.mark.parametrize("name,units", [("cr_only.txt", 3), ("crlf.txt", 3),
                                        ("bad_utf8.txt", 3)])
def test_silver_run_line_endings_and_bad_bytes(corpus, name, units):
    out = corpus / "out" / f"{name}.jsonl"
    res = kmner("silver", "run", name, "-o", str(out), "--no-progress", cwd=corpus)
    assert res.returncode == 0, res.stderr
    total, written, rejected = _units_line(res.stdout)
    assert total == units == written + rejected
    if name == "bad_utf8.txt":
        assert rejected == 1 and "line 2" not in res.stderr
        [rej] = [json.loads(x) for x in out.with_name(f"{name}.rejects.jsonl")
                 .read_text(encoding="utf-8").splitlines()]
        assert rej["line"] == 2 and "UTF-8" in rej["reason"]


def test_disk_full_is_a_user_error(corpus):
    """Writing past a file-size limit fails like a full disk: one line, exit 1."""
    res = kmner("data", "convert", "mixed.jsonl", "out/big.jsonl", "--on-error", "reject",
                cwd=corpus, limit_bytes=4096)
    line = assert_user_error(res)
    assert "file too large" in line or "no space" in line, line
    assert not any((corpus / "out").glob(".big.jsonl.*")), "temporary file left behind"


def test_unexpected_exception_is_reported_as_a_bug(corpus):
    """A command that fails unexpectedly: one line, exit 3, traceback in a file."""
    code = ("import kmner.cli as c\n"
            "@c.app.command('boom')\n"
            "def boom():\n    raise KeyError('unexpected')\n"
            "c.main(['boom'])\n")
    crash = corpus / "crash_bug"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=TIMEOUT, cwd=corpus,
                         env={**os.environ, "PYTHONPATH": str(REPO),
                              "KMNER_CRASH_DIR": str(crash)})
    assert res.returncode == 3, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "bug in kmner" in lines[0] and "Traceback" not in res.stderr
    [report] = crash.glob("kmner-crash-*.txt")
    assert str(report) in lines[0] and "KeyError" in report.read_text(encoding="utf-8")


@pytest.mark.parametrize("how", ["flag-first", "flag-last", "env"])
def test_debug_prints_the_traceback(corpus, how):
    args = ["evaluate", "--gold", "nan_score.jsonl", "--pred", "gold.jsonl", "-o", "out/d"]
    env = None
    if how == "flag-first":
        args = ["--debug", *args]
    elif how == "flag-last":
        args = [*args, "--debug"]
    else:
        env = {"KMNER_DEBUG": "1"}
    res = kmner(*args, cwd=corpus, env=env)
    assert res.returncode == 1
    assert "Traceback" in res.stderr and res.stderr.strip().splitlines()[-1].startswith("error:")


def test_gazetteer_build_writes_run_info_and_convert_too(corpus):
    out = corpus / "out" / "ok.gaz"
    res = kmner("gazetteer", "build", "terms.tsv", "-o", str(out), cwd=corpus)
    assert res.returncode == 0, res.stderr
    assert (corpus / "out" / "ok.gaz.run.yaml").exists()
    res = kmner("data", "convert", "gold.jsonl", "out/gold.conll", cwd=corpus)
    assert res.returncode == 0, res.stderr
    assert (corpus / "out" / "gold.conll.run.yaml").exists()


def test_convert_prints_the_count_identity(corpus):
    res = kmner("data", "convert", "mixed.jsonl", "out/mixed.conll", "--on-error", "reject",
                cwd=corpus)
    assert res.returncode == 0, res.stderr
    line = next(ln for ln in res.stderr.splitlines() if ln.startswith("input records:"))
    total, written, rejected = _units_line(line.replace("input records:", "input units:"))
    assert total == len((corpus / "mixed.jsonl").read_bytes().splitlines())
    assert total == written + rejected and written == 2


def test_no_loader_can_run_code():
    """Nothing kmner loads is unpickled: no pickle/marshal/unsafe YAML in kmner, and
    GLiNER2's checkpoint fallback loads tensors only (weights_only=True)."""
    import importlib.util
    import re

    risky = re.compile(r"pickle\.loads?\(|marshal\.loads?\(|yaml\.load\(|yaml\.unsafe_load|"
                       r"allow_pickle=True|torch\.load\((?![^)]*weights_only=True)")
    hits = [f"{p}:{i}" for p in (REPO / "kmner").rglob("*.py")
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
            if risky.search(line)]
    assert not hits, hits
    spec = importlib.util.find_spec("gliner2")
    if spec is not None and spec.submodule_search_locations:
        loading = Path(spec.submodule_search_locations[0]) / "models" / "loading.py"
        if loading.exists():
            calls = re.findall(r"torch\.load\([^)]*\)", loading.read_text(encoding="utf-8"))
            assert calls and all("weights_only=True" in c for c in calls), calls

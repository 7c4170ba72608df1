"""`kmner evaluate` / `kmner compare` end to end, the report artefacts, and every
kind of bad input with its error message."""

import json
import os
import re

import pytest

from eval_helpers import FIXTURES, load_fixture, perturb, write_jsonl
from kmner.cli import main
from kmner.core.records import Entity, Record
from kmner.evaluation import compare_to_dir, evaluate_to_dir
from kmner.evaluation.screenshot import find_chromium

GOLD = FIXTURES / "eval_gold.jsonl"
PRED = FIXTURES / "eval_pred.jsonl"


def run(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def test_evaluate_writes_three_artefacts(tmp_path, capsys):
    out = tmp_path / "rep"
    code, stdout, err = run(["evaluate", "--gold", str(GOLD), "--pred", str(PRED), "-o", str(out),
                             "--seed", "3", "--n-resamples", "200"], capsys)
    assert code == 0, err
    assert "recognition rate" in stdout
    m = json.loads((out / "metrics.json").read_text())
    for key in ("config", "environment", "seed", "headline", "per_type", "modes",
                "recognition_rate", "errors", "per_sentence", "pr_curve", "label_map"):
        assert key in m
    assert m["seed"] == 3 and m["config"]["n_resamples"] == 200
    assert m["environment"]["versions"]["seqeval"]
    assert set(m["modes"]) == {"strict", "boundary", "overlap", "partial"}
    assert m["headline"]["f1"] == m["strict"]["micro"]["f1"]
    assert m["recognition_rate"]["value"] == m["strict"]["micro"]["recall"]
    assert m["pr_curve"]["points"], "fixture predictions carry scores"
    md = (out / "report.md").read_text()
    assert "Recognition rate" in md and "Boundary errors" in md
    html = (out / "report.html").read_text()
    # Self-contained: no scripts, no external resources.
    assert "<script" not in html and not re.search(r'(src|href)="(https?:)?//', html)
    assert html.count("<svg") >= 2 and 'class="heat"' in html and "<mark" in html
    assert (out / "run.yaml").exists()


def test_same_seed_same_report_numbers(tmp_path, capsys):
    gold, pred = load_fixture("eval_gold.jsonl"), load_fixture("eval_pred.jsonl")
    a = evaluate_to_dir(gold, pred, tmp_path / "a", seed=1)
    b = evaluate_to_dir(gold, pred, tmp_path / "b", seed=1)
    assert a.intervals == b.intervals and a.per_type_intervals == b.per_type_intervals
    assert a.micro.f1 == pytest.approx(b.micro.f1)


def test_compare_from_reports_and_from_predictions(tmp_path, capsys):
    gold = load_fixture("eval_gold.jsonl")
    worse = write_jsonl(tmp_path / "worse.jsonl", perturb(gold, 11, p_drop=0.5))
    for name, pred in (("a", worse), ("b", PRED)):
        code, _, err = run(["evaluate", "--gold", str(GOLD), "--pred", str(pred), "-o",
                            str(tmp_path / name), "--n-resamples", "100"], capsys)
        assert code == 0, err
    code, stdout, err = run(["compare", str(tmp_path / "a"), str(tmp_path / "b"), "-o",
                             str(tmp_path / "cmp1"), "--n-permutations", "500"], capsys)
    assert code == 0, err
    m1 = json.loads((tmp_path / "cmp1" / "metrics.json").read_text())
    t1 = m1["comparisons"]["b"]["F1 (micro)"]
    assert "a -> b" in stdout and f"{t1['p_value']:.4f}" in stdout
    assert t1["delta"] > 0 and 0 <= t1["p_value"] <= 1
    assert (tmp_path / "cmp1" / "report.html").exists()
    assert (tmp_path / "cmp1" / "report.md").read_text().count("Δ") >= 1

    code, _, err = run(["compare", "--gold", str(GOLD), "--pred", str(worse), "--pred", str(PRED),
                        "--name", "a", "--name", "b", "-o", str(tmp_path / "cmp2"),
                        "--n-permutations", "500"], capsys)
    assert code == 0, err
    m2 = json.loads((tmp_path / "cmp2" / "metrics.json").read_text())
    # Both routes give the same paired test.
    assert m2["comparisons"]["b"]["F1 (micro)"]["p_value"] == t1["p_value"]
    assert (tmp_path / "cmp2" / "systems" / "b" / "report.html").exists()


def test_compare_refuses_different_test_sets(tmp_path, capsys):
    gold = load_fixture("eval_gold.jsonl")
    run(["evaluate", "--gold", str(GOLD), "--pred", str(PRED), "-o", str(tmp_path / "a"),
         "--n-resamples", "50"], capsys)
    half = write_jsonl(tmp_path / "half.jsonl", gold[:20])
    half_pred = write_jsonl(tmp_path / "half_pred.jsonl", load_fixture("eval_pred.jsonl")[:20])
    run(["evaluate", "--gold", str(half), "--pred", str(half_pred), "-o", str(tmp_path / "b"),
         "--n-resamples", "50"], capsys)
    code, _, err = run(["compare", str(tmp_path / "a"), str(tmp_path / "b"), "-o",
                        str(tmp_path / "c")], capsys)
    assert code == 1 and "different gold" in err


def test_compare_to_dir_api(tmp_path):
    gold = load_fixture("eval_gold.jsonl")
    cmp = compare_to_dir(gold, {"base": perturb(gold, 1), "new": perturb(gold, 2)},
                         tmp_path, seed=0, title="api")
    assert cmp.baseline == "base" and "new" in cmp.tests
    assert cmp.extra["system_reports"]["new"] == "systems/new/report.html"
    odd = [r.copy_with([*r.entities, Entity("Drug", r.text[0], 0, 1)]) if i == 0 else r
           for i, r in enumerate(gold)]
    from kmner.core.errors import InputError
    with pytest.raises(InputError, match="Drug"):
        compare_to_dir(gold, {"base": gold, "odd": odd}, tmp_path / "x")
    cmp = compare_to_dir(gold, {"base": gold, "odd": odd}, tmp_path / "x", allow_new_types=True)
    assert cmp.tests["odd"]["precision"].delta < 0
    assert (tmp_path / "report.html").exists() and (tmp_path / "metrics.json").exists()


def test_small_set_warning_on_console(tmp_path, capsys):
    gold = load_fixture("eval_gold.jsonl")[:10]
    g = write_jsonl(tmp_path / "g.jsonl", gold)
    p = write_jsonl(tmp_path / "p.jsonl", perturb(gold, 3))
    code, _, err = run(["evaluate", "--gold", str(g), "--pred", str(p), "-o",
                        str(tmp_path / "r"), "--n-resamples", "100", "--allow-new-types"], capsys)
    assert code == 0
    assert "TEST SET TOO SMALL" in err
    assert "TEST SET TOO SMALL" in (tmp_path / "r" / "report.md").read_text()


# ---- bad input ---------------------------------------------------------------

def _bad(tmp_path, gold_recs, pred_recs, extra=()):
    g = write_jsonl(tmp_path / "gold.jsonl", gold_recs)
    p = write_jsonl(tmp_path / "pred.jsonl", pred_recs)
    return ["evaluate", "--gold", str(g), "--pred", str(p), "-o", str(tmp_path / "out"),
            "--n-resamples", "20", *extra]


def R(i, text, *spans):
    return Record(i, text, [Entity(t, text[s:e], s, e) for s, e, t in spans])


G = [R("a", "두통이 심해요", (0, 2, "Disease")), R("b", "간 검사", (0, 1, "Body"))]


@pytest.mark.parametrize("pred,pattern", [
    ([G[0]], r"1 id\(s\) in .*gold.jsonl have no prediction, e.g. \['b'\]"),
    ([G[0], G[1], R("zz", "기침")], r"record 'zz'.*id is in .*pred.jsonl but not in .*gold"),
    ([G[0], R("b", "간 검사함")], r"record 'b'.*text differs between"),
    ([G[0], R("b", "간 검사", (0, 1, "Treatment"))],
     r"predicted type\(s\) \['Treatment'\] never occur in gold.*--label-map.*--allow-new-types"),
])
def test_bad_input_messages(tmp_path, capsys, pred, pattern):
    code, _, err = run(_bad(tmp_path, G, pred), capsys)
    assert code == 1
    assert err.startswith("error: ") and re.search(pattern, err), err


def test_offsets_not_matching_text(tmp_path, capsys):
    g = write_jsonl(tmp_path / "gold.jsonl", G)
    p = tmp_path / "pred.jsonl"
    p.write_text(json.dumps({"id": "a", "text": "두통이 심해요", "entities": [
        {"type": "Disease", "text": "두통", "start": 1, "end": 3}]}, ensure_ascii=False) + "\n")
    code, _, err = run(["evaluate", "--gold", str(g), "--pred", str(p), "-o",
                        str(tmp_path / "o")], capsys)
    assert code == 1 and "pred.jsonl:1" in err and "does not match the text" in err


def test_offsets_checked_in_api_too(tmp_path):
    from kmner.core.errors import InputError

    bad = [Record("a", "두통이 심해요", [Entity("Disease", "두통", 1, 3)]), G[1]]
    with pytest.raises(InputError, match=r"pred.*record 'a'.*does not match"):
        evaluate_to_dir(G, bad, tmp_path)


def test_new_types_allowed_or_mapped(tmp_path, capsys):
    pred = [G[0], R("b", "간 검사", (0, 1, "Treatment"))]
    code, _, err = run(_bad(tmp_path, G, pred, ["--allow-new-types"]), capsys)
    assert code == 0, err
    assert "note: 1 prediction(s) of type 'Treatment'" in err
    m = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert m["new_types"] == {"Treatment": 1} and m["strict"]["micro"]["fp"] == 1
    code, _, err = run(_bad(tmp_path, G, pred, ["--label-map", "Treatment=Body"]), capsys)
    assert code == 0, err
    m = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert m["label_map"]["applied"] == {"Treatment->Body": 1}
    assert m["strict"]["micro"]["f1"] == 1.0 and m["new_types"] == {}
    # Any explicit label map means types were considered: reported, not an error.
    code, _, err = run(_bad(tmp_path, G, pred, ["--label-map", "kbmc"]), capsys)
    assert code == 0 and "never occurs in gold" in err


@pytest.mark.parametrize("which", ["gold", "pred"])
def test_empty_files(tmp_path, capsys, which):
    argv = _bad(tmp_path, G, G)
    (tmp_path / f"{which}.jsonl").write_text("\n")
    code, _, err = run(argv, capsys)
    assert code == 1 and f"{which}.jsonl" in err and "no records" in err


def test_dev_threshold_flags(tmp_path, capsys):
    code, out, err = run(["evaluate", "--gold", str(GOLD), "--pred", str(PRED), "-o",
                          str(tmp_path / "r"), "--dev-gold", str(GOLD), "--dev-pred", str(PRED)],
                         capsys)
    assert code == 1 and "dev set is the test set" in err
    gold = load_fixture("eval_gold.jsonl")
    dg = write_jsonl(tmp_path / "dev.jsonl", gold[:20])
    dp = write_jsonl(tmp_path / "devp.jsonl", perturb(gold[:20], 5))
    tg = write_jsonl(tmp_path / "test.jsonl", gold[20:])
    tp = write_jsonl(tmp_path / "testp.jsonl", perturb(gold[20:], 6))
    code, out, err = run(["evaluate", "--gold", str(tg), "--pred", str(tp), "-o",
                          str(tmp_path / "r"), "--dev-gold", str(dg), "--dev-pred", str(dp),
                          "--n-resamples", "50", "--allow-new-types"], capsys)
    assert code == 0, err
    m = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert m["threshold"]["threshold"] is not None and "dev.jsonl" in m["threshold"]["source"]


def test_screenshot_renders_png(tmp_path, capsys):
    if find_chromium() is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI (make test installs it: apt-get install chromium)")
        pytest.skip("chromium not installed (Debian: apt-get install chromium)")
    code, out, err = run(["evaluate", "--gold", str(GOLD), "--pred", str(PRED), "-o",
                          str(tmp_path / "r"), "--n-resamples", "50", "--screenshot"], capsys)
    assert code == 0, err
    png = (tmp_path / "r" / "report.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(png[16:20], "big")
    height = int.from_bytes(png[20:24], "big")
    assert (width, height) == (1200, 1600) and 10_000 < len(png) < 600_000


def test_config_file(tmp_path, capsys):
    cfg = tmp_path / "eval.yaml"
    cfg.write_text("n_resamples: 50\nseed: 4\ntop_k: 3\nlabel_map: {Treatment: Disease}\n")
    code, _, err = run(["evaluate", "--gold", str(GOLD), "--pred", str(PRED), "-o",
                        str(tmp_path / "r"), "--config", str(cfg), "--n-resamples", "60"], capsys)
    assert code == 0, err
    m = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert m["config"]["top_k"] == 3 and m["config"]["n_resamples"] == 60  # flag wins
    assert m["seed"] == 4
    assert "Treatment" not in m["per_type"] and len(m["errors"]["false_negatives"]) <= 3
    cfg.write_text("n_resample: 50\n")
    code, _, err = run(["evaluate", "--gold", str(GOLD), "--pred", str(PRED), "-o",
                        str(tmp_path / "r"), "--config", str(cfg)], capsys)
    assert code == 1 and "unknown key 'n_resample'" in err


def test_reports_name_the_configured_confidence_level(tmp_path, capsys):
    out = tmp_path / "r"
    code, _, err = run(["evaluate", "--gold", str(GOLD), "--pred", str(PRED), "-o", str(out),
                        "--config", str(_write(tmp_path / "c.yaml", "confidence: 0.9\n")),
                        "--n-resamples", "50"], capsys)
    assert code == 0, err
    m = json.loads((out / "metrics.json").read_text())
    assert m["config"]["confidence"] == 0.9
    for name in ("report.md", "report.html"):
        text = (out / name).read_text()
        assert "90% CI" in text and "95% CI" not in text, name


def test_comparisons_name_the_configured_confidence_level(tmp_path, capsys):
    worse = write_jsonl(tmp_path / "worse.jsonl", perturb(load_fixture("eval_gold.jsonl"), 3,
                                                          p_drop=0.4))
    out = tmp_path / "cmp"
    code, stdout, err = run(["compare", "--gold", str(GOLD), "--pred", str(worse), "--pred",
                             str(PRED), "-o", str(out), "--n-permutations", "200",
                             "--confidence", "0.8"], capsys)
    assert code == 0, err
    m = json.loads((out / "metrics.json").read_text())
    assert m["config"]["confidence"] == 0.8
    t = m["comparisons"][PRED.stem]["F1 (micro)"]
    assert t["delta_ci"]["confidence"] == 0.8
    assert m["systems"][PRED.stem]["f1_ci"]["micro"]["confidence"] == 0.8
    for text in (stdout, (out / "report.md").read_text(), (out / "report.html").read_text()):
        assert "80% CI" in text and "95% CI" not in text


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path

"""Label Studio round-trip without a server: config, task export, JSON/JSON_MIN
import with policies, bad input, ordering and diff."""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata

import pytest
from hypothesis import given, settings, strategies as st

from kmner.core.errors import ConfigError, InputError
from kmner.core.jsonl import RejectLog, load_records, write_records
from kmner.core.records import Entity, Record
from kmner.labelstudio.config import label_config, labels_in_config, types_from_file
from kmner.labelstudio.diff import compare_record, diff_records
from kmner.data.gold import import_export, load_export, parse_export
from kmner.labelstudio.ordering import certainties, order_by_uncertainty
from kmner.data.gold_policies import ImportPolicy
from kmner.data.ls_tasks import record_to_task, records_to_tasks, write_tasks
from tests.ls_helpers import accept_predictions, as_json_min, ent, rec, spans

T1 = "환자는 당뇨병과 고혈압으로 내원하였다."
T2 = "위 통증 😀\r\n\t간  수치가 높다"


def silver() -> list[Record]:
    return [rec("a", T1, ent(T1, "당뇨병", "Disease", term="당뇨병", score=0.9),
                ent(T1, "고혈압", "Disease", score=0.8), meta={"source": "unit"}),
            rec("b", T2, ent(T2, "위", "Body", score=0.3), ent(T2, "간", "Body"))]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kmner", *args], capture_output=True,
                          text=True)


# --- config -------------------------------------------------------------------------------

def test_config_lists_types_with_colours_and_reads_back():
    xml = label_config(["Disease", "Body", "Treatment"], show_id=True, show_meta=True)
    assert labels_in_config(xml) == ["Disease", "Body", "Treatment"]
    assert 'value="$text"' in xml and "$kmner_id" in xml and "$kmner_meta" in xml
    assert xml.count("background=") == 3
    with pytest.raises(InputError):
        label_config(["Disease", "Disease"])


def test_config_types_from_tsv_and_jsonl(tmp_path):
    tsv = tmp_path / "terms.tsv"
    tsv.write_text("term\ttype\n간\tBody\n당뇨병\tDisease\n위\tBody\n", encoding="utf-8")
    assert types_from_file(tsv) == ["Body", "Disease"]
    jl = tmp_path / "s.jsonl"
    write_records(jl, silver())
    assert types_from_file(jl) == ["Disease", "Body"]
    out = run_cli("ls", "config", "--types-from", str(tsv))
    assert out.returncode == 0 and labels_in_config(out.stdout) == ["Body", "Disease"]


# --- export -------------------------------------------------------------------------------

def test_task_has_one_prediction_with_scores_and_stable_region_ids():
    r = silver()[0]
    task = record_to_task(r)
    assert task["data"]["text"] == T1 and task["data"]["kmner_id"] == "a"
    assert json.loads(task["data"]["kmner_meta"]) == {"source": "unit"}
    (pred,) = task["predictions"]
    assert pred["model_version"] == "kmner-silver" and pred["score"] == 0.8
    values = [(x["value"]["start"], x["value"]["end"], x["value"]["text"], x["value"]["labels"],
               x["score"]) for x in pred["result"]]
    assert values == [(4, 7, "당뇨병", ["Disease"], 0.9), (9, 12, "고혈압", ["Disease"], 0.8)]
    assert [x["id"] for x in pred["result"]] == [x["id"] for x in record_to_task(r)
                                                 ["predictions"][0]["result"]]
    assert len({x["id"] for x in pred["result"]}) == 2


def test_export_normalises_to_nfc_and_maps_offsets():
    nfd = unicodedata.normalize("NFD", "당뇨병 환자")
    r = Record("n", nfd, [Entity("Disease", nfd[:8], 0, 8)])  # 당뇨병 is 8 jamo
    task = record_to_task(r)
    assert task["data"]["text"] == "당뇨병 환자"
    assert task["predictions"][0]["result"][0]["value"] == {
        "start": 0, "end": 3, "text": "당뇨병", "labels": ["Disease"]}
    split = Record("x", nfd, [Entity("Disease", nfd[:7], 0, 7)])  # ends inside 병
    with pytest.raises(InputError, match="NFC"):
        record_to_task(split)


def test_export_rejects_missing_and_duplicate_ids():
    with pytest.raises(InputError, match="no id"):
        record_to_task(Record(None, "간", []))
    with pytest.raises(InputError, match="duplicate"):
        list(records_to_tasks([Record("a", "x", []), Record("a", "y", [])]))


# --- round trip ---------------------------------------------------------------------------

_PIECES = st.sampled_from(["환자", "는", "당뇨병", "간", "위", "통증", "😀", "🏥", "👩\u200d⚕️",
                           "\r\n", "\t", "  ", " ", "abc", "3", "."])


@st.composite
def korean_records(draw):
    n = draw(st.integers(1, 6))
    out = []
    for i in range(n):
        text = "".join(draw(st.lists(_PIECES, min_size=1, max_size=12)))
        cuts = sorted(set(draw(st.lists(st.integers(0, len(text)), max_size=8))))
        ents = []
        for s, e in zip(cuts[::2], cuts[1::2]):
            if s < e:
                ents.append(Entity(draw(st.sampled_from(["Disease", "Body", "Treatment"])),
                                   text[s:e], s, e))
        out.append(Record(f"r{i}", text, ents, {"i": i} if i % 2 else None,
                          {"source": "hyp"} if i % 3 == 0 else None))
    return out


@settings(max_examples=60, deadline=None)
@given(korean_records())
def test_round_trip_export_accept_import_is_identical(tmp_path_factory, records):
    path = tmp_path_factory.mktemp("rt") / "tasks.json"
    write_tasks(path, records_to_tasks(records))
    exported = accept_predictions(load_export(path))
    for form in (exported, as_json_min(exported)):
        raw = json.dumps(form, ensure_ascii=False)
        gold, summary = import_export(parse_export(raw), silver=records)
        assert [(g.id, g.text, spans(g)) for g in gold] == \
            [(r.id, r.text, spans(r)) for r in records]
        assert summary.gold == len(records) and summary.rejected == 0
        for g, r in zip(gold, records):
            assert {k: v for k, v in g.meta.items() if k != "labelstudio"} == (r.meta or {})
            assert g.extra == r.extra


def test_accepted_regions_are_marked_as_prediction_and_carry_annotator():
    tasks = accept_predictions(list(records_to_tasks(silver())), annotator={
        "id": 7, "email": "a@x.org"}, lead_time=4.0)
    gold, summary = import_export(tasks)
    assert summary.origins == {"prediction": 4}
    ls = gold[0].meta["labelstudio"]
    assert (ls["annotator"], ls["lead_time"], ls["annotation_id"], ls["task_id"]) == \
        ("a@x.org", 4.0, 101, 1)
    assert ls["policy"]["annotations"] == "latest"


# --- policies -----------------------------------------------------------------------------

def _task_with(annotations, text=T1, kmner_id="a", task_id=1):
    return {"id": task_id, "data": {"text": text, "kmner_id": kmner_id},
            "annotations": annotations}


def _ann(aid, who, spans_, updated="2026-01-01T00:00:00Z", cancelled=False, text=T1):
    result = [{"id": f"m{aid}{i}", "type": "labels", "from_name": "label", "to_name": "text",
               "value": {"start": s, "end": e, "text": text[s:e], "labels": [t]}}
              for i, (s, e, t) in enumerate(spans_)]
    return {"id": aid, "completed_by": who, "result": result, "was_cancelled": cancelled,
            "created_at": updated, "updated_at": updated, "lead_time": 1.0}


D1, D2, B2 = (4, 7, "Disease"), (9, 12, "Disease"), (9, 12, "Body")


def test_policy_latest_annotator_and_majority():
    anns = [_ann(1, 1, [D1, D2], "2026-01-01T00:00:00Z"),
            _ann(2, 2, [D1, B2], "2026-01-03T00:00:00Z"),
            _ann(3, 3, [D1, D2], "2026-01-02T00:00:00Z")]
    task = _task_with(anns)
    (latest,), s = import_export([task])
    assert [e.key for e in latest.entities] == [D1, B2] and s.multi_annotation_tasks == 1
    (mine,), _ = import_export([task], policy=ImportPolicy("annotator", annotator="3"))
    assert mine.meta["labelstudio"]["annotation_id"] == 3
    (maj,), _ = import_export([task], policy=ImportPolicy("majority"))
    assert [e.key for e in maj.entities] == [D1, D2]
    assert [e.meta["votes"] for e in maj.entities] == [3, 2]
    assert maj.meta["labelstudio"]["policy"]["annotations"] == "majority"
    gold, s = import_export([task], policy=ImportPolicy("annotator", annotator="9"))
    assert gold == [] and s.not_by_annotator == 1


def test_policy_validation():
    with pytest.raises(ConfigError):
        ImportPolicy("annotator")
    with pytest.raises(ConfigError):
        ImportPolicy("newest")


def test_skipped_and_unannotated_tasks_are_excluded_and_counted():
    tasks = [_task_with([_ann(1, 1, [D1], cancelled=True)], kmner_id="a", task_id=1),
             _task_with([], kmner_id="b", task_id=2),
             _task_with([_ann(2, 1, [D1]), _ann(3, 2, [], cancelled=True)], kmner_id="c",
                        task_id=3)]
    gold, s = import_export(tasks)
    assert [g.id for g in gold] == ["c"]
    assert (s.skipped, s.unannotated, s.cancelled_annotations, s.tasks) == (1, 1, 2, 3)


def test_relabelled_text_is_an_error_by_default():
    task = _task_with([_ann(1, 1, [D1])], text=T1.replace("환자는", "환자가"))
    with pytest.raises(InputError, match="differs from the silver text"):
        import_export([task], silver=silver())
    log = RejectLog()
    gold, s = import_export([task], silver=silver(), rejects=log,
                            policy=ImportPolicy(relabelled="reject"))
    assert gold == [] and s.rejected == 1 and len(log) == 1
    gold, s = import_export([task], silver=silver(), policy=ImportPolicy(relabelled="keep"))
    assert len(gold) == 1 and s.relabelled_kept == 1


# --- bad input ----------------------------------------------------------------------------

def test_region_that_does_not_match_text_is_an_error_or_a_reject():
    bad = _ann(1, 1, [D1])
    bad["result"][0]["value"]["text"] = "고혈압"
    task = _task_with([bad])
    with pytest.raises(InputError, match="does not match the task text"):
        import_export([task])
    log = RejectLog()
    gold, s = import_export([task, _task_with([_ann(2, 1, [D2])], kmner_id="z", task_id=2)],
                            policy=ImportPolicy(on_error="reject"), rejects=log)
    assert [g.id for g in gold] == ["z"] and s.rejected == 1
    assert "task 1" in log.items[0]["reason"] and log.items[0]["id"] == "a"


def test_unknown_label_is_an_error():
    task = _task_with([_ann(1, 1, [(4, 7, "Drug")])])
    with pytest.raises(InputError, match="unknown type 'Drug'"):
        import_export([task], types=["Disease", "Body"])


def test_other_project_export_gets_generated_ids_and_counts(tmp_path):
    foreign = [{"id": 41, "data": {"text": T1}, "annotations": [_ann(1, 1, [D1])]},
               {"id": 42, "data": {"text": T1}, "annotations": []}]
    gold, s = import_export(foreign)
    assert [g.id for g in gold] == ["ls-task-41"] and s.generated_ids == 1
    assert s.unannotated == 1 and gold[0].meta["labelstudio"]["generated_id"] is True
    path = tmp_path / "foreign.json"
    path.write_text(json.dumps(foreign, ensure_ascii=False), encoding="utf-8")
    out = run_cli("ls", "import", str(path), "-o", str(tmp_path / "g.jsonl"))
    assert out.returncode == 0, out.stderr
    assert "1 task(s) had no kmner_id" in out.stderr and "1 unannotated" in out.stderr


def test_truncated_export_is_a_clear_one_line_error(tmp_path):
    path = tmp_path / "export.json"
    good = json.dumps(accept_predictions(list(records_to_tasks(silver()))), ensure_ascii=False)
    path.write_text(good[: len(good) // 2], encoding="utf-8")
    with pytest.raises(InputError, match="truncated"):
        load_export(path)
    out = run_cli("ls", "import", str(path), "-o", str(tmp_path / "g.jsonl"))
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr.startswith("error: ") and "truncated" in out.stderr
    assert not (tmp_path / "g.jsonl").exists()


def test_region_outside_text_and_two_labels_are_errors():
    task = _task_with([_ann(1, 1, [(4, 70, "Disease")])])
    with pytest.raises(InputError, match="outside the text"):
        import_export([task])
    two = _ann(1, 1, [D1])
    two["result"][0]["value"]["labels"] = ["Disease", "Body"]
    with pytest.raises(InputError, match="exactly one label"):
        import_export([_task_with([two])])


def test_overlapping_spans_are_errors_unless_allowed():
    task = _task_with([_ann(1, 1, [(4, 7, "Disease"), (5, 8, "Body")])])
    with pytest.raises(InputError, match="overlap"):
        import_export([task])
    (g,), _ = import_export([task], policy=ImportPolicy(allow_overlaps=True))
    assert len(g.entities) == 2


def test_non_span_results_are_counted_not_dropped_silently():
    ann = _ann(1, 1, [D1])
    ann["result"].append({"type": "choices", "from_name": "q", "to_name": "text",
                          "value": {"choices": ["ok"]}})
    (g,), s = import_export([_task_with([ann])])
    assert len(g.entities) == 1 and s.ignored_results == {"choices": 1}


# --- ordering -----------------------------------------------------------------------------

def test_uncertainty_order_puts_least_certain_first():
    sure = rec("sure", T1, ent(T1, "당뇨병", "Disease", score=0.99))
    low = rec("low", T1, ent(T1, "당뇨병", "Disease", score=0.4))
    ambiguous = rec("amb", T2, ent(T2, "간", "Body", score=0.9, types=["Body", "Disease"]))
    gaz_style = rec("gaz", T2, ent(T2, "위", "Body", term="위", ambiguous=["Body", "Disease",
                                                                          "Treatment"]))
    plain = rec("plain", T1, ent(T1, "고혈압", "Disease"))
    recs = [sure, low, ambiguous, plain, gaz_style]
    scores = certainties(recs)
    assert [r.id for r in order_by_uncertainty(recs, scores)] == ["gaz", "low", "amb", "sure",
                                                                  "plain"]
    assert scores["gaz"] == pytest.approx(1 / 3)
    model = [rec("plain", T1, ent(T1, "당뇨병", "Disease"))]  # disagrees with gazetteer
    scores = certainties(recs, model)
    assert scores["plain"] == 0.0
    assert order_by_uncertainty(recs, scores)[0].id == "plain"


def test_cli_export_uncertainty_order(tmp_path):
    src = tmp_path / "s.jsonl"
    write_records(src, silver())
    out = tmp_path / "tasks.json"
    r = run_cli("ls", "export", str(src), "-o", str(out), "--order", "uncertainty")
    assert r.returncode == 0, r.stderr
    tasks = json.loads(out.read_text(encoding="utf-8"))
    assert [t["data"]["kmner_id"] for t in tasks] == ["b", "a"]
    assert [t["predictions"][0]["score"] for t in tasks] == [0.3, 0.8]


# --- diff ---------------------------------------------------------------------------------

def test_compare_record_categories():
    s = rec("a", T1, ent(T1, "당뇨병", "Disease"), ent(T1, "고혈압으로", "Disease"),
            ent(T1, "내원", "Body"))
    g = rec("a", T1, ent(T1, "당뇨병", "Body"), ent(T1, "고혈압", "Disease"),
            ent(T1, "환자", "Body"))
    cats = sorted((c, (x or y).text) for c, x, y in compare_record(s, g))
    assert cats == [("added", "환자"), ("boundary_changed", "고혈압으로"), ("deleted", "내원"),
                    ("type_changed", "당뇨병")]


def test_diff_counts_scores_and_terms(tmp_path):
    s = [rec("a", T1, ent(T1, "당뇨병", "Disease", term="당뇨"),
             ent(T1, "고혈압", "Disease", term="고혈압")),
         rec("b", T2, ent(T2, "위", "Body", matched="위"), ent(T2, "간", "Body")),
         rec("c", T1)]
    g = [rec("a", T1, ent(T1, "당뇨병", "Disease")),
         rec("b", T2, ent(T2, "간", "Body"), ent(T2, "통증", "Disease"))]
    report = diff_records(s, g, n_resamples=200)
    d = report.to_dict()
    assert d["compared_records"] == 2 and d["silver_records_without_gold"] == 1
    assert d["per_type"]["Disease"] == {"kept": 1, "type_changed": 0, "boundary_changed": 0,
                                        "deleted": 1, "added": 1}
    assert d["per_type"]["Body"]["kept"] == 1 and d["per_type"]["Body"]["deleted"] == 1
    assert d["silver_precision"]["value"] == pytest.approx(2 / 4)
    assert d["silver_recall"]["value"] == pytest.approx(2 / 3)
    assert d["silver_precision"]["low"] <= 0.5 <= d["silver_precision"]["high"]
    assert [(t["term"], t["corrected"]) for t in d["most_corrected_terms"]] == \
        [("고혈압", 1), ("위", 1)]
    src, gold = tmp_path / "s.jsonl", tmp_path / "g.jsonl"
    write_records(src, s)
    write_records(gold, g)
    out = run_cli("ls", "diff", str(src), str(gold), "-o", str(tmp_path / "d.json"))
    assert out.returncode == 0, out.stderr
    assert "silver precision 0.500" in out.stdout
    assert json.loads((tmp_path / "d.json").read_text())["totals"]["added"] == 1


def test_diff_refuses_gold_ids_missing_from_silver():
    with pytest.raises(InputError, match="not in the silver"):
        diff_records(silver(), [rec("zzz", T1)])


def test_cli_import_writes_gold_and_run_info(tmp_path):
    src = tmp_path / "s.jsonl"
    write_records(src, silver())
    tasks = accept_predictions(list(records_to_tasks(silver())))
    export = tmp_path / "export.json"
    export.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    out = run_cli("ls", "import", str(export), "-o", str(tmp_path / "gold.jsonl"),
                  "--silver", str(src))
    assert out.returncode == 0, out.stderr
    gold = load_records(tmp_path / "gold.jsonl")
    assert [spans(g) for g in gold] == [spans(r) for r in silver()]
    assert (tmp_path / "gold.jsonl.run.yaml").exists()


def test_span_control_names_come_from_the_config():
    from kmner.labelstudio.config import span_control

    assert span_control(label_config(["Disease"])) == ("label", "text", "text")
    xml = ('<View><Text name="doc" value="$body"/><Labels name="ner" toName="doc">'
           '<Label value="Disease"/></Labels></View>')
    assert span_control(xml) == ("ner", "doc", "body")
    with pytest.raises(InputError, match="no <Labels"):
        span_control("<View><Text name='t' value='$text'/></View>")

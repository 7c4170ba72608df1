"""Round-trip against a real Label Studio 1.23 server started by the session
fixture in tests/labelstudio_server.py: push silver, correct it through the API
as an annotator would, pull gold, diff."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata

import pytest

from kmner.core.jsonl import load_records, write_records
from kmner.core.records import Entity, Record
from kmner.labelstudio.client import connect, pull, push
from kmner.data.gold import import_export
from kmner.labelstudio.ordering import certainties, order_by_uncertainty
from tests.labelstudio_server import free_port
from tests.ls_helpers import ent, rec, spans

pytestmark = [pytest.mark.labelstudio, pytest.mark.slow]

T1 = "환자는 당뇨병과 고혈압으로 내원하였다."
T2 = "위 통증 😀\r\n\t간  수치가 높다"
T3 = "열심히 운동하고 두통이 있으면 아스피린을 복용하세요."
T4 = "감기 증상으로 내원."
T5 = "복통과 설사."


def e2e_silver() -> list[Record]:
    return [
        rec("r1", T1, ent(T1, "당뇨병", "Disease", term="당뇨병", score=0.9),
            ent(T1, "고혈압으로", "Disease", term="고혈압", score=0.7)),
        rec("r2", T2, ent(T2, "위", "Body", term="위", score=0.4),
            ent(T2, "간", "Body", term="간")),
        rec("r3", T3, ent(T3, "열", "Disease", term="열", score=0.5),
            ent(T3, "아스피린", "Disease", term="아스피린")),
        rec("r4", T4, ent(T4, "감기", "Disease", term="감기")),
        rec("r5", T5, ent(T5, "복통", "Disease"), ent(T5, "설사", "Disease")),
    ]


def kmner(*args: str, key: str | None = None, url: str | None = None
          ) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    for name, value in (("LABEL_STUDIO_URL", url), ("LABEL_STUDIO_API_KEY", key)):
        env.pop(name, None)
        if value is not None:
            env[name] = value
    return subprocess.run([sys.executable, "-m", "kmner", *args], capture_output=True,
                          text=True, env=env, timeout=300)


def sdk(server):
    return connect(server.url, server.api_key).client


def tasks_by_kmner_id(client, project_id: int) -> dict:
    return {t.data["kmner_id"]: t for t in client.tasks.list(project=project_id)}


def region(text: str, surface: str, type_: str, rid: str) -> dict:
    start = text.index(surface)
    return {"id": rid, "from_name": "label", "to_name": "text", "type": "labels",
            "value": {"start": start, "end": start + len(surface), "text": surface,
                      "labels": [type_]}}


def test_end_to_end_push_correct_pull_diff(label_studio, tmp_path):
    silver_path = tmp_path / "silver.jsonl"
    write_records(silver_path, e2e_silver())
    url, key = label_studio.url, label_studio.api_key

    first = kmner("ls", "push", str(silver_path), "--project", "e2e", "--batch-size", "2",
                  url=url, key=key)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert (summary["pushed"], summary["batches"], summary["entities"]) == (5, 3, 9)
    assert summary["created_project"] is True
    again = kmner("ls", "push", str(silver_path), "--project", "e2e", url=url, key=key)
    assert again.returncode == 0, again.stderr
    assert (json.loads(again.stdout)["pushed"], json.loads(again.stdout)["already_present"]) \
        == (0, 5)

    client = sdk(label_studio)
    pid = summary["project_id"]
    tasks = tasks_by_kmner_id(client, pid)
    assert sorted(tasks) == ["r1", "r2", "r3", "r4", "r5"]  # no duplicates after two pushes
    preds = {k: {r["value"]["text"]: r for r in client.predictions.list(task=t.id)[0].result}
             for k, t in tasks.items()}

    # r1: keep 당뇨병, redraw 고혈압으로 as 고혈압 (a new, manual region).
    client.annotations.create(id=tasks["r1"].id, lead_time=11.0, result=[
        preds["r1"]["당뇨병"], region(T1, "고혈압", "Disease", "man1")])
    # r2: accept as is (emoji, CRLF, tab and double space before 간).
    client.annotations.create(id=tasks["r2"].id, lead_time=3.0,
                              result=list(preds["r2"].values()))
    # r3: delete 열, relabel 아스피린 as Treatment, add 두통.
    aspirin = dict(preds["r3"]["아스피린"], value={**preds["r3"]["아스피린"]["value"],
                                                 "labels": ["Treatment"]})
    client.annotations.create(id=tasks["r3"].id, lead_time=20.5, result=[
        aspirin, region(T3, "두통", "Disease", "man2")])
    # r4: skipped; r5: never opened.
    client.annotations.create(id=tasks["r4"].id, result=[], was_cancelled=True)

    log_before = len(label_studio.log_text())
    gold_path = tmp_path / "gold.jsonl"
    pulled = kmner("ls", "pull", "--project", "e2e", "-o", str(gold_path), "--silver",
                   str(silver_path), url=url, key=key)
    assert pulled.returncode == 0, pulled.stderr
    assert "5 task(s): 3 gold record(s) with 6 span(s)" in pulled.stderr
    assert "excluded 1 skipped, 1 unannotated" in pulled.stderr
    requests = label_studio.log_text()[log_before:]
    assert f"GET /api/projects/{pid}/export?" in requests
    assert "GET /api/tasks" not in requests  # one export request, no page-by-page listing

    gold = load_records(gold_path)
    assert [(g.id, g.text, spans(g), [e.meta["origin"] for e in g.sorted_entities()])
            for g in gold] == [
        ("r1", T1, [("Disease", "당뇨병", 4, 7), ("Disease", "고혈압", 9, 12)],
         ["prediction", "manual"]),
        ("r2", T2, [("Body", "위", 0, 1), ("Body", "간", 9, 10)], ["prediction", "prediction"]),
        ("r3", T3, [("Disease", "두통", 9, 11), ("Treatment", "아스피린", 17, 21)],
         ["manual", "prediction-changed"]),
    ]
    meta = [g.meta["labelstudio"] for g in gold]
    assert [m["annotator"] for m in meta] == [label_studio.username] * 3
    assert [m["lead_time"] for m in meta] == [11.0, 3.0, 20.5]
    assert all(m["policy"]["annotations"] == "latest" and m["n_annotations"] == 1
               and m["created_at"] and m["updated_at"] for m in meta)

    # Pushing again after the annotators worked (a skipped task included) adds nothing.
    third = kmner("ls", "push", str(silver_path), "--project", "e2e", url=url, key=key)
    assert third.returncode == 0, third.stderr
    assert json.loads(third.stdout)["already_present"] == 5
    assert len(client.tasks.list(project=pid).items) == 5

    report_path = tmp_path / "diff.json"
    diffed = kmner("ls", "diff", str(silver_path), str(gold_path), "-o", str(report_path))
    assert diffed.returncode == 0, diffed.stderr
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["compared_records"] == 3 and report["silver_records_without_gold"] == 2
    assert report["totals"] == {"kept": 3, "type_changed": 1, "boundary_changed": 1,
                                "deleted": 1, "added": 1}
    assert report["per_type"] == {
        "Body": {"kept": 2, "type_changed": 0, "boundary_changed": 0, "deleted": 0, "added": 0},
        "Disease": {"kept": 1, "type_changed": 1, "boundary_changed": 1, "deleted": 1,
                    "added": 1}}
    assert report["type_changes"] == [{"from": "Disease", "to": "Treatment", "n": 1}]
    assert report["silver_precision"]["value"] == 0.5
    assert report["silver_recall"]["value"] == 0.5
    assert [(t["term"], t["how"]) for t in report["most_corrected_terms"]] == [
        ("고혈압", {"boundary_changed": 1}), ("아스피린", {"type_changed": 1}),
        ("열", {"deleted": 1})]


def test_server_round_trip_keeps_code_point_offsets(label_studio):
    nfd = unicodedata.normalize("NFD", "당뇨병")
    text_nfd = f"🩺 {nfd}\r\n위  😀\t간"
    t_emoji = "😀😀 간경변\r\n\r\n위염  🏥 수술"
    records = [
        rec("e1", T2, ent(T2, "위", "Body"), ent(T2, "간", "Body"), ent(T2, "수치", "Disease")),
        rec("e2", t_emoji, ent(t_emoji, "간경변", "Disease"), ent(t_emoji, "위염", "Disease"),
            ent(t_emoji, "수술", "Treatment")),
        Record("e3", text_nfd, [Entity("Disease", nfd, 2, 2 + len(nfd)),
                                Entity("Body", "간", len(text_nfd) - 1, len(text_nfd))]),
    ]
    conn = connect(label_studio.url, label_studio.api_key)
    push(records, conn, "code points", progress=False)
    project = conn.client.projects.list(title="code points").items[0]
    tasks = tasks_by_kmner_id(conn.client, project.id)
    assert tasks["e3"].data["text"] == unicodedata.normalize("NFC", text_nfd)
    for task in tasks.values():
        (pred,) = conn.client.predictions.list(task=task.id)
        text = task.data["text"]
        for r in pred.result:  # the server keeps Python code-point offsets untouched
            assert text[r["value"]["start"]:r["value"]["end"]] == r["value"]["text"]
        conn.client.annotations.create(id=task.id, result=pred.result, lead_time=1.0)
    result = pull(conn, "code points")
    gold, summary = import_export(result.tasks, types=result.types, silver=records,
                                  users=result.users)
    assert summary.gold == 3 and summary.origins == {"prediction": 8}
    expected = {r.id: (r.text, spans(r)) for r in records[:2]}
    expected["e3"] = ("🩺 당뇨병\r\n위  😀\t간",
                      [("Disease", "당뇨병", 2, 5), ("Body", "간", 12, 13)])
    assert {g.id: (g.text, spans(g)) for g in gold} == expected


def test_push_uncertainty_order_puts_least_certain_first(label_studio):
    records = [rec("sure", T1, ent(T1, "당뇨병", "Disease", score=0.95)),
               rec("doubt", T1, ent(T1, "고혈압", "Disease", score=0.3)),
               rec("ambiguous", T2, ent(T2, "간", "Body", score=0.9, ambiguous=True)),
               rec("model-disagrees", T3, ent(T3, "두통", "Disease"))]
    model = [rec("model-disagrees", T3, ent(T3, "아스피린", "Treatment"))]
    scores = certainties(records, model)
    conn = connect(label_studio.url, label_studio.api_key)
    summary = push(order_by_uncertainty(records, scores), conn, "uncertain", scores=scores,
                   types=["Disease", "Body", "Treatment"], progress=False, order="uncertainty")
    listed = sorted(conn.client.tasks.list(project=summary.project_id), key=lambda t: t.id)
    assert [t.data["kmner_id"] for t in listed] == ["model-disagrees", "doubt", "ambiguous",
                                                     "sure"]
    scores_on_server = [conn.client.predictions.list(task=t.id)[0].score for t in listed]
    assert scores_on_server == sorted(scores_on_server) == [0.0, 0.3, 0.45, 0.95]


def test_personal_access_token_works(label_studio, tmp_path):
    client = sdk(label_studio)
    pat = client.tokens.create().token
    assert pat.count(".") == 2  # a JWT refresh token, not the legacy key
    silver_path = tmp_path / "s.jsonl"
    write_records(silver_path, e2e_silver()[:2])
    pushed = kmner("ls", "push", str(silver_path), "-p", "pat", "--no-progress",
                   url=label_studio.url, key=pat)
    assert pushed.returncode == 0, pushed.stderr
    pulled = kmner("ls", "pull", "-p", "pat", "-o", str(tmp_path / "g.jsonl"),
                   url=label_studio.url, key=pat)
    assert pulled.returncode == 0, pulled.stderr
    assert "2 task(s): 0 gold record(s)" in pulled.stderr and "2 unannotated" in pulled.stderr


@pytest.mark.parametrize("case", ["server down", "wrong key", "missing project"])
def test_clear_one_line_errors(label_studio, tmp_path, case):
    url, key, project = label_studio.url, label_studio.api_key, "e2e-missing"
    if case == "server down":
        url = f"http://127.0.0.1:{free_port()}"
    elif case == "wrong key":
        key = "not-a-valid-token-0000"
    out = kmner("ls", "pull", "-p", project, "-o", str(tmp_path / "g.jsonl"), url=url, key=key)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    expected = {"server down": "cannot reach Label Studio", "wrong key": "rejected the API key",
                "missing project": "has no project titled 'e2e-missing'"}[case]
    assert expected in lines[0]
    assert not (tmp_path / "g.jsonl").exists()


def test_bad_records_fail_before_anything_is_pushed(label_studio, tmp_path):
    path = tmp_path / "dupes.jsonl"
    write_records(path, [rec("same", T1), rec("same", T2)])
    out = kmner("ls", "push", str(path), "-p", "never-created", url=label_studio.url,
                key=label_studio.api_key)
    assert out.returncode == 1 and "duplicate record id" in out.stderr
    assert "Traceback" not in out.stderr
    titles = [p.title for p in sdk(label_studio).projects.list()]
    assert "never-created" not in titles
    good = tmp_path / "good.jsonl"
    write_records(good, [rec("one", T1)])
    missing_id = kmner("ls", "push", str(good), "-p", "987654", url=label_studio.url,
                       key=label_studio.api_key)
    assert missing_id.returncode == 1
    assert "has no project with id 987654" in missing_id.stderr


def test_push_into_a_hand_made_project_uses_its_control_names(label_studio):
    conn = connect(label_studio.url, label_studio.api_key)
    xml = ('<View><Text name="doc" value="$text"/><Labels name="ner" toName="doc">'
           '<Label value="Disease"/><Label value="Body"/></Labels></View>')
    conn.client.projects.create(title="hand made", label_config=xml)
    push([rec("h1", T1, ent(T1, "당뇨병", "Disease"))], conn, "hand made", progress=False)
    (task,) = conn.client.tasks.list(project=conn.client.projects.list(
        title="hand made").items[0].id)
    (pred,) = conn.client.predictions.list(task=task.id)
    assert [(r["from_name"], r["to_name"]) for r in pred.result] == [("ner", "doc")]

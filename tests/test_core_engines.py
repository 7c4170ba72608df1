"""--engine: the silver and predict commands find the Spark runners that
kmner.processing registers (they cannot import it: it imports them)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from kmner.cli import app
from kmner.core import engines
from kmner.core.errors import KmnerError


def test_kmner_cli_registers_the_spark_runners():
    assert callable(engines.runner("silver run", "spark"))
    assert callable(engines.runner("predict", "spark"))


def test_a_runner_nobody_registered_is_a_user_error():
    with pytest.raises(KmnerError, match="no nosuch engine"):
        engines.runner("silver run", "nosuch")


@pytest.mark.parametrize("args", [["silver", "run", "IN.txt", "-o", "OUT"],
                                  ["predict", "MODEL", "IN.jsonl", "-o", "OUT"]])
def test_an_unknown_engine_is_a_usage_error(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(app, [*args, "--engine", "nosuch"])
    assert r.exit_code == 2
    assert "--engine" in r.output
    assert not (tmp_path / "OUT").exists()


def test_resume_is_refused_with_spark(tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("당뇨병이 있다.\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["silver", "run", str(src), "-o", str(tmp_path / "out"),
                                 "--engine", "spark", "--resume"])
    assert r.exit_code == 2
    assert "--resume" in r.output
    assert not (tmp_path / "out").exists()

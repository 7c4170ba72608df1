"""An installed kmner (a wheel, not this checkout) carries its bundled defaults."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BUNDLED = ["ATTRIBUTION.md", "gazetteer/default.gaz", "gazetteer/default_terms.tsv",
           "sample/gold.jsonl", "sample/raw.txt", "sample/disease_descriptions.txt"]


def _copy_of_checkout(dest: Path) -> Path:
    """The checkout's files (tracked, or untracked and not ignored) copied to
    ``dest``: building in place would reuse a stale build/ folder."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                            "--exclude-standard"], cwd=REPO, check=True,
                           capture_output=True).stdout.decode().split("\0")
    for name in filter(None, files):
        if (REPO / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, dest / name)
    return dest


@pytest.mark.slow
def test_wheel_ships_data_and_installed_package_uses_it(tmp_path):
    src = _copy_of_checkout(tmp_path / "src")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(tmp_path / "dist"), str(src)],
                   check=True, capture_output=True, cwd=tmp_path)
    wheel = next((tmp_path / "dist").glob("kmner-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [p for p in BUNDLED if f"kmner/_bundled/{p}" not in names]
    assert not missing, f"wheel lacks {missing}"

    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                    str(site), str(wheel)], check=True, capture_output=True)
    probe = ("import kmner, kmner.gazetteer.default as d, kmner.demo as demo\n"
             "from kmner.gazetteer.compiled import CompiledGazetteer\n"
             "print(kmner.__file__, d.default_gazetteer_path(), demo.DemoConfig().gold,\n"
             "      sep='\\n')\n"
             "print(len(CompiledGazetteer.load(d.default_gazetteer_path())))\n")
    # run outside the checkout, with the installed copy first on the path
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         cwd=tmp_path, env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
                         check=True).stdout.splitlines()
    installed = site / "kmner"
    assert Path(out[0]).parent == installed
    assert Path(out[1]) == installed / "_bundled" / "gazetteer" / "default.gaz"
    assert Path(out[2]) == installed / "_bundled" / "sample" / "gold.jsonl"
    assert int(out[3]) > 10_000


def test_project_metadata_raises_no_setuptools_warning():
    """The licence is an SPDX string with its file named, so building (and so
    `pip install`) prints no deprecation warning for the project's metadata."""
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["license"] == "Apache-2.0"
    assert all((REPO / f).is_file() for f in project["license-files"])
    res = subprocess.run([sys.executable, "setup.py", "--name"], cwd=REPO, check=True,
                         capture_output=True, text=True)
    assert res.stdout.strip() == "kmner"
    assert "Warning" not in res.stderr, res.stderr

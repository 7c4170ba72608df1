"""Render a report.html to PNG with headless Chromium, to look at it as a person
would (Debian: ``apt-get install chromium``; set KMNER_CHROMIUM to use another
binary)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from kmner.core.errors import KmnerError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    env = os.environ.get("KMNER_CHROMIUM")
    if env:
        return env if shutil.which(env) or Path(env).exists() else None
    return next((p for c in CANDIDATES if (p := shutil.which(c))), None)


def screenshot(html_path: str | os.PathLike, png_path: str | os.PathLike, *,
               width: int = 1200, height: int = 1600, max_colors: int | None = 256,
               timeout: float = 90) -> Path:
    """Write a PNG of the page's first ``width`` x ``height`` pixels. With Pillow
    installed, the PNG is palette-quantised to ``max_colors`` to stay small."""
    binary = find_chromium()
    if binary is None:
        raise KmnerError("chromium not found; install it (Debian: apt-get install chromium) "
                         "or set KMNER_CHROMIUM")
    html = Path(html_path).resolve()
    png = Path(png_path).resolve()
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kmner-chromium-") as profile:
        tmp_png = Path(profile) / "shot.png"
        cmd = [binary, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--hide-scrollbars",
               f"--user-data-dir={profile}/data", f"--screenshot={tmp_png}",
               f"--window-size={width},{height}", html.as_uri()]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0 or not tmp_png.exists():
            raise KmnerError(f"chromium failed (exit {proc.returncode}): "
                             f"{proc.stderr.strip()[-500:]}")
        _shrink(tmp_png, max_colors)
        shutil.move(str(tmp_png), png)
    return png


def _shrink(png: Path, max_colors: int | None) -> None:
    if not max_colors:
        return
    try:
        from PIL import Image
    except ImportError:  # optional: the PNG is just larger without it
        return
    with Image.open(png) as im:
        small = im.convert("RGB").quantize(colors=max_colors, dither=Image.Dither.NONE)
        small.save(png, optimize=True)

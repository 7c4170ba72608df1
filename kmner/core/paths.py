"""Output safety, checked before any work starts: an output never replaces an input
(symlinks and hard links included), two outputs are never one file, a file output
is never a folder, and a folder output is never a file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from kmner.core.errors import OutputError

PathLike = str | os.PathLike


def _same(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _file_parent_problem(p: Path) -> str | None:
    for parent in p.resolve().parents:
        if parent.exists():
            if not parent.is_dir():
                return f"its parent {parent} is a file, not a folder; choose another path"
            if not os.access(parent, os.W_OK):
                return f"its folder {parent} is not writable; choose another path"
            return None
    return None


def check_outputs(inputs: Iterable[PathLike | None] = (),
                  files: Iterable[PathLike | None] = (),
                  dirs: Iterable[PathLike | None] = (),
                  dir_files: Iterable[str] = ()) -> None:
    """Raise OutputError when writing ``files`` (file outputs) and ``dirs`` (folder
    outputs, into which ``dir_files`` names are written) could lose data.
    Paths that are None are ignored, so optional outputs can be passed as they are."""
    ins = [Path(p) for p in inputs if p is not None]
    outs_f = [Path(p) for p in files if p is not None]
    outs_d = [Path(p) for p in dirs if p is not None]
    for p in outs_f:
        if p.is_dir():
            raise OutputError(f"{p}: output is a folder, a file is expected; give a file path")
        if p.exists() and not p.is_file():
            raise OutputError(f"{p}: output is not a regular file (a device, pipe or "
                              "socket), which kmner would replace; give a file path")
        if (problem := _file_parent_problem(p)) is not None:
            raise OutputError(f"{p}: cannot write the output: {problem}")
    for d in outs_d:
        if d.exists() and not d.is_dir():
            raise OutputError(f"{d}: output folder is a file; give a folder path")
        if (problem := _file_parent_problem(d)) is not None:
            raise OutputError(f"{d}: cannot create the output folder: {problem}")
    written = outs_f + [d / name for d in outs_d for name in dir_files]
    for out in written + outs_d:
        for src in ins:
            if _same(out, src):
                raise OutputError(f"{out}: output would overwrite the input {src}; "
                                  "write to another path")
    for i, a in enumerate(written):
        for b in written[i + 1:]:
            if _same(a, b):
                raise OutputError(f"{a}: two outputs are the same file ({a} and {b}); "
                                  "give them different paths")

"""Resumable output: records and rejects are appended to ``.partial`` files beside
the target, and a small checkpoint says how many input units they hold. On
``--resume`` the partial files are cut back to the checkpointed size and the
first units are skipped; on success the partial files are renamed into place
(so the target only ever appears complete)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kmner.core.errors import InputError
from kmner.core.jsonl import write_json


def _fingerprint(paths: list[Path]) -> list[list[Any]]:
    out = []
    for p in paths:
        st = p.stat()
        out.append([str(p.resolve()), st.st_size, int(st.st_mtime)])
    return out


@dataclass
class Checkpoint:
    inputs: list[list[Any]]
    settings: dict[str, Any]
    units_done: int = 0
    out_bytes: int = 0
    rejects_bytes: int = 0
    counts: dict[str, Any] = field(default_factory=dict)


class ResumableOutput:
    """Paired output/reject files with checkpoints."""

    def __init__(self, output: Path, rejects: Path, inputs: list[Path],
                 settings: dict[str, Any]) -> None:
        self.output, self.rejects = output, rejects
        self.out_partial, self.rej_partial, self.ckpt_path = self.side_files(output, rejects)
        self.state = Checkpoint(_fingerprint(inputs), settings)
        self.out_fh = self.rej_fh = None

    @staticmethod
    def side_files(output: Path, rejects: Path) -> list[Path]:
        """The partial files and the checkpoint written beside the outputs."""
        return [output.with_name(output.name + ".partial"),
                rejects.with_name(rejects.name + ".partial"),
                output.with_name(output.name + ".checkpoint.json")]

    def open(self, resume: bool) -> Checkpoint | None:
        """Open the partial files. With ``resume``, continue from the checkpoint
        (returned) if it belongs to the same inputs and settings."""
        self.output.parent.mkdir(parents=True, exist_ok=True)
        previous = self._load() if resume else None
        if resume and previous is None:
            raise InputError("nothing to resume (no checkpoint beside the output); run "
                             "without --resume", path=str(self.ckpt_path))
        if previous is not None:
            if previous.inputs != self.state.inputs:
                raise InputError("inputs changed since the interrupted run (names, sizes "
                                 "or times differ); run without --resume",
                                 path=str(self.ckpt_path))
            if previous.settings != self.state.settings:
                raise InputError(f"settings changed since the interrupted run "
                                 f"({previous.settings} vs {self.state.settings}); run "
                                 "without --resume", path=str(self.ckpt_path))
            self.state = previous
            self.out_fh = self._reopen(self.out_partial, previous.out_bytes)
            self.rej_fh = self._reopen(self.rej_partial, previous.rejects_bytes)
        else:
            self.out_fh = open(self.out_partial, "w", encoding="utf-8", newline="\n")
            self.rej_fh = open(self.rej_partial, "w", encoding="utf-8", newline="\n")
        return previous

    @staticmethod
    def _reopen(path: Path, size: int):
        if not path.exists() or path.stat().st_size < size:
            raise InputError("partial output is shorter than its checkpoint says; run "
                             "without --resume", path=str(path))
        fh = open(path, "r+", encoding="utf-8", newline="\n")
        fh.truncate(size)
        fh.seek(size)
        return fh

    def _load(self) -> Checkpoint | None:
        if not self.ckpt_path.exists():
            return None
        try:
            return Checkpoint(**json.loads(self.ckpt_path.read_text(encoding="utf-8")))
        except (ValueError, TypeError) as exc:
            raise InputError(f"unreadable checkpoint ({exc}); run without --resume",
                             path=str(self.ckpt_path)) from None

    def save(self, units_done: int, counts: dict[str, Any]) -> None:
        self.out_fh.flush()
        self.rej_fh.flush()
        os.fsync(self.out_fh.fileno())
        os.fsync(self.rej_fh.fileno())
        self.state.units_done = units_done
        self.state.out_bytes = self.out_fh.tell()
        self.state.rejects_bytes = self.rej_fh.tell()
        self.state.counts = dict(counts)
        write_json(self.ckpt_path, self.state.__dict__)

    def finish(self) -> None:
        for fh in (self.out_fh, self.rej_fh):
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
        os.replace(self.out_partial, self.output)
        os.replace(self.rej_partial, self.rejects)
        self.ckpt_path.unlink(missing_ok=True)

    def abandon(self) -> None:
        """Close (keeping partial files and checkpoint for --resume)."""
        for fh in (self.out_fh, self.rej_fh):
            if fh is not None and not fh.closed:
                fh.close()

"""What a read or a write could not use as given.

Readers and writers never drop anything quietly: a record they cannot use is either
raised as an InputError (``on_error="raise"``, the default) or logged in the
report's RejectLog with its reason, and every repair or ambiguity they resolve is
logged as a warning naming file, line and record.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from kmner.core.errors import InputError
from kmner.core.jsonl import RejectLog

OnError = Literal["raise", "reject"]


@dataclass
class Report:
    """Collects rejected records and warnings of one read or write."""

    on_error: OnError = "raise"
    rejects: RejectLog = field(default_factory=RejectLog)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def fail(self, err: InputError, raw: str | None = None) -> None:
        """Raise ``err`` or, in reject mode, log it as a rejected record."""
        if self.on_error == "raise":
            raise err
        self.rejects.add(source=err.path or "", line=err.line, reason=err.reason,
                         record_id=err.record_id, raw=raw)

    def warn(self, kind: str, message: str, *, path: str | None = None,
             line: int | None = None, record_id: Any = None) -> None:
        """Log something that was repaired, resolved or left out, by kind."""
        self.warnings.append({"kind": kind, "source": path, "line": line,
                              "id": record_id, "message": message})

    def warning_counts(self) -> Counter:
        return Counter(w["kind"] for w in self.warnings)

    def summary(self) -> dict[str, Any]:
        return {"rejected": len(self.rejects), "warnings": dict(self.warning_counts())}

    def lines(self, limit: int = 5) -> list[str]:
        """Human-readable summary lines: counts by kind and the first few of each."""
        out = []
        if len(self.rejects):
            out.append(f"rejected {len(self.rejects)} record(s)")
            for item in self.rejects.items[:limit]:
                out.append(f"  {_where(item)}: {item['reason']}")
        by_kind: dict[str, list[dict[str, Any]]] = {}
        for w in self.warnings:
            by_kind.setdefault(w["kind"], []).append(w)
        for kind, items in by_kind.items():
            out.append(f"{len(items)} warning(s) of kind {kind!r}")
            for w in items[:limit]:
                out.append(f"  {_where(w)}: {w['message']}")
        return out


def _where(item: dict[str, Any]) -> str:
    where = str(item.get("source") or "")
    if item.get("line") is not None:
        where += f":{item['line']}"
    if item.get("id") is not None:
        where += f" (record {item['id']!r})"
    return where or "-"

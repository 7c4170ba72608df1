"""Import policies: which human annotation of a task becomes gold.

Every policy is an explicit option, and the one used is written into each gold
record's ``meta["labelstudio"]["policy"]``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any, Mapping, Sequence

from kmner.core.errors import ConfigError

ANNOTATION_CHOICES = ("latest", "annotator", "majority")
RELABELLED_CHOICES = ("error", "reject", "keep")
ON_ERROR_CHOICES = ("raise", "reject")


@dataclass
class ImportPolicy:
    """How a Label Studio export becomes gold records."""

    # Tasks with several annotations: "latest" takes the most recently updated one;
    # "annotator" takes the one by `annotator`; "majority" keeps each span that more
    # than half of the task's (non-skipped) annotations contain.
    annotations: str = "latest"
    # Annotator for annotations="annotator": a Label Studio user id or e-mail.
    # Tasks this annotator did not annotate are excluded and counted.
    annotator: str | None = None
    # data.text differs from the silver text for the same id: "error" stops,
    # "reject" excludes the task into the reject file, "keep" trusts Label Studio.
    relabelled: str = "error"
    # A task whose regions are broken (text[start:end] != value.text, unknown label,
    # offsets outside the text, overlaps): "raise" stops, "reject" excludes it into
    # the reject file and carries on.
    on_error: str = "raise"
    # Keep overlapping spans (nested NER); KBMC-style gold is flat, so off by default.
    allow_overlaps: bool = False
    # The task data field holding the text (the config's $text).
    text_field: str = "text"

    def __post_init__(self) -> None:
        _check("annotations", self.annotations, ANNOTATION_CHOICES)
        _check("relabelled", self.relabelled, RELABELLED_CHOICES)
        _check("on_error", self.on_error, ON_ERROR_CHOICES)
        if self.annotations == "annotator" and not self.annotator:
            raise ConfigError("annotations='annotator' needs the annotator's id or e-mail "
                              "(--annotator)")
        if self.annotator and self.annotations != "annotator":
            raise ConfigError("--annotator only makes sense with --annotations annotator")

    def to_meta(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def _check(name: str, value: str, choices: Sequence[str]) -> None:
    if value not in choices:
        raise ConfigError(f"{name}={value!r} is not one of {', '.join(choices)}")


def annotator_of(annotation: Mapping[str, Any], users: Mapping[Any, str] | None = None) -> Any:
    """E-mail where known, else the Label Studio user id."""
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        return who.get("email") or who.get("id")
    if users and who in users:
        return users[who]
    return who


def _when(annotation: Mapping[str, Any]) -> tuple[str, int]:
    stamp = annotation.get("updated_at") or annotation.get("created_at") or ""
    ident = annotation.get("id")
    return (str(stamp), ident if isinstance(ident, int) else -1)


def latest(annotations: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    return max(annotations, key=_when)


def by_annotator(annotations: Sequence[Mapping[str, Any]], annotator: str,
                 users: Mapping[Any, str] | None = None) -> Mapping[str, Any] | None:
    """The latest annotation by ``annotator`` (id or e-mail), or None."""
    mine = [a for a in annotations
            if str(annotator) in {str(annotator_of(a, users)), str(_user_id(a))}]
    return latest(mine) if mine else None


def _user_id(annotation: Mapping[str, Any]) -> Any:
    who = annotation.get("completed_by")
    return who.get("id") if isinstance(who, dict) else who


def majority_keys(per_annotation: Sequence[Sequence[tuple[int, int, str]]]) -> Counter:
    """Votes per (start, end, type) span, one vote per annotation."""
    votes: Counter = Counter()
    for keys in per_annotation:
        votes.update(set(keys))
    return votes


def has_majority(votes: int, n_annotations: int) -> bool:
    """Strictly more than half; with two annotators that means both."""
    return 2 * votes > n_annotations

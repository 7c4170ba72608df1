"""Explicit type renaming, e.g. Symptom -> Disease for the KBMC three-label scheme.

A label map is always applied on purpose and reported: the counts of what was
renamed and dropped travel with every result that used one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from kmner.core.errors import ConfigError
from kmner.core.records import Record

# Named maps users can ask for by name.
PRESETS: dict[str, dict[str, str | None]] = {
    "kbmc": {"Symptom": "Disease"},
    "diagnosis-kbmc": {"Symptom": "Disease", "DS": "Disease", "ST": "Disease", "BD": "Body"},
}


@dataclass
class LabelMap:
    """``mapping[old] = new``; ``new`` None or "" drops entities of that type."""

    mapping: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def parse(cls, spec: str | Mapping[str, str | None] | None) -> "LabelMap":
        """Accept a preset name, ``"A=B,C="`` (presets may be mixed in, as in
        ``"kbmc,Treatment="``), a YAML/JSON file path, or a dict."""
        if spec is None or spec == "":
            return cls({})
        if isinstance(spec, Mapping):
            bad = [(k, v) for k, v in spec.items() if v is not None and not isinstance(v, str)]
            if bad:
                raise ConfigError(f"label map: {bad[0][0]!r} maps to {bad[0][1]!r}; each type "
                                  "maps to a type name, or to nothing (empty) to drop it")
            return cls({str(k): (v or None) for k, v in spec.items()})
        if not isinstance(spec, str):
            raise ConfigError(f"label map: expected a preset, 'A=B,C=', a file or a mapping, "
                              f"got {spec!r}")
        if spec in PRESETS:
            return cls(dict(PRESETS[spec]))
        path = Path(spec)
        if path.suffix in {".yaml", ".yml", ".json"} and path.is_file():
            import yaml

            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ConfigError(f"{path}: a label map file must hold a mapping old: new")
            return cls.parse(data)
        mapping: dict[str, str | None] = {}
        for part in spec.split(","):
            part = part.strip()
            if not part:
                continue
            if part in PRESETS:
                mapping.update(PRESETS[part])
                continue
            if "=" not in part:
                raise ConfigError(
                    f"label map item {part!r} is not OLD=NEW (use OLD= to drop a type); "
                    f"presets: {', '.join(PRESETS)}")
            old, new = (s.strip() for s in part.split("=", 1))
            mapping[old] = new or None
        return cls(mapping)

    def __bool__(self) -> bool:
        return bool(self.mapping)

    def map_type(self, type_: str) -> str | None:
        return self.mapping.get(type_, type_)

    def apply(self, records: Iterable[Record], counts: Counter | None = None) -> list[Record]:
        """Rename or drop entity types; tally ``"A->B"`` and ``"A->(dropped)"`` in counts."""
        out = []
        for rec in records:
            ents = []
            for e in rec.entities:
                new = self.map_type(e.type)
                if counts is not None and new != e.type:
                    counts[f"{e.type}->{new or '(dropped)'}"] += 1
                if new is None:
                    continue
                ents.append(e if new == e.type else e.with_type(new))
            out.append(rec.copy_with(ents))
        return out

    def describe(self) -> str:
        return ", ".join(f"{k}->{v or '(dropped)'}" for k, v in self.mapping.items()) or "none"

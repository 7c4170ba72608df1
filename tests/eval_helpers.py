"""Seeded, realistic damage to gold records, for evaluation tests and the docs
example: dropped entities, swallowed particles, dropped modifiers, wrong types,
spurious spans, each prediction with a confidence in meta["score"]."""

from __future__ import annotations

import json
import random
from pathlib import Path

from kmner.core.records import Entity, Record

FIXTURES = Path(__file__).parent / "fixtures"
PARTICLE_CHARS = set("이가은는을를의에과와도로")


def load_fixture(name: str) -> list[Record]:
    with open(FIXTURES / name, encoding="utf-8") as fh:
        return [Record.from_dict(json.loads(line)) for line in fh if line.strip()]


def perturb(gold: list[Record], seed: int, *, p_drop: float = 0.15, p_particle: float = 0.1,
            p_modifier: float = 0.5, p_type: float = 0.08, p_spurious: float = 0.2,
            types: tuple[str, ...] = ("Disease", "Body", "Treatment")) -> list[Record]:
    rng = random.Random(seed)
    out = []
    for rec in gold:
        text, ents = rec.text, []
        for e in rec.entities:
            s, end, ty = e.start, e.end, e.type
            good = True
            x = rng.random()
            if x < p_drop:
                continue
            x = rng.random()
            if x < p_particle and end < len(text) and text[end] in PARTICLE_CHARS:
                end += 1
                good = False
            elif " " in text[s:end] and rng.random() < p_modifier:
                s = text.rindex(" ", s, end) + 1
                good = False
            elif rng.random() < p_type:
                ty = rng.choice([t for t in types if t != ty])
                good = False
            score = rng.uniform(0.55, 1.0) if good else rng.uniform(0.2, 0.8)
            ents.append(Entity(ty, text[s:end], s, end, {"score": round(score, 3)}))
        if rng.random() < p_spurious and len(text) > 2:
            s = rng.randrange(0, len(text) - 1)
            if text[s] != " " and not any(e.start <= s < e.end for e in ents):
                ents.append(Entity(rng.choice(types), text[s], s, s + 1,
                                   {"score": round(rng.uniform(0.1, 0.7), 3)}))
        out.append(rec.copy_with(ents))
    return out


def write_jsonl(path: Path, records: list[Record]) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r.to_dict(), ensure_ascii=False) + "\n")
    return path

"""Instruction-tuning exports for LLM fine-tuning (peft/trl SFT) and the reverse
parser that scores an LLM's answers on the same test set.

Alpaca style::

    {"id", "instruction": "다음 문장에서 의료 개체명을 추출하세요 ...", "input": text,
     "output": "{\\"Disease\\": [\\"다한증\\"], \\"Body\\": [], \\"Treatment\\": []}"}

Chat style (trl's conversational format): ``{"id", "messages": [system, user,
assistant]}``, with few-shot examples as earlier user/assistant turns.

The instruction carries each type's definition. Answers list mentions as they are
written in the sentence, in order, repeated when they occur repeatedly. Parsing an
answer locates each mention in the sentence (kmner.data.mentions); mentions that do
not occur are hallucinations and are reported, never scored as found.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Literal, Mapping, Sequence

from kmner.core.errors import InputError
from kmner.core.records import KBMC_TYPES, Record
from kmner.data.dedup import near_key
from kmner.data.formats.gliner2 import DEFAULT_DESCRIPTIONS
from kmner.data.mentions import locate_mentions, mention_lists
from kmner.data.report import Report
from kmner.evaluation.scoring import score_records

Style = Literal["alpaca", "chat"]

TASK = "다음 문장에서 의료 개체명을 추출하세요."
ANSWER_RULES = ("문장에 나온 그대로 적고, 같은 개체가 여러 번 나오면 나온 횟수만큼 적으세요. "
                "해당하는 개체가 없으면 빈 목록을 쓰세요. 다른 설명 없이 JSON 객체 하나만 답하세요.")


def build_instruction(types: Sequence[str], descriptions: Mapping[str, str]) -> str:
    lines = [TASK, "", "개체 유형:"]
    for t in types:
        desc = descriptions.get(t)
        lines.append(f"- {t}: {desc}" if desc else f"- {t}")
    schema = json.dumps({t: ["..."] for t in types}, ensure_ascii=False)
    lines += ["", f"답 형식: {schema}", ANSWER_RULES]
    return "\n".join(lines)


def answer_json(record: Record, types: Sequence[str]) -> str:
    wanted = [e for e in record.entities if e.type in types]
    return json.dumps(mention_lists(wanted, types), ensure_ascii=False)


def _few_shot_block(examples: Sequence[Record], types: Sequence[str]) -> str:
    parts = ["", "예시:"]
    for ex in examples:
        parts += [f"문장: {ex.text}", f"답: {answer_json(ex, types)}"]
    return "\n".join(parts)


def to_instruct(record: Record, *, types: Sequence[str], descriptions: Mapping[str, str],
                style: Style = "alpaca", examples: Sequence[Record] = ()) -> dict[str, Any]:
    """One training (or test) example for ``record``."""
    instruction = build_instruction(types, descriptions)
    if style == "alpaca":
        if examples:
            instruction += "\n" + _few_shot_block(examples, types)
        return {"id": record.id, "instruction": instruction, "input": record.text,
                "output": answer_json(record, types)}
    if style != "chat":
        raise ValueError(f"unknown style {style!r}; choose alpaca or chat")
    messages = [{"role": "system", "content": instruction}]
    for ex in examples:
        messages += [{"role": "user", "content": ex.text},
                     {"role": "assistant", "content": answer_json(ex, types)}]
    messages += [{"role": "user", "content": record.text},
                 {"role": "assistant", "content": answer_json(record, types)}]
    return {"id": record.id, "messages": messages}


def pick_few_shot(pool: Sequence[Record], k: int, types: Sequence[str], *, seed: int = 0,
                  exclude_texts: Iterable[str] = ()) -> tuple[list[Record], int]:
    """``k`` examples from ``pool`` (the train split), covering as many types as
    possible; examples whose text near-duplicates one in ``exclude_texts`` (the data
    being exported) are never used. Returns (examples, how many were excluded)."""
    banned = {near_key(t) for t in exclude_texts}
    allowed = [r for r in pool if near_key(r.text) not in banned]
    excluded = len(pool) - len(allowed)
    rng = random.Random(seed)
    rng.shuffle(allowed)
    chosen: list[Record] = []
    seen: set[str] = set()
    for rec in allowed:  # first pass: one example per uncovered type
        if len(chosen) >= k:
            break
        new = {e.type for e in rec.entities if e.type in types} - seen
        if new:
            chosen.append(rec)
            seen |= new
    for rec in allowed:
        if len(chosen) >= k:
            break
        if rec not in chosen:
            chosen.append(rec)
    return chosen, excluded


@dataclass
class ParsedAnswer:
    entities: list = field(default_factory=list)
    invalid_json: str | None = None
    unknown_types: list[str] = field(default_factory=list)
    unlocatable: list[tuple[str, str]] = field(default_factory=list)
    ambiguous: list[tuple[str, str, int, int]] = field(default_factory=list)


def _json_object(answer: str) -> Any:
    """The first JSON object in an answer, tolerating code fences and chatter."""
    start = answer.find("{")
    if start == -1:
        raise ValueError("no JSON object in the answer")
    obj, _ = json.JSONDecoder().raw_decode(answer[start:])
    return obj


def parse_answer(text: str, answer: str, types: Sequence[str] | None = None) -> ParsedAnswer:
    """Entities an LLM's answer names in ``text``; every problem is listed."""
    out = ParsedAnswer()
    try:
        obj = _json_object(answer)
    except ValueError as exc:
        out.invalid_json = str(exc)
        return out
    if not isinstance(obj, dict):
        out.invalid_json = f"expected a JSON object, got {type(obj).__name__}"
        return out
    strings = []
    for type_, mentions in obj.items():
        if types is not None and type_ not in types:
            out.unknown_types.append(str(type_))
            continue
        if isinstance(mentions, str):
            mentions = [mentions]
        if not isinstance(mentions, list):
            out.invalid_json = f"mentions of {type_!r} are not a list"
            continue
        strings += [(str(type_), m) for m in mentions if isinstance(m, str) and m]
    found = locate_mentions(text, strings)
    out.entities = found.entities
    out.unlocatable = found.unlocatable
    out.ambiguous = found.ambiguous
    return out


_ANSWER_KEYS = ("prediction", "response", "answer", "generated", "output")


def answer_of(obj: Mapping[str, Any]) -> str | None:
    """The model's answer in a prediction line: a known key, or the last assistant
    message of a chat."""
    for key in _ANSWER_KEYS:
        if isinstance(obj.get(key), str):
            return obj[key]
    messages = obj.get("messages")
    if isinstance(messages, list) and messages and isinstance(messages[-1], dict) \
            and messages[-1].get("role") == "assistant":
        return str(messages[-1].get("content", ""))
    return None


@dataclass
class AnswerScore:
    scores: Any  # kmner.evaluation.scoring.Scores
    problems: Counter
    predictions: list[Record]


def score_answers(gold: Sequence[Record], answers: Mapping[Any, str], *,
                  types: Sequence[str] | None = None, report: Report | None = None
                  ) -> AnswerScore:
    """Strict scores of LLM answers (``{record id: answer text}``) against gold."""
    report = report or Report()
    gold_ids = {r.id for r in gold}
    unknown = [i for i in answers if i not in gold_ids]
    if unknown:
        raise InputError(f"{len(unknown)} answer id(s) are not in the gold set, e.g. "
                         f"{unknown[:3]!r}")
    problems: Counter = Counter()
    preds = []
    for rec in gold:
        answer = answers.get(rec.id)
        if answer is None:
            problems["no_answer"] += 1
            report.warn("no-answer", "no answer for this record; scored as empty",
                        record_id=rec.id)
            preds.append(rec.copy_with([]))
            continue
        parsed = parse_answer(rec.text, answer, types)
        if parsed.invalid_json:
            problems["invalid_json"] += 1
            report.warn("invalid-json", parsed.invalid_json, record_id=rec.id)
        for t in parsed.unknown_types:
            problems["unknown_type"] += 1
            report.warn("unknown-type", f"type {t!r} is not asked for; ignored",
                        record_id=rec.id)
        for t, m in parsed.unlocatable:
            problems["unlocatable_mention"] += 1
            report.warn("unlocatable-mention", f"{t} mention {m!r} does not occur in the "
                        "text", record_id=rec.id)
        for t, m, k, f in parsed.ambiguous:
            problems["ambiguous_mention"] += 1
            report.warn("ambiguous-mention", f"{t} mention {m!r} listed {k} time(s), occurs "
                        f"{f} times; all taken", record_id=rec.id)
        preds.append(rec.copy_with(parsed.entities))
    wanted = set(types) if types is not None else None
    gold_view = [r.copy_with([e for e in r.entities if wanted is None or e.type in wanted])
                 for r in gold]
    return AnswerScore(score_records(gold_view, preds), problems, preds)


def default_types(records: Iterable[Record]) -> list[str]:
    """KBMC types first when present, then the others in order of appearance."""
    seen = list(dict.fromkeys(e.type for r in records for e in r.sorted_entities()))
    return [t for t in KBMC_TYPES if t in seen] + [t for t in seen if t not in KBMC_TYPES]


__all__ = ["DEFAULT_DESCRIPTIONS", "build_instruction", "to_instruct", "pick_few_shot",
           "parse_answer", "score_answers", "answer_of", "default_types"]

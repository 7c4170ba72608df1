"""`kmner data ...`: convert between formats, split without leakage, corpus
statistics, instruction-tuning exports and scoring of LLM answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional, get_args

import typer

from kmner.core.errors import InputError, KmnerError, finite
from kmner.core.jsonl import iter_lines, loads_strict, write_json
from kmner.core.paths import check_outputs
from kmner.core.runinfo import write_run_info
from kmner.data import formats
from kmner.data.convert import convert, read_records, split_options
from kmner.data.formats import FORMATS
from kmner.data.formats.gliner2 import MentionForm
from kmner.data.formats.hf import save_dataset, to_dataset
from kmner.data.formats.instruct import write_instruct
from kmner.data.instruct import (Style, answer_of, default_types, pick_few_shot,
                                 score_answers)
from kmner.data.mentions import Ambiguous
from kmner.data.report import OnError, Report
from kmner.data.split import SplitConfig, split_records, write_split
from kmner.data.stats import dataset_stats, format_stats
from kmner.data.tags import Scheme
from kmner.data.tokens import Tokenizer, Unaligned

# Options with a fixed set of values, checked before any work (a usage error, exit 2).
_CHOICES = {"on_error": OnError, "scheme": Scheme, "ambiguous": Ambiguous, "style": Style,
            "tokenizer": Tokenizer, "unaligned": Unaligned, "mentions": MentionForm}


def _check_choices(**values: Any) -> None:
    for name, value in values.items():
        valid = get_args(_CHOICES[name])
        if value is not None and value not in valid:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(valid)}",
                                     param_hint="--" + name.replace("_", "-"))

app = typer.Typer(help="Read, write, split and describe NER data sets.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="data")


def _echo_report(report, rejects_path: Optional[Path]) -> None:
    for line in report.lines():
        typer.echo(line, err=True)
    if len(report.rejects) and rejects_path is not None:
        report.rejects.path = rejects_path
        report.rejects.write()
        typer.echo(f"rejected records written to {rejects_path}", err=True)


def _types(value: Optional[str]) -> Optional[list[str]]:
    return [t.strip() for t in value.split(",") if t.strip()] if value else None


def _descriptions(value: Optional[str]) -> Optional[dict[str, str]]:
    """A JSON/YAML file of {type: description} or "Type=desc;Type2=desc"."""
    if not value:
        return None
    p = Path(value)
    if p.suffix in {".json", ".yaml", ".yml"} and p.exists():
        import yaml

        return {str(k): str(v) for k, v in yaml.safe_load(p.read_text("utf-8")).items()}
    out = {}
    for part in value.split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def _read_many(paths: list[Path], fmt: Optional[str], report, options: dict[str, Any]):
    sources = []
    for p in paths:
        records = read_records(p, fmt, report, options, progress=True)
        typer.echo(f"read {len(records):,} records from {p} "
                   f"({fmt or formats.guess_format(p)})", err=True)
        sources.append(records)
    return sources


OnErrorOpt = typer.Option("raise", "--on-error",
                          help="raise: stop at the first bad record; reject: log it and go on.")


@app.command("formats")
def formats_cmd() -> None:
    """List the formats kmner reads and writes."""
    for f in FORMATS.values():
        ext = ", ".join(f.extensions) or "-"
        typer.echo(f"{f.name:<12} {f.description}  [{ext}]")


@app.command("convert")
def convert_cmd(
    src: Path = typer.Argument(..., help="Input file (or saved dataset folder)."),
    dst: Path = typer.Argument(..., help="Output file (or folder for hf)."),
    from_: Optional[str] = typer.Option(None, "--from", help="Input format (guessed if unset)."),
    to: Optional[str] = typer.Option(None, "--to", help="Output format (guessed from extension)."),
    on_error: str = OnErrorOpt,
    rejects: Optional[Path] = typer.Option(None, help="Where rejected records go "
                                           "(default: OUT.rejects.jsonl)."),
    label_map: Optional[str] = typer.Option(None, help="Rename/drop types, e.g. "
                                            "'DS=Disease,BD=Body,ST=Symptom' or a preset."),
    repair: Optional[bool] = typer.Option(None, "--repair", help="Read an I- tag without B- "
                                          "as the start of an entity (reported)."),
    respace: Optional[bool] = typer.Option(None, "--respace", help="kbmc: rebuild natural "
                                           "spacing with Kiwi."),
    scheme: Optional[str] = typer.Option(None, help="Tag scheme: bio, bioes or iob1."),
    tag_column: Optional[int] = typer.Option(None, help="conll: tag column (default last)."),
    encoding: Optional[str] = typer.Option(None, help="Input encoding, e.g. cp949."),
    split: Optional[str] = typer.Option(None, help="hf: which split of a DatasetDict."),
    ambiguous: Optional[str] = typer.Option(None, help="gliner2: all, first or error."),
    tokenizer: Optional[str] = typer.Option(None, help="kiwi or whitespace (token formats)."),
    unaligned: Optional[str] = typer.Option(None, help="Spans that cut a token: split, drop "
                                            "or error."),
    plain: Optional[bool] = typer.Option(None, "--plain", help="kbmc: only Sentence and Tags."),
    mentions: Optional[str] = typer.Option(None, help="gliner2: auto, strings or spans."),
    types: Optional[str] = typer.Option(None, help="Types to list (gliner2, instruct)."),
    descriptions: Optional[str] = typer.Option(None, help="Type descriptions: file or "
                                               "'Type=desc;...'."),
    style: Optional[str] = typer.Option(None, help="instruct: alpaca or chat."),
) -> None:
    """Convert IN to OUT. Every input record is written or rejected with a reason."""
    _check_choices(on_error=on_error, scheme=scheme, ambiguous=ambiguous, style=style,
                   tokenizer=tokenizer, unaligned=unaligned, mentions=mentions)
    fmt_in = from_ or formats.guess_format(src)
    fmt_out = to or formats.guess_format(dst, for_writing=True)
    given = {"repair": repair, "respace": respace, "scheme": scheme, "tag_column": tag_column,
             "encoding": encoding, "split": split, "ambiguous": ambiguous,
             "tokenizer": tokenizer, "unaligned": unaligned, "mentions": mentions,
             "types": _types(types), "descriptions": _descriptions(descriptions),
             "style": style, "keep_text": False if plain else None}
    split_options(fmt_in, fmt_out, given)  # an option neither side takes: error before work
    rejects = rejects or dst.with_name(dst.name + ".rejects.jsonl")
    run_info = dst.with_name(dst.name + ".run.yaml")
    folder_out = fmt_out == "hf"
    check_outputs(inputs=[src], files=[rejects, run_info] + ([] if folder_out else [dst]),
                  dirs=[dst] if folder_out else [])
    report = Report(on_error=on_error)  # type: ignore[arg-type]
    done = convert(src, dst, fmt_in=fmt_in, fmt_out=fmt_out, options=given,
                   label_map=label_map, report=report, progress=True,
                   on_read=lambda c: typer.echo(f"read {c.n_read:,} records from {src} "
                                                f"({c.fmt_in})", err=True))
    if done.label_map_counts is not None:
        typer.echo(f"label map: {done.label_map_counts}", err=True)
    typer.echo(f"wrote {done.n_written:,} records to {dst} ({done.fmt_out}); read "
               f"{done.n_read:,}, rejected while reading {done.rejected_reading:,}, while "
               f"writing {done.rejected_writing:,}", err=True)
    n_rejected = done.rejected_reading + done.rejected_writing
    total = done.n_read + done.rejected_reading
    typer.echo(f"input records: {total:,} = written {done.n_written:,} + rejected "
               f"{n_rejected:,}" + ("" if total == done.n_written + n_rejected
                                     else "  (MISMATCH)"), err=True)
    _echo_report(report, rejects)
    write_run_info(run_info.parent, command="data convert", name=run_info.name,
                   config={"input": str(src), "output": str(dst), "from": fmt_in, "to": fmt_out,
                           "on_error": on_error, "label_map": label_map,
                           **{k: v for k, v in given.items() if v is not None}},
                   extra={"read": done.n_read, "written": done.n_written,
                          "rejected": n_rejected})


@app.command("split")
def split_cmd(
    inputs: list[Path] = typer.Argument(..., help="One or more input files (any format)."),
    out: Path = typer.Option(..., "-o", "--out", help="Output folder."),
    train: float = typer.Option(..., callback=finite, min=0.0,
                                help="Train size: count (>= 1) or fraction (< 1)."),
    test: float = typer.Option(..., callback=finite, min=0.0,
                               help="Test size: count or fraction."),
    dev: Optional[float] = typer.Option(None, callback=finite, min=0.0,
                                        help="Dev size: count or fraction."),
    seed: int = typer.Option(0, help="Random seed."),
    from_: Optional[str] = typer.Option(None, "--from", help="Input format (guessed if unset)."),
    hf: Optional[Path] = typer.Option(None, help="Also save the splits as a DatasetDict here."),
) -> None:
    """Deduplicate, then split with every type in every split where possible."""
    check_outputs(inputs=inputs, dirs=[out, hf],
                  dir_files=["train.jsonl", "dev.jsonl", "test.jsonl", "manifest.json",
                             "duplicates.jsonl", "run.yaml"])
    config = SplitConfig(train=train, test=test, dev=dev, seed=seed)
    sources = _read_many(inputs, from_, Report(), {})
    result = split_records(sources, config)
    manifest = write_split(result, out, inputs=[str(p) for p in inputs], config=config,
                           input_counts=[len(s) for s in sources])
    write_run_info(out, command="kmner data split", config=config, seed=seed)
    d = manifest["duplicates"]
    typer.echo(f"duplicates: {d['groups']} near-duplicate group(s) ({d['exact_groups']} "
               f"exact), {d['cross_source_groups']} across input files, "
               f"{d['conflicting_groups']} with differing entities; removed {d['removed']} "
               f"record(s) -> {out / 'duplicates.jsonl'}")
    for name, info in manifest["splits"].items():
        typer.echo(f"{name}: {info['sentences']:,} sentences, entities {info['entities']}")
    for name, absent in manifest["missing_types"].items():
        typer.echo(f"warning: no {', '.join(absent)} in {name} (too few sentences)", err=True)
    if hf is not None:
        save_dataset(to_dataset(result.splits), hf)
        typer.echo(f"DatasetDict saved to {hf}")


@app.command("stats")
def stats_cmd(
    inputs: list[Path] = typer.Argument(..., help="Input files (any format)."),
    from_: Optional[str] = typer.Option(None, "--from", help="Input format (guessed if unset)."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the figures as JSON."),
) -> None:
    """Sentences, entities per type, span lengths, share with entities, duplicates."""
    records = [r for src in _read_many(inputs, from_, Report(), {}) for r in src]
    stats = dataset_stats(records)
    for line in format_stats(stats):
        typer.echo(line)
    if json_out:
        write_json(json_out, stats)


@app.command("export-instruct")
def export_instruct_cmd(
    src: Path = typer.Argument(..., help="Records to export (any format)."),
    out: Path = typer.Option(..., "-o", "--out", help="Output JSONL."),
    style: str = typer.Option("alpaca", help="alpaca or chat (trl SFTTrainer messages)."),
    types: Optional[str] = typer.Option(None, help="Types to ask for, comma-separated "
                                        "(default: those in the data)."),
    descriptions: Optional[str] = typer.Option(None, help="Type descriptions: file or "
                                               "'Type=desc;...'."),
    few_shot: int = typer.Option(0, min=0, help="Examples to put in every prompt."),
    few_shot_from: Optional[Path] = typer.Option(None, help="Train split to draw examples "
                                                 "from (never the exported data)."),
    seed: int = typer.Option(0, help="Seed for choosing examples."),
    from_: Optional[str] = typer.Option(None, "--from", help="Input format (guessed if unset)."),
) -> None:
    """Instruction-tuning JSONL for LLM fine-tuning or an LLM baseline."""
    _check_choices(style=style)
    check_outputs(inputs=[src, few_shot_from], files=[out])
    report = Report()
    (records,) = _read_many([src], from_, report, {})
    type_list = _types(types) or default_types(records)
    examples = []
    if few_shot:
        if few_shot_from is None:
            raise KmnerError("--few-shot needs --few-shot-from TRAIN (examples come from the "
                             "train split only)")
        (pool,) = _read_many([few_shot_from], None, report, {})
        examples, excluded = pick_few_shot(pool, few_shot, type_list, seed=seed,
                                           exclude_texts=[r.text for r in records])
        if excluded:
            typer.echo(f"warning: {excluded} example candidate(s) duplicate exported texts "
                       "and were not used", err=True)
        if len(examples) < few_shot:
            typer.echo(f"warning: only {len(examples)} example(s) available", err=True)
    n = write_instruct(out, records, report=report, style=style, types=type_list,
                       descriptions=_descriptions(descriptions), examples=examples)
    typer.echo(f"wrote {n:,} {style} examples to {out} (types: {', '.join(type_list)}, "
               f"{len(examples)} few-shot)")
    _echo_report(report, None)


@app.command("score-instruct")
def score_instruct_cmd(
    gold: Path = typer.Argument(..., help="Gold records (any format)."),
    predictions: Path = typer.Argument(..., help="JSONL of {id, prediction|response|output} "
                                       "or chat messages ending with the model's answer."),
    types: Optional[str] = typer.Option(None, help="Types that were asked for."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write scores and problems."),
    from_: Optional[str] = typer.Option(None, "--from", help="Gold format (guessed if unset)."),
) -> None:
    """Score an LLM's JSON answers strictly against gold, locating mentions in the text."""
    report = Report()
    (gold_records,) = _read_many([gold], from_, report, {})
    answers: dict[Any, str] = {}
    for lineno, line in iter_lines(predictions):
        if not line.strip():
            continue
        try:
            obj = loads_strict(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"malformed JSON: {exc.msg}; fix or remove this line",
                             path=str(predictions), line=lineno) from None
        except ValueError as exc:
            raise InputError(str(exc), path=str(predictions), line=lineno) from None
        answer = answer_of(obj) if isinstance(obj, dict) else None
        if answer is None or not isinstance(obj.get("id"), (str, int)):
            raise InputError("expected an id (a string or an integer) and the model's answer",
                             path=str(predictions), line=lineno)
        answers[obj["id"]] = answer
    type_list = _types(types) or default_types(gold_records)
    result = score_answers(gold_records, answers, types=type_list, report=report)
    m = result.scores.micro
    typer.echo(f"micro P {m.precision:.4f} R {m.recall:.4f} F1 {m.f1:.4f} "
               f"(tp {m.tp}, fp {m.fp}, fn {m.fn}) on {len(gold_records):,} sentences")
    for t, prf in sorted(result.scores.per_type.items()):
        typer.echo(f"  {t:<12} P {prf.precision:.4f} R {prf.recall:.4f} F1 {prf.f1:.4f} "
                   f"support {prf.support}")
    typer.echo(f"answer problems: {dict(result.problems) or 'none'}")
    if json_out:
        write_json(json_out, {**result.scores.to_dict(), "answer_problems": dict(result.problems)})

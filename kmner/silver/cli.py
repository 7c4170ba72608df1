"""`kmner silver ...` commands: thin wrappers over kmner.silver."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from kmner.core import engines
from kmner.core.jsonl import load_records, write_json, write_records
from kmner.core.labelmap import LabelMap
from kmner.core.paths import check_outputs
from kmner.core.runinfo import write_run_info
from kmner.gazetteer.compiled import CompiledGazetteer, build_gazetteer
from kmner.gazetteer.config import load_config_or_table
from kmner.gazetteer.default import default_gazetteer_path
from kmner.silver.augment import augment_silver
from kmner.silver.evaluate import evaluate_silver, format_eval
from kmner.silver.pipeline import SilverConfig, run_info_path, run_silver
from kmner.silver.stats import silver_stats

app = typer.Typer(help="Make and check silver data.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="silver")


@app.command("run")
def run_cmd(
    inputs: List[Path] = typer.Argument(..., help=".txt (a document per line) or .jsonl "
                                                  "(records with text), optionally .gz; "
                                                  "with --engine spark also .parquet"),
    output: Path = typer.Option(..., "-o", "--output",
                                help="Silver JSONL output (a folder with --engine spark)."),
    gazetteer: Optional[Path] = typer.Option(None, "--gazetteer", "-g",
                                             help="Compiled gazetteer (default: bundled)."),
    rejects: Optional[Path] = typer.Option(None, "--rejects",
                                           help="Reject file (default OUT.rejects.jsonl)."),
    threads: int = typer.Option(2, "--threads", "-t", min=1, max=64,
                         help="Kiwi worker threads."),
    kiwi_dict: Optional[Path] = typer.Option(None, "--kiwi-dict",
                                             help="Kiwi user dictionary to load."),
    resume: bool = typer.Option(False, "--resume",
                                help="Continue an interrupted run from its checkpoint."),
    progress: bool = typer.Option(True, "--progress/--no-progress"),
    engine: str = typer.Option("local", "--engine",
                               help="local (one process) or spark (OUT is a folder of "
                                    "part files; inputs may also be Parquet)."),
    workers: Optional[int] = typer.Option(None, "--workers",
                                          help="Spark: local[N] cores (default: all)."),
    master: Optional[str] = typer.Option(None, "--master", help="Spark master URL."),
    out_format: str = typer.Option("jsonl", "--format", help="Spark: jsonl or parquet."),
    task_cpus: Optional[int] = typer.Option(None, "--task-cpus",
                                            help="Spark: CPU slots (Kiwi threads) per task "
                                                 "(default 2 in local mode)."),
) -> None:
    """Label raw text with the gazetteer, checked against Kiwi's morphemes."""
    cfg = SilverConfig(inputs=[str(p) for p in inputs], output=str(output),
                       rejects=str(rejects) if rejects else None,
                       gazetteer=str(gazetteer) if gazetteer else None, threads=threads,
                       kiwi_user_dict=str(kiwi_dict) if kiwi_dict else None)
    if engine not in engines.ENGINES:
        raise typer.BadParameter(f"must be one of {', '.join(engines.ENGINES)}, got {engine!r}",
                                 param_hint="--engine")
    if engine == "local":
        summary = run_silver(cfg, resume=resume, progress=progress)
    elif resume:
        raise typer.BadParameter("--resume is for the local engine; a Spark run "
                                 "commits whole or not at all: run it again")
    else:
        summary = engines.runner("silver run", engine)(
            cfg, master=master, workers=workers, file_format=out_format, task_cpus=task_cpus)
    for line in summary.lines():
        typer.echo(line)
    info = write_run_info(output.parent, command="silver run", config=cfg,
                          extra={"summary": summary.to_dict()},
                          name=run_info_path(output).name)
    typer.echo(f"wrote {output} (run info: {info})")
    if not summary.balanced():
        raise typer.Exit(2)


@app.command("augment")
def augment_cmd(
    silver: Path = typer.Argument(..., help="Dictionary silver JSONL (`kmner silver run`)."),
    predictions: Path = typer.Argument(..., help="`kmner predict` output on the same "
                                                 "records (spans carry meta.score)."),
    output: Path = typer.Option(..., "-o", "--output", help="Augmented silver JSONL."),
    min_score: float = typer.Option(0.5, "--min-score",
                                    help="Keep model spans scoring at least this."),
    types: Optional[str] = typer.Option(None, "--types",
                                        help="Comma-separated types to keep (default: all)."),
    label_map: Optional[str] = typer.Option(None, "--label-map",
                                            help="Map the dictionary's types first, "
                                                 "e.g. 'Treatment=' to drop one."),
    prefer: str = typer.Option("model", "--prefer",
                               help="Which side wins an overlap: model (its spans read the "
                                    "context) or dictionary (the model fills its gaps)."),
) -> None:
    """Model-in-the-loop silver: add a model's confident spans to dictionary silver."""
    check_outputs(inputs=[silver, predictions], files=[output, report_path(output)])
    records = LabelMap.parse(label_map).apply(load_records(silver, allow_overlaps=True))
    keep = {t.strip() for t in types.split(",") if t.strip()} if types else None
    out, report = augment_silver(records, load_records(predictions), min_score=min_score,
                                 keep_types=keep, prefer=prefer)
    write_records(output, out)
    d = report.to_dict()
    write_json(report_path(output), {"min_score": min_score, "prefer": prefer,
                                     "types": sorted(keep or []),
                                     "label_map": label_map, **d})
    typer.echo(f"records: {d['records']} written ({d['records_without_prediction']} without "
               f"a prediction; {d['predictions_without_silver_record']} predictions for ids "
               f"not in the silver, unused); model spans added {sum(report.model_spans.values())} "
               f"{d['model_spans_added']}, {d['model_spans_below_min_score']} below "
               f"{min_score}; dictionary spans kept {sum(report.dictionary_kept.values())}, "
               f"{d['dictionary_spans_overlapping_a_kept_span']} overlapped a span kept before "
               f"them; model spans overlapping a kept span "
               f"{d['model_spans_overlapping_a_kept_span']}")
    typer.echo(f"wrote {output} (report: {report_path(output)})")


def report_path(output: Path) -> Path:
    return output.with_name(output.name.removesuffix(".jsonl") + ".augment.json")


@app.command("stats")
def stats_cmd(silver: Path = typer.Argument(..., help="Silver JSONL."),
              top: int = typer.Option(10, min=0, help="Top terms per type."),
              as_json: bool = typer.Option(False, "--json")) -> None:
    """Entities per type, top terms, and the share of records with entities."""
    st = silver_stats(silver)
    d = st.to_dict(top)
    if as_json:
        typer.echo(json.dumps(d, ensure_ascii=False, indent=2))
        return
    typer.echo(f"{d['records']} records, {d['records_with_entities']} with entities "
               f"({d['share_with_entities']:.1%}); {d['entities']} entities")
    for t, n in sorted(d["per_type"].items()):
        terms = ", ".join(f"{s} {c}" for s, c in d["top_terms"][t])
        typer.echo(f"  {t}: {n}  top: {terms}")
    typer.echo("  rules: " + ", ".join(f"{k} {v}" for k, v in d["rules"].items()))
    if d["unreadable_lines"]:
        typer.echo(f"  {d['unreadable_lines']} unreadable lines skipped")


@app.command("eval")
def eval_cmd(
    gold: Path = typer.Argument(..., help="Gold JSONL (KBMC-style records)."),
    gazetteer: Optional[Path] = typer.Option(None, "--gazetteer", "-g",
                                             help="Compiled gazetteer, or a term,type "
                                                  "TSV/CSV (built on the fly)."),
    label_map: Optional[str] = typer.Option(None, "--label-map",
                                            help="e.g. kbmc (Symptom->Disease) or A=B,C="),
    threads: int = typer.Option(2, "--threads", "-t", min=1, max=64),
    kiwi_dict: Optional[Path] = typer.Option(None, "--kiwi-dict"),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write JSON here."),
) -> None:
    """Score the matcher on gold texts, beside plain Aho-Corasick, with coverage."""
    gaz = load_gazetteer_arg(gazetteer)
    ev = evaluate_silver(gold, gaz, label_map=LabelMap.parse(label_map), threads=threads,
                         user_dict=str(kiwi_dict) if kiwi_dict else None)
    for line in format_eval(ev):
        typer.echo(line)
    if json_out:
        write_json(json_out, ev.to_dict())


def load_gazetteer_arg(path: Optional[Path]):
    """A compiled gazetteer file, a term table to compile in memory, or the default."""
    if path is None:
        return CompiledGazetteer.load(default_gazetteer_path())
    if path.suffix.lower() in {".tsv", ".csv", ".yaml", ".yml", ".toml", ".txt"}:
        return build_gazetteer(load_config_or_table(path))
    return CompiledGazetteer.load(path)

"""`kmner ls ...`: Label Studio round-trip commands. Thin wrappers over the
functions in this package; label-studio-sdk is only imported by push and pull."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from kmner.core.errors import InputError
from kmner.core.jsonl import RejectLog, atomic_write, load_records, write_json, write_records
from kmner.core.paths import check_outputs
from kmner.core.records import KBMC_TYPES
from kmner.core.runinfo import write_run_info
from kmner.data.gold import import_export, load_export
from kmner.data.gold_policies import ImportPolicy
from kmner.data.ls_tasks import ExportSummary, records_to_tasks, write_tasks
from kmner.labelstudio.client import connect, pull, push
from kmner.labelstudio.config import label_config, parse_types, types_from_file
from kmner.labelstudio.diff import diff_records, format_report
from kmner.labelstudio.ordering import certainties, order_by_uncertainty

app = typer.Typer(help="Label Studio round-trip: silver out as pre-annotations, gold back in.",
                  no_args_is_help=True)

_URL = typer.Option(None, "--url", envvar="LABEL_STUDIO_URL",
                    help="Label Studio URL, e.g. http://localhost:8080 [env LABEL_STUDIO_URL]")
_KEY = typer.Option(None, "--api-key", envvar="LABEL_STUDIO_API_KEY", show_default=False,
                    help="Legacy token or personal access token [env LABEL_STUDIO_API_KEY]")
_PROJECT = typer.Option(..., "--project", "-p", help="Project title or numeric id.")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="ls")


def _echo(msg: str) -> None:
    typer.echo(msg, err=True)


def _types_option(types: Optional[str], types_from: Optional[Path]) -> list[str] | None:
    if types and types_from:
        raise typer.BadParameter("give --types or --types-from, not both")
    if types_from:
        return types_from_file(types_from)
    return parse_types(types)


@app.command("config")
def config_cmd(
    types: Optional[str] = typer.Option(None, "--types", "-t",
                                        help="Comma-separated entity types, e.g. "
                                             "Disease,Body,Treatment."),
    types_from: Optional[Path] = typer.Option(None, "--types-from",
                                              help="Take the types from a silver/gold JSONL, "
                                                   "a term,type TSV/CSV or a config XML."),
    show_id: bool = typer.Option(False, "--show-id", help="Show the record id above the text."),
    show_meta: bool = typer.Option(False, "--show-meta", help="Show the record's meta."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write here, not stdout."),
) -> None:
    """Print the labelling-config XML for span labelling of the given types."""
    xml = label_config(_types_option(types, types_from) or list(KBMC_TYPES), show_id=show_id,
                       show_meta=show_meta)
    if output is None:
        typer.echo(xml, nl=False)
    else:
        with atomic_write(output) as fh:
            fh.write(xml)
        _echo(f"wrote {output}")


def _load_silver(path: Path) -> list:
    return load_records(path)


def _ordered_silver(silver: Path, order: str, compare: Optional[Path]
                    ) -> tuple[list, dict | None]:
    """Silver records in the order asked for, with their certainty scores."""
    if order not in ("input", "uncertainty"):
        raise typer.BadParameter(f"--order must be input or uncertainty, not {order!r}")
    if compare is not None and order != "uncertainty":
        raise typer.BadParameter("--compare only affects --order uncertainty")
    records = _load_silver(silver)
    model = _load_silver(compare) if compare is not None else None
    scores = certainties(records, model)
    if order == "uncertainty":
        records = order_by_uncertainty(records, scores)
    return records, scores


@app.command("export")
def export_cmd(
    silver: Path = typer.Argument(..., help="Silver (or any KBMC-style) JSONL."),
    output: Path = typer.Option(..., "--output", "-o", help="Label Studio tasks JSON to write."),
    order: str = typer.Option("input", "--order", help="input | uncertainty (least certain "
                                                       "first)."),
    compare: Optional[Path] = typer.Option(None, "--compare",
                                           help="Model predictions (JSONL, same ids): "
                                                "disagreement with silver raises uncertainty."),
    model_version: str = typer.Option("kmner-silver", "--model-version"),
) -> None:
    """Write silver records as Label Studio tasks (no server needed).

    Each task has data.text, data.kmner_id and one prediction; import the file in
    Label Studio's Import dialog."""
    check_outputs(inputs=[silver, compare], files=[output])
    records, scores = _ordered_silver(silver, order, compare)
    summary = ExportSummary()
    n = write_tasks(output, records_to_tasks(records, model_version=model_version,
                                             scores=scores, summary=summary))
    _echo(f"wrote {n} task(s) with {summary.entities} predicted span(s) to {output}")


def _policy(annotations: str, annotator: Optional[str], relabelled: str, on_error: str,
            allow_overlaps: bool, text_field: str):
    return ImportPolicy(annotations=annotations, annotator=annotator, relabelled=relabelled,
                        on_error=on_error, allow_overlaps=allow_overlaps, text_field=text_field)


def _write_gold(records, summary, output: Path, rejects, policy, command: str,
                extra: dict) -> None:
    write_records(output, records)
    if rejects is not None and rejects.path is not None:
        rejects.write()
    write_run_info(output.parent, command=command, config=policy,
                   extra={"summary": summary.to_dict(), **extra}, name=f"{output.name}.run.yaml")
    s = summary.to_dict()
    ex = s["excluded"]
    _echo(f"{s['tasks']} task(s): {s['gold']} gold record(s) with {s['entities']} span(s) -> "
          f"{output}; excluded {ex['skipped']} skipped, {ex['unannotated']} unannotated, "
          f"{ex['not_by_annotator']} not by the annotator; rejected {s['rejected']}"
          + (f" -> {rejects.path}" if s["rejected"] and rejects is not None else ""))
    if s["generated_ids"]:
        _echo(f"{s['generated_ids']} task(s) had no kmner_id (another project's export?); "
              "their records got ids ls-task-<task id>")
    if s["silver_not_in_export"]:
        _echo(f"{s['silver_not_in_export']} silver record(s) are not in the export")
    if s["ignored_results"]:
        _echo(f"ignored non-span results: {s['ignored_results']}")
    _echo(f"span origins: {s['entity_origins']}")


_ANNOTATIONS = typer.Option("latest", "--annotations",
                            help="Several annotations per task: latest | annotator | majority.")
_ANNOTATOR = typer.Option(None, "--annotator", help="With --annotations annotator: user id or "
                                                     "e-mail.")
_RELABELLED = typer.Option("error", "--relabelled",
                           help="Task text differs from --silver: error | reject | keep.")
_ON_ERROR = typer.Option("raise", "--on-error",
                         help="Broken regions or unknown labels: raise | reject (to --rejects).")
_REJECTS = typer.Option(None, "--rejects", help="JSONL file for rejected tasks "
                                                "(default GOLD.rejects.jsonl).")
_SILVER = typer.Option(None, "--silver", help="Silver JSONL the tasks came from: checks the "
                                              "text was not changed and counts missing ids.")
_OVERLAPS = typer.Option(False, "--allow-overlaps", help="Keep overlapping spans.")
_TEXT_FIELD = typer.Option("text", "--text-field", help="Task data field with the text.")


def _rejects(output: Path, rejects: Optional[Path], policy, inputs: list):
    """The reject log (None when no policy rejects), after checking every output."""
    path = rejects or output.with_name(output.name + ".rejects.jsonl")
    keep = policy.on_error == "reject" or policy.relabelled == "reject"
    check_outputs(inputs=inputs, files=[output, output.with_name(f"{output.name}.run.yaml"),
                                         path if keep else None])
    return RejectLog(path) if keep else None


@app.command("import")
def import_cmd(
    export: Path = typer.Argument(..., help="Label Studio export: JSON or JSON_MIN (never "
                                            "CONLL2003, see docs/labelstudio.md)."),
    output: Path = typer.Option(..., "--output", "-o", help="Gold JSONL to write."),
    silver: Optional[Path] = _SILVER,
    types: Optional[str] = typer.Option(None, "--types", "-t",
                                        help="Allowed labels (default: KBMC types plus the "
                                             "silver's types)."),
    types_from: Optional[Path] = typer.Option(None, "--types-from",
                                              help="Allowed labels from a config XML, JSONL or "
                                                   "TSV."),
    annotations: str = _ANNOTATIONS, annotator: Optional[str] = _ANNOTATOR,
    relabelled: str = _RELABELLED, on_error: str = _ON_ERROR,
    rejects: Optional[Path] = _REJECTS, allow_overlaps: bool = _OVERLAPS,
    text_field: str = _TEXT_FIELD,
) -> None:
    """Turn a Label Studio JSON or JSON_MIN export file into gold records."""
    policy = _policy(annotations, annotator, relabelled, on_error, allow_overlaps, text_field)
    log = _rejects(output, rejects, policy, [export, silver, types_from])
    silver_records = _load_silver(silver) if silver else None
    allowed = _types_option(types, types_from)
    if allowed is None:
        allowed = list(dict.fromkeys([*KBMC_TYPES, *(e.type for r in silver_records or []
                                                     for e in r.entities)]))
    tasks = load_export(export)
    records, summary = import_export(tasks, policy=policy, types=allowed, silver=silver_records,
                                     source=str(export), rejects=log)
    _write_gold(records, summary, output, log, policy, "kmner ls import",
                {"export": str(export), "types": allowed})


@app.command("push")
def push_cmd(
    silver: Path = typer.Argument(..., help="Silver JSONL to pre-annotate tasks with."),
    url: Optional[str] = _URL, api_key: Optional[str] = _KEY, project: str = _PROJECT,
    order: str = typer.Option("input", "--order", help="input | uncertainty (least certain "
                                                       "first)."),
    compare: Optional[Path] = typer.Option(None, "--compare", help="Model predictions JSONL; "
                                                                   "disagreement raises "
                                                                   "uncertainty."),
    types: Optional[str] = typer.Option(None, "--types", "-t",
                                        help="Labels for a new project (default: KBMC types "
                                             "plus the silver's types)."),
    batch_size: int = typer.Option(1000, "--batch-size", min=1, help="Tasks per import request."),
    model_version: str = typer.Option("kmner-silver", "--model-version"),
    show_meta: bool = typer.Option(False, "--show-meta", help="New project shows record meta."),
    progress: bool = typer.Option(True, "--progress/--no-progress"),
) -> None:
    """Push silver records to a Label Studio project as pre-annotated tasks.

    Creates the project if needed; records whose kmner_id is already there are
    left alone, so pushing twice creates no duplicates."""
    records, scores = _ordered_silver(silver, order, compare)
    conn = connect(url, api_key)
    summary = push(records, conn, project, types=parse_types(types), scores=scores,
                   model_version=model_version, batch_size=batch_size, show_meta=show_meta,
                   order=order, progress=progress)
    verb = "created" if summary.created_project else "found"
    _echo(f"{verb} project {summary.project_title!r} (id {summary.project_id}) at {summary.url}; "
          f"pushed {summary.pushed} task(s) with {summary.entities} predicted span(s) in "
          f"{summary.batches} batch(es); {summary.already_present} already there")
    typer.echo(json.dumps(summary.to_dict(), ensure_ascii=False))


@app.command("pull")
def pull_cmd(
    url: Optional[str] = _URL, api_key: Optional[str] = _KEY, project: str = _PROJECT,
    output: Path = typer.Option(..., "--output", "-o", help="Gold JSONL to write."),
    silver: Optional[Path] = _SILVER,
    annotations: str = _ANNOTATIONS, annotator: Optional[str] = _ANNOTATOR,
    relabelled: str = _RELABELLED, on_error: str = _ON_ERROR,
    rejects: Optional[Path] = _REJECTS, allow_overlaps: bool = _OVERLAPS,
    text_field: str = _TEXT_FIELD,
    save_export: Optional[Path] = typer.Option(None, "--save-export",
                                               help="Also keep the raw JSON export here."),
) -> None:
    """Pull a project's annotations as gold records (one export request)."""
    policy = _policy(annotations, annotator, relabelled, on_error, allow_overlaps, text_field)
    log = _rejects(output, rejects, policy, [silver])
    check_outputs(inputs=[silver], files=[output, save_export])
    silver_records = _load_silver(silver) if silver else None
    conn = connect(url, api_key)
    result = pull(conn, project, save_export=save_export)
    records, summary = import_export(result.tasks, policy=policy, types=result.types,
                                     silver=silver_records, users=result.users,
                                     source=f"project {result.project_id}", rejects=log)
    _write_gold(records, summary, output, log, policy, "kmner ls pull",
                {"url": conn.url, "project_id": result.project_id, "types": result.types})


@app.command("diff")
def diff_cmd(
    silver: Path = typer.Argument(..., help="Silver JSONL that was pushed."),
    gold: Path = typer.Argument(..., help="Gold JSONL from pull/import."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Also write the report "
                                                                       "as JSON."),
    top: int = typer.Option(20, "--top", min=0, help="How many most-corrected terms to list."),
    n_resamples: int = typer.Option(1000, "--n-resamples", min=1, max=100_000, help="Bootstrap resamples."),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Report what annotators changed in the silver labels.

    Per type: kept, type changed, boundary changed, deleted, added; the silver
    precision and recall with bootstrap CIs; the most-corrected dictionary terms."""
    check_outputs(inputs=[silver, gold], files=[output])
    gold_records = _load_silver(gold)
    if not gold_records:
        raise InputError("gold file has no records, so there is nothing to compare; give "
                         "the gold JSONL from `kmner ls pull` or `ls import`", path=str(gold))
    report = diff_records(_load_silver(silver), gold_records, n_resamples=n_resamples,
                          seed=seed)
    typer.echo(format_report(report, top=top))
    if output is not None:
        write_json(output, report.to_dict(top=top))
        _echo(f"wrote {output}")

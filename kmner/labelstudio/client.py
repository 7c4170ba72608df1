"""Push silver tasks to, and pull gold from, a running Label Studio server.

label-studio-sdk is imported inside functions, so ``import kmner`` never loads
it. Every SDK or network failure is turned into one of the LabelStudioError
subclasses with a one-line message; nothing here prints a traceback for a server
that is down, a wrong key or a missing project.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Iterator, Sequence
from urllib.parse import urlparse

from kmner.core.errors import InputError
from kmner.core.jsonl import atomic_write
from kmner.core.records import KBMC_TYPES, Record
from kmner.labelstudio.config import label_config, labels_in_config, span_control
from kmner.labelstudio.errors import (AuthenticationFailed, LabelStudioError, ProjectNotFound,
                                      ServerUnavailable)
from kmner.data.gold import parse_export
from kmner.data.ls_tasks import (DEFAULT_MODEL_VERSION, check_exportable, nfc_record,
                                     records_to_tasks)

DEFAULT_BATCH_SIZE = 1000
# Generous: exporting 10k tasks takes Label Studio's dev server ~15 s on 2 cores.
DEFAULT_TIMEOUT_S = 600.0


@dataclass
class Connection:
    """An SDK client plus the URL, for error messages."""

    url: str
    client: Any

    @contextmanager
    def guard(self, doing: str) -> Iterator[None]:
        with translate_errors(self.url, doing):
            yield


def _short(body: Any) -> str:
    if isinstance(body, dict):
        body = body.get("detail") or body.get("error") or body.get("validation_errors") or body
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, default=str)
    text = " ".join(str(text).split())
    return text if len(text) <= 200 else text[:200] + "…"


@contextmanager
def translate_errors(url: str, doing: str) -> Iterator[None]:
    import httpx
    from label_studio_sdk.core.api_error import ApiError

    try:
        yield
    except httpx.TimeoutException:
        raise ServerUnavailable(f"Label Studio at {url} did not answer in time while "
                                f"{doing}") from None
    except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.NetworkError) as exc:
        raise ServerUnavailable(f"cannot reach Label Studio at {url} while {doing} "
                                f"({exc.__class__.__name__}: {exc}); is the server running "
                                "and the URL right?") from None
    except ApiError as exc:
        status = exc.status_code
        if status in (401, 403):
            raise AuthenticationFailed(
                f"Label Studio at {url} rejected the API key (HTTP {status}: "
                f"{_short(exc.body)}); check --api-key / LABEL_STUDIO_API_KEY (a legacy token "
                "or a personal access token)") from None
        if status == 404:
            raise ProjectNotFound(f"Label Studio at {url}: not found while {doing} "
                                  f"(HTTP 404: {_short(exc.body)})") from None
        raise LabelStudioError(f"Label Studio at {url} answered HTTP {status} while {doing}: "
                               f"{_short(exc.body)}") from None


def connect(url: str | None, api_key: str | None, *, timeout: float = DEFAULT_TIMEOUT_S
            ) -> Connection:
    """Open and check a connection: the key is verified once, up front."""
    if not url:
        raise LabelStudioError("no Label Studio URL: pass --url or set LABEL_STUDIO_URL")
    if not api_key:
        raise LabelStudioError("no API key: pass --api-key or set LABEL_STUDIO_API_KEY "
                               "(Account & Settings in Label Studio)")
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise LabelStudioError(f"--url {url!r} is not an http(s) URL, e.g. "
                               "http://localhost:8080")
    url = url.rstrip("/")
    from label_studio_sdk import LabelStudio

    with translate_errors(url, "connecting"):
        client = LabelStudio(base_url=url, api_key=api_key, timeout=timeout, max_retries=1)
        client.users.whoami()
    return Connection(url, client)


def find_project(conn: Connection, name_or_id: str) -> Any | None:
    """A project by numeric id or exact title; None when no title matches.
    A missing numeric id is an error (it cannot be created with that id)."""
    if not str(name_or_id).strip():
        raise LabelStudioError("--project is empty; give a project title or id")
    if str(name_or_id).isdigit():
        with conn.guard(f"looking up project {name_or_id}"):
            try:
                return conn.client.projects.get(id=int(name_or_id))
            except Exception as exc:  # re-raised below with a project-specific message
                if getattr(exc, "status_code", None) == 404:
                    raise ProjectNotFound(f"Label Studio at {conn.url} has no project with id "
                                          f"{name_or_id}") from None
                raise
    with conn.guard(f"looking up project {name_or_id!r}"):
        matches = [p for p in conn.client.projects.list(title=name_or_id, page_size=100)
                   if p.title == name_or_id]
    if len(matches) > 1:
        raise LabelStudioError(f"several projects are titled {name_or_id!r} (ids "
                               f"{', '.join(str(p.id) for p in matches)}); pass the id")
    if not matches:
        return None
    with conn.guard(f"reading project {name_or_id!r}"):
        return conn.client.projects.get(id=matches[0].id)


def require_project(conn: Connection, name_or_id: str) -> Any:
    project = find_project(conn, name_or_id)
    if project is None:
        raise ProjectNotFound(f"Label Studio at {conn.url} has no project titled "
                              f"{name_or_id!r}")
    return project


def download_export(conn: Connection, project_id: int, export_type: str = "JSON") -> bytes:
    """The whole project through the export endpoint, in one streamed request
    (several times faster than listing tasks page by page)."""
    with conn.guard(f"exporting project {project_id}"):
        return b"".join(conn.client.projects.exports.download_sync(
            project_id, export_type=export_type, download_all_tasks=True))


def project_texts(conn: Connection, project: Any) -> dict[Any, str]:
    """kmner_id -> text of the tasks already in the project (for idempotent pushes).
    Uses the full JSON export: JSON_MIN leaves out tasks whose annotations were all
    skipped, which would then be pushed twice."""
    if not getattr(project, "task_number", 0):
        return {}
    out: dict[Any, str] = {}
    for task in json.loads(download_export(conn, project.id, "JSON")):
        data = task.get("data") if isinstance(task, dict) else None
        if isinstance(data, dict) and "kmner_id" in data:
            out[data["kmner_id"]] = data.get("text")
    return out


@dataclass
class PushSummary:
    url: str
    project_id: int
    project_title: str
    created_project: bool
    records: int = 0
    pushed: int = 0
    entities: int = 0
    already_present: int = 0
    batches: int = 0
    order: str = "input"

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def push(records: Sequence[Record], conn: Connection, project: str, *,
         types: Sequence[str] | None = None, scores: dict[Any, float] | None = None,
         model_version: str = DEFAULT_MODEL_VERSION, batch_size: int = DEFAULT_BATCH_SIZE,
         show_id: bool = True, show_meta: bool = False, order: str = "input",
         progress: bool = True) -> PushSummary:
    """Create (or find) the project and import the records that are not in it yet,
    keyed on kmner_id, in batches. ``records`` are pushed in the order given."""
    if batch_size < 1:
        raise LabelStudioError("--batch-size must be at least 1")
    check_exportable(records)  # fail before the project is created or half-filled
    used = list(dict.fromkeys(e.type for r in records for e in r.entities))
    # Annotators must be able to add types the silver data lacks, so a new project
    # gets the KBMC types too unless the types are given.
    wanted = list(dict.fromkeys([*(types or KBMC_TYPES), *used]))
    proj = find_project(conn, project)
    created = proj is None
    if created:
        with conn.guard(f"creating project {project!r}"):
            proj = conn.client.projects.create(
                title=project, label_config=label_config(wanted, show_id=show_id,
                                                         show_meta=show_meta),
                description="Silver pre-annotations pushed by kmner; correct them and "
                            "pull gold with `kmner ls pull`.")
    else:
        labels = labels_in_config(proj.label_config or "<View/>")
        missing = [t for t in used if t not in labels]
        if missing:
            raise LabelStudioError(f"project {proj.title!r} (id {proj.id}) has no label for "
                                   f"{', '.join(missing)}; its labels are {labels}")
    # An existing project may name its controls differently; predictions must match.
    from_name, to_name, text_field = span_control(proj.label_config or "<View/>")
    if text_field != "text":
        raise LabelStudioError(f"project {proj.title!r} shows ${text_field}, but kmner tasks "
                               "carry their text in $text; use a new project")
    summary = PushSummary(conn.url, proj.id, proj.title, created, records=len(records),
                          order=order)
    existing = {} if created else project_texts(conn, proj)
    todo: list[Record] = []
    conflicts: list[Any] = []
    for rec in records:
        if rec.id in existing:
            if existing[rec.id] != nfc_record(rec).text:
                conflicts.append(rec.id)
            summary.already_present += 1
        else:
            todo.append(rec)
    if conflicts:
        raise InputError(f"{len(conflicts)} record(s) are already in project {proj.title!r} "
                         f"with a different text, e.g. ids {conflicts[:3]!r}; push them to a "
                         "new project or delete those tasks first")
    # Tasks are built batch by batch, so memory stays flat however many records.
    tasks = records_to_tasks(todo, model_version=model_version, scores=scores,
                             from_name=from_name, to_name=to_name)
    from tqdm import tqdm

    with tqdm(total=len(todo), unit="task", desc="push", disable=not progress) as bar:
        while True:
            batch = list(islice(tasks, batch_size))
            if not batch:
                break
            first = summary.pushed + 1
            with conn.guard(f"importing tasks {first}-{first + len(batch) - 1} into project "
                            f"{proj.id}"):
                conn.client.projects.import_tasks(id=proj.id, request=batch)
            summary.batches += 1
            summary.pushed += len(batch)
            summary.entities += sum(len(t["predictions"][0]["result"]) for t in batch)
            bar.update(len(batch))
    return summary


@dataclass
class PullResult:
    project_id: int
    project_title: str
    tasks: list[dict[str, Any]]
    types: list[str]
    users: dict[Any, str] = field(default_factory=dict)


def pull(conn: Connection, project: str, *, save_export: str | Path | None = None
         ) -> PullResult:
    """Fetch the project's full JSON export (all tasks, skipped ones included), its
    label set and its users' e-mails."""
    proj = require_project(conn, project)
    with conn.guard("listing users"):
        users = {u.id: u.email for u in conn.client.users.list() if u.email}
    raw = download_export(conn, proj.id, "JSON")
    if save_export is not None:
        with atomic_write(save_export, "wb") as fh:
            fh.write(raw)
    tasks = parse_export(raw, source=f"{conn.url} project {proj.id} export")
    return PullResult(proj.id, proj.title, tasks, labels_in_config(proj.label_config or
                                                                    "<View/>"), users)

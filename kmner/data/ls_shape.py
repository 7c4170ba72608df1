"""Shape checks of a Label Studio export before the importer walks it: every
container has the JSON type the importer expects, so a malformed export is one
clear error naming the task instead of a traceback."""

from __future__ import annotations

from typing import Any

from kmner.core.errors import InputError


def check_task_shape(task: dict[str, Any], i: int, source: str) -> None:
    """The containers the importer walks have the right JSON types."""
    where = f"task #{i + 1} (id {task.get('id')!r})"
    if task.get("id") is not None and (not isinstance(task["id"], (str, int))
                                       or isinstance(task["id"], bool)):
        raise InputError(f"{where}: 'id' must be a number or a string", path=source)
    if "data" in task and not isinstance(task["data"], dict):
        raise InputError(f"{where}: 'data' must be an object, got "
                         f"{type(task['data']).__name__}; is this a Label Studio JSON export?",
                         path=source)
    rec_id = task["data"].get("kmner_id") if isinstance(task.get("data"), dict) else None
    if rec_id is not None and (not isinstance(rec_id, (str, int)) or isinstance(rec_id, bool)):
        raise InputError(f"{where}: data.kmner_id must be a string or a number, got "
                         f"{rec_id!r}", path=source)
    for key in ("annotations", "predictions"):
        items = task.get(key)
        if items is None:
            continue
        # Label Studio's JSON export lists prediction ids; kmner's task files objects
        allowed = (dict,) if key == "annotations" else (dict, int, str)
        if not isinstance(items, list) or not all(isinstance(a, allowed) for a in items):
            raise InputError(f"{where}: '{key}' must be a list of objects, got "
                             f"{type(items).__name__}; is this a Label Studio JSON export?",
                             path=source)
        for a in items:
            if isinstance(a, dict) and a.get("result") is not None \
                    and not isinstance(a["result"], list):
                raise InputError(f"{where}: a 'result' in '{key}' must be a list",
                                 path=source)

"""Reproducibility: one config object per run, saved next to every output with
the package versions and the seed."""

from __future__ import annotations

import dataclasses
import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable, TypeVar

from kmner.core.errors import ConfigError
from kmner.core.jsonl import atomic_write
from kmner.core.typed import check_fields

T = TypeVar("T")

TRACKED_PACKAGES = ("kmner", "kiwipiepy", "pyahocorasick", "seqeval", "gliner2", "torch",
                    "transformers", "peft", "label-studio-sdk", "numpy", "datasets")


def package_versions(names: Iterable[str] = TRACKED_PACKAGES) -> dict[str, str | None]:
    """Versions of installed packages, without importing them."""
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def environment() -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "versions": package_versions(),
    }


def load_mapping(path: str | os.PathLike) -> dict[str, Any]:
    """Read a YAML or TOML file into a dict, with a clear error if it is neither."""
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{p}: config file not found; check the path")
    if not p.is_file():
        raise ConfigError(f"{p}: is a folder or a special file, not a config file")
    text = p.read_text(encoding="utf-8")
    try:
        if p.suffix == ".toml":
            import tomllib

            data = tomllib.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as exc:  # yaml and toml raise many kinds
        raise ConfigError(f"{p}: cannot parse config: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: config must be a mapping at the top level")
    return data


def from_mapping(cls: type[T], data: dict[str, Any], *, where: str = "config",
                 keys: str = "") -> T:
    """Build a (possibly nested) config dataclass. Unknown keys are errors that list
    the valid ones; every value is checked against its field's type, range and
    choices (kmner.core.typed), with the key path in the message."""

    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls} is not a dataclass")
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: {keys.rstrip('.') or 'config'}: expected a mapping, got "
                          f"{type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = [k for k in data if k not in fields]
    if unknown:
        inside = f" in {keys.rstrip('.')}" if keys else ""
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}{inside}; valid keys: "
                          f"{', '.join(sorted(fields)) or 'none (this takes no options)'}")
    kwargs = check_fields(cls, data, _resolved_types(cls), where=where, keys=keys,
                          build=from_mapping)
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        prefix = f"{keys.rstrip('.')}: " if keys else ""
        raise ConfigError(f"{where}: {prefix}{exc}") from None


def _resolved_types(cls: type) -> dict[str, Any]:
    import typing

    try:
        return typing.get_type_hints(cls)
    except Exception:
        return {f.name: f.type for f in dataclasses.fields(cls)}


def apply_overrides(data: dict[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """A copy of ``data`` with each ``KEY=VALUE`` set (``data.dev_fraction=0.2``
    walks into nested mappings; the value is read as YAML, so ``seed=1`` is a
    number and ``types=[Disease, Body]`` a list). Keys are checked afterwards,
    with the config, so a misspelt one is an error naming the valid ones."""
    import copy

    import yaml

    out = copy.deepcopy(data)
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set: {item!r} is not KEY=VALUE; write e.g. --set seed=1")
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            raise ConfigError(f"--set: cannot read the value of {item!r}; quote it as YAML, "
                              f"e.g. --set 'name=\"a: b\"'") from None
        parts = key.strip().split(".")
        node = out
        for depth, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"--set: {'.'.join(parts[:depth + 1])} is not a mapping, so "
                                  f"{key!r} cannot be set inside it; set the whole value")
            node = child
        node[parts[-1]] = value
    return out


def load_config(cls: type[T], path: str | os.PathLike, overrides: Iterable[str] = ()) -> T:
    """The config in ``path`` as ``cls``, with ``--set`` style overrides applied."""
    overrides = list(overrides)
    where = f"{path} with --set" if overrides else str(path)  # a bad key may come from either
    return from_mapping(cls, apply_overrides(load_mapping(path), overrides), where=where)


def to_mapping(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_mapping(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [to_mapping(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): to_mapping(v) for k, v in obj.items()}
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_run_info(out_dir: str | os.PathLike, *, command: str, config: Any = None,
                   seed: int | None = None, extra: dict[str, Any] | None = None,
                   name: str = "run.yaml") -> Path:
    """Save config, seed, versions and command beside the outputs of a run."""
    import yaml

    info = {
        "command": command,
        "argv": sys.argv,
        "seed": seed,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "config": to_mapping(config) if config is not None else None,
        "environment": environment(),
    }
    if extra:
        info.update(to_mapping(extra))
    path = Path(out_dir) / name
    with atomic_write(path) as fh:
        yaml.safe_dump(info, fh, allow_unicode=True, sort_keys=False)
    return path

"""Type, range and choice checks for config dataclasses, driven by their field
annotations: one mechanism for every config (train, experiment, gazetteer and its
source options, evaluation). Used by :func:`kmner.core.runinfo.from_mapping`.

A dataclass may declare, as class variables,
``RANGES = {"field": (low, high)}`` (inclusive; None = unbounded) and
``CHOICES = {"field": ("a", "b")}``. Errors name the key path, the value and
what is valid, e.g. ``train.yaml: use_lora: expected true or false, got 'no'``.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from pathlib import Path
from typing import Any, Callable

from kmner.core.errors import ConfigError

# from_mapping, passed in to build nested dataclasses (it calls back into check).
Build = Callable[..., Any]


def describe(tp: Any) -> str:
    """What a value of annotation ``tp`` must look like, in words."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is bool:
        return "true or false"
    if tp is int:
        return "an integer"
    if tp is float:
        return "a number"
    if tp in (str, Path):
        return "a string"
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        parts = [describe(a) for a in args if a is not type(None)]
        return " or ".join(parts) + (" or null" if type(None) in args else "")
    if origin in (list, tuple):
        return f"a list of {describe(args[0])}" if args else "a list"
    if origin is dict or tp is dict:
        return "a mapping" + (f" of {describe(args[1])}" if args else "")
    if dataclasses.is_dataclass(tp):
        return f"a mapping with keys {', '.join(f.name for f in dataclasses.fields(tp))}"
    return getattr(tp, "__name__", str(tp))


class _Mismatch(Exception):
    def __init__(self, where: str, expected: str, value: Any) -> None:
        super().__init__(where)
        self.where, self.expected, self.value = where, expected, value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:60] + "…"


def convert(value: Any, tp: Any, key: str, build: Build, where: str) -> Any:
    """``value`` checked against annotation ``tp`` (ints become floats where a
    float is expected, mappings become nested dataclasses); _Mismatch if wrong."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any or tp is object:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        for arg in (a for a in args if a is not type(None)):
            try:
                return convert(value, arg, key, build, where)
            except _Mismatch:
                continue
        raise _Mismatch(key, describe(tp), value)
    if origin is typing.Literal:
        if value in args:
            return value
        raise _Mismatch(key, describe(tp), value)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if isinstance(value, tp):
            return value
        if isinstance(value, dict):
            return build(tp, value, where=where, keys=f"{key}.")
        raise _Mismatch(key, describe(tp), value)
    return _convert_plain(value, tp, origin, args, key, build, where)


def _convert_plain(value: Any, tp: Any, origin: Any, args: tuple, key: str, build: Build,
                   where: str) -> Any:
    if tp is bool:
        ok = isinstance(value, bool)
    elif tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif tp is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) \
            and math.isfinite(value)
        value = float(value) if ok else value
    elif tp in (str, Path):
        ok = isinstance(value, str)
    elif origin in (list, tuple) or tp in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise _Mismatch(key, describe(tp), value)
        item = args[0] if args else Any
        return [convert(v, item, f"{key}[{i}]", build, where) for i, v in enumerate(value)]
    elif origin is dict or tp is dict:
        if not isinstance(value, dict):
            raise _Mismatch(key, describe(tp), value)
        kt, vt = args if args else (Any, Any)
        return {convert(k, kt, f"{key}.{k}", build, where):
                convert(v, vt, f"{key}.{k}", build, where) for k, v in value.items()}
    else:
        return value  # a type this checker does not know (the class may check it)
    if not ok:
        raise _Mismatch(key, describe(tp), value)
    return value


def _limits(cls: type, name: str, value: Any, key: str) -> None:
    low, high = getattr(cls, "RANGES", {}).get(name, (None, None))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = (f"between {low} and {high}" if low is not None and high is not None
                      else f">= {low}" if low is not None else f"<= {high}")
            raise _Mismatch(key, f"a number {bounds}", value)
    choices = getattr(cls, "CHOICES", {}).get(name)
    if choices is not None and value not in choices:
        raise _Mismatch(key, "one of " + ", ".join(map(repr, choices)), value)


def check_fields(cls: type, data: dict[str, Any], hints: dict[str, Any], *, where: str,
                 keys: str, build: Build) -> dict[str, Any]:
    """The keyword arguments for ``cls``, each converted and checked; ConfigError
    naming the key path, the value and what is valid."""
    out: dict[str, Any] = {}
    for name, value in data.items():
        key = f"{keys}{name}"
        try:
            out[name] = convert(value, hints.get(name, Any), key, build, where)
            _limits(cls, name, out[name], key)
        except _Mismatch as m:
            raise ConfigError(f"{where}: {m.where}: expected {m.expected}, got "
                              f"{_short(m.value)}; fix the value in the config") from None
    return out

"""Walks over config schemas for the schema-wide tests: every numeric key, its bounds, its default."""

from __future__ import annotations

import dataclasses
import importlib
import types
import typing
from collections.abc import Iterator, Mapping
from typing import Any, Union

from legged_envs.config.schema import registered_schemas
from legged_envs.config.sections import RootConfig
from legged_envs.tasks.registry import TASKS


def all_schemas() -> dict[str, type]:
    """Name -> root dataclass of every task's schema (importing each task module registers it; schemas that
    other tests register are left out)."""
    for entry in TASKS.values():
        importlib.import_module(entry.module)
    return {name: cls for name, cls in registered_schemas().items() if name in TASKS}


def leaf_fields(cls: type, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any, Mapping[str, Any]]]:
    """(key path, type, metadata) of every non-section field below the dataclass ``cls``."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        tp = hints[f.name]
        if dataclasses.is_dataclass(tp):
            yield from leaf_fields(tp, (*prefix, f.name))
        else:
            yield (*prefix, f.name), tp, f.metadata


def scalar_types(tp: Any) -> set[Any]:
    """The scalar types a field holds, through ``X | None``, lists, tuples and dict values."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (Union, types.UnionType, list, tuple):
        return {scalar for arg in args if arg not in (type(None), ...) for scalar in scalar_types(arg)}
    if origin is dict:
        return scalar_types(args[1])
    return {tp}


def is_numeric(tp: Any) -> bool:
    """Whether a field holds ints or floats (``Literal`` choices are not free numbers)."""
    return bool(scalar_types(tp) & {int, float})


def has_range(meta: Mapping[str, Any]) -> bool:
    """Whether metadata bounds a number on both sides (or lists its choices)."""
    return "choices" in meta or (("ge" in meta or "gt" in meta) and ("le" in meta or "lt" in meta))


def root_keys() -> set[tuple[str, ...]]:
    """Key paths of the root schema every task shares (the rest are task keys)."""
    return {path for path, _, _ in leaf_fields(RootConfig)}


def unbounded_task_keys() -> list[str]:
    """``schema: key.path`` of every numeric task key without a range."""
    shared = root_keys()
    found = []
    for name, cls in sorted(all_schemas().items()):
        for path, tp, meta in leaf_fields(cls):
            if path not in shared and is_numeric(tp) and not has_range(meta):
                found.append(f"{name}: {'.'.join(path)}")
    return found

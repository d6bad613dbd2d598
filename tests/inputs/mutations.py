"""Bad values for every config key, generated from the schema: wrong types, values past each bound, unknown keys."""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Iterator, Mapping
from typing import Any, Literal, Union

from legged_envs.config.schema import KeyPath

HUGE_INT = 10**30
"""An integer past every bound (and past int64)."""


@dataclasses.dataclass(frozen=True)
class Mutation:
    """``value`` written at ``path``; the error must name ``reported`` (``path``, or the bad item below it)."""

    path: KeyPath
    value: Any
    reported: KeyPath


def leaves(cls: type, prefix: KeyPath = ()) -> Iterator[tuple[KeyPath, Any, Mapping[str, Any]]]:
    """(key path, type, metadata) of every non-section field below the dataclass ``cls``."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.init and dataclasses.is_dataclass(hints[f.name]):
            yield from leaves(hints[f.name], (*prefix, f.name))
        elif f.init:
            yield (*prefix, f.name), hints[f.name], f.metadata


def mutations(cls: type) -> Iterator[Mutation]:
    """Every generated bad value of every key of the schema ``cls``, and a misspelling of each key."""
    for path, tp, meta in leaves(cls):
        typo = (*path[:-1], f"{path[-1]}x")
        yield Mutation(typo, 1, typo)
        for value, reported in _bad_values(tp, meta, path):
            yield Mutation(path, value, reported)


def _bad_values(tp: Any, meta: Mapping[str, Any], path: KeyPath) -> Iterator[tuple[Any, KeyPath]]:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (Union, types.UnionType) and type(None) in args and len(args) == 2:  # X | None: X's, not None
        inner = next(arg for arg in args if arg is not type(None))
        yield from ((value, at) for value, at in _bad_values(inner, meta, path) if value is not None)
    elif origin is dict:
        yield "forty", path
        yield from (({"k": value}, (*path, "k")) for value in _bad_scalars(args[1], meta))
    elif origin in (list, tuple):
        yield "forty", path
        fixed = len(args) if origin is tuple and args[1:] != (...,) else 1
        if fixed > 1 or "min_items" in meta:
            yield [], path
        yield from (([value] * fixed, (*path, 0)) for value in _bad_scalars(args[0], meta))
    else:
        yield from ((value, path) for value in _bad_scalars(tp, meta))


def _bad_scalars(tp: Any, meta: Mapping[str, Any]) -> Iterator[Any]:
    """Bad values of one item of type ``tp`` (a section or container item: a string)."""
    if typing.get_origin(tp) is Literal:
        yield from ("no_such_choice", None, 3)
    elif tp is str:
        yield from (5, ["a"], None, *(["no such value!"] if "pattern" in meta else []))
    elif tp is bool:
        yield from ("forty", [1], None, 3)
    elif tp in (int, float):
        yield from ("forty", [1], None, True, *((1.5,) if tp is int else (math.nan, math.inf)))
        huge = HUGE_INT if tp is int else 1e300
        if "le" in meta or "lt" in meta:
            yield huge
        if "ge" in meta or "gt" in meta:
            yield -huge
    else:
        yield "forty"

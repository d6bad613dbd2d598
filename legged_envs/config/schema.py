"""Typed config schemas: validation of merged YAML against plain dataclasses, and back.

Schema convention (every config section in the project follows it):

* A section is a plain ``@dataclass``; every field has a default and a one-line attribute
  docstring below it that states units. Nested sections are fields of a dataclass type with
  ``field(default_factory=...)``.
* Field types: ``int``, ``float``, ``bool``, ``str``, ``Literal[...]``, ``list[X]``,
  ``tuple[X, ...]``, ``tuple[X, Y, ...]`` (fixed length), ``dict[str, X]``, a nested dataclass,
  ``X | None`` and ``scalar | Section`` (a mapping is read as the section). An int is accepted
  for a float field; a bool is never an int or a float.
* Constraints go in the field's metadata:
  ``field(default=64, metadata={"gt": 0, "le": 65536})``. Keys: ``ge``, ``gt``, ``le``, ``lt``
  (bounds on numbers), ``choices`` (a tuple of allowed values; ``Literal`` does the same),
  ``pattern`` (a regex a string must match in full), ``expected`` (text that replaces the
  generated "expected ..." part of the error, e.g. ``"'cpu', 'cuda' or 'cuda:N'"``) and
  ``min_items`` / ``max_items`` (length of a list, tuple or dict). On a list, tuple or dict field
  the other constraints apply to each element.
* Every number has a range a user could mean: a lower and an upper bound (or ``choices``).
  Floats are finite.
* Rules between fields go in an optional ``check(self) -> None`` method of the section, which
  raises ``FieldError("key", "problem", "other_key", ...)`` with key paths relative to the
  section (dotted, e.g. ``"env.num_envs"`` on the root). ``validate`` calls it once the section
  and its subsections are built, and reports the first key against the file (or override) that
  set the latest of the named keys.
* A task extends the root schema by subclassing it (``class Go2PostureConfig(RootConfig):
  task: Go2TaskConfig = field(default_factory=Go2TaskConfig)``) and registers it with
  ``register_schema("go2_posture", Go2PostureConfig)``; a YAML selects it with the top-level
  key ``schema: go2_posture``. ``schema`` and ``base`` are reserved top-level keys.

Errors are one line, ``<file or override>: <key path>: <problem>``, raised as ``ConfigError``.
A schema that breaks the convention (an unsupported type, an unknown metadata key) is a
programming error and raises ``TypeError``.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import functools
import inspect
import itertools
import math
import operator
import re
import textwrap
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, NamedTuple, NoReturn, TypeVar, Union

KeyPath = tuple[str | int, ...]
T = TypeVar("T")

_BOUNDS = {"ge": operator.ge, "gt": operator.gt, "le": operator.le, "lt": operator.lt}
_SYMBOLS = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
_LENGTHS = {"min_items": operator.ge, "max_items": operator.le}
_METADATA_KEYS = frozenset({*_BOUNDS, *_LENGTHS, "choices", "pattern", "expected"})
_SCHEMAS: dict[str, type] = {}


class ConfigError(ValueError):
    """A bad config; ``str()`` is one line naming the file (or override), the key path and the problem."""


class FieldError(ValueError):
    """Raised by a section's ``check()``: ``key`` (relative dotted path) breaks a rule with the ``related`` keys."""

    def __init__(self, key: str, problem: str, *related: str):
        super().__init__(f"{key}: {problem}")
        self.key, self.problem, self.related = key, problem, related


class Origin(NamedTuple):
    """Where a config value came from."""

    label: str
    """A file's display path, or ``"override a.b=c"``."""
    key_path: KeyPath | None = None
    """The key path the label already names (an override's), left out of messages at that path."""


def format_path(path: KeyPath) -> str:
    """``("bench", "warp_world_counts", 1)`` -> ``"bench.warp_world_counts[1]"``."""
    text = ""
    for key in path:
        text += f"[{key}]" if type(key) is int else (f".{key}" if text else str(key))
    return text


def config_error(origin: Origin, path: KeyPath, problem: str) -> ConfigError:
    """The error for ``problem`` at ``path``, with the value coming from ``origin``."""
    parts = [origin.label]
    if path and tuple(path) != origin.key_path:
        parts.append(format_path(path))
    return ConfigError(": ".join([*parts, problem]))


def latest_origin(origins: Mapping[KeyPath, Origin], paths: list[KeyPath]) -> Origin | None:
    """The origin of whatever was set last at, above or below any of ``paths`` (``origins`` is in the
    order the loader merged the values)."""
    latest = None
    for key, origin in origins.items():
        if any(key[: len(path)] == path or path[: len(key)] == key for path in paths):
            latest = origin
    return latest


def show(value: Any, limit: int = 60) -> str:
    """Short one-line repr of a config value for messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def register_schema(name: str, cls: type) -> None:
    """Make ``schema: <name>`` in a YAML select the root dataclass ``cls``."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"register_schema({name!r}): {cls!r} is not a dataclass")
    if _SCHEMAS.get(name, cls) is not cls:
        raise ValueError(f"register_schema({name!r}): name already taken by {_SCHEMAS[name].__qualname__}")
    _SCHEMAS[name] = cls


def registered_schemas() -> dict[str, type]:
    """Name -> root dataclass of every registered schema."""
    return dict(_SCHEMAS)


def validate(raw: Mapping[str, Any], schema_cls: type[T], source: str, origins: Mapping | None = None) -> T:
    """Check ``raw`` (merged YAML) against ``schema_cls`` and build the dataclass instance.

    ``source`` names where ``raw`` came from; ``origins`` (key path -> ``Origin``, from the loader)
    names the file or override of each value, looked up by the longest matching key-path prefix.
    """
    return _Validator(Origin(source), origins or {}).dataclass(schema_cls, raw, ())


def to_dict(cfg: Any) -> dict[str, Any]:
    """Plain dict (YAML-ready) of a config; a registered root gets its ``schema`` key back."""
    names = [name for name, cls in _SCHEMAS.items() if cls is type(cfg)]
    return {**({"schema": names[0]} if names else {}), **_plain(cfg)}


def field_docs(cls: type) -> dict[str, str]:
    """Field name -> attribute docstring of a dataclass (and its dataclass bases)."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not dataclasses.is_dataclass(klass):
            continue
        body = ast.parse(textwrap.dedent(inspect.getsource(klass))).body[0].body
        for stmt, after in itertools.pairwise(body):
            doc = after.value.value if isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant) else None
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and isinstance(doc, str):
                docs[stmt.target.id] = doc
    return docs


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


@functools.cache
def _fields(cls: type) -> dict[str, tuple[Any, dataclasses.Field]]:
    """Init field name -> (resolved type, field) of a schema dataclass, its metadata checked."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: (hints[f.name], f) for f in dataclasses.fields(cls) if f.init}
    for name, (_, f) in fields.items():
        if unknown := sorted(set(f.metadata) - _METADATA_KEYS):
            raise TypeError(f"{cls.__qualname__}.{name}: unknown metadata keys {unknown}")
    return fields


def _describe(tp: Any) -> str:
    """Human name of a field type: ``int``, ``list of float``, ``one of 'a', 'b'``..."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if dataclasses.is_dataclass(tp):
        return "a mapping"
    if origin is Literal:
        return "one of " + ", ".join(map(repr, args))
    if origin in (Union, types.UnionType):
        return " or ".join("None" if arg is type(None) else _describe(arg) for arg in args)
    if origin is list or (origin is tuple and args[1:] == (...,)):
        return f"list of {_describe(args[0])}"
    if origin is tuple:
        return "[" + ", ".join(map(_describe, args)) + "]"
    if origin is dict:
        return f"mapping of str to {_describe(args[1])}"
    return tp.__name__


def _bounds_text(meta: Mapping[str, Any]) -> str:
    lower = next(((key, meta[key]) for key in ("gt", "ge") if key in meta), None)
    upper = next(((key, meta[key]) for key in ("lt", "le") if key in meta), None)
    if lower and upper:
        return f"in {'(' if lower[0] == 'gt' else '['}{lower[1]}, {upper[1]}{')' if upper[0] == 'lt' else ']'}"
    key, bound = lower or upper
    return f"{_SYMBOLS[key]} {bound}"


def _count_text(meta: Mapping[str, Any]) -> str:
    low, high = meta.get("min_items"), meta.get("max_items")
    if low is not None and high is not None:
        return f"{low} to {high} items"
    return f"at least {low} items" if low is not None else f"at most {high} items"


_BAD = object()


def _scalar(tp: Any, value: Any) -> Any:
    """``value`` as a ``tp`` (int -> float for float fields), or ``_BAD``."""
    if typing.get_origin(tp) is Literal:
        ok = any(value == choice and type(value) is type(choice) for choice in typing.get_args(tp))
        return value if ok else _BAD
    if tp is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        return float(value) if ok else _BAD
    if tp in (int, bool, str):
        return value if isinstance(value, tp) and (tp is bool or not isinstance(value, bool)) else _BAD
    raise TypeError(f"unsupported config field type {tp!r} (see legged_envs.config.schema)")


class _Validator:
    def __init__(self, default: Origin, origins: Mapping[KeyPath, Origin]):
        self.default = default
        self.origins = origins

    def fail(self, path: KeyPath, problem: str) -> NoReturn:
        origin = next((self.origins[path[:n]] for n in range(len(path), 0, -1) if path[:n] in self.origins), None)
        raise config_error(origin or self.default, path, problem)

    def fail_check(self, section: KeyPath, error: FieldError) -> NoReturn:
        """Report a ``check()`` rule at its key, from the file (or override) that set the latest key it names."""
        paths = [(*section, *key.split(".")) for key in (error.key, *error.related)]
        origin = latest_origin(self.origins, paths) or self.default
        raise ConfigError(f"{origin.label}: {format_path(paths[0])}: {error.problem}")

    def dataclass(self, cls: type[T], raw: Any, path: KeyPath) -> T:
        if not isinstance(raw, dict):
            self.fail(path, f"expected a mapping, got {show(raw)}")
        fields = _fields(cls)
        values = {}
        for key, value in raw.items():
            if key not in fields:
                close = difflib.get_close_matches(str(key), fields, n=1)
                hint = f"did you mean {close[0]!r}?" if close else "valid keys: " + ", ".join(fields)
                self.fail((*path, key), f"unknown key ({hint})")
            tp, f = fields[key]
            values[key] = self.value(tp, value, (*path, key), f.metadata)
        for name, (_, f) in fields.items():
            if name not in values and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                self.fail((*path, name), "missing required key")
        cfg = cls(**values)
        if hasattr(cfg, "check"):
            try:
                cfg.check()
            except FieldError as error:
                self.fail_check(path, error)
        return cfg

    def value(self, tp: Any, value: Any, path: KeyPath, meta: Mapping[str, Any]) -> Any:
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if dataclasses.is_dataclass(tp):
            return self.dataclass(tp, value, path)
        if origin in (Union, types.UnionType):
            return self.union(tp, value, path, meta)
        if origin in (list, tuple, dict) and not isinstance(value, dict if origin is dict else list):
            self.fail(path, f"expected {_describe(tp)}, got {show(value)}")
        for key, within in _LENGTHS.items():
            if origin in (list, tuple, dict) and key in meta and not within(len(value), meta[key]):
                self.fail(path, f"expected {_describe(tp)} with {_count_text(meta)}, got {show(value)}")
        if origin is dict:
            if args[0] is not str:
                raise TypeError(f"unsupported config field type {tp!r}: dict keys must be str")
            for key in value:
                if not isinstance(key, str):
                    self.fail(path, f"expected str keys, got {show(key)}")
            return {key: self.value(args[1], item, (*path, key), meta) for key, item in value.items()}
        if origin is list or (origin is tuple and args[1:] == (...,)):
            items = [self.value(args[0], item, (*path, i), meta) for i, item in enumerate(value)]
            return items if origin is list else tuple(items)
        if origin is tuple:
            if len(value) != len(args):
                self.fail(path, f"expected {_describe(tp)} ({len(args)} items), got {show(value)}")
            return tuple(
                self.value(arg, item, (*path, i), meta) for i, (arg, item) in enumerate(zip(args, value, strict=True))
            )
        converted = _scalar(tp, value)
        if converted is _BAD:
            self.fail(path, f"expected {_describe(tp)}, got {show(value)}")
        self.check(value, tp, path, meta)
        return converted

    def union(self, tp: Any, value: Any, path: KeyPath, meta: Mapping[str, Any]) -> Any:
        """``X | None``, or ``scalar | Section``: a mapping is read as the section, anything else as the scalar."""
        args = typing.get_args(tp)
        inner = [arg for arg in args if arg is not type(None)]
        sections = [arg for arg in inner if dataclasses.is_dataclass(arg)]
        if len(inner) == 1 and len(args) == 2:
            return None if value is None else self.value(inner[0], value, path, meta)
        if len(inner) == len(args) == 2 and len(sections) == 1:
            scalar = next(arg for arg in inner if arg is not sections[0])
            return self.value(sections[0] if isinstance(value, dict) else scalar, value, path, meta)
        raise TypeError(f"unsupported config field type {tp!r}: only 'X | None' and 'scalar | Section' unions")

    def check(self, value: Any, tp: Any, path: KeyPath, meta: Mapping[str, Any]) -> None:
        """Apply the metadata constraints to one scalar."""
        if "choices" in meta and value not in meta["choices"]:
            expected = "one of " + ", ".join(map(repr, meta["choices"]))
        elif "pattern" in meta and not re.fullmatch(meta["pattern"], value):
            expected = f"{_describe(tp)} matching {meta['pattern']!r}"
        elif not all(check(value, meta[key]) for key, check in _BOUNDS.items() if key in meta):
            expected = f"{_describe(tp)} {_bounds_text(meta)}"
        else:
            return
        self.fail(path, f"expected {meta.get('expected', expected)}, got {show(value)}")

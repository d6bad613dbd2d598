"""YAML config files: reading, ``base:`` inheritance, deep merge with value origins, saving.

A file may name its base with a top-level ``base: <path>`` (relative to the file itself); bases
chain. The file is deep-merged onto its base: mappings merge key by key, anything else
(scalars, lists) replaces. Alongside the merged dict the loader keeps ``origins``, key path ->
``Origin`` of the file (or override) that last set that key, so that errors name the file the
bad value was written in.
"""

from __future__ import annotations

import copy
import functools
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from legged_envs.config.schema import ConfigError, KeyPath, Origin, show, to_dict

Origins = dict[KeyPath, Origin]


class YamlLoader(yaml.SafeLoader):
    """SafeLoader that reads ``1e-3`` as a float (YAML 1.2) and rejects duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value != "<<":
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        problem=f"duplicate key {key_node.value!r}", problem_mark=key_node.start_mark
                    )
                seen.add(key_node.value)
        return super().construct_mapping(node, deep)


YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"), list("-+0123456789")
)


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when inside it, else absolute."""
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_yaml(path: Path, label: str) -> dict[str, Any]:
    """One YAML file's top-level mapping (empty file: ``{}``)."""
    try:
        return _parse(path)
    except _Unreadable as error:
        raise ConfigError(f"{label}: {error}") from None


class _Unreadable(Exception):
    """A file that is not a YAML mapping at all; ``str()`` is the problem, without the file's name."""


def _parse(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _Unreadable("file not found") from None
    except IsADirectoryError:
        raise _Unreadable("is a directory, not a file") from None
    except OSError as error:
        raise _Unreadable(f"cannot read ({error.strerror})") from None
    except UnicodeDecodeError as error:
        raise _Unreadable(f"not UTF-8 text (byte 0x{error.object[error.start]:02x} at offset {error.start})") from None
    return copy.deepcopy(_parse_text(text))


@functools.lru_cache(maxsize=64)
def _parse_text(text: str) -> dict[str, Any]:
    """The top-level mapping of a YAML text, cached by content: a file read again in one process (a base, a
    run's config) is parsed once. Callers get a copy."""
    try:
        data = yaml.load(text, Loader=YamlLoader)
    except yaml.MarkedYAMLError as error:
        where = f"{_at(error.problem_mark)}: " if error.problem_mark else ""
        context = f" ({error.context} started at {_at(error.context_mark)})" if error.context_mark else ""
        raise _Unreadable(f"{where}invalid YAML: {error.problem}{context}") from None
    except yaml.YAMLError as error:
        raise _Unreadable(f"invalid YAML: {' '.join(str(error).split())}") from None
    except RecursionError:
        raise _Unreadable("invalid YAML: nested too deeply") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise _Unreadable(f"expected a mapping of sections at the top level, got a {type(data).__name__}")
    return data


def _at(mark: yaml.Mark) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"


def merge(dst: dict, origins: Origins, src: Mapping, origin: Origin, prefix: KeyPath = ()) -> None:
    """Deep-merge ``src`` into ``dst`` (mappings merge, anything else replaces), recording origins."""
    for key, value in src.items():
        path = (*prefix, key)
        if isinstance(value, dict) and isinstance(dst.get(key), dict):
            merge(dst[key], origins, value, origin, path)
            continue
        for old in [old for old in origins if old[: len(path)] == path]:
            del origins[old]
        dst[key] = copy.deepcopy(value)
        origins[path] = origin


def load_file(path: str | Path) -> tuple[dict[str, Any], Origins]:
    """A config file merged onto its chain of bases, and the origin of every key."""
    path = Path(path).resolve()
    return _load(path, (), read_yaml(path, display_path(path)))


def _load(path: Path, chain: tuple[Path, ...], data: dict[str, Any]) -> tuple[dict[str, Any], Origins]:
    """``data`` (the file at ``path``) merged onto its chain of bases; a base that cannot be read is
    reported against the ``base:`` key that names it."""
    label = display_path(path)
    merged: dict[str, Any] = {}
    origins: Origins = {}
    if "base" in data:
        base = data.pop("base")
        if not isinstance(base, str) or not base or "\0" in base:
            raise ConfigError(f"{label}: base: expected a file path, got {show(base)}")
        base_path = (path.parent / base).resolve()
        visited = (*chain, path)
        if base_path in visited:
            cycle = " -> ".join(map(display_path, (*visited[visited.index(base_path) :], base_path)))
            raise ConfigError(f"{label}: base: inheritance cycle {cycle}")
        try:
            base_data = _parse(base_path)
        except _Unreadable as error:
            raise ConfigError(f"{label}: base: {display_path(base_path)}: {error}") from None
        merged, origins = _load(base_path, visited, base_data)
    merge(merged, origins, data, Origin(label))
    return merged, origins


def save_config(cfg: Any, path: str | Path) -> None:
    """Write the fully resolved config ``cfg`` as YAML (atomically: a crash leaves no half file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    text = yaml.safe_dump(to_dict(cfg), sort_keys=False, default_flow_style=None)
    try:
        tmp.write_text("# Fully resolved config (written by legged_envs.config.save_config).\n" + text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)

"""YAML configs with inheritance, command-line overrides and typed validation.

``load_config("configs/go2.yaml", ["env.num_envs=512"])`` reads the file and its chain of
``base:`` files (loader.py), applies the overrides (overrides.py), picks the schema (the
YAML's ``schema:`` key, else ``schema``) and validates the result (schema.py, which documents
the schema convention). Every problem raises ``ConfigError`` with a one-line message such as
``configs/go2.yaml: env.num_envs: expected int in (0, 1048576], got -4``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from legged_envs.config.loader import display_path, load_file, save_config
from legged_envs.config.overrides import apply_overrides
from legged_envs.config.schema import (
    ConfigError,
    FieldError,
    config_error,
    latest_origin,
    register_schema,
    registered_schemas,
    show,
    to_dict,
    validate,
)

__all__ = ["ConfigError", "FieldError", "key_error", "load_config", "register_schema", "save_config", "to_dict"]


def load_config(path: str | Path, overrides: Sequence[str] = (), schema: type | None = None) -> Any:
    """The validated config of a YAML file plus ``key.path=value`` overrides.

    ``schema`` (default ``RootConfig``) is used when the YAML has no ``schema:`` key; a named
    schema must be registered and extend ``schema``. Task modules register their schemas when
    imported, so import them first.
    """
    if isinstance(overrides, str):
        raise TypeError("load_config: overrides must be a sequence of 'key=value' strings, not one string")
    if schema is None:
        # Imported here: sections imports the other packages' config sections, which may import this package.
        from legged_envs.config.sections import RootConfig

        schema = RootConfig
    data, origins = load_file(path)
    apply_overrides(data, origins, tuple(overrides))
    if "schema" in data:
        name = data.pop("schema")
        named = registered_schemas().get(name) if isinstance(name, str) else None
        if named is None:
            known = ", ".join(map(repr, registered_schemas())) or "none"
            raise config_error(origins[("schema",)], ("schema",), f"unknown schema {show(name)} (registered: {known})")
        if not issubclass(named, schema):
            problem = f"{name!r} ({named.__qualname__}) does not extend {schema.__qualname__}"
            raise config_error(origins[("schema",)], ("schema",), problem)
        schema = named
    return validate(data, schema, display_path(Path(path).resolve()), origins)


def key_error(path: str | Path, overrides: Sequence[str], key: str, problem: str) -> ConfigError:
    """The one-line error for ``problem`` at dotted ``key`` of an already loaded config, naming the file
    (or override) that set the key, for problems found after loading (e.g. while building the env)."""
    data, origins = load_file(path)
    apply_overrides(data, origins, tuple(overrides))
    origin = latest_origin(origins, [tuple(key.split("."))])
    return ConfigError(f"{origin.label if origin else display_path(Path(path).resolve())}: {key}: {problem}")

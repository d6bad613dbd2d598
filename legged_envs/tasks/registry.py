"""Task registry: task name (= the config's ``schema:`` key) -> (config class, task class).

Task modules are imported only when asked for, so a task whose module is missing or broken
does not stop the others. A config without a ``schema:`` key runs the ``stand`` task.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from legged_envs.config import ConfigError, load_config
from legged_envs.config.loader import display_path, load_file
from legged_envs.config.overrides import apply_overrides
from legged_envs.config.schema import registered_schemas
from legged_envs.config.sections import RootConfig
from legged_envs.tasks.base import Task

DEFAULT_TASK = "stand"
"""The task of a config without a ``schema:`` key."""


@dataclass(frozen=True)
class TaskEntry:
    """Where a task's classes live."""

    module: str
    """Module that defines (and registers the schema of) the task."""
    config_class: str
    """Name of its root config dataclass in ``module``."""
    task_class: str
    """Name of its ``Task`` subclass in ``module``."""


TASKS: dict[str, TaskEntry] = {
    "stand": TaskEntry("legged_envs.tasks.stand", "StandConfig", "StandTask"),
    "go2_posture": TaskEntry("legged_envs.tasks.go2_posture", "Go2PostureConfig", "Go2PostureTask"),
    "g1_standup": TaskEntry("legged_envs.tasks.g1_standup", "G1StandupConfig", "G1StandupTask"),
}


def get_task(name: str) -> tuple[type[RootConfig], type[Task]]:
    """(config class, task class) of task ``name``, importing its module (which registers its schema)."""
    entry = TASKS.get(name)
    if entry is None:
        raise ConfigError(f"unknown task {name!r} (known: {', '.join(map(repr, TASKS))})")
    try:
        module = importlib.import_module(entry.module)
    except ModuleNotFoundError as error:
        if error.name != entry.module:
            raise
        raise ConfigError(f"task {name!r} is not available: module {entry.module} not found") from None
    return getattr(module, entry.config_class), getattr(module, entry.task_class)


def task_name(cfg: Any) -> str:
    """The task a loaded config runs: the registered task whose config class is ``type(cfg)``."""
    for name, entry in TASKS.items():
        module = sys.modules.get(entry.module)  # a config of a task was built by its imported module
        if module is not None and getattr(module, entry.config_class, None) is type(cfg):
            return name
    raise ConfigError(f"config class {type(cfg).__qualname__} belongs to no registered task")


def load_task_config(path: str | Path, overrides: Sequence[str] = ()) -> tuple[str, Any, type[Task]]:
    """(task name, validated config, task class) of a YAML file plus overrides."""
    data, origins = load_file(path)
    apply_overrides(data, origins, tuple(overrides))
    name = data.get("schema", DEFAULT_TASK)
    if isinstance(name, str) and name not in registered_schemas():
        origin = origins.get(("schema",))
        try:
            get_task(name)
        except ConfigError as error:
            raise ConfigError(f"{origin.label if origin else display_path(Path(path))}: schema: {error}") from None
    default_schema = None if "schema" in data else get_task(DEFAULT_TASK)[0]
    cfg = load_config(path, overrides, schema=default_schema)
    name = task_name(cfg)
    return name, cfg, get_task(name)[1]

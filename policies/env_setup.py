"""Building a config's env, with every problem found on the way named by file (or override) and key.

Some config errors need the robot model to be seen: a robot without the bodies the task tracks,
a task check that raises ``ValueError("task.x.y: ...")`` while the env is built, a training
perturbation the task cannot take. Each becomes a ``ConfigError`` against the file or override
that set the key, before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import mujoco

from assets import asset_path
from legged_envs.config import ConfigError, key_error
from legged_envs.config.loader import display_path
from legged_envs.envs.legged_env import LeggedEnv
from legged_envs.perturbations.config import ScenarioConfig
from legged_envs.perturbations.wrapper import PerturbedEnv
from legged_envs.robots import get_robot_spec
from legged_envs.tasks.base import Task

_KEY = re.compile(r"([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*): (.+)", re.DOTALL)
"""A message that starts with a dotted key path."""
_OUT_OF_MEMORY = re.compile(r"can't allocate memory|out of memory", re.IGNORECASE)
"""torch's words for an allocation that failed."""
PERTURBATION_SEED_OFFSET = 0x5EED
"""Added to the run's seed for the training perturbations' generator: its draws must not repeat the env's."""


def check_robot_fits_task(cfg: Any, task_cls: type[Task], source: Path, overrides: Sequence[str]) -> None:
    """Refuse a robot whose model lacks a body the task tracks (e.g. ``robot=g1_23dof`` on a Go2 task)."""
    robot = get_robot_spec(cfg.robot)
    names = {body.name for body in mujoco.MjSpec.from_file(str(asset_path(robot.mjcf_file))).bodies}
    missing = [role for role in task_cls.tracked_bodies if robot.named_bodies.get(role, role) not in names]
    if missing:
        problem = f"the {cfg.robot} model has no body {missing[0]!r}, which task {task_cls.__name__} tracks"
        raise key_error(source, overrides, "robot", problem)


def make_env(cfg: Any, task_cls: type[Task], source: Path, overrides: Sequence[str]) -> LeggedEnv:
    """``LeggedEnv(cfg, task_cls)``; a ``ValueError`` or a failed allocation while building it becomes a one-line
    ``ConfigError``."""
    check_robot_fits_task(cfg, task_cls, source, overrides)
    try:
        return LeggedEnv(cfg, task_cls)
    except ConfigError:
        raise
    except ValueError as error:
        raise located_error(str(error), cfg, source, overrides) from None
    except (MemoryError, RuntimeError) as error:
        if not isinstance(error, MemoryError) and not _OUT_OF_MEMORY.search(str(error)):
            raise
        problem = f"{cfg.env.num_envs} envs of this task do not fit in memory: a count or length in it is too large"
        raise ConfigError(f"{display_path(source.resolve())}: {problem}") from None


def perturb_for_training(env: LeggedEnv, cfg: Any, source: Path, overrides: Sequence[str]) -> LeggedEnv | PerturbedEnv:
    """``env`` wrapped in a ``PerturbedEnv`` of ``cfg.train.perturbations`` at its peak severity (the runner sets
    each iteration's), or ``env`` itself when the section applies nothing."""
    section = cfg.train.perturbations
    if not section.apply:
        return env
    scenario = ScenarioConfig(perturbations=section.apply)
    try:
        return PerturbedEnv(env, scenario, section.peak_severity(), seed=cfg.seed + PERTURBATION_SEED_OFFSET)
    except ValueError as error:  # an unknown joint or term, a body without mass, a task without a policy layout
        raise key_error(source, overrides, "train.perturbations.apply", " ".join(str(error).split())) from None


def located_error(message: str, cfg: Any, source: Path, overrides: Sequence[str]) -> ConfigError:
    """``message`` as one line, against the origin of the config key it starts with (else the config file)."""
    message = " ".join(message.split())
    match = _KEY.fullmatch(message)
    if match and _has_key(cfg, match.group(1)):
        return key_error(source, overrides, match.group(1), match.group(2))
    return ConfigError(f"{display_path(source.resolve())}: {message}")


def _has_key(cfg: Any, key: str) -> bool:
    value = cfg
    for name in key.split("."):
        if isinstance(value, dict) and name in value:
            value = value[name]
        elif hasattr(value, "__dataclass_fields__") and name in value.__dataclass_fields__:
            value = getattr(value, name)
        else:
            return False
    return True

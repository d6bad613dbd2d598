"""Run directories: ``<runs_dir>/<task>/<date>_<time>_<name>`` holding config.yaml, TensorBoard logs, checkpoints.

One process writes a run at a time (``run_lock``); a new run goes only into a new or empty
folder. Also what ``eval`` and ``play`` need from a finished (or killed) run: its config, its
task, the env it trained in and its deterministic policy.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
from rsl_rl.models import MLPModel
from tensordict import TensorDict

from legged_envs.config import ConfigError, FieldError, key_error
from legged_envs.config.loader import display_path
from legged_envs.envs.legged_env import LeggedEnv
from legged_envs.tasks.base import Task
from legged_envs.tasks.registry import load_task_config
from policies.checkpoint import check_state_dict, latest_checkpoint, load_checkpoint, temp_path
from policies.env_setup import check_robot_fits_task
from policies.train_config import TrainConfig, to_rsl_rl

CONFIG_NAME = "config.yaml"
"""The fully resolved config of a run, inside its directory."""


class RunDirError(ValueError):
    """A run directory that cannot be used or written; ``str()`` is one line naming it."""


def new_run_dir(runs_dir: str, task: str, name: str, now: datetime.datetime | None = None) -> Path:
    """Create and return a fresh ``runs_dir/task/<YYYY-MM-DD_HH-MM-SS>_<name>`` (``_2``, ``_3``... if taken)."""
    stamp = (now or datetime.datetime.now()).strftime("%Y-%m-%d_%H-%M-%S")
    base = Path(runs_dir) / task / f"{stamp}_{name}"
    path, n = base, 1
    while True:
        try:
            path.mkdir(parents=True)
            return path
        except FileExistsError:
            n += 1
            path = base.with_name(f"{base.name}_{n}")


def check_new_run_dir(path: Path) -> None:
    """Refuse a ``--run-dir`` that is not a new or empty folder: a run never writes among the user's files."""
    label = f"--run-dir {display_path(path)}"
    if path.exists() and not path.is_dir():
        raise RunDirError(f"{label}: is a file, not a folder")
    if (path / CONFIG_NAME).exists():
        raise RunDirError(f"{label}: already holds a run (continue it with --resume)")
    if path.is_dir():
        entries = sorted(entry.name for entry in path.iterdir())
        if entries:
            raise RunDirError(
                f"{label}: folder is not empty (holds {entries[0]!r}); a new run needs a new or empty one"
            )


@contextlib.contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """Hold the run's writer lock (an advisory ``flock`` on the folder, freed when the process ends, even by
    kill -9); raise ``RunDirError`` while another process holds it."""
    fd = os.open(run_dir, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunDirError(
                f"{display_path(run_dir)}: another process is training this run (one at a time: wait for it or stop it)"
            ) from None
        yield
    finally:
        os.close(fd)


def remove_stale_temp_files(run_dir: Path) -> None:
    """Delete the temp files of the run's checkpoint and config writes that a kill interrupted (call only while
    holding the run's lock: only its trainer writes them)."""
    for path in [*run_dir.glob(".model_*.pt.*.tmp"), *run_dir.glob(CONFIG_NAME + ".tmp")]:
        path.unlink(missing_ok=True)


def check_writable(run_dir: Path) -> None:
    """Raise ``OSError`` naming ``run_dir`` unless a file can be created in it (before hours of training, not
    at the first checkpoint)."""
    probe = temp_path(run_dir / "write_check")
    try:
        probe.touch()
    except OSError as error:
        raise OSError(error.errno, error.strerror, str(run_dir)) from None
    probe.unlink()


def run_config_path(run_dir: Path) -> Path:
    """``run_dir/config.yaml``, or a one-line error when ``run_dir`` is not a run directory."""
    if not run_dir.exists():
        raise ConfigError(f"{display_path(run_dir)}: run directory not found")
    if not run_dir.is_dir():
        raise ConfigError(f"{display_path(run_dir)}: is a file, not a run directory")
    path = run_dir / CONFIG_NAME
    if not path.exists():
        raise ConfigError(f"{display_path(run_dir)}: not a run directory (no {CONFIG_NAME})")
    return path


def resolve_obs_groups(train: TrainConfig, obs: TensorDict) -> dict[str, list[str]]:
    """``train.obs_groups``, or by default the actor on ``policy`` and the critic on every group.

    Raises ``FieldError`` (key relative to the root config) for a group the task does not give.
    """
    if train.obs_groups is None:
        return {"actor": ["policy"], "critic": list(obs.keys())}
    given = list(obs.keys())
    for name, groups in train.obs_groups.items():
        unknown = [group for group in groups if group not in given]
        if unknown:
            problem = f"unknown observation group {unknown[0]!r} (the task gives: {', '.join(given)})"
            raise FieldError(f"train.obs_groups.{name}", problem)
    return {name: list(groups) for name, groups in train.obs_groups.items()}


@dataclass
class TrainedRun:
    """A run directory loaded for evaluation or playback."""

    run_dir: Path
    task_name: str
    cfg: Any
    """The run's config (``config.yaml`` plus overrides)."""
    task_cls: type[Task]
    checkpoint: Path
    iteration: int
    """Completed training iterations of the checkpoint."""
    state: dict[str, Any]
    """The checkpoint's contents."""
    overrides: tuple[str, ...] = ()
    """The overrides applied to ``config.yaml``."""


def load_run(run_dir: Path, overrides: Sequence[str] = (), checkpoint: Path | None = None) -> TrainedRun:
    """A run's config (with ``overrides``), task and checkpoint (default: its latest)."""
    config = run_config_path(run_dir)
    task_name, cfg, task_cls = load_task_config(config, overrides)
    check_robot_fits_task(cfg, task_cls, config, overrides)
    path = checkpoint or latest_checkpoint(run_dir)
    state = load_checkpoint(path)
    return TrainedRun(run_dir, task_name, cfg, task_cls, path, state["iter"], state, tuple(overrides))


def make_trained_env(run: TrainedRun, num_envs: int, cfg: Any = None) -> LeggedEnv:
    """``num_envs`` envs of the run's task (config ``cfg``, default the run's) with the command ranges its training
    reached (the checkpoint's curriculum state) and its curricula frozen, every env freshly reset."""
    cfg = cfg if cfg is not None else run.cfg
    env = LeggedEnv(replace(cfg, env=replace(cfg.env, num_envs=num_envs)), run.task_cls)
    env.task.curricula_frozen = True  # evaluation and export must not move command ranges or terrain levels
    task_states = run.state.get("task_state") or []
    if task_states:
        try:
            env.task.load_trained_commands(task_states[0])
        except (KeyError, ValueError) as error:
            env.close()
            raise RunDirError(f"{display_path(run.checkpoint)}: task_state: {error}") from None
        env.reset_all()
    return env


def load_policy(run: TrainedRun, obs: TensorDict, num_actions: int) -> MLPModel:
    """The run's actor with the checkpoint's weights and normaliser, in eval mode (call it for the mean action)."""
    try:
        groups = resolve_obs_groups(run.cfg.train, obs)
    except FieldError as error:
        raise key_error(run.run_dir / CONFIG_NAME, run.overrides, error.key, error.problem) from None
    train_cfg = to_rsl_rl(run.cfg.train, groups)
    actor_cfg = {key: value for key, value in train_cfg["actor"].items() if key != "class_name"}
    actor = MLPModel(obs, train_cfg["obs_groups"], "actor", num_actions, **actor_cfg)
    check_state_dict(run.checkpoint, "actor_state_dict", actor, run.state["actor_state_dict"])
    actor.load_state_dict(run.state["actor_state_dict"])
    actor.eval()
    return actor


@torch.inference_mode()
def mean_action(actor: MLPModel, obs: TensorDict) -> torch.Tensor:
    """(n, A) deterministic action (the Gaussian's mean) for observations ``obs``."""
    return actor(obs)

"""Run directories: ``<runs_dir>/<task>/<date>_<time>_<name>`` holding config.yaml, TensorBoard logs, checkpoints.

Also what ``eval`` and ``play`` need from a finished (or killed) run: its config, its task,
the env it trained in and its deterministic policy.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from rsl_rl.models import MLPModel
from tensordict import TensorDict

from legged_envs.config import ConfigError
from legged_envs.config.loader import display_path
from legged_envs.tasks.base import Task
from legged_envs.tasks.registry import load_task_config
from policies.checkpoint import check_state_dict, latest_checkpoint, load_checkpoint
from policies.train_config import TrainConfig, to_rsl_rl

CONFIG_NAME = "config.yaml"
"""The fully resolved config of a run, inside its directory."""


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


def run_config_path(run_dir: Path) -> Path:
    """``run_dir/config.yaml``, or a one-line error when ``run_dir`` is not a run directory."""
    if not run_dir.is_dir():
        raise ConfigError(f"{display_path(run_dir)}: run directory not found")
    path = run_dir / CONFIG_NAME
    if not path.is_file():
        raise ConfigError(f"{display_path(run_dir)}: not a run directory (no {CONFIG_NAME})")
    return path


def resolve_obs_groups(train: TrainConfig, obs: TensorDict) -> dict[str, list[str]]:
    """``train.obs_groups``, or by default the actor on ``policy`` and the critic on every group."""
    if train.obs_groups is not None:
        return {name: list(groups) for name, groups in train.obs_groups.items()}
    return {"actor": ["policy"], "critic": list(obs.keys())}


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


def load_run(run_dir: Path, overrides: list[str] | tuple[str, ...] = (), checkpoint: Path | None = None) -> TrainedRun:
    """A run's config (with ``overrides``), task and checkpoint (default: its latest)."""
    task_name, cfg, task_cls = load_task_config(run_config_path(run_dir), overrides)
    path = checkpoint or latest_checkpoint(run_dir)
    state = load_checkpoint(path)
    return TrainedRun(run_dir, task_name, cfg, task_cls, path, int(state["iter"]), state)


def load_policy(run: TrainedRun, obs: TensorDict, num_actions: int) -> MLPModel:
    """The run's actor with the checkpoint's weights and normaliser, in eval mode (call it for the mean action)."""
    train_cfg = to_rsl_rl(run.cfg.train, resolve_obs_groups(run.cfg.train, obs))
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

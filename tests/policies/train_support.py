"""Shared helpers of the training-pipeline tests: tiny configs and the ``legged`` command in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]
BASE = str(REPO / "configs" / "base.yaml")

TINY = (
    "env.num_envs=8",
    "env.episode_length_s=2.0",
    "sim.num_threads=1",
    "train.num_steps_per_env=8",
    "train.ppo.num_mini_batches=2",
    "train.ppo.num_learning_epochs=2",
    "train.policy.actor_hidden_dims=[32,32]",
    "train.policy.critic_hidden_dims=[32,32]",
)
"""Overrides of configs/base.yaml (the ``stand`` task) for runs that take a few seconds."""


def tiny(runs_dir: Path, *extra: str) -> list[str]:
    """``TINY`` plus ``train.runs_dir`` and ``extra`` overrides."""
    return [*TINY, f"train.runs_dir={runs_dir}", *extra]


def legged(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``legged ARGS`` as a user would, from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "legged_envs.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=REPO,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def weights(checkpoint: Path) -> dict[str, torch.Tensor]:
    """The actor's tensors of a checkpoint."""
    return torch.load(checkpoint, map_location="cpu", weights_only=True)["actor_state_dict"]

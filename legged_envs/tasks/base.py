"""What a task adds to the generic batched loop of ``LeggedEnv``.

A task is a small class plus plain term functions: observations, rewards (picked and weighed by
the task's YAML, see ``legged_envs.envs.rewards``), terminations, reset states and how actions
become joint targets. Terms read the simulator through ``env.state`` (one read per step). Every
tensor is ``(num_envs, ...)`` on the env's device.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

import torch

from legged_envs.envs.rewards import RewardFunction
from legged_envs.sim.backend import WorldState

if TYPE_CHECKING:
    from legged_envs.envs.legged_env import LeggedEnv


class Task(ABC):
    """Task logic over the env's state; never touches MuJoCo."""

    tracked_bodies: tuple[str, ...] = ()
    """Bodies (by role in ``RobotSpec.named_bodies`` or by name) whose pose/contact the task reads."""

    reward_functions: ClassVar[Mapping[str, RewardFunction]] = {}
    """Reward term name -> ``term(env, **params) -> (n,)``: what the YAML's ``task.rewards`` may pick."""

    tracking_targets: ClassVar[Mapping[str, float]] = {}
    """Command name -> the tracking RMSE (command units) ``legged eval`` counts as tracking it."""

    eval_protocol: ClassVar[str] = "tracking"
    """How ``legged eval`` judges the task: ``tracking`` (commands, falls) or ``standup`` (HoST's success rate)."""

    def __init__(self, env: LeggedEnv):
        self.env = env
        self.curricula_frozen = False
        """True while evaluating: curricula keep their state (set by ``load_trained_commands``' callers)."""

    @abstractmethod
    def observations(self) -> dict[str, torch.Tensor]:
        """Observation groups, e.g. ``{"policy": (n, D), "privileged": (n, P)}``."""

    @abstractmethod
    def terminated(self) -> torch.Tensor:
        """(n,) bool: episodes that end in failure this step (not time-outs)."""

    @abstractmethod
    def reset_state(self, env_ids: torch.Tensor) -> WorldState:
        """Initial simulator state for the resetting envs."""

    def bound_actions(self, actions: torch.Tensor) -> torch.Tensor:
        """(n, J) actions as the task uses them, from the policy's raw (n, J) output; default: clipped to +-100."""
        return torch.clamp(actions, -100.0, 100.0)

    def joint_targets(self, actions: torch.Tensor) -> torch.Tensor:
        """(n, J) joint position targets from (n, J) actions; default: default pose + scale * action."""
        env = self.env
        return env.default_joint_pos + env.robot.action_scale * actions

    def on_reset(self, env_ids: torch.Tensor) -> None:
        """Resample task state (commands, curricula) for the resetting envs."""

    def before_physics(self) -> None:
        """Hook run once per control step before the physics substeps (pushes, forces)."""

    def after_physics(self) -> None:
        """Hook run once per control step after the physics substeps (command timers)."""

    def metrics(self) -> dict[str, float]:
        """Scalars to log each iteration (curriculum levels, tracking errors)."""
        return {}

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Name -> tensor of what training must keep across a resume (curricula); default: nothing."""
        return {}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        """Restore ``state_dict``'s tensors; the caller then resets every env so it spawns accordingly."""

    def command_meanings(self) -> dict[str, str]:
        """Command name -> its meaning (frame, unit, sign) for the exported policy's metadata; default: none."""
        return {}

    def load_trained_commands(self, state: dict[str, torch.Tensor]) -> None:
        """Restore from ``state_dict``'s tensors only the command ranges training reached (for evaluation and
        export, whose env count differs from training's); default: nothing."""

"""``stand``: hold the default pose upright on flat ground.

The smallest complete task: it proves the env loop, feeds ``legged bench`` and the README's
first command until the locomotion task lands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch

from legged_envs.config import register_schema
from legged_envs.config.sections import RootConfig
from legged_envs.envs.history import ObsHistory
from legged_envs.envs.rewards import WEIGHT_BOUND, RewardFunction, RewardGroupsConfig
from legged_envs.math_utils import yaw_quat
from legged_envs.obs_layout import ObsLayout, ObsTerm
from legged_envs.sim.backend import WorldState
from legged_envs.tasks import terms
from legged_envs.tasks.base import Task
from legged_envs.tasks.task_config import TaskConfig

if TYPE_CHECKING:
    from legged_envs.envs.legged_env import LeggedEnv

MAX_TILT_RAD = 1.0


def base_height_error_sq(env: LeggedEnv) -> torch.Tensor:
    """(n,) squared deviation of the base height from the robot's standing height, m^2."""
    return torch.square(env.state.base_height - env.robot.default_base_height_m)


REWARD_FUNCTIONS: dict[str, RewardFunction] = {
    "upright": terms.upright,
    "base_height": base_height_error_sq,
    "action_rate": terms.action_rate_l2,
    "torque": terms.joint_torque_l2,
}
"""Reward term name (as in ``task.rewards``) -> term function."""


@dataclass
class StandTaskConfig(TaskConfig):
    """The ``stand`` task's section: one reward group."""

    rewards: RewardGroupsConfig = field(
        default_factory=lambda: {"main": {"upright": 1.0, "base_height": -50.0, "action_rate": -0.01, "torque": -1e-5}},
        metadata={"ge": -WEIGHT_BOUND, "le": WEIGHT_BOUND},
    )
    """Group -> reward term -> weight per second (``REWARD_FUNCTIONS``)."""


@dataclass
class StandConfig(RootConfig):
    """Root config of the ``stand`` task; a YAML picks it with ``schema: stand``."""

    task: StandTaskConfig = field(default_factory=StandTaskConfig)
    """Rewards of standing."""


register_schema("stand", StandConfig)


class StandTask(Task):
    """Stay upright at the standing height with the least effort."""

    tracked_bodies = ()
    reward_functions = REWARD_FUNCTIONS
    command_names: tuple[str, ...] = ()
    command_ranges: tuple[tuple[float, float], ...] = ()

    def __init__(self, env: LeggedEnv):
        super().__init__(env)
        joints = env.num_actions
        self.policy_obs_layout = ObsLayout(
            terms=(
                ObsTerm("base_ang_vel", 3, 0.25),
                ObsTerm("projected_gravity", 3),
                ObsTerm("joint_pos_rel", joints),
                ObsTerm("joint_vel", joints, 0.05),
                ObsTerm("last_action", joints),
            )
        )
        """Layout of the actor's observation (exported with the policy; deploy rebuilds it)."""
        self.history = ObsHistory(self.policy_obs_layout, env.num_envs, env.device)

    def observations(self) -> dict[str, torch.Tensor]:
        return {"policy": self.history.push(self.history.frame(terms.proprioception(self.env)))}

    def on_reset(self, env_ids: torch.Tensor) -> None:
        self.history.reset(env_ids)

    def terminated(self) -> torch.Tensor:
        return terms.tilt_exceeds(self.env, MAX_TILT_RAD)

    def reset_state(self, env_ids: torch.Tensor) -> WorldState:
        env = self.env
        n = len(env_ids)
        tiles = env_ids % env.terrain.num_tiles
        origins = env.terrain.origins_for(torch.zeros_like(tiles), tiles)
        base_pos = origins + torch.tensor([0.0, 0.0, env.robot.default_base_height_m + 0.02], device=env.device)
        yaw = (torch.rand(n, generator=env.generator, device=env.device) - 0.5) * 0.4
        noise = (torch.rand(n, env.num_actions, generator=env.generator, device=env.device) - 0.5) * 0.1
        return env.sim.compose_state(base_pos, yaw_quat(yaw), env.default_joint_pos[env_ids] + noise)

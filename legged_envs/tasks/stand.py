"""``stand``: hold the default pose upright on flat ground.

The smallest complete task: it proves the env loop, feeds ``legged bench`` and the README's
first command until the locomotion task lands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from legged_envs.config import register_schema
from legged_envs.config.sections import RootConfig
from legged_envs.envs.history import ObsHistory
from legged_envs.math_utils import yaw_quat
from legged_envs.obs_layout import ObsLayout, ObsTerm
from legged_envs.sim.backend import WorldState
from legged_envs.tasks import terms
from legged_envs.tasks.base import RewardTerm, Task

if TYPE_CHECKING:
    from legged_envs.envs.legged_env import LeggedEnv

MAX_TILT_RAD = 1.0


@dataclass
class StandConfig(RootConfig):
    """Root config of the ``stand`` task (no task settings of its own); a YAML picks it with ``schema: stand``."""


register_schema("stand", StandConfig)


def base_height_error_sq(env: LeggedEnv) -> torch.Tensor:
    """(n,) squared deviation of the base height from the robot's standing height, m^2."""
    return torch.square(terms.base_height_above_ground(env) - env.robot.default_base_height_m)


class StandTask(Task):
    """Stay upright at the standing height with the least effort."""

    tracked_bodies = ()
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

    def reward_terms(self) -> dict[str, tuple[RewardTerm, float]]:
        return {
            "upright": (terms.upright, 1.0),
            "base_height": (base_height_error_sq, -50.0),
            "action_rate": (terms.action_rate_l2, -0.01),
            "torque": (terms.joint_torque_l2, -1e-5),
        }

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

"""``stand``: hold the default pose upright on flat ground.

The smallest complete task: it proves the env loop, feeds ``legged bench`` and the README's
first command until the locomotion task lands.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from legged_envs.config import register_schema
from legged_envs.config.sections import RootConfig
from legged_envs.math_utils import yaw_quat
from legged_envs.sim.backend import WorldState
from legged_envs.tasks import terms
from legged_envs.tasks.base import RewardTerm, Task

MAX_TILT_RAD = 1.0


@dataclass
class StandConfig(RootConfig):
    """Root config of the ``stand`` task (no task settings of its own); a YAML picks it with ``schema: stand``."""


register_schema("stand", StandConfig)


def base_height_error_sq(env) -> torch.Tensor:
    """(n,) squared deviation of the base height from the robot's standing height, m^2."""
    return torch.square(terms.base_height_above_ground(env) - env.robot.default_base_height_m)


class StandTask(Task):
    """Stay upright at the standing height with the least effort."""

    tracked_bodies = ()

    def reward_terms(self) -> dict[str, tuple[RewardTerm, float]]:
        return {
            "upright": (terms.upright, 1.0),
            "base_height": (base_height_error_sq, -50.0),
            "action_rate": (terms.action_rate_l2, -0.01),
            "torque": (terms.joint_torque_l2, -1e-5),
        }

    def observations(self) -> dict[str, torch.Tensor]:
        env = self.env
        policy = torch.cat(
            (
                0.25 * terms.base_ang_vel_b(env),
                terms.projected_gravity(env),
                terms.joint_pos_rel(env),
                0.05 * terms.joint_vel(env),
                env.actions,
            ),
            dim=1,
        )
        return {"policy": policy}

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

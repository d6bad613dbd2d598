"""Term functions shared by tasks: each takes the env and returns a ``(num_envs, ...)`` tensor.

They read the simulator through ``env.state`` (``SimState``, one read per step). Reward terms are
unweighted (configs give penalties negative weights) and take their parameters as keywords.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from legged_envs.envs.history import ObsHistory
    from legged_envs.envs.legged_env import LeggedEnv


# --- observations ----------------------------------------------------------------------------
def joint_pos_rel(env: LeggedEnv) -> torch.Tensor:
    """(n, J) joint positions minus the default pose, rad."""
    return env.state.joint_pos - env.default_joint_pos


def actor_critic_observations(
    env: LeggedEnv,
    history: ObsHistory,
    task_terms: dict[str, torch.Tensor],
    sense: Callable[[torch.Tensor], torch.Tensor],
    privileged: dict[str, torch.Tensor],
) -> dict[str, torch.Tensor]:
    """The ``policy`` group (a frame of proprioception and ``task_terms`` as ``sense`` reads it, e.g. with sensor
    noise, pushed into ``history``) and the ``privileged`` group (``privileged`` concatenated in order)."""
    frame = sense(history.frame({**proprioception(env), **task_terms}))
    return {"policy": history.push(frame), "privileged": torch.cat(tuple(privileged.values()), dim=1)}


def proprioception(env: LeggedEnv) -> dict[str, torch.Tensor]:
    """Unscaled values of the observation terms every robot measures, by ``obs_layout`` term name."""
    state = env.state
    return {
        "base_ang_vel": state.base_ang_vel_b,
        "projected_gravity": state.projected_gravity,
        "joint_pos_rel": joint_pos_rel(env),
        "joint_vel": state.joint_vel,
        "last_action": env.actions,
    }


# --- regularising rewards (unweighted; configs give negative weights) ---------------------------
def action_rate_l2(env: LeggedEnv) -> torch.Tensor:
    """(n,) squared change of the action since the last step."""
    return torch.sum(torch.square(env.actions - env.last_actions), dim=1)


def joint_torque_l2(env: LeggedEnv) -> torch.Tensor:
    """(n,) squared joint torques, (N m)^2."""
    return torch.sum(torch.square(env.state.joint_torque), dim=1)


def joint_vel_l2(env: LeggedEnv) -> torch.Tensor:
    """(n,) squared joint velocities, (rad/s)^2."""
    return torch.sum(torch.square(env.state.joint_vel), dim=1)


def lin_vel_z_l2(env: LeggedEnv) -> torch.Tensor:
    """(n,) squared vertical base velocity, (m/s)^2."""
    return torch.square(env.state.base_lin_vel_w[:, 2])


def ang_vel_xy_l2(env: LeggedEnv) -> torch.Tensor:
    """(n,) squared roll and pitch rates in the base frame, (rad/s)^2."""
    return torch.sum(torch.square(env.state.base_ang_vel_b[:, :2]), dim=1)


def joint_limits(env: LeggedEnv, soft_ratio: float = 0.9) -> torch.Tensor:
    """(n,) total distance of the joints beyond their soft limits (the middle ``soft_ratio`` of each range), rad."""
    lower, upper = env.joint_range.unbind(dim=1)
    middle, half = (lower + upper) / 2, (upper - lower) / 2 * soft_ratio
    q = env.state.joint_pos
    return torch.sum((q - (middle + half)).clamp(min=0) + ((middle - half) - q).clamp(min=0), dim=1)


def upright(env: LeggedEnv) -> torch.Tensor:
    """(n,) 1 when the base is level, falling to 0 at 90 degrees of tilt."""
    return torch.clamp(-env.state.projected_gravity[:, 2], min=0.0)


# --- terminations -------------------------------------------------------------------------------
def tilt_exceeds(env: LeggedEnv, max_tilt_rad: float) -> torch.Tensor:
    """(n,) bool: the base is tilted more than ``max_tilt_rad`` from upright."""
    cos_tilt = -env.state.projected_gravity[:, 2]
    return cos_tilt < torch.cos(torch.tensor(max_tilt_rad))

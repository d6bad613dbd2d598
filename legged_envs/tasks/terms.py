"""Term functions shared by tasks: each takes the env and returns a ``(num_envs, ...)`` tensor."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from legged_envs.math_utils import quat_rotate_inverse

if TYPE_CHECKING:
    from legged_envs.envs.legged_env import LeggedEnv

_GRAVITY_DIR = torch.tensor([0.0, 0.0, -1.0])


# --- observations ----------------------------------------------------------------------------
def projected_gravity(env: LeggedEnv) -> torch.Tensor:
    """(n, 3) unit gravity direction in the base frame (0, 0, -1 when upright)."""
    quat = env.sim.base_quat().to(env.device)
    return quat_rotate_inverse(quat, _GRAVITY_DIR.to(env.device).expand(env.num_envs, 3))


def base_lin_vel_b(env: LeggedEnv) -> torch.Tensor:
    """(n, 3) base linear velocity in the base frame, m/s."""
    quat = env.sim.base_quat().to(env.device)
    return quat_rotate_inverse(quat, env.sim.base_lin_vel().to(env.device))


def base_ang_vel_b(env: LeggedEnv) -> torch.Tensor:
    """(n, 3) base angular velocity in the base frame, rad/s (what the IMU gyro measures)."""
    return env.sim.base_ang_vel().to(env.device)


def joint_pos_rel(env: LeggedEnv) -> torch.Tensor:
    """(n, J) joint positions minus the default pose, rad."""
    return env.sim.joint_pos().to(env.device) - env.default_joint_pos


def joint_vel(env: LeggedEnv) -> torch.Tensor:
    """(n, J) joint velocities, rad/s."""
    return env.sim.joint_vel().to(env.device)


def proprioception(env: LeggedEnv) -> dict[str, torch.Tensor]:
    """Unscaled values of the observation terms every robot measures, by ``obs_layout`` term name."""
    return {
        "base_ang_vel": base_ang_vel_b(env),
        "projected_gravity": projected_gravity(env),
        "joint_pos_rel": joint_pos_rel(env),
        "joint_vel": joint_vel(env),
        "last_action": env.actions,
    }


def base_height_above_ground(env: LeggedEnv) -> torch.Tensor:
    """(n,) base height above the terrain directly below it, m."""
    pos = env.sim.base_pos().to(env.device)
    return pos[:, 2] - env.terrain.height_at(pos[:, :2])


# --- regularising rewards (unweighted; configs give negative weights) ---------------------------
def action_rate_l2(env: LeggedEnv) -> torch.Tensor:
    """(n,) squared change of the action since the last step."""
    return torch.sum(torch.square(env.actions - env.last_actions), dim=1)


def joint_torque_l2(env: LeggedEnv) -> torch.Tensor:
    """(n,) squared joint torques, N^2 m^2."""
    return torch.sum(torch.square(env.sim.joint_torque().to(env.device)), dim=1)


def joint_vel_l2(env: LeggedEnv) -> torch.Tensor:
    """(n,) squared joint velocities, rad^2/s^2."""
    return torch.sum(torch.square(joint_vel(env)), dim=1)


def upright(env: LeggedEnv) -> torch.Tensor:
    """(n,) 1 when the base is level, falling to 0 at 90 degrees of tilt."""
    return torch.clamp(-projected_gravity(env)[:, 2], min=0.0)


def tilt_exceeds(env: LeggedEnv, max_tilt_rad: float) -> torch.Tensor:
    """(n,) bool: the base is tilted more than ``max_tilt_rad`` from upright."""
    cos_tilt = -projected_gravity(env)[:, 2]
    return cos_tilt < torch.cos(torch.tensor(max_tilt_rad))

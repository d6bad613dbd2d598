"""Reward terms of the stand-up task, in HoST's four groups (the YAML assigns each term a group and weight).

- task: getting the head up with the trunk upright (multiplicative, so neither pays alone);
- regularization: smooth, low-effort motion within the joints' limits;
- style: a human-like way up (no twisted waist or splayed hips, feet under the body once the pelvis is up);
- post-task: standing still and upright once stood up.

Terms are unweighted (configs give penalties negative weights). Terms that only make sense with the
pelvis off the ground are gated by ``task.pelvis_up``; post-task terms by ``task.standing``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch

from legged_envs.envs.rewards import RewardFunction
from legged_envs.math_utils import quat_rotate
from legged_envs.tasks import terms

if TYPE_CHECKING:
    from legged_envs.envs.legged_env import LeggedEnv
    from legged_envs.tasks.g1_standup import G1StandupTask

_TENTH = math.sqrt(-2.0 * math.log(0.1))
"""Gaussian scale at which ``tolerance`` falls to 0.1 one margin outside its bounds."""


def tolerance(x: torch.Tensor, lower: float, upper: float, margin: float) -> torch.Tensor:
    """1 inside [lower, upper], a Gaussian falling to 0.1 at ``margin`` outside (dm_control's ``tolerance``)."""
    distance = torch.clamp(lower - x, min=0.0) + torch.clamp(x - upper, min=0.0)
    return torch.exp(-0.5 * torch.square(distance / margin * _TENTH))


def _task(env: LeggedEnv) -> G1StandupTask:
    return env.task  # type: ignore[return-value]


def _body_up_z(env: LeggedEnv, body_ids: list[int]) -> torch.Tensor:
    """(n, k) world z component of the listed tracked bodies' z axes (1 when the body is upright)."""
    quat = env.state.body_quat[:, body_ids]
    up = quat.new_tensor([0.0, 0.0, 1.0]).expand(*quat.shape[:2], 3)
    return quat_rotate(quat.reshape(-1, 4), up.reshape(-1, 3)).reshape(*quat.shape[:2], 3)[..., 2]


def _deviation(env: LeggedEnv, joint_ids: list[int]) -> torch.Tensor:
    """(n,) summed |q - default| of the listed joints, rad."""
    q = env.state.joint_pos[:, joint_ids]
    return torch.sum(torch.abs(q - env.default_joint_pos[:, joint_ids]), dim=1)


# --- task -------------------------------------------------------------------------------------------
def stand_up(env: LeggedEnv, upright_margin: float = 1.0) -> torch.Tensor:
    """(n,) head-height tolerance x trunk-uprightness tolerance, 0..1."""
    task = _task(env)
    target = task.cfg.standing.head_target_m
    head = tolerance(task.head_height, target, math.inf, target)
    upright = tolerance(-env.state.projected_gravity[:, 2], 0.9, math.inf, upright_margin)
    return head * upright


# --- regularization ---------------------------------------------------------------------------------
def joint_acc(env: LeggedEnv) -> torch.Tensor:
    """(n,) squared joint accelerations over the last control step, (rad/s^2)^2."""
    return torch.sum(torch.square(_task(env).joint_acc), dim=1)


def action_smoothness(env: LeggedEnv) -> torch.Tensor:
    """(n,) squared second difference of the actions (a_t - 2 a_t-1 + a_t-2)."""
    task = _task(env)
    return torch.sum(torch.square(env.actions - 2 * env.last_actions + task.actions_before_last), dim=1)


def power(env: LeggedEnv) -> torch.Tensor:
    """(n,) mechanical power of the motors, sum |tau * dq|, W."""
    return torch.sum(torch.abs(env.state.joint_torque * env.state.joint_vel), dim=1)


def target_error(env: LeggedEnv) -> torch.Tensor:
    """(n,) squared distance of the joints from the targets they were sent, rad^2."""
    return torch.sum(torch.square(_task(env).applied_targets - env.state.joint_pos), dim=1)


def joint_vel_limits(env: LeggedEnv, soft_ratio: float = 0.9) -> torch.Tensor:
    """(n,) total joint speed beyond ``soft_ratio`` of each joint's limit, rad/s."""
    limit = _task(env).velocity_limits * soft_ratio
    return torch.sum(torch.clamp(torch.abs(env.state.joint_vel) - limit, min=0.0), dim=1)


# --- style --------------------------------------------------------------------------------------------
def waist_deviation(env: LeggedEnv) -> torch.Tensor:
    """(n,) |waist yaw - default|, rad."""
    return _deviation(env, _task(env).joint_groups["waist"])


def hip_yaw_deviation(env: LeggedEnv) -> torch.Tensor:
    """(n,) summed |hip yaw - default|, rad."""
    return _deviation(env, _task(env).joint_groups["hip_yaw"])


def hip_roll_deviation(env: LeggedEnv) -> torch.Tensor:
    """(n,) summed |hip roll - default|, rad."""
    return _deviation(env, _task(env).joint_groups["hip_roll"])


def shoulder_roll_deviation(env: LeggedEnv) -> torch.Tensor:
    """(n,) summed |shoulder roll - default|, rad."""
    return _deviation(env, _task(env).joint_groups["shoulder_roll"])


def knee_deviation(env: LeggedEnv, low_rad: float = 0.0, high_rad: float = 2.2) -> torch.Tensor:
    """(n,) summed knee angle outside [low_rad, high_rad] (over-straight or folded flat), rad."""
    q = env.state.joint_pos[:, _task(env).joint_groups["knee"]]
    return torch.sum(torch.clamp(low_rad - q, min=0.0) + torch.clamp(q - high_rad, min=0.0), dim=1)


def foot_displacement(env: LeggedEnv, free_m: float = 0.1) -> torch.Tensor:
    """(n,) squared horizontal distance beyond ``free_m`` between the feet's midpoint and the pelvis, while the
    pelvis is up, m^2."""
    task = _task(env)
    feet = env.state.body_pos[:, task.foot_ids, :2].mean(dim=1)
    distance = torch.linalg.vector_norm(feet - env.state.base_pos[:, :2], dim=1)
    return task.pelvis_up * torch.square(torch.clamp(distance - free_m, min=0.0))


def shank_orientation(env: LeggedEnv) -> torch.Tensor:
    """(n,) summed tilt of the shanks from vertical (1 - cos), while the pelvis is up."""
    task = _task(env)
    return task.pelvis_up * torch.sum(1.0 - _body_up_z(env, task.shank_ids), dim=1)


def feet_parallel(env: LeggedEnv) -> torch.Tensor:
    """(n,) summed tilt of the soles from the ground plane (1 - cos), while the pelvis is up."""
    task = _task(env)
    return task.pelvis_up * torch.sum(1.0 - _body_up_z(env, task.foot_ids), dim=1)


def feet_distance(env: LeggedEnv, min_m: float = 0.15, max_m: float = 0.5) -> torch.Tensor:
    """(n,) horizontal distance between the feet outside [min_m, max_m], while the pelvis is up, m."""
    task = _task(env)
    feet = env.state.body_pos[:, task.foot_ids, :2]
    distance = torch.linalg.vector_norm(feet[:, 0] - feet[:, 1], dim=1)
    return task.pelvis_up * (torch.clamp(min_m - distance, min=0.0) + torch.clamp(distance - max_m, min=0.0))


def base_ang_vel(env: LeggedEnv) -> torch.Tensor:
    """(n,) squared base angular velocity, (rad/s)^2."""
    return torch.sum(torch.square(env.state.base_ang_vel_b), dim=1)


# --- post-task ------------------------------------------------------------------------------------------
def still_ang_vel(env: LeggedEnv) -> torch.Tensor:
    """(n,) exp(-|base angular velocity|^2) once stood up, else 0."""
    return _task(env).standing * torch.exp(-torch.sum(torch.square(env.state.base_ang_vel_b), dim=1))


def still_lin_vel(env: LeggedEnv) -> torch.Tensor:
    """(n,) exp(-4 |horizontal base velocity|^2) once stood up, else 0."""
    speed_sq = torch.sum(torch.square(env.state.base_lin_vel_w[:, :2]), dim=1)
    return _task(env).standing * torch.exp(-4.0 * speed_sq)


def feet_height_var(env: LeggedEnv) -> torch.Tensor:
    """(n,) variance of the feet heights once stood up (both feet down), m^2."""
    task = _task(env)
    return task.standing * torch.var(env.state.body_pos[:, task.foot_ids, 2], dim=1, unbiased=False)


def upper_body_pose(env: LeggedEnv) -> torch.Tensor:
    """(n,) exp(-squared distance of waist and arms from the default pose) once stood up, else 0."""
    task = _task(env)
    ids = task.joint_groups["upper_body"]
    error = env.state.joint_pos[:, ids] - env.default_joint_pos[:, ids]
    return task.standing * torch.exp(-torch.sum(torch.square(error), dim=1))


def upright(env: LeggedEnv) -> torch.Tensor:
    """(n,) cosine of the trunk tilt (``terms.upright``) once stood up, else 0."""
    return _task(env).standing * terms.upright(env)


def base_height(env: LeggedEnv, std_m: float = 0.1) -> torch.Tensor:
    """(n,) Gaussian kernel of the pelvis height's distance from the standing height once stood up, else 0."""
    task = _task(env)
    error = (task.pelvis_height - env.robot.default_base_height_m) / std_m
    return task.standing * torch.exp(-torch.square(error))


REWARD_FUNCTIONS: dict[str, RewardFunction] = {
    "stand_up": stand_up,
    "joint_acc": joint_acc,
    "action_rate": terms.action_rate_l2,
    "action_smoothness": action_smoothness,
    "torque": terms.joint_torque_l2,
    "power": power,
    "joint_vel": terms.joint_vel_l2,
    "target_error": target_error,
    "joint_limits": terms.joint_limits,
    "joint_vel_limits": joint_vel_limits,
    "waist_deviation": waist_deviation,
    "hip_yaw_deviation": hip_yaw_deviation,
    "hip_roll_deviation": hip_roll_deviation,
    "shoulder_roll_deviation": shoulder_roll_deviation,
    "knee_deviation": knee_deviation,
    "foot_displacement": foot_displacement,
    "shank_orientation": shank_orientation,
    "feet_parallel": feet_parallel,
    "feet_distance": feet_distance,
    "base_ang_vel": base_ang_vel,
    "still_ang_vel": still_ang_vel,
    "still_lin_vel": still_lin_vel,
    "feet_height_var": feet_height_var,
    "upper_body_pose": upper_body_pose,
    "upright": upright,
    "base_height": base_height,
}
"""Reward term name (as in the YAML's ``task.rewards``) -> term function."""

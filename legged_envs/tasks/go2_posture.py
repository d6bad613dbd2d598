"""``go2_posture``: PALo-style posture-aware locomotion of the Unitree Go2.

Command (n, 6), ``COMMAND_NAMES``: vx, vy (m/s, heading frame), yaw rate (rad/s, about world z),
height (m, offset of the base height above the ground under it from the standing height), pitch
and roll (rad, of the base relative to gravity). Commands are resampled on a timer and at resets;
a curriculum widens their ranges as tracking improves, another moves envs between terrain levels.

Observations: ``policy`` (the actor) holds what the robot measures, built from ``policy_obs_layout``
(gyro, gravity direction, q - default, dq, last action, command; stacked history), so deploy can
rebuild it from LowState. ``privileged`` (critic only) adds true base velocity, friction, payload,
CoM, motor, gain and link-mass multipliers, terrain heights around the feet, contact forces and
the push force (``privileged_terms``).

Each step, ``after_physics`` measures the state once (tracking errors, contacts, air times) into
the task's buffers; the ``reward_*`` term functions below read them or the env directly.
"""

from __future__ import annotations

import math
from dataclasses import fields
from typing import TYPE_CHECKING

import torch

from legged_envs.envs.history import ObsHistory
from legged_envs.math_utils import quat_rotate, yaw_quat
from legged_envs.obs_layout import ObsLayout, ObsTerm
from legged_envs.sim.backend import WorldState
from legged_envs.tasks import terms
from legged_envs.tasks.base import RewardTerm, Task
from legged_envs.tasks.commands import CommandSampler
from legged_envs.tasks.feet import FootTracker
from legged_envs.tasks.go2_posture_config import Go2PostureConfig, Go2PostureTaskConfig
from legged_envs.tasks.randomization import ActionDelay, PhysicsRandomizer, Pushes, add_obs_noise
from legged_envs.tasks.terrain_curriculum import TerrainCurriculum

if TYPE_CHECKING:
    from legged_envs.envs.legged_env import LeggedEnv

__all__ = ["COMMAND_NAMES", "REWARD_TERMS", "Go2PostureConfig", "Go2PostureTask"]

COMMAND_NAMES = ("vx", "vy", "yaw_rate", "height", "pitch", "roll")
"""Command dimensions, in order (also the keys of ``eval_step_errors``)."""
LEGS = ("FR", "FL", "RR", "RL")
FEET = tuple(f"{leg}_foot" for leg in LEGS)
TRACKED_BODIES = ("base", *FEET, *(f"{leg}_thigh" for leg in LEGS), *(f"{leg}_calf" for leg in LEGS))
"""Bodies whose pose and contact force the task reads (roles of ``RobotSpec.named_bodies``)."""
FOOTPRINT_M = ((0.2, 0.15), (0.2, -0.15), (-0.2, 0.15), (-0.2, -0.15))
"""Approximate foot positions around the base (x, y), m: spawn height clears the ground under them."""


def _task(env: LeggedEnv) -> Go2PostureTask:
    return env.task  # type: ignore[return-value]


# --- measurements --------------------------------------------------------------------------------
def heading_lin_vel(env: LeggedEnv) -> torch.Tensor:
    """(n, 3) base linear velocity in the heading frame (world frame turned by the base yaw), m/s."""
    quat, vel = env.sim.base_quat().to(env.device), env.sim.base_lin_vel().to(env.device)
    w, x, y, z = quat.unbind(-1)
    yaw = torch.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))
    cos, sin = torch.cos(yaw), torch.sin(yaw)
    return torch.stack((cos * vel[:, 0] + sin * vel[:, 1], -sin * vel[:, 0] + cos * vel[:, 1], vel[:, 2]), dim=1)


def yaw_rate(env: LeggedEnv) -> torch.Tensor:
    """(n,) base angular velocity about world z, rad/s."""
    return quat_rotate(env.sim.base_quat().to(env.device), terms.base_ang_vel_b(env))[:, 2]


def roll_pitch(env: LeggedEnv) -> torch.Tensor:
    """(n, 2) base roll and pitch relative to gravity (intrinsic z-y-x Euler angles), rad."""
    gravity = terms.projected_gravity(env)
    pitch = torch.asin(gravity[:, 0].clamp(-1.0, 1.0))
    roll = torch.atan2(-gravity[:, 1], -gravity[:, 2])
    return torch.stack((roll, pitch), dim=1)


def tracking_errors(env: LeggedEnv) -> torch.Tensor:
    """(n, 6) measured minus commanded vx, vy (m/s), yaw rate (rad/s), height (m), pitch, roll (rad)."""
    command = _task(env).command
    velocity = heading_lin_vel(env)
    height = terms.base_height_above_ground(env) - env.robot.default_base_height_m
    angles = roll_pitch(env)
    measured = torch.stack((velocity[:, 0], velocity[:, 1], yaw_rate(env), height, angles[:, 1], angles[:, 0]), dim=1)
    return measured - command


def terrain_scan(env: LeggedEnv, radius_m: float) -> torch.Tensor:
    """(n, 1 + 4 * 5) base height above the ground under the base, under each foot and under 4 points
    ``radius_m`` around each foot (+x, -x, +y, -y), m."""
    feet = env.sim.body_pos().to(env.device)[:, [env.body_index[foot] for foot in FEET], :2]
    offsets = feet.new_tensor([[0.0, 0.0], [radius_m, 0.0], [-radius_m, 0.0], [0.0, radius_m], [0.0, -radius_m]])
    base = env.sim.base_pos().to(env.device)
    points = torch.cat((base[:, None, :2], (feet[:, :, None] + offsets).reshape(env.num_envs, -1, 2)), dim=1)
    return base[:, 2:3] - env.terrain.height_at(points)


# --- rewards (unweighted; weights in task.rewards) ------------------------------------------------
def reward_track_vx(env: LeggedEnv) -> torch.Tensor:
    """(n,) exp(-(vx error / std)^2), 1 when the forward velocity matches the command."""
    return _task(env).tracking_kernels[:, 0]


def reward_track_vy(env: LeggedEnv) -> torch.Tensor:
    """(n,) exp(-(vy error / std)^2), 1 when the leftward velocity matches the command."""
    return _task(env).tracking_kernels[:, 1]


def reward_track_yaw_rate(env: LeggedEnv) -> torch.Tensor:
    """(n,) exp(-(yaw rate error / std)^2), 1 when the yaw rate matches the command."""
    return _task(env).tracking_kernels[:, 2]


def reward_track_height(env: LeggedEnv) -> torch.Tensor:
    """(n,) exp(-(height error / std)^2), 1 when the base height above the ground matches the command."""
    return _task(env).tracking_kernels[:, 3]


def reward_track_pitch(env: LeggedEnv) -> torch.Tensor:
    """(n,) exp(-(pitch error / std)^2), 1 when the base pitch matches the command."""
    return _task(env).tracking_kernels[:, 4]


def reward_track_roll(env: LeggedEnv) -> torch.Tensor:
    """(n,) exp(-(roll error / std)^2), 1 when the base roll matches the command."""
    return _task(env).tracking_kernels[:, 5]


def reward_lin_vel_z(env: LeggedEnv) -> torch.Tensor:
    """(n,) squared vertical base velocity, (m/s)^2."""
    return torch.square(env.sim.base_lin_vel().to(env.device)[:, 2])


def reward_ang_vel_xy(env: LeggedEnv) -> torch.Tensor:
    """(n,) squared roll and pitch rates in the base frame, (rad/s)^2."""
    return torch.sum(torch.square(terms.base_ang_vel_b(env)[:, :2]), dim=1)


def reward_torque(env: LeggedEnv) -> torch.Tensor:
    """(n,) sum of squared joint torques, (N m)^2."""
    return terms.joint_torque_l2(env)


def reward_joint_acc(env: LeggedEnv) -> torch.Tensor:
    """(n,) sum of squared joint accelerations over the last control step, (rad/s^2)^2."""
    return torch.sum(torch.square(_task(env).joint_acc), dim=1)


def reward_action_rate(env: LeggedEnv) -> torch.Tensor:
    """(n,) sum of squared action changes since the last step."""
    return terms.action_rate_l2(env)


def reward_joint_limits(env: LeggedEnv) -> torch.Tensor:
    """(n,) total distance of the joints beyond their soft limits, rad."""
    task, q = _task(env), env.sim.joint_pos().to(env.device)
    return torch.sum((q - task.soft_upper).clamp(min=0) + (task.soft_lower - q).clamp(min=0), dim=1)


def reward_feet_air_time(env: LeggedEnv) -> torch.Tensor:
    """(n,) sum over feet touching down this step of (air time - target), s; 0 when commanded to stand."""
    task = _task(env)
    params, feet = task.cfg.reward_params, task.feet
    swing = torch.sum((feet.touchdown_air_time - params.feet_air_time_target_s) * feet.first_contact, dim=1)
    moving = torch.linalg.vector_norm(task.command[:, :2], dim=1) > params.moving_threshold_m_s
    return swing * moving


def reward_feet_slip(env: LeggedEnv) -> torch.Tensor:
    """(n,) sum of squared horizontal speeds of feet in contact, (m/s)^2."""
    feet = _task(env).feet
    return torch.sum(torch.sum(torch.square(feet.velocity[:, :, :2]), dim=2) * feet.contact, dim=1)


def reward_undesired_contacts(env: LeggedEnv) -> torch.Tensor:
    """(n,) number of undesired-contact bodies touching something."""
    task = _task(env)
    return torch.sum(task.touching[:, task.undesired_ids], dim=1).float()


def reward_termination(env: LeggedEnv) -> torch.Tensor:
    """(n,) 1 on the step an episode fails (not on time-outs)."""
    return _task(env).failed.float()


REWARD_TERMS: dict[str, RewardTerm] = {
    "track_vx": reward_track_vx,
    "track_vy": reward_track_vy,
    "track_yaw_rate": reward_track_yaw_rate,
    "track_height": reward_track_height,
    "track_pitch": reward_track_pitch,
    "track_roll": reward_track_roll,
    "lin_vel_z": reward_lin_vel_z,
    "ang_vel_xy": reward_ang_vel_xy,
    "torque": reward_torque,
    "joint_acc": reward_joint_acc,
    "action_rate": reward_action_rate,
    "joint_limits": reward_joint_limits,
    "feet_air_time": reward_feet_air_time,
    "feet_slip": reward_feet_slip,
    "undesired_contacts": reward_undesired_contacts,
    "termination": reward_termination,
}
"""Reward name (a field of ``RewardWeightsConfig``) -> term function."""


# --- the task --------------------------------------------------------------------------------------
class Go2PostureTask(Task):
    """Track a 6-D velocity and posture command on flat and rough terrain."""

    tracked_bodies = TRACKED_BODIES
    command_names = COMMAND_NAMES
    """Names of the command dimensions (exported with the policy)."""

    def __init__(self, env: LeggedEnv):
        super().__init__(env)
        self.cfg: Go2PostureTaskConfig = env.cfg.task
        cfg, n, device, gen = self.cfg, env.num_envs, env.device, env.generator
        self.foot_ids = [env.body_index[foot] for foot in FEET]
        self.failure_ids = self._tracked_ids(cfg.terminations.contact_bodies, "task.terminations.contact_bodies")
        self.undesired_ids = self._tracked_ids(
            cfg.reward_params.undesired_contact_bodies, "task.reward_params.undesired_contact_bodies"
        )
        ranges = [getattr(cfg.commands, name) for name in COMMAND_NAMES]
        self.commands = CommandSampler(
            COMMAND_NAMES,
            [r.start for r in ranges],
            [r.limit for r in ranges],
            n,
            max(1, round(cfg.commands.resample_interval_s / env.control_dt)),
            gen,
            device,
            zero_dims=(0, 1, 2),
            zero_prob=cfg.commands.still_prob,
            key="task.commands",
        )
        self.terrain_curriculum = TerrainCurriculum(
            cfg.terrain_curriculum, env.terrain.num_levels, env.terrain.num_tiles, n, gen, device
        )
        scales = cfg.observations.scales
        per_joint = env.num_actions
        self.policy_obs_layout = ObsLayout(
            terms=(
                ObsTerm("base_ang_vel", 3, scales.base_ang_vel),
                ObsTerm("projected_gravity", 3, scales.projected_gravity),
                ObsTerm("joint_pos_rel", per_joint, scales.joint_pos_rel),
                ObsTerm("joint_vel", per_joint, scales.joint_vel),
                ObsTerm("last_action", per_joint, scales.last_action),
                ObsTerm("command", len(COMMAND_NAMES), scales.command),
            ),
            history_length=cfg.observations.history_length,
        )
        """Layout of the actor's observation (exported with the policy; deploy rebuilds it)."""
        unknown = sorted(set(cfg.randomization.obs_noise) - set(self.policy_obs_layout.term_names))
        if unknown:
            raise ValueError(f"task.randomization.obs_noise: {unknown[0]!r} is not a policy observation term")
        self.history = ObsHistory(self.policy_obs_layout, n, device)
        dr = cfg.randomization
        self.randomizer = PhysicsRandomizer(dr, env.sim, env.robot, env.cfg.terrain.friction, gen)
        self.pushes = Pushes(dr, n, env.control_dt, gen, device)
        self.action_delay = ActionDelay(dr.action_delay_steps[1] if dr.enabled else 0, n, env.num_actions, device)
        lower, upper = torch.tensor([j.range_rad for j in env.robot.joints], device=device).unbind(dim=1)
        middle, half = (lower + upper) / 2, (upper - lower) / 2 * cfg.reward_params.soft_joint_limit
        self.soft_lower, self.soft_upper = middle - half, middle + half
        std = cfg.reward_params.tracking_std
        self.tracking_std = torch.tensor([getattr(std, name) for name in COMMAND_NAMES], device=device)
        # Per-step measurements (after_physics) read by the reward terms:
        self.tracking_error = torch.zeros(n, len(COMMAND_NAMES), device=device)
        """(n, 6) measured minus commanded, units of ``COMMAND_NAMES``."""
        self.tracking_kernels = torch.zeros_like(self.tracking_error)
        """(n, 6) exp(-(error / std)^2) per command dimension."""
        self.touching = torch.zeros(n, len(TRACKED_BODIES), dtype=torch.bool, device=device)
        """(n, B) tracked bodies whose contact force exceeds the threshold."""
        self.feet = FootTracker(n, len(FEET), device)
        """Contact, air time and velocity of the feet (FR, FL, RR, RL)."""
        self.joint_acc = torch.zeros(n, per_joint, device=device)
        """(n, J) joint acceleration over the last control step, rad/s^2."""
        self.failed = torch.zeros(n, dtype=torch.bool, device=device)
        """(n,) episodes that fail this step (forbidden contact or tilt)."""
        self.applied_targets = env.default_joint_pos.clone()
        """(n, J) joint targets sent to the physics this step (after the action latency), rad."""
        # Per-episode accumulators for the curricula:
        self.episode_steps = torch.zeros(n, dtype=torch.long, device=device)
        """(n,) control steps of the current episode."""
        self.score_sum = torch.zeros(n, len(COMMAND_NAMES), device=device)
        """(n, 6) sum of the tracking kernels over the episode."""
        self.progress_m = torch.zeros(n, device=device)
        """(n,) distance made along the commanded direction this episode, m."""
        self.commanded_m = torch.zeros(n, device=device)
        """(n,) distance the commands asked for this episode, m."""
        self._last_joint_vel = torch.zeros(n, per_joint, device=device)

    # --- public interface for training, play and eval ------------------------------------------------
    @property
    def command(self) -> torch.Tensor:
        """(n, 6) current command of each env (``COMMAND_NAMES``)."""
        return self.commands.command

    @property
    def command_ranges(self) -> tuple[tuple[float, float], ...]:
        """(low, high) limit of each command dimension (what the policy may be asked for)."""
        return tuple(tuple(getattr(self.cfg.commands, name).limit) for name in COMMAND_NAMES)

    @property
    def resample_commands(self) -> bool:
        """Whether commands are resampled on the timer and at resets (False: keep ``set_command``'s)."""
        return self.commands.enabled

    @resample_commands.setter
    def resample_commands(self, value: bool) -> None:
        self.commands.enabled = value

    def set_command(self, env_ids: torch.Tensor, command: torch.Tensor) -> None:
        """Set (len(ids), 6) commands of ``env_ids``; they hold until resampled (see ``resample_commands``)."""
        self.commands.set(env_ids, command)

    def eval_step_errors(self) -> dict[str, torch.Tensor]:
        """Name -> (n,) measured minus commanded value of this step, per ``COMMAND_NAMES``."""
        return {name: self.tracking_error[:, i].clone() for i, name in enumerate(COMMAND_NAMES)}

    def metrics(self) -> dict[str, float]:
        levels = self.terrain_curriculum.levels.float().mean()[None]
        rmse = torch.sqrt(torch.mean(torch.square(self.tracking_error), dim=0))
        values = torch.cat((levels, self.commands.progress, rmse)).tolist()
        names = ["terrain_level"]
        names += [f"command_progress/{name}" for name in COMMAND_NAMES]
        names += [f"tracking_rmse/{name}" for name in COMMAND_NAMES]
        return dict(zip(names, values, strict=True))

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Curriculum state: ``command_progress`` (6,), ``terrain_levels`` and ``terrain_tiles`` (n,)."""
        commands, terrain = self.commands.state_dict(), self.terrain_curriculum.state_dict()
        return {
            "command_progress": commands["progress"],
            "terrain_levels": terrain["levels"],
            "terrain_tiles": terrain["tiles"],
        }

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        """Restore ``state_dict``'s curricula; the episodes in progress end uncounted (reset every env next)."""
        missing = sorted({"command_progress", "terrain_levels", "terrain_tiles"} - set(state))
        if missing:
            raise ValueError(f"go2_posture task state: missing {missing[0]!r}")
        self.commands.load_state_dict({"progress": state["command_progress"]})
        self.terrain_curriculum.load_state_dict({"levels": state["terrain_levels"], "tiles": state["terrain_tiles"]})
        self.episode_steps.zero_()  # the next reset must not score these episodes into the restored curricula

    # --- Task hooks ----------------------------------------------------------------------------------
    def reward_terms(self) -> dict[str, tuple[RewardTerm, float]]:
        weights = self.cfg.rewards
        return {
            f.name: (REWARD_TERMS[f.name], getattr(weights, f.name))
            for f in fields(weights)
            if getattr(weights, f.name) != 0.0
        }

    def joint_targets(self, actions: torch.Tensor) -> torch.Tensor:
        delayed = self.action_delay.push(actions)
        self.applied_targets = self.env.default_joint_pos + self.env.robot.action_scale * delayed
        return self.applied_targets

    def before_physics(self) -> None:
        env = self.env
        self._last_joint_vel = terms.joint_vel(env)
        self.feet.before_step(env.sim.body_pos().to(env.device)[:, self.foot_ids])
        if self.pushes.step():
            env.sim.set_external_force(self.randomizer.cfg.payload_body, self.pushes.force)

    def after_physics(self) -> None:
        env, dt = self.env, self.env.control_dt
        self.joint_acc = (terms.joint_vel(env) - self._last_joint_vel) / dt
        force = torch.linalg.vector_norm(env.sim.contact_forces().to(env.device), dim=2)
        self.touching = force > self.cfg.terminations.contact_threshold_n
        self.feet.after_step(env.sim.body_pos().to(env.device)[:, self.foot_ids], self.touching[:, self.foot_ids], dt)
        self.tracking_error = tracking_errors(env)
        self.tracking_kernels = torch.exp(-torch.square(self.tracking_error / self.tracking_std))
        self._accumulate_episode(dt)
        tilted = terms.tilt_exceeds(env, self.cfg.terminations.max_tilt_rad)
        self.failed = tilted | self.touching[:, self.failure_ids].any(dim=1)
        self.commands.step()

    def terminated(self) -> torch.Tensor:
        return self.failed

    def on_reset(self, env_ids: torch.Tensor) -> None:
        env = self.env
        ended = env_ids[self.episode_steps[env_ids] > 0]  # the first reset ends no episode
        self._update_curricula(ended)
        self.randomizer.apply(env_ids)
        dr = self.cfg.randomization
        if dr.enabled:
            low, high = dr.action_delay_steps
            delay = torch.randint(low, high + 1, (len(env_ids),), generator=env.generator, device=env.device)
        else:
            delay = torch.zeros(len(env_ids), dtype=torch.long, device=env.device)
        self.action_delay.reset(env_ids, delay)
        self.pushes.reset(env_ids)
        self.commands.resample(env_ids)
        self.history.reset(env_ids)
        self.feet.reset(env_ids)
        for buffer in (self.episode_steps, self.score_sum, self.progress_m, self.commanded_m):
            buffer[env_ids] = 0

    def reset_state(self, env_ids: torch.Tensor) -> WorldState:
        env, cfg, n, device = self.env, self.cfg.reset, len(env_ids), self.env.device
        levels, tiles = self.terrain_curriculum.levels[env_ids], self.terrain_curriculum.tiles[env_ids]
        jitter = (2 * torch.rand(n, 2, generator=env.generator, device=device) - 1) * cfg.spawn_xy_jitter_m
        xy = env.terrain.origins_for(levels, tiles)[:, :2] + jitter
        yaw = (2 * torch.rand(n, generator=env.generator, device=device) - 1) * math.pi
        footprint = torch.tensor(FOOTPRINT_M, device=device)
        cos, sin = torch.cos(yaw)[:, None], torch.sin(yaw)[:, None]
        feet_xy = xy[:, None] + torch.stack(
            (cos * footprint[:, 0] - sin * footprint[:, 1], sin * footprint[:, 0] + cos * footprint[:, 1]), dim=2
        )
        ground = torch.maximum(env.terrain.height_at(xy), env.terrain.height_at(feet_xy).amax(dim=1))
        z = ground + env.robot.default_base_height_m + cfg.drop_height_m
        noise = (
            2 * torch.rand(n, env.num_actions, generator=env.generator, device=device) - 1
        ) * cfg.joint_pos_noise_rad
        return env.sim.compose_state(
            torch.cat((xy, z[:, None]), dim=1), yaw_quat(yaw), env.default_joint_pos[env_ids] + noise
        )

    def observations(self) -> dict[str, torch.Tensor]:
        env = self.env
        values = {**terms.proprioception(env), "command": self.command}
        if self.cfg.randomization.enabled:
            values = add_obs_noise(values, self.cfg.randomization.obs_noise, env.generator)
        policy = self.history.push(self.history.frame(values))
        return {"policy": policy, "privileged": torch.cat(tuple(self.privileged_terms().values()), dim=1)}

    def privileged_terms(self) -> dict[str, torch.Tensor]:
        """Critic-only truths, name -> (n, k), in the order of the ``privileged`` observation."""
        env, dr = self.env, self.randomizer
        return {
            "base_lin_vel": terms.base_lin_vel_b(env),  # base frame, m/s
            "friction": dr.friction[:, None],
            "payload": dr.payload_kg[:, None],  # kg
            "com_offset": 100.0 * dr.com_offset_m,  # cm
            "motor_strength": dr.motor_strength,
            "kp_scale": dr.kp_scale,
            "kd_scale": dr.kd_scale,
            "link_mass_scale": dr.link_mass_scale,
            "terrain_scan": terrain_scan(env, self.cfg.observations.foot_scan_radius_m),  # m
            "foot_forces": 0.01 * env.sim.contact_forces().to(env.device)[:, self.foot_ids].flatten(1),  # 100 N
            "push_force": 0.01 * self.pushes.force,  # 100 N
        }

    # --- internals -------------------------------------------------------------------------------------
    def _tracked_ids(self, names: list[str], key: str) -> list[int]:
        """Indices among the tracked bodies of ``names`` (the config list at ``key``)."""
        for name in names:
            if name not in self.env.body_index:
                raise ValueError(f"{key}: {name!r} is not a tracked body (tracked: {', '.join(TRACKED_BODIES)})")
        return [self.env.body_index[name] for name in names]

    def _accumulate_episode(self, dt: float) -> None:
        """Add this step to the per-episode tracking scores, progress and commanded travel."""
        self.episode_steps += 1
        self.score_sum += self.tracking_kernels
        command_xy = self.command[:, :2]
        speed = torch.linalg.vector_norm(command_xy, dim=1)
        velocity_xy = self.tracking_error[:, :2] + command_xy  # measured, heading frame (the command's frame)
        along = torch.sum(velocity_xy * command_xy, dim=1) / speed.clamp(min=1e-6)
        self.progress_m += along * dt
        self.commanded_m += speed * dt

    def _update_curricula(self, env_ids: torch.Tensor) -> None:
        """Terrain levels and command ranges from the episodes of ``env_ids`` that just ended."""
        if len(env_ids) == 0:
            return
        self.terrain_curriculum.update(
            env_ids, self.progress_m[env_ids], self.commanded_m[env_ids], self.failed[env_ids]
        )
        cfg = self.cfg.command_curriculum
        long_enough = self.episode_steps[env_ids] * self.env.control_dt >= cfg.min_episode_s
        counted = env_ids[long_enough]
        if cfg.enabled and len(counted):
            scores = self.score_sum[counted] / self.episode_steps[counted, None]
            self.commands.widen(scores.mean(dim=0), cfg.threshold, cfg.step)

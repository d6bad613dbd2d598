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

Each step, ``after_physics`` derives from ``env.state`` (the step's one read of the simulator) the
tracking errors, contacts and air times into the task's buffers; the ``reward_*`` term functions
below read them. Their weights (per second) and parameters are in the YAML's ``task.rewards``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

import torch

from legged_envs.envs.history import ObsHistory
from legged_envs.envs.rewards import RewardFunction
from legged_envs.math_utils import yaw_quat
from legged_envs.obs_layout import ObsLayout, ObsTerm
from legged_envs.perturbations.randomization import DomainRandomization
from legged_envs.sim.backend import WorldState
from legged_envs.tasks import terms
from legged_envs.tasks.base import Task
from legged_envs.tasks.commands import CommandCurriculum, CommandSampler
from legged_envs.tasks.feet import FootTracker
from legged_envs.tasks.go2_posture_config import Go2PostureConfig, Go2PostureTaskConfig
from legged_envs.tasks.terrain_curriculum import TerrainCurriculum

if TYPE_CHECKING:
    from legged_envs.envs.legged_env import LeggedEnv

__all__ = ["COMMAND_NAMES", "REWARD_FUNCTIONS", "Go2PostureConfig", "Go2PostureTask"]

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
def tracking_errors(env: LeggedEnv) -> torch.Tensor:
    """(n, 6) measured minus commanded vx, vy (m/s), yaw rate (rad/s), height (m), pitch, roll (rad)."""
    state = env.state
    velocity, angles = state.heading_lin_vel, state.roll_pitch
    height = state.base_height - env.robot.default_base_height_m
    measured = torch.stack(
        (velocity[:, 0], velocity[:, 1], state.base_ang_vel_w[:, 2], height, angles[:, 1], angles[:, 0]), dim=1
    )
    return measured - _task(env).command


def terrain_scan(env: LeggedEnv, foot_ids: list[int], radius_m: float) -> torch.Tensor:
    """(n, 1 + 4 * 5) base height above the ground under the base, under each foot and under 4 points
    ``radius_m`` around each foot (+x, -x, +y, -y), m."""
    state = env.state
    feet = state.body_pos[:, foot_ids, :2]
    offsets = feet.new_tensor([[0.0, 0.0], [radius_m, 0.0], [-radius_m, 0.0], [0.0, radius_m], [0.0, -radius_m]])
    around_feet = env.terrain.height_at((feet[:, :, None] + offsets).reshape(env.num_envs, -1, 2))
    return torch.cat((state.base_height[:, None], state.base_pos[:, 2:3] - around_feet), dim=1)


def _kernel(error: torch.Tensor, std: float) -> torch.Tensor:
    return torch.exp(-torch.square(error / std))


# --- rewards (unweighted; weights per second and params in the YAML's task.rewards) -------------
def reward_track_lin_vel_xy(env: LeggedEnv, std: float = 0.5) -> torch.Tensor:
    """(n,) exp(-|planar velocity error|^2 / std^2) in the heading frame, 1 when vx and vy match the command."""
    error = _task(env).tracking_error[:, :2]
    return torch.exp(-torch.sum(torch.square(error), dim=1) / std**2)


def reward_track_yaw_rate(env: LeggedEnv, std: float = 0.5) -> torch.Tensor:
    """(n,) exp(-(yaw rate error / std)^2), 1 when the yaw rate matches the command."""
    return _kernel(_task(env).tracking_error[:, 2], std)


def reward_track_height(env: LeggedEnv, std: float = 0.05) -> torch.Tensor:
    """(n,) exp(-(height error / std)^2), 1 when the base height above the ground matches the command."""
    return _kernel(_task(env).tracking_error[:, 3], std)


def reward_track_pitch(env: LeggedEnv, std: float = 0.1) -> torch.Tensor:
    """(n,) exp(-(pitch error / std)^2), 1 when the base pitch matches the command."""
    return _kernel(_task(env).tracking_error[:, 4], std)


def reward_track_roll(env: LeggedEnv, std: float = 0.1) -> torch.Tensor:
    """(n,) exp(-(roll error / std)^2), 1 when the base roll matches the command."""
    return _kernel(_task(env).tracking_error[:, 5], std)


def reward_joint_acc(env: LeggedEnv) -> torch.Tensor:
    """(n,) sum of squared joint accelerations over the last control step, (rad/s^2)^2."""
    return torch.sum(torch.square(_task(env).joint_acc), dim=1)


def reward_feet_air_time(env: LeggedEnv, target_s: float = 0.5, moving_threshold_m_s: float = 0.1) -> torch.Tensor:
    """(n,) sum over feet touching down this step of (air time - ``target_s``), s; 0 unless commanded to move.

    Long swings pay and shuffling costs, so stepping (not sliding or standing) tracks a velocity command."""
    task = _task(env)
    feet = task.feet
    swing = torch.sum((feet.touchdown_air_time - target_s) * feet.first_contact, dim=1)
    return swing * (torch.linalg.vector_norm(task.command[:, :2], dim=1) > moving_threshold_m_s)


def reward_feet_slip(env: LeggedEnv) -> torch.Tensor:
    """(n,) sum of squared horizontal speeds of feet in contact, (m/s)^2."""
    feet = _task(env).feet
    return torch.sum(torch.sum(torch.square(feet.velocity[:, :, :2]), dim=2) * feet.contact, dim=1)


def reward_undesired_contacts(env: LeggedEnv) -> torch.Tensor:
    """(n,) number of ``terminations.undesired_contact_bodies`` touching something."""
    task = _task(env)
    return torch.sum(task.touching[:, task.undesired_ids], dim=1).float()


def reward_termination(env: LeggedEnv) -> torch.Tensor:
    """(n,) 1 on the step an episode fails (not on time-outs)."""
    return _task(env).failed.float()


REWARD_FUNCTIONS: dict[str, RewardFunction] = {
    "track_lin_vel_xy": reward_track_lin_vel_xy,
    "track_yaw_rate": reward_track_yaw_rate,
    "track_height": reward_track_height,
    "track_pitch": reward_track_pitch,
    "track_roll": reward_track_roll,
    "lin_vel_z": terms.lin_vel_z_l2,
    "ang_vel_xy": terms.ang_vel_xy_l2,
    "torque": terms.joint_torque_l2,
    "joint_acc": reward_joint_acc,
    "action_rate": terms.action_rate_l2,
    "joint_limits": terms.joint_limits,
    "feet_air_time": reward_feet_air_time,
    "feet_slip": reward_feet_slip,
    "undesired_contacts": reward_undesired_contacts,
    "termination": reward_termination,
}
"""Reward term name (as in the YAML's ``task.rewards``) -> term function."""


# --- the task --------------------------------------------------------------------------------------
class Go2PostureTask(Task):
    """Track a 6-D velocity and posture command on flat and rough terrain."""

    tracked_bodies = TRACKED_BODIES
    reward_functions = REWARD_FUNCTIONS
    command_names = COMMAND_NAMES
    """Names of the command dimensions (exported with the policy)."""
    tracking_targets: ClassVar[Mapping[str, float]] = {
        "vx": 0.10,
        "vy": 0.10,
        "yaw_rate": 0.15,
        "height": 0.02,
        "pitch": 0.05,
        "roll": 0.05,
    }
    """RMSE per command dimension (units of ``COMMAND_NAMES``) a policy must reach in ``legged eval``'s fixed-command
    tests to count as tracking it."""

    def __init__(self, env: LeggedEnv):
        super().__init__(env)
        self.cfg: Go2PostureTaskConfig = env.cfg.task
        cfg, n, device, gen = self.cfg, env.num_envs, env.device, env.generator
        self.foot_ids = [env.body_index[foot] for foot in FEET]
        self.failure_ids = self._tracked_ids(cfg.terminations.contact_bodies, "task.terminations.contact_bodies")
        self.undesired_ids = self._tracked_ids(
            cfg.terminations.undesired_contact_bodies, "task.terminations.undesired_contact_bodies"
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
            zero_groups=(((0, 1, 2), cfg.commands.still_prob), ((3, 4, 5), cfg.commands.nominal_posture_prob)),
            key="task.commands",
        )
        curriculum = cfg.command_curriculum
        self.command_curriculum = CommandCurriculum(
            self.commands,
            curriculum.threshold,
            curriculum.step,
            curriculum.moving_share,
            round(curriculum.settle_s / env.control_dt),
            curriculum.window_samples,
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
        self.history = ObsHistory(self.policy_obs_layout, n, device)
        self.randomizer = DomainRandomization(cfg.randomization, env, self.policy_obs_layout, gen)
        # Per-step measurements (after_physics) read by the reward terms:
        self.tracking_error = torch.zeros(n, len(COMMAND_NAMES), device=device)
        """(n, 6) measured minus commanded, units of ``COMMAND_NAMES``."""
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
        # Per-episode accumulators for the terrain curriculum:
        self.episode_steps = torch.zeros(n, dtype=torch.long, device=device)
        """(n,) control steps of the current episode."""
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
        """(low, high) of each command dimension the policy has trained on so far (curriculum state), rounded
        to 6 decimals (float32 sums would show as 0.699999988)."""
        return tuple((round(lo, 6), round(hi, 6)) for lo, hi in self.commands.ranges.tolist())

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

    def command_meanings(self) -> dict[str, str]:
        standing = self.env.robot.default_base_height_m
        return {
            "vx": "forward base velocity in the heading frame (world frame turned by the base yaw), m/s",
            "vy": "leftward base velocity in the heading frame, m/s",
            "yaw_rate": "base angular velocity about world z, rad/s, positive counter-clockwise",
            "height": f"base height above the ground under it minus the standing height {standing:g} m, m",
            "pitch": "base pitch relative to gravity, rad, positive nose down",
            "roll": "base roll relative to gravity, rad, positive left side up",
        }

    def load_trained_commands(self, state: dict[str, torch.Tensor]) -> None:
        """Restore the command ranges of ``state_dict``'s ``command_progress``."""
        if "command_progress" not in state:
            raise ValueError("go2_posture task state: missing 'command_progress'")
        self.commands.load_state_dict({"progress": state["command_progress"]})

    # --- Task hooks ----------------------------------------------------------------------------------
    def joint_targets(self, actions: torch.Tensor) -> torch.Tensor:
        delayed = self.randomizer.perturb_actions(actions)
        self.applied_targets = self.env.default_joint_pos + self.env.robot.action_scale * delayed
        return self.applied_targets

    def before_physics(self) -> None:
        env = self.env
        self._last_joint_vel = env.state.joint_vel
        self.feet.before_step(env.state.body_pos[:, self.foot_ids])
        self.randomizer.before_physics()

    def after_physics(self) -> None:
        env, dt = self.env, self.env.control_dt
        state = env.state
        self.joint_acc = (state.joint_vel - self._last_joint_vel) / dt
        self.touching = (
            torch.linalg.vector_norm(state.contact_forces, dim=2) > self.cfg.terminations.contact_threshold_n
        )
        self.feet.after_step(state.body_pos[:, self.foot_ids], self.touching[:, self.foot_ids], dt)
        self.tracking_error = tracking_errors(env)
        tilted = terms.tilt_exceeds(env, self.cfg.terminations.max_tilt_rad)
        self.failed = tilted | self.touching[:, self.failure_ids].any(dim=1)
        self._accumulate_episode(dt)
        if self.cfg.command_curriculum.enabled and self.commands.enabled and not self.curricula_frozen:
            self.command_curriculum.update(self.tracking_error, counted_envs=~self.failed)
        self.commands.step()

    def terminated(self) -> torch.Tensor:
        return self.failed

    def on_reset(self, env_ids: torch.Tensor) -> None:
        ended = env_ids[self.episode_steps[env_ids] > 0]  # the first reset ends no episode
        if not self.curricula_frozen:
            self.terrain_curriculum.update(ended, self.progress_m[ended], self.commanded_m[ended], self.failed[ended])
        self.randomizer.reset(env_ids)
        self.commands.resample(env_ids)
        self.history.reset(env_ids)
        self.feet.reset(env_ids)
        for buffer in (self.episode_steps, self.progress_m, self.commanded_m):
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
        task_terms = {"command": self.command}
        sense = self.randomizer.perturb_frame
        return terms.actor_critic_observations(self.env, self.history, task_terms, sense, self.privileged_terms())

    def privileged_terms(self) -> dict[str, torch.Tensor]:
        """Critic-only truths, name -> (n, k), in the order of the ``privileged`` observation."""
        env, dr, state = self.env, self.randomizer, self.env.state
        return {
            "base_lin_vel": state.base_lin_vel_b,  # base frame, m/s
            "friction": dr.friction[:, None],
            "payload": dr.payload_kg[:, None],  # kg
            "com_offset": 100.0 * dr.com_offset_m,  # cm
            "motor_strength": dr.motor_strength,
            "kp_scale": dr.kp_scale,
            "kd_scale": dr.kd_scale,
            "link_mass_scale": dr.link_mass_scale,
            "terrain_scan": terrain_scan(env, self.foot_ids, self.cfg.observations.foot_scan_radius_m),  # m
            "foot_forces": 0.01 * state.contact_forces[:, self.foot_ids].flatten(1),  # 100 N
            "push_force": 0.01 * dr.push_force,  # 100 N
        }

    # --- internals -------------------------------------------------------------------------------------
    def _tracked_ids(self, names: list[str], key: str) -> list[int]:
        """Indices among the tracked bodies of ``names`` (the config list at ``key``)."""
        for name in names:
            if name not in self.env.body_index:
                raise ValueError(f"{key}: {name!r} is not a tracked body (tracked: {', '.join(TRACKED_BODIES)})")
        return [self.env.body_index[name] for name in names]

    def _accumulate_episode(self, dt: float) -> None:
        """Add this step to the episode's progress along the commanded direction and the commanded travel."""
        self.episode_steps += 1
        command_xy = self.command[:, :2]
        speed = torch.linalg.vector_norm(command_xy, dim=1)
        velocity_xy = self.tracking_error[:, :2] + command_xy  # measured, heading frame (the command's frame)
        along = torch.sum(velocity_xy * command_xy, dim=1) / speed.clamp(min=1e-6)
        self.progress_m += along * dt
        self.commanded_m += speed * dt

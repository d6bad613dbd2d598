"""``g1_standup``: HoST-style standing up of the Unitree G1 (23 DoF) from lying, sitting and leaning postures.

Each episode starts in a posture drawn for its terrain tile (``standup_postures``) with the motors
off for ``unactuated_steps``, so the robot settles into a physical rest. The policy's action,
tanh-bounded, moves each joint target from the *current* joint position: ``q_target = q + beta * a``,
an implicit speed bound. An upward pull on the torso links helps while the trunk is near upright;
beta and the pull step down together (``StandupCurriculum``). Episodes end only on numerical
blow-up or the time limit: a robot that falls must get up again. Rewards come in HoST's four
groups (``standup_rewards``), one critic each.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch

from legged_envs.envs.history import ObsHistory
from legged_envs.math_utils import quat_mul, quat_rotate, yaw_quat
from legged_envs.obs_layout import ObsLayout, ObsTerm
from legged_envs.perturbations.randomization import DomainRandomization
from legged_envs.sim.backend import WorldState
from legged_envs.tasks import terms
from legged_envs.tasks.base import Task
from legged_envs.tasks.g1_standup_config import GROUND_POSTURES, G1StandupConfig, G1StandupTaskConfig
from legged_envs.tasks.standup_curriculum import StandupCurriculum
from legged_envs.tasks.standup_postures import (
    BODY_REACH_M,
    POSTURE_NAMES,
    POSTURES,
    SEAT_INSET_M,
    posture_joint_pos,
)
from legged_envs.tasks.standup_rewards import REWARD_FUNCTIONS

if TYPE_CHECKING:
    from legged_envs.envs.legged_env import LeggedEnv

__all__ = ["G1StandupConfig", "G1StandupTask"]

TRACKED_BODIES = ("pelvis", "torso", "head", "left_foot", "right_foot", "left_knee_link", "right_knee_link")
"""Bodies whose pose and contacts the task reads (roles of ``RobotSpec.named_bodies`` or body names)."""
JOINT_GROUPS = {
    "waist": ("waist",),
    "hip_yaw": ("hip_yaw",),
    "hip_roll": ("hip_roll",),
    "shoulder_roll": ("shoulder_roll",),
    "knee": ("knee",),
    "upper_body": ("waist", "shoulder", "elbow", "wrist"),
}
"""Joint group -> name fragments of its joints (style and post-task rewards)."""
POSTURE_OF_KIND = {"platform": "seated", "wall": "leaning"}
"""Tile kinds with a fixed posture; other kinds draw from ``task.postures.weights``."""


def posture_quat(heading: torch.Tensor, pitch: torch.Tensor) -> torch.Tensor:
    """(n, 4) wxyz orientation: turn by ``heading`` about world z, then by ``pitch`` about the base y axis."""
    half = pitch / 2
    zeros = torch.zeros_like(half)
    pitch_quat = torch.stack((torch.cos(half), zeros, torch.sin(half), zeros), dim=1)
    return quat_mul(yaw_quat(heading), pitch_quat)


class G1StandupTask(Task):
    """Stand up from any posture on ground, platform, wall and slope tiles."""

    tracked_bodies = TRACKED_BODIES
    reward_functions = REWARD_FUNCTIONS
    eval_protocol = "standup"
    action_bound = "tanh"
    """Actions pass through tanh before use (the exported graph ends in it)."""
    command_names: tuple[str, ...] = ()
    command_ranges: tuple[tuple[float, float], ...] = ()

    def __init__(self, env: LeggedEnv):
        super().__init__(env)
        self.cfg: G1StandupTaskConfig = env.cfg.task
        cfg, n, device, gen = self.cfg, env.num_envs, env.device, env.generator
        unknown = sorted(set(cfg.postures.weights) - set(GROUND_POSTURES))
        if unknown:
            raise ValueError(f"task.postures.weights.{unknown[0]}: not a ground posture ({', '.join(GROUND_POSTURES)})")
        if sum(cfg.postures.weights.values()) <= 0:
            raise ValueError("task.postures.weights: at least one weight must be > 0")
        if cfg.standing.fall_height_m >= cfg.standing.stand_height_m:
            raise ValueError("task.standing.fall_height_m: must be below stand_height_m")
        names = env.robot.joint_names
        self.joint_groups = {
            group: [i for i, name in enumerate(names) if any(f in name for f in fragments)]
            for group, fragments in JOINT_GROUPS.items()
        }
        """Joint group -> joint indices (``JOINT_GROUPS``)."""
        self.velocity_limits = torch.tensor([j.velocity_limit_rad_s for j in env.robot.joints], device=device)
        self.foot_ids = [env.body_index["left_foot"], env.body_index["right_foot"]]
        self.shank_ids = [env.body_index["left_knee_link"], env.body_index["right_knee_link"]]
        self.head_id, self.pelvis_id = env.body_index["head"], env.body_index["pelvis"]
        for body in cfg.pull.bodies:
            env.sim.layout.model_body_id(body)  # raises naming an unknown body
        self.curriculum = StandupCurriculum(cfg.curriculum, cfg.action, cfg.pull)
        self.pull_enabled = True
        """Whether the pull force acts (evaluation turns it off, as HoST's protocol does)."""
        scales = cfg.observations.scales
        joints = env.num_actions
        frame = (("base_ang_vel", 3), ("projected_gravity", 3), ("joint_pos_rel", joints), ("joint_vel", joints))
        frame += (("last_action", joints), ("beta", 1))
        unknown = sorted(set(scales) - {name for name, _ in frame})
        if unknown:
            raise ValueError(f"task.observations.scales.{unknown[0]}: not a policy observation term")
        self.policy_obs_layout = ObsLayout(
            terms=tuple(ObsTerm(name, dim, scales.get(name, 1.0)) for name, dim in frame),
            history_length=cfg.observations.history_length,
        )
        """Layout of the actor's observation (exported with the policy; deploy rebuilds it)."""
        self.history = ObsHistory(self.policy_obs_layout, n, device)
        self.randomizer = DomainRandomization(cfg.randomization, env, self.policy_obs_layout, gen)
        self.posture = torch.zeros(n, dtype=torch.long, device=device)
        """(n,) index into ``POSTURE_NAMES`` of each env's starting posture."""
        self.levels = torch.zeros(n, dtype=torch.long, device=device)
        """(n,) terrain level (row) of each env's tile; its column is ``env_id % num_tiles``."""
        self.tiles = torch.arange(n, device=device) % env.terrain.num_tiles
        self.applied_targets = env.default_joint_pos.clone()
        """(n, J) joint targets sent to the physics this step, rad."""
        self.actions_before_last = torch.zeros(n, joints, device=device)
        """(n, J) the action two steps back (second difference)."""
        self.joint_acc = torch.zeros(n, joints, device=device)
        """(n, J) joint acceleration over the last control step, rad/s^2."""
        self.pull_force = torch.zeros(n, device=device)
        """(n,) total upward pull acting this step, N."""
        self._last_joint_vel = torch.zeros(n, joints, device=device)
        self._previous_last_actions = torch.zeros(n, joints, device=device)
        self._pulling = False
        """Whether a pull force was written to the physics (and must be cleared once the force is 0)."""
        self._update_heights()

    # --- measurements the rewards and evaluation read ---------------------------------------------------
    def _update_heights(self) -> None:
        state, terrain = self.env.state, self.env.terrain
        feet_xy = state.body_pos[:, self.foot_ids, :2]
        self.ground = terrain.height_at(feet_xy.reshape(-1, 2)).reshape(-1, 2).amin(dim=1)
        """(n,) terrain height under the lower foot, m: heights count from where the robot stands (the floor, not a
        platform it sits on)."""
        self.pelvis_height = state.body_pos[:, self.pelvis_id, 2] - self.ground
        """(n,) pelvis height above the ground under the feet, m."""
        self.head_height = state.body_pos[:, self.head_id, 2] - self.ground
        """(n,) head height above the ground under the feet, m."""
        standing = self.cfg.standing
        self.standing = (self.pelvis_height > standing.stand_height_m).float()
        """(n,) 1 while the pelvis is above the stand-up height."""
        self.pelvis_up = (self.pelvis_height > standing.fall_height_m).float()
        """(n,) 1 while the pelvis is above the fall height (feet and shank style terms apply)."""

    @property
    def beta(self) -> float:
        """The action rescaler in use."""
        return self.curriculum.beta

    @property
    def actuated(self) -> torch.Tensor:
        """(n,) bool: envs past their unactuated start."""
        return self.env.episode_length_buf >= self.cfg.unactuated_steps

    # --- Task hooks ------------------------------------------------------------------------------------
    def bound_actions(self, actions: torch.Tensor) -> torch.Tensor:
        return torch.tanh(actions)

    def joint_targets(self, actions: torch.Tensor) -> torch.Tensor:
        env = self.env
        self.actions_before_last = self._previous_last_actions
        self._previous_last_actions = env.last_actions.clone()
        delayed = self.randomizer.perturb_actions(actions)
        lower, upper = env.joint_range.unbind(dim=1)
        target = env.state.joint_pos + self.curriculum.beta * delayed
        self.applied_targets = torch.minimum(torch.maximum(target, lower), upper)
        return self.applied_targets

    def before_physics(self) -> None:
        env = self.env
        self._last_joint_vel = env.state.joint_vel
        waking = (env.episode_length_buf == self.cfg.unactuated_steps).nonzero(as_tuple=False).flatten()
        if len(waking) and self.cfg.unactuated_steps > 0:
            env.sim.set_motor_strength(waking, self.randomizer.motor_strength[waking])
        helped = self.actuated & (-env.state.projected_gravity[:, 2] > self.cfg.pull.min_uprightness)
        force = self.curriculum.force_n if self.pull_enabled else 0.0
        self.pull_force = helped.float() * force
        if force > 0 or self._pulling:
            lift = torch.zeros(env.num_envs, 3, device=env.device)
            lift[:, 2] = self.pull_force / len(self.cfg.pull.bodies)
            for body in self.cfg.pull.bodies:
                env.sim.set_external_force(body, lift)
            self._pulling = force > 0

    def after_physics(self) -> None:
        env = self.env
        self.joint_acc = (env.state.joint_vel - self._last_joint_vel) / env.control_dt
        self._update_heights()

    def terminated(self) -> torch.Tensor:
        state, limits = self.env.state, self.cfg.terminations
        joint_blowup = torch.abs(state.joint_vel).amax(dim=1) > limits.max_joint_vel_rad_s
        base_blowup = torch.linalg.vector_norm(state.base_lin_vel_w, dim=1) > limits.max_base_vel_m_s
        return joint_blowup | base_blowup | ~torch.isfinite(state.base_pos).all(dim=1)

    def on_reset(self, env_ids: torch.Tensor) -> None:
        env = self.env
        ended = env_ids[env.episode_length_buf[env_ids] > 0]  # the first reset ends no episode
        if not self.curricula_frozen:
            self.curriculum.update(self.head_height[ended])
        self.randomizer.reset(env_ids)
        if self.cfg.unactuated_steps > 0:
            env.sim.set_motor_strength(env_ids, torch.zeros(len(env_ids), env.num_actions, device=env.device))
        self.history.reset(env_ids)
        self._previous_last_actions[env_ids] = 0.0

    def reset_state(self, env_ids: torch.Tensor) -> WorldState:
        env, cfg, n, device, gen = self.env, self.cfg.postures, len(env_ids), self.env.device, self.env.generator
        terrain = env.terrain
        self.levels[env_ids] = torch.randint(0, terrain.num_levels, (n,), generator=gen, device=device)
        levels, tiles = self.levels[env_ids], self.tiles[env_ids]
        kinds = [terrain.tile_kinds[t] for t in tiles.tolist()]
        posture = self._draw_postures(kinds)
        self.posture[env_ids] = posture
        origin = terrain.origins_for(levels, tiles)
        feature_yaw = terrain.tile_yaw[levels, tiles]

        def uniform(half: float, *shape: int) -> torch.Tensor:
            return (2 * torch.rand(n, *shape, generator=gen, device=device) - 1) * half

        facing_away = torch.tensor([POSTURES[POSTURE_NAMES[p]].facing_away for p in posture.tolist()], device=device)
        on_flat = torch.tensor([k == "flat" for k in kinds], device=device)
        heading = torch.where(on_flat, uniform(math.pi), feature_yaw + math.pi * facing_away)
        heading = heading + uniform(cfg.yaw_jitter_rad)
        seated = posture == POSTURE_NAMES.index("seated")
        inset = seated * (env.cfg.terrain.platform_distance_m + SEAT_INSET_M)
        direction = torch.stack((torch.cos(feature_yaw), torch.sin(feature_yaw)), dim=1)
        xy = origin[:, :2] + inset[:, None] * direction + uniform(cfg.spawn_xy_jitter_m, 2)
        support = terrain.height_at(xy)
        on_slope = torch.tensor([k == "slope" for k in kinds], device=device)
        if on_slope.any():  # the highest ground a lying body reaches
            offsets = BODY_REACH_M * torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]], device=device)
            around = terrain.height_at(xy[:, None] + offsets).amax(dim=1)
            support = torch.where(on_slope, torch.maximum(support, around), support)
        table = [POSTURES[name] for name in POSTURE_NAMES]
        height = torch.tensor([table[p].height_m for p in posture.tolist()], device=device)
        pitch = torch.tensor([table[p].pitch_rad for p in posture.tolist()], device=device)
        default = env.default_joint_pos[0]
        poses = torch.tensor(
            [posture_joint_pos(t, env.robot.joint_names, default.tolist()) for t in table], device=device
        )
        lower, upper = env.joint_range.unbind(dim=1)
        noisy = poses[posture] + uniform(cfg.joint_noise_rad, env.num_actions)
        joints = torch.minimum(torch.maximum(noisy, lower), upper)
        base = torch.cat((xy, (support + height)[:, None]), dim=1)
        return env.sim.compose_state(base, posture_quat(heading, pitch + uniform(0.1)), joints)

    def observations(self) -> dict[str, torch.Tensor]:
        env = self.env
        task_terms = {"beta": torch.full((env.num_envs, 1), self.beta, device=env.device)}
        sense = self.randomizer.perturb_frame
        return terms.actor_critic_observations(env, self.history, task_terms, sense, self.privileged_terms())

    def privileged_terms(self) -> dict[str, torch.Tensor]:
        """Critic-only truths, name -> (n, k), in the order of the ``privileged`` observation."""
        env, dr, state = self.env, self.randomizer, self.env.state
        feet = state.body_pos[:, self.foot_ids, 2] - self.ground[:, None]
        up = state.base_quat.new_tensor([0.0, 0.0, 1.0]).expand(env.num_envs, 3)
        return {
            "base_lin_vel": state.base_lin_vel_b,
            "heights": torch.stack((self.pelvis_height, self.head_height), dim=1),
            "feet_heights": feet,
            "torso_up": quat_rotate(state.body_quat[:, env.body_index["torso"]], up),
            "pull_force": 0.01 * self.pull_force[:, None],
            "actuated": self.actuated.float()[:, None],
            "friction": dr.friction[:, None],
            "payload": dr.payload_kg[:, None],
            "motor_strength": dr.motor_strength,
        }

    def metrics(self) -> dict[str, float]:
        return {
            "beta": self.beta,
            "pull_force_n": self.curriculum.force_n,
            "curriculum_steps": float(self.curriculum.steps),
            "head_height": self.head_height.mean().item(),
            "standing_share": self.standing.mean().item(),
        }

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Curriculum state: ``beta``, ``pull_force_n`` and ``curriculum_steps``."""
        return self.curriculum.state_dict()

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.curriculum.load_state_dict(state)

    def load_trained_commands(self, state: dict[str, torch.Tensor]) -> None:
        """Restore the beta and force training reached (evaluation then turns the force off)."""
        self.curriculum.load_state_dict(state)

    # --- internals -------------------------------------------------------------------------------------
    def _draw_postures(self, kinds: list[str]) -> torch.Tensor:
        """(k,) posture index per env: fixed for platform and wall tiles, drawn by weight elsewhere."""
        env, weights = self.env, self.cfg.postures.weights
        probs = torch.tensor([weights.get(name, 0.0) for name in POSTURE_NAMES], device=env.device)
        drawn = torch.multinomial(probs, len(kinds), replacement=True, generator=env.generator)
        fixed = [POSTURE_NAMES.index(POSTURE_OF_KIND[k]) if k in POSTURE_OF_KIND else -1 for k in kinds]
        fixed_t = torch.tensor(fixed, device=env.device)
        return torch.where(fixed_t >= 0, fixed_t, drawn)

"""Config schema of the ``g1_standup`` task (its ``task:`` section); defaults mirror configs/g1_standup.yaml.

Figures are HoST's (``Learning Humanoid Standing-up Control across Diverse Postures``, public code):
action rescaler beta 1.0 -> 0.25 in steps of 0.02, a 200 N upward pull on the torso links that falls
by 20 N per curriculum step, 30 unactuated steps at the start, history of 6, blow-up-only terminations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from legged_envs.config import register_schema
from legged_envs.config.sections import RootConfig
from legged_envs.envs.rewards import WEIGHT_BOUND, RewardGroupsConfig, RewardTermConfig
from legged_envs.perturbations.randomization_config import RandomizationConfig
from legged_envs.tasks.task_config import TaskConfig

GROUND_POSTURES = ("supine", "prone", "sitting")
"""Postures drawn on flat and slope tiles (platform tiles seat the robot on the platform, wall tiles lean it on the
wall)."""


@dataclass
class PosturesConfig:
    """Initial postures: drawn per episode; the robot then settles, unactuated, into a physical rest."""

    weights: dict[str, float] = field(
        default_factory=lambda: {"supine": 0.5, "prone": 0.25, "sitting": 0.25}, metadata={"ge": 0, "le": 1000}
    )
    """Share of each ground posture (``supine``, ``prone``, ``sitting``) on flat and slope tiles (normalised)."""
    joint_noise_rad: float = field(default=0.3, metadata={"ge": 0, "le": 1.5})
    """Joint positions uniform in +-this around the posture's pose (clipped to the joint ranges), rad."""
    spawn_xy_jitter_m: float = field(default=0.1, metadata={"ge": 0, "le": 2})
    """Spawn point uniform in +-this on x and y around the posture's place, m."""
    yaw_jitter_rad: float = field(default=0.3, metadata={"ge": 0, "le": 3.15})
    """Heading uniform in +-this around the posture's heading (any heading on flat tiles), rad."""


@dataclass
class ActionRescalerConfig:
    """Joint target = current joint position + beta * action, action in [-1, 1] (tanh): an implicit speed bound."""

    start: float = field(default=1.0, metadata={"gt": 0, "le": 5})
    """beta at the start of training."""
    floor: float = field(default=0.25, metadata={"gt": 0, "le": 5})
    """Lowest beta the curriculum reaches (also what evaluation and export use)."""
    step: float = field(default=0.02, metadata={"ge": 0, "le": 1})
    """Decrease of beta per curriculum step."""


@dataclass
class PullForceConfig:
    """Upward assist force on the torso links while the trunk is near upright."""

    force_n: float = field(default=200.0, metadata={"ge": 0, "le": 2000})
    """Total force at the start of training, split equally over ``bodies``, N."""
    step_n: float = field(default=20.0, metadata={"ge": 0, "le": 2000})
    """Decrease of the force per curriculum step, N (never below 0)."""
    bodies: list[str] = field(default_factory=lambda: ["torso_link", "pelvis"])
    """Bodies the force acts on."""
    min_uprightness: float = field(default=0.8, metadata={"ge": -1, "le": 1})
    """Pull only while -projected gravity z of the pelvis exceeds this (trunk within ~37 degrees of upright)."""


@dataclass
class StandupCurriculumConfig:
    """When beta and the pull force step down: at resets whose ending episodes kept the head high."""

    enabled: bool = True
    """Step the curricula; off: beta and the force stay at their start values."""
    head_height_m: float = field(default=0.9, metadata={"gt": 0, "le": 3})
    """The curricula step when the ending episodes' mean head height is above this, m."""
    min_episodes: int = field(default=64, metadata={"ge": 1, "le": 1_000_000})
    """Ending episodes pooled per judgement (HoST: whatever one reset ends, often one with staggered ends)."""


@dataclass
class StandingConfig:
    """What counts as standing up (HoST's success criterion) and the heights the rewards aim for."""

    stand_height_m: float = field(default=0.7, metadata={"gt": 0, "le": 3})
    """Pelvis above this: stood up."""
    fall_height_m: float = field(default=0.5, metadata={"gt": 0, "le": 3})
    """After standing, pelvis below this: fell again (the episode no longer counts as a success)."""
    head_target_m: float = field(default=1.0, metadata={"gt": 0, "le": 3})
    """Head height the task reward aims for, m (full reward at and above it)."""


@dataclass
class StandupTerminationsConfig:
    """Episodes end only on numerical blow-up (and the time limit): a fallen robot must get up again."""

    max_joint_vel_rad_s: float = field(default=300.0, metadata={"gt": 0, "le": 1.0e4})
    """Any joint faster than this ends the episode, rad/s."""
    max_base_vel_m_s: float = field(default=20.0, metadata={"gt": 0, "le": 1.0e3})
    """Base faster than this ends the episode, m/s."""


@dataclass
class StandupObservationConfig:
    """The actor's observation: HoST's 76 values per frame, stacked."""

    history_length: int = field(default=6, metadata={"ge": 1, "le": 50})
    """Frames stacked, oldest first."""
    scales: dict[str, float] = field(
        default_factory=lambda: {"base_ang_vel": 0.25, "joint_vel": 0.05}, metadata={"gt": 0, "le": 100}
    )
    """Scale per policy term (others 1): ``base_ang_vel``, ``projected_gravity``, ``joint_pos_rel``, ``joint_vel``,
    ``last_action``, ``beta``."""


def _default_rewards() -> RewardGroupsConfig:
    def term(weight: float, **params: float) -> RewardTermConfig:
        return RewardTermConfig(weight=weight, params=params)

    return {
        "task": {"stand_up": 1.0},
        "regularization": {
            "joint_acc": -2.5e-7,
            "action_rate": -0.01,
            "action_smoothness": -0.01,
            "torque": -1.0e-5,
            "power": -1.0e-3,
            "joint_vel": -1.0e-3,
            "target_error": -0.1,
            "joint_limits": term(-1.0, soft_ratio=0.95),
            "joint_vel_limits": term(-0.1, soft_ratio=0.9),
        },
        "style": {
            "waist_deviation": -1.0,
            "hip_yaw_deviation": -0.5,
            "hip_roll_deviation": -0.5,
            "shoulder_roll_deviation": -0.25,
            "knee_deviation": -0.5,
            "foot_displacement": -1.0,
            "shank_orientation": -0.5,
            "feet_parallel": -0.5,
            "feet_distance": -0.5,
            "base_ang_vel": -0.01,
        },
        "post_task": {
            "still_ang_vel": 1.0,
            "still_lin_vel": 1.0,
            "feet_height_var": -10.0,
            "upper_body_pose": 1.0,
            "upright": 1.0,
            "base_height": 1.0,
        },
    }


@dataclass
class G1StandupTaskConfig(TaskConfig):
    """HoST-style standing up of the G1 from lying, sitting and leaning postures on four terrains."""

    rewards: RewardGroupsConfig = field(
        default_factory=_default_rewards, metadata={"ge": -WEIGHT_BOUND, "le": WEIGHT_BOUND}
    )
    """Four groups of ``g1_standup`` terms (HoST's task, regularization, style, post-task)."""
    reward_group_weights: dict[str, float] = field(
        default_factory=lambda: {"task": 2.5, "regularization": 0.1, "style": 1.0, "post_task": 1.0},
        metadata={"ge": -WEIGHT_BOUND, "le": WEIGHT_BOUND},
    )
    """HoST's group weights (prone-only training: task 1.0)."""
    unactuated_steps: int = field(default=30, metadata={"ge": 0, "le": 10_000})
    """Control steps at the start of an episode with the motors off: the robot settles into its posture."""
    postures: PosturesConfig = field(default_factory=PosturesConfig)
    """Initial postures."""
    action: ActionRescalerConfig = field(default_factory=ActionRescalerConfig)
    """The action rescaler beta and its curriculum."""
    pull: PullForceConfig = field(default_factory=PullForceConfig)
    """The upward assist force and its curriculum."""
    curriculum: StandupCurriculumConfig = field(default_factory=StandupCurriculumConfig)
    """When beta and the force step down."""
    standing: StandingConfig = field(default_factory=StandingConfig)
    """Success criterion and target heights."""
    terminations: StandupTerminationsConfig = field(default_factory=StandupTerminationsConfig)
    """Blow-up limits."""
    observations: StandupObservationConfig = field(default_factory=StandupObservationConfig)
    """Policy observation history and scales."""
    randomization: RandomizationConfig = field(
        default_factory=lambda: RandomizationConfig(
            friction=(0.1, 1.0),
            payload_kg=(-2.0, 5.0),
            payload_body="torso_link",
            link_mass_bodies=[f"{side}_{link}_link" for side in ("left", "right") for link in ("hip_pitch", "knee")],
            push_force_n=(0.0, 0.0),
            action_delay_steps=(0, 1),
        )
    )
    """Domain randomisation (HoST's ranges; action delay 0-20 ms = 0-1 control steps; no pushes)."""


@dataclass
class G1StandupConfig(RootConfig):
    """Root config of the ``g1_standup`` task; a YAML picks it with ``schema: g1_standup``."""

    task: G1StandupTaskConfig = field(default_factory=G1StandupTaskConfig)
    """Postures, curricula, rewards, terminations and randomisation."""


register_schema("g1_standup", G1StandupConfig)

"""Config schema of the ``go2_posture`` task (its ``task:`` section); defaults mirror configs/go2_posture.yaml."""

from __future__ import annotations

from dataclasses import dataclass, field

from legged_envs.config import register_schema
from legged_envs.config.sections import RootConfig
from legged_envs.tasks.randomization import RandomizationConfig
from legged_envs.tasks.terrain_curriculum import TerrainCurriculumConfig

_LEGS = ("FR", "FL", "RR", "RL")


@dataclass
class CommandRangeConfig:
    """Sampling range of one command dimension: where the curriculum starts and how wide it may grow."""

    start: tuple[float, float] = (0.0, 0.0)
    """(low, high) at curriculum progress 0."""
    limit: tuple[float, float] = (0.0, 0.0)
    """(low, high) at curriculum progress 1; also the range exported with the policy."""


@dataclass
class CommandsConfig:
    """The 6-D command: planar velocity, yaw rate and body posture."""

    vx: CommandRangeConfig = field(default_factory=lambda: CommandRangeConfig(start=(-0.5, 0.5), limit=(-1.0, 1.5)))
    """Forward velocity in the heading frame, m/s."""
    vy: CommandRangeConfig = field(default_factory=lambda: CommandRangeConfig(start=(-0.3, 0.3), limit=(-0.6, 0.6)))
    """Leftward velocity in the heading frame, m/s."""
    yaw_rate: CommandRangeConfig = field(
        default_factory=lambda: CommandRangeConfig(start=(-0.5, 0.5), limit=(-1.0, 1.0))
    )
    """Yaw rate about world z, rad/s."""
    height: CommandRangeConfig = field(
        default_factory=lambda: CommandRangeConfig(start=(-0.04, 0.02), limit=(-0.14, 0.10))
    )
    """Base height above the ground under it, as an offset from the robot's standing height, m."""
    pitch: CommandRangeConfig = field(default_factory=lambda: CommandRangeConfig(start=(-0.1, 0.1), limit=(-0.4, 0.4)))
    """Base pitch relative to gravity, rad (positive: nose down)."""
    roll: CommandRangeConfig = field(default_factory=lambda: CommandRangeConfig(start=(-0.1, 0.1), limit=(-0.3, 0.3)))
    """Base roll relative to gravity, rad (positive: left side up)."""
    resample_interval_s: float = field(default=10.0, metadata={"gt": 0})
    """Time between command resamples of one env, s (also resampled at every reset)."""
    still_prob: float = field(default=0.1, metadata={"ge": 0, "le": 1})
    """Share of samples with zero velocity and yaw rate (posture only)."""


@dataclass
class CommandCurriculumConfig:
    """Widening of the command ranges as tracking improves."""

    enabled: bool = True
    """Widen ranges at resets; off: ranges stay at their start."""
    threshold: float = field(default=0.75, metadata={"gt": 0, "le": 1})
    """A dimension widens when the resetting envs' mean tracking score (0..1 per step) reaches this."""
    step: float = field(default=0.05, metadata={"gt": 0, "le": 1})
    """Progress added per widening (1 = from start to limit at once)."""
    min_episode_s: float = field(default=2.0, metadata={"ge": 0})
    """Episodes shorter than this do not count towards widening, s."""


@dataclass
class ObsScalesConfig:
    """Multipliers of the policy observation terms (exported with the policy)."""

    base_ang_vel: float = 0.25
    """IMU angular velocity, per rad/s."""
    projected_gravity: float = 1.0
    """Gravity direction in the base frame."""
    joint_pos_rel: float = 1.0
    """Joint position minus default, per rad."""
    joint_vel: float = 0.05
    """Joint velocity, per rad/s."""
    last_action: float = 1.0
    """Previous policy output."""
    command: float = 1.0
    """The 6-D command."""


@dataclass
class ObservationConfig:
    """Policy observation: terms, scales and history; critic extras are fixed by the task."""

    history_length: int = field(default=5, metadata={"ge": 1})
    """Frames the policy sees, oldest first (50 Hz frames)."""
    scales: ObsScalesConfig = field(default_factory=ObsScalesConfig)
    """Multipliers of the policy terms."""
    foot_scan_radius_m: float = field(default=0.08, metadata={"ge": 0})
    """Critic terrain heights: each foot's point and four points this far from it (+-x, +-y), m."""


@dataclass
class RewardWeightsConfig:
    """Weight of each reward term (``reward_<name>`` in go2_posture.py); 0 switches a term off."""

    track_vx: float = 1.5
    """exp(-(vx error / std)^2)."""
    track_vy: float = 1.0
    """exp(-(vy error / std)^2)."""
    track_yaw_rate: float = 0.8
    """exp(-(yaw rate error / std)^2)."""
    track_height: float = 1.0
    """exp(-(height error / std)^2)."""
    track_pitch: float = 0.8
    """exp(-(pitch error / std)^2)."""
    track_roll: float = 0.8
    """exp(-(roll error / std)^2)."""
    lin_vel_z: float = -0.5
    """Squared vertical base velocity, (m/s)^2."""
    ang_vel_xy: float = -0.02
    """Squared roll and pitch rates, (rad/s)^2."""
    torque: float = -2.0e-4
    """Sum of squared joint torques, (N m)^2."""
    joint_acc: float = -2.5e-7
    """Sum of squared joint accelerations, (rad/s^2)^2."""
    action_rate: float = -0.01
    """Sum of squared action changes per step."""
    joint_limits: float = -5.0
    """Distance beyond the soft joint limits, rad."""
    feet_air_time: float = 0.5
    """Sum over touchdowns of (air time - target), s, while commanded to move."""
    feet_slip: float = -0.05
    """Sum of squared horizontal speeds of feet in contact, (m/s)^2."""
    undesired_contacts: float = -1.0
    """Number of ``undesired_contact_bodies`` touching something."""
    termination: float = -10.0
    """1 on the step an episode fails."""


@dataclass
class TrackingStdConfig:
    """Width of the exponential tracking kernels: an error of one std gives 1/e."""

    vx: float = field(default=0.5, metadata={"gt": 0})
    """m/s."""
    vy: float = field(default=0.5, metadata={"gt": 0})
    """m/s."""
    yaw_rate: float = field(default=0.5, metadata={"gt": 0})
    """rad/s."""
    height: float = field(default=0.05, metadata={"gt": 0})
    """m."""
    pitch: float = field(default=0.15, metadata={"gt": 0})
    """rad."""
    roll: float = field(default=0.15, metadata={"gt": 0})
    """rad."""


@dataclass
class RewardParamsConfig:
    """Shaping parameters of the reward terms."""

    tracking_std: TrackingStdConfig = field(default_factory=TrackingStdConfig)
    """Kernel widths of the six tracking terms."""
    feet_air_time_target_s: float = field(default=0.3, metadata={"ge": 0})
    """Swing duration that earns no air-time reward; longer earns, shorter costs, s."""
    moving_threshold_m_s: float = field(default=0.1, metadata={"ge": 0})
    """Commanded planar speed above which the air-time reward counts, m/s."""
    soft_joint_limit: float = field(default=0.9, metadata={"gt": 0, "le": 1})
    """Share of each joint's range (about its middle) inside which the limit penalty is zero."""
    undesired_contact_bodies: list[str] = field(default_factory=lambda: [f"{leg}_calf" for leg in _LEGS])
    """Bodies (tracked roles) that should not touch anything."""


@dataclass
class TerminationsConfig:
    """When an episode fails (time-outs are the env's own)."""

    max_tilt_rad: float = field(default=1.0, metadata={"gt": 0, "le": 3.15})
    """Fail when the base tilts more than this from upright, rad."""
    contact_bodies: list[str] = field(default_factory=lambda: ["base", *(f"{leg}_thigh" for leg in _LEGS)])
    """Fail when one of these bodies (tracked roles) touches something."""
    contact_threshold_n: float = field(default=1.0, metadata={"ge": 0})
    """Contact force above which a body counts as touching, N (also for feet and undesired contacts)."""


@dataclass
class ResetConfig:
    """Initial states."""

    spawn_xy_jitter_m: float = field(default=0.3, metadata={"ge": 0})
    """Spawn point uniform in +-this around the tile's origin on x and y, m."""
    joint_pos_noise_rad: float = field(default=0.1, metadata={"ge": 0})
    """Joint positions uniform in +-this around the default pose, rad."""
    drop_height_m: float = field(default=0.03, metadata={"ge": 0})
    """Base starts this much above its standing height over the ground, m."""


@dataclass
class Go2PostureTaskConfig:
    """PALo-style posture-aware locomotion of the Go2."""

    commands: CommandsConfig = field(default_factory=CommandsConfig)
    """Command ranges and resampling."""
    command_curriculum: CommandCurriculumConfig = field(default_factory=CommandCurriculumConfig)
    """Widening of the command ranges."""
    terrain_curriculum: TerrainCurriculumConfig = field(
        default_factory=lambda: TerrainCurriculumConfig(max_start_level=2)
    )
    """Promotion and demotion between terrain levels."""
    observations: ObservationConfig = field(default_factory=ObservationConfig)
    """Policy observation layout and critic terrain scan."""
    rewards: RewardWeightsConfig = field(default_factory=RewardWeightsConfig)
    """Reward weights."""
    reward_params: RewardParamsConfig = field(default_factory=RewardParamsConfig)
    """Reward shaping parameters."""
    terminations: TerminationsConfig = field(default_factory=TerminationsConfig)
    """Failure conditions."""
    randomization: RandomizationConfig = field(
        default_factory=lambda: RandomizationConfig(
            link_mass_bodies=[f"{leg}_{part}" for leg in _LEGS for part in ("hip", "thigh")]
        )
    )
    """Domain randomisation."""
    reset: ResetConfig = field(default_factory=ResetConfig)
    """Initial states."""


@dataclass
class Go2PostureConfig(RootConfig):
    """Root config of the ``go2_posture`` task; a YAML picks it with ``schema: go2_posture``."""

    task: Go2PostureTaskConfig = field(default_factory=Go2PostureTaskConfig)
    """Commands, curricula, observations, rewards, terminations and randomisation."""


register_schema("go2_posture", Go2PostureConfig)

"""Config schema of the ``go2_posture`` task (its ``task:`` section); defaults mirror configs/go2_posture.yaml."""

from __future__ import annotations

from dataclasses import dataclass, field

from legged_envs.config import register_schema
from legged_envs.config.sections import RootConfig
from legged_envs.perturbations.randomization_config import RandomizationConfig
from legged_envs.tasks.task_config import TaskConfig
from legged_envs.tasks.terrain_curriculum import TerrainCurriculumConfig

_LEGS = ("FR", "FL", "RR", "RL")


@dataclass
class CommandRangeConfig:
    """Sampling range of one command dimension: where the curriculum starts and how wide it may grow."""

    start: tuple[float, float] = field(default=(0.0, 0.0), metadata={"ge": -10, "le": 10})
    """(low, high) at curriculum progress 0; must contain 0 (the nominal command)."""
    limit: tuple[float, float] = field(default=(0.0, 0.0), metadata={"ge": -10, "le": 10})
    """(low, high) at curriculum progress 1, the widest; the range reached is exported with the policy."""


def _range(start: tuple[float, float], limit: tuple[float, float]) -> CommandRangeConfig:
    return CommandRangeConfig(start=start, limit=limit)


@dataclass
class CommandsConfig:
    """The 6-D command: planar velocity, yaw rate and body posture."""

    vx: CommandRangeConfig = field(default_factory=lambda: _range((-0.5, 0.7), (-1.0, 1.0)))
    """Forward velocity in the heading frame, m/s."""
    vy: CommandRangeConfig = field(default_factory=lambda: _range((-0.3, 0.3), (-0.5, 0.5)))
    """Leftward velocity in the heading frame, m/s."""
    yaw_rate: CommandRangeConfig = field(default_factory=lambda: _range((-0.5, 0.5), (-1.0, 1.0)))
    """Yaw rate about world z, rad/s."""
    height: CommandRangeConfig = field(default_factory=lambda: _range((-0.03, 0.02), (-0.10, 0.04)))
    """Base height above the ground under it, as an offset from the robot's standing height, m."""
    pitch: CommandRangeConfig = field(default_factory=lambda: _range((-0.1, 0.1), (-0.3, 0.3)))
    """Base pitch relative to gravity, rad (positive: nose down)."""
    roll: CommandRangeConfig = field(default_factory=lambda: _range((-0.1, 0.1), (-0.2, 0.2)))
    """Base roll relative to gravity, rad (positive: left side up)."""
    resample_interval_s: float = field(default=10.0, metadata={"ge": 0.1, "le": 3600})
    """Time between command resamples of one env, s (also resampled at every reset)."""
    still_prob: float = field(default=0.1, metadata={"ge": 0, "le": 1})
    """Share of samples with zero velocity and yaw rate (posture only)."""
    nominal_posture_prob: float = field(default=0.3, metadata={"ge": 0, "le": 1})
    """Share of samples with zero height, pitch and roll offsets (walking at the nominal posture)."""


@dataclass
class CommandCurriculumConfig:
    """Widening of each command dimension once its moving commands are tracked (``commands.CommandCurriculum``)."""

    enabled: bool = True
    """Widen ranges as tracking allows; off: ranges stay at their start."""
    threshold: float = field(default=0.8, metadata={"ge": -1, "le": 1})
    """Widen a dimension when 1 - RMS(error) / RMS(command) over its moving samples reaches this (-1: widen
    at every judgement whatever the tracking, e.g. to test the machinery)."""
    step: float = field(default=0.1, metadata={"gt": 0, "le": 1})
    """Progress added per widening (1 = from start to limit at once)."""
    moving_share: float = field(default=0.3, metadata={"gt": 0, "lt": 1})
    """A sample is moving when |command| >= this share of the dimension's current largest |bound|."""
    settle_s: float = field(default=1.0, metadata={"ge": 0, "le": 60})
    """Samples this soon after a command change do not count (the robot is still getting there), s."""
    window_samples: int = field(default=20000, metadata={"gt": 0, "le": 100_000_000})
    """Moving samples (env-steps) per judgement of a dimension; the sums restart after each."""


@dataclass
class ObsScalesConfig:
    """Multipliers of the policy observation terms (exported with the policy)."""

    base_ang_vel: float = field(default=0.25, metadata={"ge": 0, "le": 100})
    """IMU angular velocity, per rad/s."""
    projected_gravity: float = field(default=1.0, metadata={"ge": 0, "le": 100})
    """Gravity direction in the base frame."""
    joint_pos_rel: float = field(default=1.0, metadata={"ge": 0, "le": 100})
    """Joint position minus default, per rad."""
    joint_vel: float = field(default=0.05, metadata={"ge": 0, "le": 100})
    """Joint velocity, per rad/s."""
    last_action: float = field(default=1.0, metadata={"ge": 0, "le": 100})
    """Previous policy output."""
    command: float = field(default=1.0, metadata={"ge": 0, "le": 100})
    """The 6-D command."""


@dataclass
class ObservationConfig:
    """Policy observation: terms, scales and history; critic extras are fixed by the task."""

    history_length: int = field(default=5, metadata={"ge": 1, "le": 100})
    """Frames the policy sees, oldest first (50 Hz frames)."""
    scales: ObsScalesConfig = field(default_factory=ObsScalesConfig)
    """Multipliers of the policy terms."""
    foot_scan_radius_m: float = field(default=0.08, metadata={"ge": 0, "le": 1})
    """Critic terrain heights: each foot's point and four points this far from it (+-x, +-y), m."""


@dataclass
class TerminationsConfig:
    """When an episode fails (time-outs are the env's own)."""

    max_tilt_rad: float = field(default=1.0, metadata={"gt": 0, "le": 3.15})
    """Fail when the base tilts more than this from upright, rad."""
    contact_bodies: list[str] = field(default_factory=lambda: ["base", *(f"{leg}_thigh" for leg in _LEGS)])
    """Fail when one of these bodies (tracked roles) touches something."""
    contact_threshold_n: float = field(default=1.0, metadata={"ge": 0, "le": 1000})
    """Contact force above which a body counts as touching, N (also for feet and undesired contacts)."""
    undesired_contact_bodies: list[str] = field(default_factory=lambda: [f"{leg}_calf" for leg in _LEGS])
    """Bodies (tracked roles) the ``undesired_contacts`` reward counts when they touch something."""


@dataclass
class ResetConfig:
    """Initial states."""

    spawn_xy_jitter_m: float = field(default=0.3, metadata={"ge": 0, "le": 10})
    """Spawn point uniform in +-this around the tile's origin on x and y, m."""
    joint_pos_noise_rad: float = field(default=0.1, metadata={"ge": 0, "le": 1})
    """Joint positions uniform in +-this around the default pose, rad."""
    drop_height_m: float = field(default=0.03, metadata={"ge": 0, "le": 1})
    """Base starts this much above its standing height over the ground, m."""


@dataclass
class Go2PostureTaskConfig(TaskConfig):
    """PALo-style posture-aware locomotion of the Go2; ``rewards`` has one group of ``go2_posture`` terms."""

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

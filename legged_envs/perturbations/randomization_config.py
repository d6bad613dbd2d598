"""``task.randomization``: a task's domain randomisation as ranges (legged_gym's and HoST's keys), and what it
is in the perturbation library: ``randomization_perturbations`` turns it into library perturbations whose sizes
each env draws per episode from a range (``PerturbationConfig.low``). Torch-free.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from legged_envs.config import FieldError
from legged_envs.perturbations.config import PerturbationConfig

Range = tuple[float, float]
KEY = "task.randomization"
"""Config key of this section in every task (named in error messages)."""


@dataclass
class RandomizationConfig:
    """What is randomised and how much; each physical value is redrawn per env at every reset."""

    enabled: bool = True
    """Master switch: off keeps nominal physics, no pushes, no latency and no observation noise."""
    friction: Range = field(default=(0.2, 1.25), metadata={"gt": 0, "le": 10})
    """Sliding friction coefficient of every geom (robot and ground)."""
    payload_kg: Range = field(default=(-1.0, 3.0), metadata={"ge": -100, "le": 1000})
    """Mass added to ``payload_body``, kg."""
    payload_body: str = "base"
    """Body that carries the payload and the CoM offset."""
    com_offset_m: float = field(default=0.03, metadata={"ge": 0, "le": 1})
    """Shift of ``payload_body``'s centre of mass, uniform in +-this on each axis, m."""
    link_mass_scale: Range = field(default=(0.8, 1.2), metadata={"gt": 0, "le": 10})
    """Multiplier on the mass (and inertia) of each of ``link_mass_bodies``."""
    link_mass_bodies: list[str] = field(default_factory=list)
    """Bodies whose mass is scaled (each costs one recomputation of MuJoCo's constants per reset)."""
    motor_strength: Range = field(default=(0.9, 1.1), metadata={"gt": 0, "le": 10})
    """Multiplier on each motor's torque, per joint."""
    kp_scale: Range = field(default=(0.85, 1.15), metadata={"gt": 0, "le": 10})
    """Multiplier on each joint's PD stiffness."""
    kd_scale: Range = field(default=(0.85, 1.15), metadata={"gt": 0, "le": 10})
    """Multiplier on each joint's PD damping."""
    push_force_n: Range = field(default=(0.0, 100.0), metadata={"ge": 0, "le": 10000})
    """Magnitude of a horizontal push on ``payload_body``, N (direction uniform; drawn per episode)."""
    push_duration_s: float = field(default=0.1, metadata={"gt": 0, "le": 60})
    """How long one push lasts, s."""
    push_interval_s: Range = field(default=(5.0, 10.0), metadata={"gt": 0, "le": 3600})
    """Time between pushes, s: pushes come every midpoint of this range (the first that long into an episode)."""
    action_delay_steps: tuple[int, int] = field(default=(0, 2), metadata={"ge": 0, "le": 100})
    """Latency of the joint targets, control steps (per env, redrawn at reset)."""
    obs_noise: dict[str, float] = field(
        default_factory=lambda: {
            "base_ang_vel": 0.2,
            "projected_gravity": 0.05,
            "joint_pos_rel": 0.01,
            "joint_vel": 1.5,
        },
        metadata={"ge": 0, "le": 100},
    )
    """Uniform noise amplitude per policy observation term, in the term's raw units (before scaling)."""

    def check(self) -> None:
        ranges = ("friction", "payload_kg", "link_mass_scale", "motor_strength", "kp_scale", "kd_scale")
        for name in (*ranges, "push_force_n", "push_interval_s", "action_delay_steps"):
            low, high = getattr(self, name)
            if low > high:
                raise FieldError(name, f"low {low} > high {high}")


def randomization_perturbations(
    cfg: RandomizationConfig, terrain_friction: float, control_dt: float
) -> list[PerturbationConfig]:
    """``cfg`` as library perturbations drawn per episode (none when disabled; a range pinned at the nominal value
    is left out). Multipliers become shares lost (``1 - scale``), friction a share of ``terrain_friction``."""
    if not cfg.enabled:
        return []

    def ranged(kind: str, low: float, high: float, **extra: object) -> list[PerturbationConfig]:
        if low == high == 0.0:
            return []
        return [PerturbationConfig(kind=kind, magnitude=high, low=low, mode="episode", **extra)]  # type: ignore[arg-type]

    def share_lost(kind: str, scale: Range) -> list[PerturbationConfig]:
        return ranged(kind, 1.0 - scale[1], 1.0 - scale[0])

    body = cfg.payload_body
    entries = [
        *ranged("friction", 1.0 - cfg.friction[1] / terrain_friction, 1.0 - cfg.friction[0] / terrain_friction),
        *ranged("payload", *cfg.payload_kg, body=body),
        *share_lost("motor_strength", cfg.motor_strength),
        *share_lost("stiffness", cfg.kp_scale),
        *share_lost("damping", cfg.kd_scale),
    ]
    if cfg.com_offset_m > 0:
        entries.append(PerturbationConfig(kind="com_shift", magnitude=cfg.com_offset_m, body=body, mode="episode"))
    if cfg.link_mass_bodies:
        low, high = cfg.link_mass_scale
        entries += ranged("link_mass", low - 1.0, high - 1.0, bodies=list(cfg.link_mass_bodies))
    if cfg.push_force_n[1] > 0:
        interval = max(1, round(sum(cfg.push_interval_s) / 2 / control_dt))
        push = {"body": body, "duration_s": cfg.push_duration_s}
        entries += [
            PerturbationConfig(
                kind="push_force",
                magnitude=cfg.push_force_n[1],
                low=cfg.push_force_n[0],
                mode="interval",
                interval_steps=interval,
                **push,  # type: ignore[arg-type]
            )
        ]
    if cfg.action_delay_steps[1] > 0:
        entries += ranged("action_latency", *map(float, cfg.action_delay_steps))
    for term, amplitude in cfg.obs_noise.items():
        if amplitude > 0:
            entries.append(PerturbationConfig(kind="obs_uniform", magnitude=amplitude, terms=[term]))
    return entries

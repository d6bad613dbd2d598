"""Domain randomisation: physical parameters per world, pushes, action latency and observation noise.

Physical parameters are drawn for the resetting envs at every reset and written through the
backend's ``set_*`` methods, one call per parameter (and per body) for all resetting envs at once:
mass and CoM writes recompute MuJoCo's derived constants, so they must not be made per env.
Ranges are ``(low, high)``; a range with ``low == high`` pins the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import torch

from legged_envs.robots.spec import RobotSpec
from legged_envs.sim.backend import PhysicsBackend

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
    """Magnitude of a horizontal push on ``payload_body``, N (direction uniform)."""
    push_duration_s: float = field(default=0.1, metadata={"ge": 0, "le": 60})
    """How long one push lasts, s."""
    push_interval_s: Range = field(default=(5.0, 10.0), metadata={"gt": 0, "le": 3600})
    """Time from an episode start or a push to the next push, s."""
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


def uniform(
    low: float, high: float, shape: tuple[int, ...], generator: torch.Generator, device: torch.device | str
) -> torch.Tensor:
    """Tensor of ``shape`` uniform in [low, high]."""
    return low + (high - low) * torch.rand(shape, generator=generator, device=device)


def check_range(name: str, value: tuple[float, float]) -> None:
    """Raise ValueError when a ``(low, high)`` range has low > high."""
    if value[0] > value[1]:
        raise ValueError(f"{name}: low {value[0]} > high {value[1]}")


class PhysicsRandomizer:
    """Draws and applies per-env physical parameters; keeps them for the critic."""

    def __init__(
        self,
        cfg: RandomizationConfig,
        sim: PhysicsBackend,
        robot: RobotSpec,
        terrain_friction: float,
        generator: torch.Generator,
    ):
        ranged = ("friction", "payload_kg", "link_mass_scale", "motor_strength", "kp_scale", "kd_scale")
        for name in (*ranged, "action_delay_steps"):
            check_range(f"{KEY}.{name}", getattr(cfg, name))
        masses = sim.layout.body_mass_kg
        for body in (cfg.payload_body, *cfg.link_mass_bodies):
            if masses.get(body, 0.0) <= 0.0:
                raise ValueError(f"{KEY}: body {body!r} is not a body with mass in the robot model")
        if cfg.payload_body in cfg.link_mass_bodies:
            raise ValueError(f"{KEY}.link_mass_bodies: {cfg.payload_body!r} already carries the payload")
        self.cfg, self.sim, self.generator = cfg, sim, generator
        n, j, device = sim.num_worlds, robot.num_joints, sim.device
        self.nominal_kp = torch.tensor([joint.kp for joint in robot.joints], device=device)
        self.nominal_kd = torch.tensor([joint.kd for joint in robot.joints], device=device)
        self.nominal_mass = {body: masses[body] for body in (cfg.payload_body, *cfg.link_mass_bodies)}
        self.friction = torch.full((n,), terrain_friction, device=device)
        """(n,) sliding friction of each world."""
        self.payload_kg = torch.zeros(n, device=device)
        """(n,) mass added to the payload body, kg."""
        self.com_offset_m = torch.zeros(n, 3, device=device)
        """(n, 3) CoM shift of the payload body, body frame, m."""
        self.link_mass_scale = torch.ones(n, len(cfg.link_mass_bodies), device=device)
        """(n, L) mass multiplier of each of ``link_mass_bodies``."""
        self.motor_strength = torch.ones(n, j, device=device)
        """(n, J) torque multiplier per joint."""
        self.kp_scale = torch.ones(n, j, device=device)
        """(n, J) stiffness multiplier per joint."""
        self.kd_scale = torch.ones(n, j, device=device)
        """(n, J) damping multiplier per joint."""

    def apply(self, env_ids: torch.Tensor) -> None:
        """Draw new parameters for ``env_ids`` and write them to the physics (no-op when disabled)."""
        if not self.cfg.enabled or len(env_ids) == 0:
            return
        cfg, sim, n = self.cfg, self.sim, len(env_ids)
        joints = self.motor_strength.shape[1]

        def draw(bounds: tuple[float, float], *shape: int) -> torch.Tensor:
            return uniform(bounds[0], bounds[1], (n, *shape), self.generator, sim.device)

        self.friction[env_ids] = draw(cfg.friction)
        self.payload_kg[env_ids] = draw(cfg.payload_kg)
        self.com_offset_m[env_ids] = draw((-cfg.com_offset_m, cfg.com_offset_m), 3)
        self.link_mass_scale[env_ids] = draw(cfg.link_mass_scale, len(cfg.link_mass_bodies))
        self.motor_strength[env_ids] = draw(cfg.motor_strength, joints)
        self.kp_scale[env_ids] = draw(cfg.kp_scale, joints)
        self.kd_scale[env_ids] = draw(cfg.kd_scale, joints)
        sim.set_friction(env_ids, self.friction[env_ids])
        sim.set_body_mass(env_ids, cfg.payload_body, self.nominal_mass[cfg.payload_body] + self.payload_kg[env_ids])
        sim.set_com_offset(env_ids, cfg.payload_body, self.com_offset_m[env_ids])
        for index, body in enumerate(cfg.link_mass_bodies):
            sim.set_body_mass(env_ids, body, self.nominal_mass[body] * self.link_mass_scale[env_ids, index])
        sim.set_motor_strength(env_ids, self.motor_strength[env_ids])
        sim.set_pd_gains(env_ids, self.nominal_kp * self.kp_scale[env_ids], self.nominal_kd * self.kd_scale[env_ids])


class Pushes:
    """Horizontal force pulses on one body at random intervals; one (n, 3) world-frame force per step."""

    def __init__(
        self,
        cfg: RandomizationConfig,
        num_envs: int,
        control_dt: float,
        generator: torch.Generator,
        device: torch.device | str,
    ):
        check_range(f"{KEY}.push_force_n", cfg.push_force_n)
        check_range(f"{KEY}.push_interval_s", cfg.push_interval_s)
        self.cfg, self.control_dt, self.generator = cfg, control_dt, generator
        self.force = torch.zeros(num_envs, 3, device=device)
        """(n, 3) force applied now, world frame, N."""
        self.steps_to_push = torch.zeros(num_envs, dtype=torch.long, device=device)
        """(n,) control steps until the next push starts."""
        self.steps_left = torch.zeros(num_envs, dtype=torch.long, device=device)
        """(n,) control steps the current push still lasts."""
        self.duration_steps = max(1, round(cfg.push_duration_s / control_dt))
        self._stopped = False
        """Whether ``reset`` stopped a push since the last ``step``."""

    def reset(self, env_ids: torch.Tensor) -> None:
        """Stop pushing ``env_ids`` and draw when their next push comes."""
        self._stopped |= bool(self.force[env_ids].any())
        self.force[env_ids] = 0.0
        self.steps_left[env_ids] = 0
        self.steps_to_push[env_ids] = self._interval(len(env_ids))

    def step(self) -> bool:
        """Advance one control step; True when ``force`` changed (a push started or ended)."""
        if not self.cfg.enabled or self.cfg.push_force_n[1] <= 0.0:
            return False
        self.steps_to_push -= 1
        self.steps_left -= 1
        ended = self.steps_left == 0
        start = (self.steps_to_push <= 0).nonzero(as_tuple=False).flatten()
        self.force[ended] = 0.0
        if len(start):
            n, device = len(start), self.force.device
            magnitude = uniform(*self.cfg.push_force_n, (n,), self.generator, device)
            angle = uniform(-torch.pi, torch.pi, (n,), self.generator, device)
            self.force[start] = torch.stack((magnitude * angle.cos(), magnitude * angle.sin(), 0 * angle), dim=1)
            self.steps_left[start] = self.duration_steps
            self.steps_to_push[start] = self._interval(n)
        changed, self._stopped = self._stopped or bool(ended.any()) or len(start) > 0, False
        return changed

    def _interval(self, n: int) -> torch.Tensor:
        seconds = uniform(*self.cfg.push_interval_s, (n,), self.generator, self.force.device)
        return torch.clamp((seconds / self.control_dt).round().long(), min=1)


class ActionDelay:
    """Per-env latency of whole control steps: ``push(a_t)`` returns ``a_{t - delay}``."""

    def __init__(self, max_delay: int, num_envs: int, num_actions: int, device: torch.device | str):
        self.buffer = torch.zeros(num_envs, max_delay + 1, num_actions, device=device)
        """(n, D + 1, A) recent actions, newest first."""
        self.delay = torch.zeros(num_envs, dtype=torch.long, device=device)
        """(n,) latency of each env, control steps."""

    def reset(self, env_ids: torch.Tensor, delay: torch.Tensor) -> None:
        """Clear the past actions of ``env_ids`` (zeros) and set their (len(ids),) latencies, 0 to max_delay."""
        self.buffer[env_ids] = 0.0
        self.delay[env_ids] = delay

    def push(self, actions: torch.Tensor) -> torch.Tensor:
        """Record (n, A) ``actions`` as the newest and return each env's delayed (n, A) actions."""
        self.buffer = torch.roll(self.buffer, shifts=1, dims=1)
        self.buffer[:, 0] = actions
        return self.buffer[torch.arange(self.buffer.shape[0], device=actions.device), self.delay]


def add_obs_noise(
    values: dict[str, torch.Tensor], amplitude: Mapping[str, float], generator: torch.Generator
) -> dict[str, torch.Tensor]:
    """``values`` with uniform noise in +-``amplitude[name]`` added to each named term."""
    noisy = dict(values)
    for name, scale in amplitude.items():
        if scale > 0 and name in noisy:
            value = noisy[name]
            noisy[name] = value + scale * (2 * torch.rand(value.shape, generator=generator, device=value.device) - 1)
    return noisy

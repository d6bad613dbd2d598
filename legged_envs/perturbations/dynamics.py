"""Dynamics perturbations: friction, payload, centre of mass, link masses, contact damping and gravity through the
backend's per-world parameters; pushes as velocity impulses on the base (its state read and written back, as a
reset does) or as forces on a body held for a while."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch

from legged_envs.perturbations.base import Perturbation, PhysicsPerturbation

if TYPE_CHECKING:
    from legged_envs.envs.legged_env import LeggedEnv
    from legged_envs.perturbations.config import PerturbationConfig


class Friction(PhysicsPerturbation):
    """Every geom's sliding friction is the terrain's times ``1 - size``."""

    def write(self, world_ids: torch.Tensor, size: torch.Tensor) -> None:
        friction = self.env.cfg.terrain.friction * (1.0 - size)
        self.env.sim.set_friction(world_ids, friction)
        self.record("friction", world_ids, friction)


def body_mass(perturbation: Perturbation, body: str) -> float:
    """Nominal mass of ``body``, kg; a one-line ``ValueError`` when the model has no such body with mass."""
    mass = perturbation.env.sim.layout.body_mass_kg.get(body, 0.0)
    if mass <= 0.0:
        raise ValueError(f"perturbation {perturbation.cfg.kind}: body {body!r} is not a body with mass in the model")
    return mass


def carries_payload(perturbation: Perturbation, body: str) -> bool:
    """Whether the task's record of the randomised payload (``randomizer.payload_body``) is of ``body``."""
    return perturbation.randomizer is not None and perturbation.randomizer.payload_body == body


class Payload(PhysicsPerturbation):
    """``size`` kg added to ``cfg.body``."""

    def setup(self) -> None:
        self.nominal = body_mass(self, self.cfg.body)

    def write(self, world_ids: torch.Tensor, size: torch.Tensor) -> None:
        self.env.sim.set_body_mass(world_ids, self.cfg.body, self.nominal + size)
        if carries_payload(self, self.cfg.body):
            self.record("payload_kg", world_ids, size)


class ComShift(PhysicsPerturbation):
    """``cfg.body``'s centre of mass moved by ``size`` times a direction drawn per episode, uniform in the cube
    [-1, 1]^3 (body frame)."""

    def setup(self) -> None:
        body_mass(self, self.cfg.body)
        self.unit = 2.0 * self.uniform((self.env.num_envs, 3)) - 1.0
        """(n, 3) direction of the shift at size 1."""

    def reset(self, env_ids: torch.Tensor) -> None:
        super().reset(env_ids)
        self.unit[env_ids] = 2.0 * self.uniform((len(env_ids), 3)) - 1.0

    def write(self, world_ids: torch.Tensor, size: torch.Tensor) -> None:
        offset = size[:, None] * self.unit[world_ids]
        self.env.sim.set_com_offset(world_ids, self.cfg.body, offset)
        if carries_payload(self, self.cfg.body):
            self.record("com_offset_m", world_ids, offset)


class LinkMass(PhysicsPerturbation):
    """Each of ``cfg.bodies`` gains a share ``size`` of its mass (negative: loses it); one size per body when drawn
    from a range. Each body costs one recomputation of MuJoCo's derived constants per write."""

    def draw_columns(self) -> int:
        return len(self.cfg.bodies)

    def setup(self) -> None:
        self.nominal = [body_mass(self, body) for body in self.cfg.bodies]

    def write(self, world_ids: torch.Tensor, size: torch.Tensor) -> None:
        scale = 1.0 + (size if size.dim() == 2 else size[:, None].expand(-1, len(self.nominal)))
        for index, body in enumerate(self.cfg.bodies):
            self.env.sim.set_body_mass(world_ids, body, self.nominal[index] * scale[:, index])
        if self.randomizer is not None and list(self.randomizer.link_mass_bodies) == list(self.cfg.bodies):
            self.record("link_mass_scale", world_ids, scale)


class Restitution(PhysicsPerturbation):
    """Bouncier contacts: MuJoCo's soft contacts have no restitution coefficient, so every geom's contact damping
    ratio (``solref[1]``) is its nominal value times ``1 - size`` (below 1 a contact rebounds)."""

    def write(self, world_ids: torch.Tensor, size: torch.Tensor) -> None:
        self.env.sim.set_contact_damping(world_ids, 1.0 - size)


class GravityTilt(Perturbation):
    """Gravity tilted by ``size`` rad from the world's -z towards a random horizontal direction per env (redrawn per
    ``mode``), its magnitude kept. Terms computed from the base orientation (``projected_gravity``) still assume -z:
    the policy does not observe the tilt, as on an unseen slope."""

    def __init__(self, cfg: PerturbationConfig, severity: float, env: LeggedEnv, generator: torch.Generator):
        super().__init__(cfg, severity, env, generator)
        self.g = math.hypot(*env.sim.layout.gravity_m_s2)
        """Magnitude of the model's gravity, m/s^2."""
        self.azimuth = torch.zeros(env.num_envs, device=env.device)
        """(n,) horizontal direction gravity tilts towards, rad from world x."""
        self.written = torch.full((env.num_envs,), float("nan"), device=env.device)
        """(n,) tilt last written to each world, rad (nan: none)."""

    def apply(self, steps: torch.Tensor) -> None:
        """Write the worlds whose direction was redrawn or whose tilt changed."""
        due = self.due(steps)
        self.azimuth = torch.where(due, 2.0 * torch.pi * self.uniform((self.env.num_envs,)), self.azimuth)
        size = self.size(steps)
        ids = (due | (size != self.written)).nonzero().flatten()
        if len(ids):
            tilt, azimuth = size[ids], self.azimuth[ids]
            horizontal = torch.stack((azimuth.cos(), azimuth.sin()), dim=1) * tilt.sin()[:, None]
            self.env.sim.set_gravity(ids, self.g * torch.cat((horizontal, -tilt.cos()[:, None]), dim=1))
            self.written[ids] = size[ids]


def push_due(cfg: PerturbationConfig, steps: torch.Tensor) -> torch.Tensor:
    """(n,) envs a push hits now: every step, once at step ``interval_steps`` (``episode`` mode) or every
    ``interval_steps`` steps."""
    k, mode = cfg.interval_steps, cfg.mode
    return steps == k if mode == "episode" else (steps % k == 0) & (steps > 0) if mode == "interval" else steps >= 0


class Push(Perturbation):
    """A horizontal velocity impulse of ``size`` m/s on the base in a random direction, when due (``push_due``)."""

    def apply(self, steps: torch.Tensor) -> None:
        due = push_due(self.cfg, steps)
        size = self.size(steps)
        ids = (due & (size > 0)).nonzero().flatten()
        angle = 2.0 * torch.pi * self.uniform((self.env.num_envs,))
        if len(ids):
            self.kick(ids, size[ids, None] * torch.stack((angle.cos(), angle.sin()), dim=1)[ids])

    def kick(self, world_ids: torch.Tensor, delta_v: torch.Tensor) -> None:
        """Add (len(ids), 2) horizontal ``delta_v`` (m/s, world frame) to the base velocity of ``world_ids``."""
        sim = self.env.sim
        state = sim.get_state(world_ids)
        state.qvel[:, 0:2] += delta_v.to(state.qvel)
        sim.reset_worlds(world_ids, state)


class PushForce(Perturbation):
    """A horizontal force of ``size`` N on ``cfg.body`` in a random direction, held for ``cfg.duration_s`` from each
    time a push is due (``push_due``); the force acting is recorded for the critic (``randomizer.push_force``)."""

    def __init__(self, cfg: PerturbationConfig, severity: float, env: LeggedEnv, generator: torch.Generator):
        super().__init__(cfg, severity, env, generator)
        env.sim.layout.model_body_id(cfg.body)  # raises naming an unknown body
        self.force = torch.zeros(env.num_envs, 3, device=env.device)
        """(n, 3) force acting now, world frame, N."""
        self.steps_left = torch.zeros(env.num_envs, dtype=torch.long, device=env.device)
        """(n,) control steps the current push still lasts."""
        self.duration_steps = max(1, round(cfg.duration_s / env.control_dt))
        self._changed = False

    def reset(self, env_ids: torch.Tensor) -> None:
        super().reset(env_ids)
        self._changed |= bool(self.force[env_ids].any())
        self.force[env_ids] = 0.0
        self.steps_left[env_ids] = 0
        self.record("push_force", env_ids, self.force[env_ids])

    def apply(self, steps: torch.Tensor) -> None:
        """Start the pushes that are due, end the ones that ran out, and write the force when it changed."""
        self.steps_left -= 1
        ended = self.steps_left == 0
        self.force[ended] = 0.0
        size = self.size(steps)
        start = (push_due(self.cfg, steps) & (size > 0)).nonzero().flatten()
        if len(start):
            angle = 2.0 * torch.pi * self.uniform((len(start),))
            self.force[start] = size[start, None] * torch.stack(
                (angle.cos(), angle.sin(), torch.zeros_like(angle)), dim=1
            )
            self.steps_left[start] = self.duration_steps
        if self._changed or bool(ended.any()) or len(start):
            self.env.sim.set_external_force(self.cfg.body, self.force)
            self.record("push_force", torch.arange(self.env.num_envs, device=self.env.device), self.force)
        self._changed = False

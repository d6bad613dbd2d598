"""Dynamics perturbations: friction, payload, contact damping and gravity through the backend's per-world
parameters, pushes as velocity impulses on the base (its state read and written back, as a reset does)."""

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


class Payload(PhysicsPerturbation):
    """``size`` kg added to ``cfg.body``."""

    def setup(self) -> None:
        mass = self.env.sim.layout.body_mass_kg.get(self.cfg.body, 0.0)
        if mass <= 0.0:
            raise ValueError(f"perturbation payload: body {self.cfg.body!r} is not a body with mass in the model")
        self.nominal = mass

    def write(self, world_ids: torch.Tensor, size: torch.Tensor) -> None:
        self.env.sim.set_body_mass(world_ids, self.cfg.body, self.nominal + size)
        randomizer = getattr(self.env.task, "randomizer", None)
        if randomizer is not None and randomizer.cfg.payload_body == self.cfg.body:
            self.record("payload_kg", world_ids, size)


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


class Push(Perturbation):
    """A horizontal velocity impulse of ``size`` m/s on the base in a random direction, when due: every step,
    once at step ``interval_steps`` (``episode`` mode) or every ``interval_steps`` steps."""

    def apply(self, steps: torch.Tensor) -> None:
        k, mode = self.cfg.interval_steps, self.cfg.mode
        due = steps == k if mode == "episode" else (steps % k == 0) & (steps > 0) if mode == "interval" else steps >= 0
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

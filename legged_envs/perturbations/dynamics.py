"""Dynamics perturbations: friction and payload through the backend's per-world parameters, pushes as velocity
impulses on the base (its state read and written back, as a reset does)."""

from __future__ import annotations

import torch

from legged_envs.perturbations.base import Perturbation, PhysicsPerturbation


class Friction(PhysicsPerturbation):
    """Every geom's sliding friction is the terrain's times ``1 - size``."""

    def write(self, world_ids: torch.Tensor, size: torch.Tensor) -> None:
        self.env.sim.set_friction(world_ids, self.env.cfg.terrain.friction * (1.0 - size))


class Payload(PhysicsPerturbation):
    """``size`` kg added to ``cfg.body``."""

    def setup(self) -> None:
        mass = self.env.sim.layout.body_mass_kg.get(self.cfg.body, 0.0)
        if mass <= 0.0:
            raise ValueError(f"perturbation payload: body {self.cfg.body!r} is not a body with mass in the model")
        self.nominal = mass

    def write(self, world_ids: torch.Tensor, size: torch.Tensor) -> None:
        self.env.sim.set_body_mass(world_ids, self.cfg.body, self.nominal + size)


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

"""``DomainRandomization``: a task's ``task.randomization``, applied by the perturbation library's own classes
(``randomization_config.randomization_perturbations``) from inside the env, and the record of what each world
got, which the critic's privileged observation reads.

The task calls ``reset`` for the envs it resets (physical values drawn and written then), ``before_physics``
each step (force pushes), ``perturb_actions`` on the actions that become joint targets and ``perturb_frame`` on
each new policy frame before its history. A ``PerturbedEnv`` around the env (a suite, ``train.perturbations``)
writes its own physical values after a reset's, so a scenario's friction, say, replaces the randomised one, and
records them here too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from legged_envs.obs_layout import ObsLayout
from legged_envs.perturbations.base import ColumnPerturbation
from legged_envs.perturbations.config import OBS_KINDS
from legged_envs.perturbations.dynamics import PushForce
from legged_envs.perturbations.kinds import PHYSICS_KINDS, SIGNAL_KINDS, PhysicsKind, term_columns
from legged_envs.perturbations.randomization_config import KEY, RandomizationConfig, randomization_perturbations

if TYPE_CHECKING:
    from legged_envs.envs.legged_env import LeggedEnv


class DomainRandomization:
    """``cfg`` applied to ``env`` (whose policy frames follow ``layout``), draws from ``generator``."""

    def __init__(self, cfg: RandomizationConfig, env: LeggedEnv, layout: ObsLayout, generator: torch.Generator):
        unknown = sorted(set(cfg.obs_noise) - set(layout.term_names))
        if unknown:
            raise ValueError(f"{KEY}.obs_noise: {unknown[0]!r} is not a policy observation term")
        self.env = env
        self.payload_body = cfg.payload_body
        """Body whose payload and CoM shift ``payload_kg`` and ``com_offset_m`` record."""
        self.link_mass_bodies = tuple(cfg.link_mass_bodies)
        """Bodies whose mass multipliers ``link_mass_scale`` records."""
        n, joints, device = env.num_envs, env.num_actions, env.device
        self.friction = torch.full((n,), env.cfg.terrain.friction, device=device)
        """(n,) sliding friction of each world."""
        self.payload_kg = torch.zeros(n, device=device)
        """(n,) mass added to the payload body, kg."""
        self.com_offset_m = torch.zeros(n, 3, device=device)
        """(n, 3) CoM shift of the payload body, body frame, m."""
        self.link_mass_scale = torch.ones(n, len(self.link_mass_bodies), device=device)
        """(n, L) mass multiplier of each of ``link_mass_bodies``."""
        self.motor_strength = torch.ones(n, joints, device=device)
        """(n, J) torque multiplier per joint."""
        self.kp_scale = torch.ones(n, joints, device=device)
        """(n, J) stiffness multiplier per joint."""
        self.kd_scale = torch.ones(n, joints, device=device)
        """(n, J) damping multiplier per joint."""
        self.push_force = torch.zeros(n, 3, device=device)
        """(n, 3) push force acting on the payload body now, world frame, N."""
        self.physics: list[PhysicsKind] = []
        self.actions: list[ColumnPerturbation] = []
        self.observations: list[ColumnPerturbation] = []
        for entry in randomization_perturbations(cfg, env.cfg.terrain.friction, env.control_dt):
            try:
                if entry.kind in PHYSICS_KINDS:
                    self.physics.append(PHYSICS_KINDS[entry.kind](entry, 1.0, env, generator))
                elif entry.kind in OBS_KINDS:
                    columns, scale = term_columns(entry, layout)
                    self.observations.append(SIGNAL_KINDS[entry.kind](entry, 1.0, env, generator, columns, scale))
                else:
                    every_joint, unscaled = torch.arange(joints), torch.ones(joints)
                    self.actions.append(SIGNAL_KINDS[entry.kind](entry, 1.0, env, generator, every_joint, unscaled))
            except ValueError as error:
                raise ValueError(f"{KEY}: {error}") from None
        self.pushes = [p for p in self.physics if isinstance(p, PushForce)]
        """The force pushes (applied each step, not at resets)."""
        self.parameters = [p for p in self.physics if not isinstance(p, PushForce)]
        """The physical values written at resets."""

    def reset(self, env_ids: torch.Tensor) -> None:
        """Draw new values for ``env_ids`` and write their physical ones."""
        for perturbation in (*self.physics, *self.actions, *self.observations):
            perturbation.reset(env_ids)
        for perturbation in self.parameters:
            perturbation.apply(self.env.episode_length_buf)

    def before_physics(self) -> None:
        """Start and end force pushes."""
        for push in self.pushes:
            push.apply(self.env.episode_length_buf)

    def perturb_actions(self, actions: torch.Tensor) -> torch.Tensor:
        """(n, J) ``actions`` as the joints receive them (latency)."""
        for perturbation in self.actions:
            actions = perturbation.apply_to(actions, self.env.episode_length_buf)
        return actions

    def perturb_frame(self, frame: torch.Tensor) -> torch.Tensor:
        """(n, F) policy ``frame`` as the sensors read it (noise)."""
        for perturbation in self.observations:
            frame = perturbation.apply_to(frame, self.env.episode_length_buf)
        return frame

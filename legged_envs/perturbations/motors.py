"""Motor faults: lost strength, limp (no PD) and locked joints, through the backend's per-world motor strength
and PD gains; the other joints get nominal values."""

from __future__ import annotations

import torch

from legged_envs.perturbations.base import ColumnPerturbation, PhysicsPerturbation, joint_ids
from legged_envs.perturbations.config import LOCK_STIFFNESS


class MotorPerturbation(PhysicsPerturbation):
    """Scales a per-joint motor parameter of the chosen joints by ``factor(size)``."""

    def setup(self) -> None:
        self.joints = joint_ids(self.cfg, self.env)
        joints, device = self.env.robot.joints, self.env.device
        self.nominal_kp = torch.tensor([joint.kp for joint in joints], device=device)
        """(J,) nominal PD stiffness."""
        self.nominal_kd = torch.tensor([joint.kd for joint in joints], device=device)
        """(J,) nominal PD damping."""

    def draw_columns(self) -> int:
        return len(joint_ids(self.cfg, self.env))

    def joint_rows(self, size: torch.Tensor, nominal: torch.Tensor) -> torch.Tensor:
        """(len(size), J) rows of ``nominal`` (J,) with the chosen joints times ``factor(size)``, for (k,) sizes
        or (k, C) sizes per chosen joint."""
        rows = nominal.expand(len(size), -1).clone()
        factor = self.factor(size)
        rows[:, self.joints] *= factor if factor.dim() == 2 else factor[:, None]
        return rows

    def factor(self, size: torch.Tensor) -> torch.Tensor:
        """Multiplier on the chosen joints' nominal value: the share they keep."""
        return 1.0 - size

    def kept_shares(self, size: torch.Tensor) -> torch.Tensor:
        """(len(size), J) share of nominal each joint keeps: ``factor(size)`` on the chosen joints, 1 elsewhere."""
        return self.joint_rows(size, torch.ones(self.env.num_actions, device=self.env.device))

    def write_gain_scales(self, world_ids: torch.Tensor, kp_scale: torch.Tensor, kd_scale: torch.Tensor) -> None:
        """Set (len(ids), J) multipliers on the nominal PD gains and record them for the critic."""
        self.env.sim.set_pd_gains(world_ids, self.nominal_kp * kp_scale, self.nominal_kd * kd_scale)
        self.record("kp_scale", world_ids, kp_scale)
        self.record("kd_scale", world_ids, kd_scale)

    def recorded(self, name: str, world_ids: torch.Tensor) -> torch.Tensor:
        """(len(ids), J) the task's record of a per-joint multiplier (ones without a record)."""
        if self.randomizer is None:
            return torch.ones(len(world_ids), self.env.num_actions, device=self.env.device)
        return getattr(self.randomizer, name)[world_ids]


class MotorStrength(MotorPerturbation):
    """The chosen motors lose a share ``size`` of their torque."""

    def write(self, world_ids: torch.Tensor, size: torch.Tensor) -> None:
        strength = self.kept_shares(size)
        self.env.sim.set_motor_strength(world_ids, strength)
        self.record("motor_strength", world_ids, strength)


class LimpMotor(MotorPerturbation):
    """The chosen joints lose a share ``size`` of their PD gains (1: kp = kd = 0, no torque)."""

    def write(self, world_ids: torch.Tensor, size: torch.Tensor) -> None:
        scale = self.kept_shares(size)
        self.write_gain_scales(world_ids, scale, scale)


class Stiffness(MotorPerturbation):
    """The chosen joints lose a share ``size`` of their PD stiffness (negative: stiffer); damping as recorded."""

    def write(self, world_ids: torch.Tensor, size: torch.Tensor) -> None:
        self.write_gain_scales(world_ids, self.kept_shares(size), self.recorded("kd_scale", world_ids))


class Damping(MotorPerturbation):
    """The chosen joints lose a share ``size`` of their PD damping (negative: more damped); stiffness as recorded."""

    def write(self, world_ids: torch.Tensor, size: torch.Tensor) -> None:
        self.write_gain_scales(world_ids, self.recorded("kp_scale", world_ids), self.kept_shares(size))


class StiffMotor(LimpMotor):
    """The chosen joints' PD gains grow to ``LOCK_STIFFNESS`` times nominal at size 1."""

    def factor(self, size: torch.Tensor) -> torch.Tensor:
        return 1.0 + (LOCK_STIFFNESS - 1.0) * size


class LockedMotor(ColumnPerturbation):
    """Action columns of joints that hold the position they had when the perturbation switched on: their targets
    move from the policy's towards that position by ``size`` and their PD stiffens (``StiffMotor``; 1: locked).
    Assumes targets ``default + action_scale * action``."""

    def setup(self) -> None:
        self.lock_pos = self.env.state.joint_pos[:, self.columns].clone()
        """(n, C) position each joint is locked at, rad."""
        self.gains = StiffMotor(self.cfg, self.severity, self.env, self.generator)

    def reset(self, env_ids: torch.Tensor) -> None:
        super().reset(env_ids)
        self.gains.reset(env_ids)

    def set_severity(self, severity: float) -> None:
        super().set_severity(severity)
        self.gains.set_severity(severity)

    def perturb(self, actions: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
        env, size = self.env, self.size(steps)
        self.gains.apply(steps)
        active = (size > 0)[:, None] & ~self.take_fresh()[:, None]
        self.lock_pos = torch.where(active, self.lock_pos, env.state.joint_pos[:, self.columns])
        lock_action = (self.lock_pos - env.default_joint_pos[:, self.columns]) / env.robot.action_scale
        return actions + size[:, None] * (lock_action - actions)

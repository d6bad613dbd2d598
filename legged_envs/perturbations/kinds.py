"""Perturbation kind -> the class that applies it, by where it acts (``PerturbedEnv`` and the tasks' domain
randomisation build from the same tables), and the columns and scales of observation terms."""

from __future__ import annotations

import torch

from legged_envs.obs_layout import ObsLayout
from legged_envs.perturbations.attacks import ObsAttack
from legged_envs.perturbations.base import ColumnPerturbation, PhysicsPerturbation
from legged_envs.perturbations.config import PerturbationConfig
from legged_envs.perturbations.dynamics import (
    ComShift,
    Friction,
    GravityTilt,
    LinkMass,
    Payload,
    Push,
    PushForce,
    Restitution,
)
from legged_envs.perturbations.motors import Damping, LimpMotor, LockedMotor, MotorStrength, Stiffness
from legged_envs.perturbations.signals import Bias, Drift, Dropout, GaussianNoise, Latency, StepDropout, UniformNoise

SIGNAL_KINDS: dict[str, type[ColumnPerturbation]] = {
    "obs_gaussian": GaussianNoise,
    "obs_uniform": UniformNoise,
    "obs_bias": Bias,
    "obs_dropout": Dropout,
    "obs_latency": Latency,
    "obs_attack": ObsAttack,
    "obs_drift": Drift,
    "action_noise": GaussianNoise,
    "action_latency": Latency,
    "locked_motor": LockedMotor,
}
PhysicsKind = PhysicsPerturbation | Push | PushForce | GravityTilt
"""What a physics kind is: written or fired before the physics of a step by ``apply(steps)``."""
PHYSICS_KINDS: dict[str, type[PhysicsKind]] = {
    "motor_strength": MotorStrength,
    "limp_motor": LimpMotor,
    "stiffness": Stiffness,
    "damping": Damping,
    "friction": Friction,
    "payload": Payload,
    "com_shift": ComShift,
    "link_mass": LinkMass,
    "push": Push,
    "push_force": PushForce,
    "gravity_tilt": GravityTilt,
    "restitution": Restitution,
}
REWARD_SIGNAL_KINDS: dict[str, type[ColumnPerturbation]] = {
    "reward_noise": GaussianNoise,
    "reward_shift": Bias,
    "reward_sparse": StepDropout,
}
"""Reward kinds: their columns are the reward groups; noise and shift sizes are per second (scale ``control_dt``)."""


def term_columns(cfg: PerturbationConfig, layout: ObsLayout) -> tuple[torch.Tensor, torch.Tensor]:
    """Frame columns of ``cfg.terms`` (or ``cfg.epsilon``'s; every term when empty) and each column's observation
    scale (times its term's ``epsilon``)."""
    slices = layout.frame_slices()
    names = cfg.terms or list(cfg.epsilon)
    for name in names:
        if name not in slices:
            raise ValueError(f"perturbation {cfg.kind}: the policy observation has no term {name!r}")
    terms = [term for term in layout.terms if not names or term.name in names]
    columns = torch.cat([torch.arange(slices[t.name].start, slices[t.name].stop) for t in terms])
    return columns, torch.cat([torch.full((t.dim,), t.scale * cfg.epsilon.get(t.name, 1.0)) for t in terms])

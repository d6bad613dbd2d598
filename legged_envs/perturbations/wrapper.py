"""``PerturbedEnv``: a scenario applied to a ``LeggedEnv`` at eval time, without changing its task.

Each ``step``: physical perturbations are written and pushes fire (before the physics), the actions are
perturbed, the env steps, then the newest frame of the ``policy`` observation is perturbed and stacked into
the wrapper's own history (the same ``policy_obs_layout``), so a perturbed frame stays perturbed as it ages.
With action perturbations the frame's ``last_action`` is the policy's own output, as on the robot. Everything
else (rewards, dones, the task, ``sim``) is the env's.
"""

from __future__ import annotations

from typing import Any

import torch
from tensordict import TensorDict

from legged_envs.envs.history import ObsHistory
from legged_envs.envs.legged_env import LeggedEnv
from legged_envs.obs_layout import ObsLayout
from legged_envs.perturbations.base import ColumnPerturbation, PhysicsPerturbation, joint_ids
from legged_envs.perturbations.config import OBS_KINDS, PerturbationConfig, ScenarioConfig
from legged_envs.perturbations.dynamics import Friction, Payload, Push
from legged_envs.perturbations.motors import LimpMotor, LockedMotor, MotorStrength
from legged_envs.perturbations.signals import Bias, Dropout, GaussianNoise, Latency, UniformNoise

SIGNAL_KINDS: dict[str, type[ColumnPerturbation]] = {
    "obs_gaussian": GaussianNoise,
    "obs_uniform": UniformNoise,
    "obs_bias": Bias,
    "obs_dropout": Dropout,
    "obs_latency": Latency,
    "action_noise": GaussianNoise,
    "action_latency": Latency,
    "locked_motor": LockedMotor,
}
PHYSICS_KINDS: dict[str, type[PhysicsPerturbation | Push]] = {
    "motor_strength": MotorStrength,
    "limp_motor": LimpMotor,
    "friction": Friction,
    "payload": Payload,
    "push": Push,
}
ACTION_CLAMP = 100.0
"""The env's clamp on actions (what ``last_action`` observes)."""


def term_columns(cfg: PerturbationConfig, layout: ObsLayout) -> tuple[torch.Tensor, torch.Tensor]:
    """Frame columns of ``cfg.terms`` (every term when empty) and each column's observation scale."""
    slices = layout.frame_slices()
    for name in cfg.terms:
        if name not in slices:
            raise ValueError(f"perturbation {cfg.kind}: the policy observation has no term {name!r}")
    terms = [term for term in layout.terms if not cfg.terms or term.name in cfg.terms]
    columns = torch.cat([torch.arange(slices[t.name].start, slices[t.name].stop) for t in terms])
    return columns, torch.cat([torch.full((t.dim,), float(t.scale)) for t in terms])


class PerturbedEnv:
    """``env`` with ``scenario`` applied at ``severity``; random draws from ``seed``. Quacks like the env."""

    def __init__(self, env: LeggedEnv, scenario: ScenarioConfig, severity: float, seed: int = 0):
        self.env = env
        generator = torch.Generator(device=env.device).manual_seed(seed)
        layout = getattr(env.task, "policy_obs_layout", None)
        severity *= scenario.severity_scale
        self.obs_perturbations: list[ColumnPerturbation] = []
        self.action_perturbations: list[ColumnPerturbation] = []
        self.physics_perturbations: list[PhysicsPerturbation | Push] = []
        for cfg in scenario.perturbations:
            if cfg.kind in PHYSICS_KINDS:
                self.physics_perturbations.append(PHYSICS_KINDS[cfg.kind](cfg, severity, env, generator))
            elif cfg.kind in OBS_KINDS:
                if layout is None:
                    task = type(env.task).__name__
                    raise ValueError(f"perturbation {cfg.kind}: task {task} has no policy_obs_layout")
                columns, scale = term_columns(cfg, layout)
                self.obs_perturbations.append(SIGNAL_KINDS[cfg.kind](cfg, severity, env, generator, columns, scale))
            else:
                columns = joint_ids(cfg, env)
                scale = torch.ones(len(columns))
                self.action_perturbations.append(SIGNAL_KINDS[cfg.kind](cfg, severity, env, generator, columns, scale))
        rebuild = layout is not None and (self.obs_perturbations or self.action_perturbations)
        self.history = ObsHistory(layout, env.num_envs, env.device) if rebuild else None
        self._last_action = layout.frame_slices().get("last_action") if rebuild and self.action_perturbations else None
        self._last_action_scale = layout.term("last_action").scale if self._last_action else 1.0
        self.policy_actions = torch.zeros(env.num_envs, env.num_actions, device=env.device)
        """(n, J) the policy's last output, clamped as the env clamps it."""
        self._observations = self._perturb_obs(env.get_observations())

    def __getattr__(self, name: str) -> Any:
        return getattr(self.env, name)

    def get_observations(self) -> TensorDict:
        return self._observations

    def step(self, actions: torch.Tensor) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict]:
        steps = self.env.episode_length_buf.clone()
        for perturbation in self.physics_perturbations:
            perturbation.apply(steps)
        perturbed = actions
        for perturbation in self.action_perturbations:
            perturbed = perturbation.apply_to(perturbed, steps)
        obs, rewards, dones, extras = self.env.step(perturbed)
        self.policy_actions = torch.where(dones[:, None], 0.0, actions.clamp(-ACTION_CLAMP, ACTION_CLAMP))
        reset_ids = dones.nonzero().flatten()
        for perturbation in (*self.obs_perturbations, *self.action_perturbations, *self.physics_perturbations):
            perturbation.reset(reset_ids)
        if self.history is not None:
            self.history.reset(reset_ids)
        self._observations = self._perturb_obs(obs)
        return self._observations, rewards, dones, extras

    def close(self) -> None:
        self.env.close()

    def _perturb_obs(self, obs: TensorDict) -> TensorDict:
        """``obs`` with its ``policy`` group rebuilt from the perturbed newest frame."""
        if self.history is None:
            return obs
        frame_dim = self.history.layout.frame_dim
        frame = obs["policy"][:, -frame_dim:].clone()
        if self._last_action is not None:
            frame[:, self._last_action] = self._last_action_scale * self.policy_actions
        steps = self.env.episode_length_buf
        for perturbation in self.obs_perturbations:
            frame = perturbation.apply_to(frame, steps)
        perturbed = obs.clone()
        perturbed["policy"] = self.history.push(frame)
        return perturbed

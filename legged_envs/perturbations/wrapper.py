"""``PerturbedEnv``: a scenario applied to a ``LeggedEnv`` at eval time (or while training: ``train.perturbations``),
without changing its task.

Each ``step``: physical perturbations are written and pushes fire (before the physics), the actions are
perturbed, the env steps, then the newest frame of the ``policy`` observation is perturbed and stacked into
the wrapper's own history (the same ``policy_obs_layout``), so a perturbed frame stays perturbed as it ages.
An ``obs_attack`` perturbs that frame against ``policy`` (``attacks``), which the wrapper must be given.
With action perturbations the frame's ``last_action`` is the policy's own output, as on the robot. Reward kinds
perturb the (n,) or (n, G) rewards the env returns (training only). Everything else (dones, the task, ``sim``,
the other observation groups such as ``privileged``) is the env's.
"""

from __future__ import annotations

from typing import Any

import torch
from tensordict import TensorDict

from legged_envs.envs.history import ObsHistory
from legged_envs.envs.legged_env import LeggedEnv
from legged_envs.perturbations.attacks import Policy
from legged_envs.perturbations.base import ColumnPerturbation, Perturbation, joint_ids
from legged_envs.perturbations.config import OBS_KINDS, REWARD_KINDS, ScenarioConfig
from legged_envs.perturbations.kinds import (
    PHYSICS_KINDS,
    REWARD_SIGNAL_KINDS,
    SIGNAL_KINDS,
    PhysicsKind,
    term_columns,
)

ACTION_CLAMP = 100.0
"""The env's clamp on actions (what ``last_action`` observes)."""


class PerturbedEnv:
    """``env`` with ``scenario`` applied at ``severity``; random draws from ``seed``; ``policy``: what an
    ``obs_attack`` attacks (a differentiable ``Policy``). Quacks like the env."""

    def __init__(
        self, env: LeggedEnv, scenario: ScenarioConfig, severity: float, seed: int = 0, policy: Policy | None = None
    ):
        self.env = env
        generator = torch.Generator(device=env.device).manual_seed(seed)
        layout = getattr(env.task, "policy_obs_layout", None)
        self.severity = severity
        """Severity of every perturbation, before the scenario's ``severity_scale``."""
        self.severity_scale = scenario.severity_scale
        severity *= scenario.severity_scale
        self.obs_perturbations: list[ColumnPerturbation] = []
        self.action_perturbations: list[ColumnPerturbation] = []
        self.physics_perturbations: list[PhysicsKind] = []
        self.reward_perturbations: list[ColumnPerturbation] = []
        for cfg in scenario.perturbations:
            if cfg.kind in PHYSICS_KINDS:
                self.physics_perturbations.append(PHYSICS_KINDS[cfg.kind](cfg, severity, env, generator))
            elif cfg.kind in OBS_KINDS:
                if layout is None:
                    task = type(env.task).__name__
                    raise ValueError(f"perturbation {cfg.kind}: task {task} has no policy_obs_layout")
                columns, scale = term_columns(cfg, layout)
                target = {"policy": policy, "policy_input": self._policy_input} if cfg.kind == "obs_attack" else {}
                self.obs_perturbations.append(
                    SIGNAL_KINDS[cfg.kind](cfg, severity, env, generator, columns, scale, **target)
                )
            elif cfg.kind in REWARD_KINDS:
                groups = len(env.reward_groups)
                columns, scale = torch.arange(groups), torch.full((groups,), env.control_dt)
                self.reward_perturbations.append(
                    REWARD_SIGNAL_KINDS[cfg.kind](cfg, severity, env, generator, columns, scale)
                )
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

    @property
    def episode_length_buf(self) -> torch.Tensor:
        """The env's (n,) control step of each episode (rsl-rl's runner writes it to spread the first episodes)."""
        return self.env.episode_length_buf

    @episode_length_buf.setter
    def episode_length_buf(self, steps: torch.Tensor) -> None:
        self.env.episode_length_buf = steps

    @property
    def perturbations(self) -> tuple[Perturbation, ...]:
        """Every perturbation the wrapper applies."""
        return (
            *self.obs_perturbations,
            *self.action_perturbations,
            *self.physics_perturbations,
            *self.reward_perturbations,
        )

    def set_severity(self, severity: float) -> None:
        """Apply every perturbation at ``severity`` (times the scenario's ``severity_scale``) from the next step on.
        Latency kinds delay at most what the severity the wrapper was built with allows (their lines are sized then).
        """
        self.severity = severity
        for perturbation in self.perturbations:
            perturbation.set_severity(severity * self.severity_scale)

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
        if self.reward_perturbations:
            columns = rewards.view(self.env.num_envs, -1)  # (n,) or (n, G) -> (n, G)
            for perturbation in self.reward_perturbations:
                columns = perturbation.apply_to(columns, steps)
            rewards = columns.view_as(rewards)
        self.policy_actions = torch.where(dones[:, None], 0.0, actions.clamp(-ACTION_CLAMP, ACTION_CLAMP))
        self._reset(dones.nonzero().flatten())
        self._observations = self._perturb_obs(obs)
        return self._observations, rewards, dones, extras

    def reset_all(self) -> TensorDict:
        """Start a fresh episode in every env (the env's ``reset_all``), its perturbations and history too."""
        obs = self.env.reset_all()
        self.policy_actions.zero_()
        self._reset(torch.arange(self.env.num_envs, device=self.env.device))
        self._observations = self._perturb_obs(obs)
        return self._observations

    def close(self) -> None:
        self.env.close()

    def _reset(self, env_ids: torch.Tensor) -> None:
        """``env_ids`` started a new episode."""
        for perturbation in self.perturbations:
            perturbation.reset(env_ids)
        if self.history is not None:
            self.history.reset(env_ids)

    def _perturb_obs(self, obs: TensorDict) -> TensorDict:
        """``obs`` with its ``policy`` group rebuilt from the perturbed newest frame."""
        if self.history is None:
            return obs
        frame_dim = self.history.layout.frame_dim
        frame = obs["policy"][:, -frame_dim:].clone()
        if self._last_action is not None:
            frame[:, self._last_action] = self._last_action_scale * self.policy_actions
        steps = self.env.episode_length_buf
        self._env_obs = obs
        for perturbation in self.obs_perturbations:
            frame = perturbation.apply_to(frame, steps)
        perturbed = obs.clone()
        perturbed["policy"] = self.history.push(frame)
        return perturbed

    def _policy_input(self, frame: torch.Tensor) -> TensorDict:
        """This step's observations with (n, frame_dim) ``frame`` as the newest policy frame (history unchanged)."""
        obs = self._env_obs.clone(recurse=False)
        obs["policy"] = self.history.stacked_with(frame)
        return obs

"""Adversarial observation attacks against the policy: FGSM and PGD on chosen terms of the newest policy frame,
bounded per entry in the terms' raw units.

Without a critic at deployment the attacker maximises the squared distance between the action at the perturbed
observation and the clean action, ``|policy(o + delta) - policy(o)|^2`` (the action-deviation objective of
Zhang et al. 2020, "Robust deep RL against adversarial perturbations on state observations"). Both methods start
at a uniform random point of the box ``|delta| <= epsilon`` (the distance's gradient is zero at ``delta = 0``);
FGSM takes one signed-gradient step of ``epsilon``, PGD ``steps`` steps of ``step_size * epsilon``, each
projected back onto the box.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import torch
from tensordict import TensorDict

from legged_envs.perturbations.base import ColumnPerturbation
from legged_envs.perturbations.config import PerturbationConfig

if TYPE_CHECKING:
    from legged_envs.envs.legged_env import LeggedEnv

Policy = Callable[[TensorDict], torch.Tensor]
"""A differentiable policy: observations -> (n, A) deterministic actions."""


class ObsAttack(ColumnPerturbation):
    """FGSM or PGD on the chosen columns of the newest policy frame, each bounded by ``size`` (times its term's
    ``epsilon``), raw units.

    ``policy_input(frame)`` is the policy's observation with ``frame`` as its newest frame. The clean observation
    is the frame after the scenario's earlier observation kinds."""

    def __init__(
        self,
        cfg: PerturbationConfig,
        severity: float,
        env: LeggedEnv,
        generator: torch.Generator,
        columns: torch.Tensor,
        scale: torch.Tensor,
        *,
        policy: Policy | None,
        policy_input: Callable[[torch.Tensor], TensorDict],
    ):
        if policy is None:
            raise ValueError(
                "perturbation obs_attack: no policy to attack: pass PerturbedEnv(..., policy=actor), a differentiable "
                "observations -> actions callable"
            )
        self.policy, self.policy_input = policy, policy_input
        super().__init__(cfg, severity, env, generator, columns, scale)

    def apply_to(self, signal: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
        """(n, frame_dim) the newest policy frame ``signal`` with the attack's ``delta`` added to its columns."""
        if torch.is_inference_mode_enabled():
            raise RuntimeError("perturbation obs_attack: needs autograd: step the env outside torch.inference_mode()")
        epsilon = self.scale * self.size(steps)[:, None]
        fgsm = self.cfg.method == "fgsm"
        steps_taken, step = (1, epsilon) if fgsm else (self.cfg.steps, self.cfg.step_size * epsilon)
        with torch.enable_grad():
            clean = self.policy(self.policy_input(signal)).detach()
            delta = epsilon * (2.0 * self.uniform(tuple(epsilon.shape)) - 1.0)
            for _ in range(steps_taken):
                delta.requires_grad_(True)
                actions = self.policy(self.policy_input(signal.index_add(1, self.columns, delta)))
                (grad,) = torch.autograd.grad((actions - clean).square().sum(), delta)
                delta = torch.minimum(torch.maximum(delta.detach() + step * grad.sign(), -epsilon), epsilon)
        return signal.index_add(1, self.columns, delta)

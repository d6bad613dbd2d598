"""L2C2 smoothness loss (Kobayashi, "L2C2: Locally Lipschitz Continuous Constraint towards Stable and Smooth
Reinforcement Learning", IROS 2022), as HoST uses it.

Each sample's state is moved towards its next state by a random fraction ``u ~ U(0, 1)``; the policy's mean
and the values must change little over that step.
"""

from __future__ import annotations

import torch
from rsl_rl.models import MLPModel
from tensordict import TensorDict


def interpolate(obs: TensorDict, next_obs: TensorDict) -> TensorDict:
    """``s + u (s' - s)`` for every observation group of ``next_obs``, one ``u ~ U(0, 1)`` per sample."""
    u = torch.rand(obs.batch_size[0], 1, device=obs.device)
    return TensorDict(
        {key: obs[key] + u * (after - obs[key]) for key, after in next_obs.items()},
        batch_size=obs.batch_size,
        device=obs.device,
    )


def l2c2_loss(
    actor: MLPModel,
    critic: MLPModel,
    obs: TensorDict,
    next_obs: TensorDict,
    policy_coef: float,
    value_coef: float,
    mean: torch.Tensor | None = None,
    values: torch.Tensor | None = None,
) -> torch.Tensor:
    """``policy_coef * |mu(s) - mu(s_mix)|^2 + value_coef * |V(s) - V(s_mix)|^2``, mean over the batch.

    ``mu`` is the actor's deterministic (mean) output; ``V`` has one column per reward group. ``mean`` and
    ``values``, when given, are ``mu(s)`` and ``V(s)`` from the update's own forward pass (saves two passes).
    """
    mixed = interpolate(obs, next_obs)
    mean = actor(obs) if mean is None else mean
    values = critic(obs) if values is None else values
    policy = (mean - actor(mixed)).pow(2).sum(dim=-1).mean()
    value = (values - critic(mixed)).pow(2).sum(dim=-1).mean()
    return policy_coef * policy + value_coef * value

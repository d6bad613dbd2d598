"""Reward terms picked and weighed by a task's YAML, in groups (one critic per group).

A task's ``rewards`` section maps group -> term -> weight, or -> ``{weight, params}``::

    rewards:
      main:
        track_yaw_rate: 0.75
        feet_air_time: {weight: 1.0, params: {target_s: 0.25}}

Each term is a plain function ``term(env, **params) -> (num_envs,)`` of the task's
``reward_functions``; params arrive as keyword arguments and must be parameters of the function.
Weights are per second: a step earns ``weight * term * control_dt`` (the legged_gym convention,
so returns do not depend on the control rate and stay small for the critic). A weight of 0
switches a term off. Groups' advantages are mixed with ``reward_group_weights`` (default 1 each).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch

from legged_envs.config import ConfigError

if TYPE_CHECKING:
    from legged_envs.envs.legged_env import LeggedEnv

RewardFunction = Callable[..., torch.Tensor]
"""``term(env, **params) -> (num_envs,)`` unweighted reward."""

WEIGHT_BOUND = 1.0e4
"""Largest |weight| of a reward term or group, per second."""


@dataclass
class RewardTermConfig:
    """A reward term with parameters."""

    weight: float = field(default=0.0, metadata={"ge": -WEIGHT_BOUND, "le": WEIGHT_BOUND})
    """Weight per second (negative for penalties; 0 switches the term off)."""
    params: dict[str, float] = field(default_factory=dict, metadata={"ge": -1.0e6, "le": 1.0e6})
    """Keyword arguments of the term function."""


RewardGroupsConfig = dict[str, dict[str, float | RewardTermConfig]]
"""Group name -> term name -> weight or ``RewardTermConfig``."""


@dataclass(frozen=True)
class RewardTerm:
    """One active term: its function, group, weight per second and parameters."""

    name: str
    group: str
    function: RewardFunction
    weight: float
    params: Mapping[str, float]

    def __call__(self, env: LeggedEnv) -> torch.Tensor:
        """(n,) unweighted value."""
        return self.function(env, **self.params)


def parse_reward_groups(
    groups: RewardGroupsConfig,
    functions: Mapping[str, RewardFunction],
    key: str = "task.rewards",
) -> list[RewardTerm]:
    """The active terms of ``groups``, checked against the task's term ``functions``; one-line errors name the key."""
    if not groups:
        raise ConfigError(f"{key}: no reward group")
    terms, seen = [], {}
    for group, entries in groups.items():
        for name, entry in entries.items():
            where = f"{key}.{group}.{name}"
            if name in seen:
                raise ConfigError(f"{where}: already in group {seen[name]!r} (a term belongs to one group)")
            seen[name] = group
            if name not in functions:
                raise ConfigError(f"{where}: unknown reward term (this task's terms: {', '.join(sorted(functions))})")
            spec = entry if isinstance(entry, RewardTermConfig) else RewardTermConfig(weight=float(entry))
            accepted = _keyword_params(functions[name])
            for param in spec.params:
                if param not in accepted:
                    known = ", ".join(accepted) or "none"
                    raise ConfigError(f"{where}.params.{param}: not a parameter of this term (parameters: {known})")
            if abs(spec.weight) > WEIGHT_BOUND:
                raise ConfigError(f"{where}: weight {spec.weight} beyond +-{WEIGHT_BOUND:g}")
            if spec.weight != 0.0:
                terms.append(RewardTerm(name, group, functions[name], spec.weight, dict(spec.params)))
    return terms


def _keyword_params(function: RewardFunction) -> tuple[str, ...]:
    """Names of a term function's parameters after ``env``."""
    return tuple(inspect.signature(function).parameters)[1:]


class Rewards:
    """Per-step (n, G) group rewards of a task's active terms, with per-term sums over each episode."""

    def __init__(
        self,
        terms: list[RewardTerm],
        groups: tuple[str, ...],
        num_envs: int,
        control_dt: float,
        device: torch.device,
    ):
        self.terms = terms
        self.groups = groups
        """Group names, in the column order of ``compute``'s result."""
        self.control_dt = control_dt
        self._column = {group: i for i, group in enumerate(groups)}
        self.episode_sums = {term.name: torch.zeros(num_envs, device=device) for term in terms}
        """Term name -> (n,) weighted reward earned this episode."""

    def compute(self, env: LeggedEnv) -> torch.Tensor:
        """(n, G) this step's reward of each group: sum of weight * term * control_dt over its terms."""
        total = torch.zeros(env.num_envs, len(self.groups), device=env.device)
        for term in self.terms:
            value = term(env) * (term.weight * self.control_dt)
            self.episode_sums[term.name] += value
            total[:, self._column[term.group]] += value
        return total

    def reset(self, env_ids: torch.Tensor) -> None:
        """Start new episode sums for ``env_ids``."""
        for sums in self.episode_sums.values():
            sums[env_ids] = 0.0

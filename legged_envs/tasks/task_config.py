"""What every task's ``task:`` config section has: its reward groups and their weights."""

from __future__ import annotations

from dataclasses import dataclass, field

from legged_envs.envs.rewards import WEIGHT_BOUND, RewardGroupsConfig


@dataclass
class TaskConfig:
    """Base of every task section; tasks subclass it and give ``rewards`` their defaults."""

    rewards: RewardGroupsConfig = field(default_factory=dict, metadata={"ge": -WEIGHT_BOUND, "le": WEIGHT_BOUND})
    """Group -> reward term -> weight per second, or ``{weight, params}`` (legged_envs/envs/rewards.py)."""
    reward_group_weights: dict[str, float] = field(
        default_factory=dict, metadata={"ge": -WEIGHT_BOUND, "le": WEIGHT_BOUND}
    )
    """Group -> weight of its normalised advantages (multi-critic PPO); groups left out weigh 1."""

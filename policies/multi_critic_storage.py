"""``MultiCriticStorage``: rsl-rl's rollout storage with a column per reward group and next observations."""

from __future__ import annotations

import torch
from rsl_rl.storage import RolloutStorage
from tensordict import TensorDict

NEXT = "next"
"""Key of the next observations inside ``observations`` (mini-batches carry them; models ignore the key)."""


class MultiCriticStorage(RolloutStorage):
    """Rollout storage of feedforward PPO with G reward groups.

    ``rewards``, ``values`` and ``returns`` are (T, n, G); ``advantages`` stays (T, n, 1) and holds the groups'
    weighted sum. With ``keep_next_obs`` each step's next observations (for L2C2) are kept under
    ``observations["next"]``; where the episode ended they are the step's own observations (the env's next
    ones start a new episode).
    """

    class Transition(RolloutStorage.Transition):
        """rsl-rl's transition plus the observations that followed it."""

        def __init__(self) -> None:
            super().__init__()
            self.next_observations: TensorDict | None = None
            """Observations after the step (the env's output)."""

    def __init__(
        self,
        num_envs: int,
        num_transitions_per_env: int,
        obs: TensorDict,
        actions_shape: tuple[int, ...] | list[int],
        num_groups: int,
        keep_next_obs: bool,
        device: str = "cpu",
    ) -> None:
        super().__init__("rl", num_envs, num_transitions_per_env, obs, actions_shape, device)
        shape = (num_transitions_per_env, num_envs, num_groups)
        self.rewards = torch.zeros(shape, device=device)
        self.values = torch.zeros(shape, device=device)
        self.returns = torch.zeros(shape, device=device)
        self.keep_next_obs = keep_next_obs
        if keep_next_obs:
            self.observations[NEXT] = self.observations.clone()

    def add_transition(self, transition: RolloutStorage.Transition) -> None:
        """Store a transition whose ``rewards`` are (n,) or (n, G), and its next observations if kept."""
        step = self.step
        rewards = transition.rewards.view(self.num_envs, -1)  # type: ignore[union-attr]
        transition.rewards = rewards[:, 0]  # rsl-rl writes one column (broadcast); all G are written below
        if self.keep_next_obs:
            self.observations[NEXT][step].copy_(_next_or_same(transition))
        super().add_transition(transition)
        self.rewards[step].copy_(rewards)


def _next_or_same(transition: MultiCriticStorage.Transition) -> TensorDict:
    """The next observations, with each ended episode's row replaced by the step's own observations."""
    obs, following = transition.observations, transition.next_observations
    ended = transition.dones.view(-1, 1).bool()  # type: ignore[union-attr]
    return following.apply(lambda after, before: torch.where(ended, before, after), obs.select(*following.keys()))  # type: ignore[union-attr]

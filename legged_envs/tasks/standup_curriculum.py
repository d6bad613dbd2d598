"""HoST's stand-up curricula: the action rescaler beta and the upward pull force step down together.

A step fires when the episodes that ended since the last judgement kept the head high on average (the
robots stand up with the current help), taking ``step`` off beta (down to its floor) and ``step_n`` off
the force (down to 0). HoST judges every reset's ending episodes; here a judgement waits for at least
``min_episodes`` of them, since with staggered episode ends a reset often ends one episode, and one
flailing robot whose head passes the threshold would step the curricula.
"""

from __future__ import annotations

import torch

from legged_envs.tasks.g1_standup_config import ActionRescalerConfig, PullForceConfig, StandupCurriculumConfig


class StandupCurriculum:
    """The current beta and pull force, stepped down by ``update``."""

    def __init__(
        self,
        cfg: StandupCurriculumConfig,
        action: ActionRescalerConfig,
        pull: PullForceConfig,
    ):
        if action.floor > action.start:
            raise ValueError(f"task.action.floor: {action.floor} above task.action.start {action.start}")
        self.cfg, self.action, self.pull = cfg, action, pull
        self.beta = action.start
        """Current action rescaler."""
        self.force_n = pull.force_n
        """Current total pull force, N."""
        self.steps = 0
        """Curriculum steps taken."""
        self._heights: list[torch.Tensor] = []

    def update(self, head_height_at_end: torch.Tensor) -> bool:
        """Add the (k,) head heights of the episodes ending now; once ``min_episodes`` are in, step down when
        their mean is above the threshold and start a new window. True when it stepped."""
        if not self.cfg.enabled or len(head_height_at_end) == 0:
            return False
        self._heights.append(head_height_at_end.detach().flatten())
        if sum(len(h) for h in self._heights) < self.cfg.min_episodes:
            return False
        mean = torch.cat(self._heights).mean().item()
        self._heights = []
        if mean <= self.cfg.head_height_m:
            return False
        self.beta = max(self.action.floor, self.beta - self.action.step)
        self.force_n = max(0.0, self.force_n - self.pull.step_n)
        self.steps += 1
        return True

    def state_dict(self) -> dict[str, torch.Tensor]:
        """``beta``, ``pull_force_n`` and ``curriculum_steps`` as 0-d tensors."""
        return {
            "beta": torch.tensor(self.beta),
            "pull_force_n": torch.tensor(self.force_n),
            "curriculum_steps": torch.tensor(self.steps),
        }

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        """Restore ``state_dict``'s values (a one-line ``ValueError`` names a missing one)."""
        missing = sorted({"beta", "pull_force_n", "curriculum_steps"} - set(state))
        if missing:
            raise ValueError(f"g1_standup task state: missing {missing[0]!r}")
        self.beta = float(state["beta"])
        self.force_n = float(state["pull_force_n"])
        self.steps = int(state["curriculum_steps"])

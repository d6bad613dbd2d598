"""Per-foot contact, air time and velocity across control steps, for gait rewards (any legged robot).

Contact is filtered as in legged_gym: a foot counts as on the ground when it touched this step or
the last (MuJoCo contacts flicker). A touchdown is the first filtered contact after air time.
"""

from __future__ import annotations

import torch


class FootTracker:
    """(n, F) contact state and air times of F feet, updated once per control step."""

    def __init__(self, num_envs: int, num_feet: int, device: torch.device | str = "cpu"):
        shape = (num_envs, num_feet)
        self.contact = torch.zeros(shape, device=device)
        """(n, F) 1 for feet on the ground (this step or the last)."""
        self.first_contact = torch.zeros(shape, device=device)
        """(n, F) 1 for feet that touched down this step."""
        self.air_time = torch.zeros(shape, device=device)
        """(n, F) time each foot has been in the air, s."""
        self.touchdown_air_time = torch.zeros(shape, device=device)
        """(n, F) air time of the swing that ended this step (0 where no touchdown), s."""
        self.velocity = torch.zeros(*shape, 3, device=device)
        """(n, F, 3) foot velocity over the last control step, world frame, m/s."""
        self._last_pos = torch.zeros(*shape, 3, device=device)
        self._last_touch = torch.zeros(shape, dtype=torch.bool, device=device)

    def before_step(self, foot_pos: torch.Tensor) -> None:
        """Remember the (n, F, 3) foot positions at the start of a control step, m."""
        self._last_pos = foot_pos

    def after_step(self, foot_pos: torch.Tensor, touching: torch.Tensor, dt: float) -> None:
        """Update from (n, F, 3) positions and (n, F) bool contacts at the end of a ``dt`` s step."""
        self.velocity = (foot_pos - self._last_pos) / dt
        filtered = touching | self._last_touch
        self._last_touch = touching
        self.contact = filtered.float()
        self.first_contact = ((self.air_time > 0) & filtered).float()
        self.air_time += dt
        self.touchdown_air_time = self.air_time * self.first_contact
        self.air_time *= ~filtered

    def reset(self, env_ids: torch.Tensor) -> None:
        """Forget the contact history of ``env_ids``."""
        self.air_time[env_ids] = 0.0
        self._last_touch[env_ids] = False

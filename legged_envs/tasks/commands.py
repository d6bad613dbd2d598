"""Per-env command vectors: uniform in ranges, resampled on a timer and at resets, widened by a curriculum.

Each command dimension ``d`` has a starting range and a limit range; its curriculum progress
``p[d]`` in [0, 1] places the sampling range between them (``range = start + p (limit - start)``).
``widen`` raises ``p[d]`` by one step for every dimension whose tracking score reached the threshold.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


class CommandSampler:
    """(n, D) commands with per-dimension curriculum ranges."""

    def __init__(
        self,
        names: Sequence[str],
        start_ranges: Sequence[tuple[float, float]],
        limit_ranges: Sequence[tuple[float, float]],
        num_envs: int,
        resample_interval_steps: int,
        generator: torch.Generator,
        device: torch.device | str = "cpu",
        zero_dims: Sequence[int] = (),
        zero_prob: float = 0.0,
        key: str = "commands",
    ):
        """``zero_dims`` are set to 0 in a ``zero_prob`` share of samples (e.g. standing still); ``key``
        names the config section in errors."""
        if not len(names) == len(start_ranges) == len(limit_ranges):
            raise ValueError(f"{key}: {len(names)} names, {len(start_ranges)} start and {len(limit_ranges)} limits")
        for name, (lo, hi), (limit_lo, limit_hi) in zip(names, start_ranges, limit_ranges, strict=True):
            if not limit_lo <= lo <= hi <= limit_hi:
                raise ValueError(f"{key}.{name}: start ({lo}, {hi}) must lie within limit ({limit_lo}, {limit_hi})")
        self.names = tuple(names)
        self.start = torch.tensor(start_ranges, dtype=torch.float32, device=device)
        """(D, 2) sampling range at progress 0."""
        self.limit = torch.tensor(limit_ranges, dtype=torch.float32, device=device)
        """(D, 2) sampling range at progress 1 (the widest)."""
        self.progress = torch.zeros(len(names), device=device)
        """(D,) curriculum progress of each dimension, 0 to 1."""
        self.command = torch.zeros(num_envs, len(names), device=device)
        """(n, D) current command of each env."""
        self.resample_interval_steps = resample_interval_steps
        self.steps_left = torch.zeros(num_envs, dtype=torch.long, device=device)
        """(n,) control steps until each env's next resample."""
        self.enabled = True
        """Whether commands are resampled (timer and ``resample``); off to script commands."""
        self.generator = generator
        self.zero_dims = torch.tensor(list(zero_dims), dtype=torch.long, device=device)
        self.zero_prob = zero_prob

    @property
    def ranges(self) -> torch.Tensor:
        """(D, 2) current sampling ranges."""
        return self.start + self.progress[:, None] * (self.limit - self.start)

    def resample(self, env_ids: torch.Tensor) -> None:
        """Draw new commands for ``env_ids`` (no-op when disabled) and restart their timers."""
        self.steps_left[env_ids] = self.resample_interval_steps
        if not self.enabled or len(env_ids) == 0:
            return
        ranges = self.ranges
        u = torch.rand(len(env_ids), len(self.names), generator=self.generator, device=self.command.device)
        command = ranges[:, 0] + u * (ranges[:, 1] - ranges[:, 0])
        if self.zero_prob > 0 and len(self.zero_dims):
            still = torch.rand(len(env_ids), generator=self.generator, device=command.device) < self.zero_prob
            command[:, self.zero_dims] *= (~still).float()[:, None]
        self.command[env_ids] = command

    def step(self) -> torch.Tensor:
        """Count one control step; resample envs whose timer ran out. Returns their ids."""
        self.steps_left -= 1
        due = (self.steps_left <= 0).nonzero(as_tuple=False).flatten()
        if len(due):
            self.resample(due)
        return due

    def set(self, env_ids: torch.Tensor, command: torch.Tensor) -> None:
        """Set (len(ids), D) commands of ``env_ids`` as given (not clamped to any range)."""
        if command.shape != (len(env_ids), len(self.names)):
            raise ValueError(
                f"set_command: expected shape ({len(env_ids)}, {len(self.names)}), got {tuple(command.shape)}"
            )
        self.command[env_ids] = command.to(self.command)

    def state_dict(self) -> dict[str, torch.Tensor]:
        """The curriculum's state: ``progress`` (D,) (the ranges follow from it)."""
        return {"progress": self.progress.clone()}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        """Restore the (D,) ``progress`` saved by ``state_dict``."""
        progress = state["progress"]
        if progress.shape != self.progress.shape:
            raise ValueError(
                f"command curriculum: saved progress has {len(progress)} dimensions, this task has {len(self.progress)}"
            )
        self.progress.copy_(progress)

    def widen(self, scores: torch.Tensor, threshold: float, step: float) -> None:
        """Raise the progress by ``step`` of each dimension whose (D,) tracking score is >= ``threshold``."""
        self.progress += step * (scores >= threshold).float()
        self.progress.clamp_(0.0, 1.0)

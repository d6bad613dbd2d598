"""Per-env command vectors: uniform in ranges, resampled on a timer and at resets, widened by a curriculum.

Each command dimension ``d`` has a starting range and a limit range; its curriculum progress
``p[d]`` in [0, 1] places the sampling range between them (``range = start + p (limit - start)``).
``CommandCurriculum`` raises ``p[d]`` when the *moving* commands of dimension ``d`` are tracked: a
robot that stands still never earns a wider range, whatever its tracking kernels say.
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
        zero_groups: Sequence[tuple[Sequence[int], float]] = (),
        key: str = "commands",
    ):
        """``zero_groups``: (dimensions, probability) pairs; each group is set to 0 in that share of samples
        (e.g. standing still, nominal posture). ``key`` names the config section in errors."""
        if not len(names) == len(start_ranges) == len(limit_ranges):
            raise ValueError(f"{key}: {len(names)} names, {len(start_ranges)} start and {len(limit_ranges)} limits")
        for name, (lo, hi), (limit_lo, limit_hi) in zip(names, start_ranges, limit_ranges, strict=True):
            if not limit_lo <= lo <= hi <= limit_hi:
                raise ValueError(f"{key}.{name}: start ({lo}, {hi}) must lie within limit ({limit_lo}, {limit_hi})")
            if not lo <= 0.0 <= hi:
                raise ValueError(f"{key}.{name}: start ({lo}, {hi}) must contain 0, the nominal command")
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
        self.age_steps = torch.zeros(num_envs, dtype=torch.long, device=device)
        """(n,) control steps since each env's command last changed."""
        self.enabled = True
        """Whether commands are resampled (timer and ``resample``); off to script commands."""
        self.generator = generator
        self.zero_groups = [(torch.tensor(list(dims), dtype=torch.long, device=device), p) for dims, p in zero_groups]

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
        for dims, probability in self.zero_groups:
            zeroed = torch.rand(len(env_ids), generator=self.generator, device=command.device) < probability
            command[:, dims] *= (~zeroed).float()[:, None]
        self.command[env_ids] = command
        self.age_steps[env_ids] = 0

    def step(self) -> torch.Tensor:
        """Count one control step; resample envs whose timer ran out. Returns their ids."""
        self.steps_left -= 1
        self.age_steps += 1
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
        self.age_steps[env_ids] = 0

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
        self.progress.copy_(progress.clamp(0.0, 1.0))


class CommandCurriculum:
    """Widens a command dimension once its moving commands are tracked, judged over windows of samples.

    Each step, a sample of dimension ``d`` counts when its command is *moving* (|command| at least
    ``moving_share`` of the dimension's current largest |bound|) and has held for ``settle_steps``.
    Counted samples add their squared error and squared command to per-dimension sums. When a
    dimension has ``window_samples`` of them, its score ``1 - sqrt(sum e^2 / sum c^2)`` (the share of
    the commanded motion achieved; 0 for a robot that ignores the command; at least -1) is compared with
    ``threshold``: at or above, the dimension's progress rises by ``step``. Then its sums restart.
    """

    def __init__(
        self,
        sampler: CommandSampler,
        threshold: float,
        step: float,
        moving_share: float,
        settle_steps: int,
        window_samples: int,
    ):
        self.sampler = sampler
        self.threshold, self.step_size, self.moving_share = threshold, step, moving_share
        self.settle_steps, self.window_samples = settle_steps, window_samples
        dims, device = len(sampler.names), sampler.command.device
        self.error_sq = torch.zeros(dims, dtype=torch.float64, device=device)
        self.command_sq = torch.zeros_like(self.error_sq)
        self.count = torch.zeros(dims, dtype=torch.long, device=device)
        self.last_score = torch.full((dims,), float("nan"), device=device)
        """(D,) score of each dimension's last judged window (nan before the first)."""

    def update(self, error: torch.Tensor, counted_envs: torch.Tensor | None = None) -> None:
        """Add one step of (n, D) tracking errors (measured - command); judge the dimensions whose window is full.

        ``counted_envs`` (n,) bool leaves out envs whose step should not count (e.g. failing ones).
        """
        command = self.sampler.command
        reach = self.sampler.ranges.abs().amax(dim=1)
        moving = command.abs() >= self.moving_share * reach
        moving &= (self.sampler.age_steps >= self.settle_steps)[:, None]
        if counted_envs is not None:
            moving &= counted_envs[:, None]
        weights = moving.double()
        self.error_sq += torch.sum(weights * error.double().square(), dim=0)
        self.command_sq += torch.sum(weights * command.double().square(), dim=0)
        self.count += moving.sum(dim=0)
        full = self.count >= self.window_samples
        if not full.any():
            return
        score = (1.0 - torch.sqrt(self.error_sq / self.command_sq.clamp(min=1e-12))).clamp(min=-1.0)
        self.last_score = torch.where(full, score.float(), self.last_score)
        passed = full & (score >= self.threshold)
        self.sampler.progress += self.step_size * passed.float()
        self.sampler.progress.clamp_(0.0, 1.0)
        for sums in (self.error_sq, self.command_sq, self.count):
            sums[full] = 0

"""What every perturbation shares: its size over the episode (severity x schedule), when it redraws, the columns
it perturbs, and per-world physical parameters it writes.

Tensors are ``(num_envs, ...)`` on the env's device; ``steps`` is each env's control step in its episode.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import torch

from legged_envs.perturbations import config
from legged_envs.perturbations.config import FRACTION_KINDS, LATENCY_KINDS, PerturbationConfig, ScheduleConfig

if TYPE_CHECKING:
    from legged_envs.envs.legged_env import LeggedEnv


def schedule_factor(cfg: ScheduleConfig, t: torch.Tensor) -> torch.Tensor:
    """(n,) factor in [0, 1] of the schedule at episode times ``t`` (s): ``config.schedule_factor`` on tensors."""
    return config.schedule_factor(cfg, t, torch)


def joint_ids(cfg: PerturbationConfig, env: LeggedEnv) -> torch.Tensor:
    """Indices of ``cfg.joints`` in the robot's joint order (every joint when empty)."""
    names = env.robot.joint_names
    for name in cfg.joints:
        if name not in names:
            raise ValueError(f"perturbation {cfg.kind}: unknown joint {name!r} (joints: {', '.join(names)})")
    return torch.tensor([names.index(name) for name in cfg.joints or names], device=env.device)


class Perturbation:
    """Base of every perturbation: ``size(steps)`` and the per-env refresh of random draws."""

    def __init__(self, cfg: PerturbationConfig, severity: float, env: LeggedEnv, generator: torch.Generator):
        self.cfg, self.severity, self.env, self.generator = cfg, severity, env, generator
        self.peak: float | torch.Tensor = cfg.magnitude * severity
        """Size at full schedule: one for every env, (n,) per env (a worst-case search or a range sets those) or
        (n, C) per env and column."""
        self.drawn: torch.Tensor | None = None
        """(n,) or (n, C) sizes at severity 1 drawn per env from [low, magnitude] (``cfg.low``), else None."""
        if cfg.low is not None:
            columns = self.draw_columns()
            self.drawn = torch.zeros((env.num_envs, columns) if columns > 1 else (env.num_envs,), device=env.device)
            self.draw_sizes(torch.arange(env.num_envs, device=env.device))
        self.fresh = torch.ones(env.num_envs, dtype=torch.bool, device=env.device)
        """(n,) envs that started an episode since their last draw."""

    def draw_columns(self) -> int:
        """Sizes each env draws from a range (``cfg.low``): 1, or one per joint or body where a kind says."""
        return 1

    def set_severity(self, severity: float) -> None:
        """Scale the perturbation by ``severity`` from now on (a training curriculum's)."""
        self.severity = severity
        self.peak = self.cfg.magnitude * severity if self.drawn is None else self.drawn * severity

    def size(self, steps: torch.Tensor) -> torch.Tensor:
        """(n,) or (n, C) size of the perturbation at episode steps ``steps`` (shares clamped to [0, 1], or to
        [low, 1] when drawn from a negative ``low``)."""
        factor = schedule_factor(self.cfg.schedule, steps * self.env.control_dt)
        peak = self.peak
        size = peak * (factor[:, None] if isinstance(peak, torch.Tensor) and peak.dim() == 2 else factor)
        if self.cfg.kind not in FRACTION_KINDS:
            return size
        low = self.cfg.low if self.cfg.low is not None and self.cfg.low < 0 else 0.0
        return size.clamp(low * self.severity, 1.0)

    def due(self, steps: torch.Tensor) -> torch.Tensor:
        """(n,) envs whose random draws are refreshed now (always after a reset); clears ``fresh``."""
        due = self.take_fresh()
        if self.cfg.mode == "step":
            due[:] = True
        elif self.cfg.mode == "interval":
            due |= steps % self.cfg.interval_steps == 0
        return due

    def take_fresh(self) -> torch.Tensor:
        """(n,) envs that started an episode since the last call."""
        fresh = self.fresh.clone()
        self.fresh[:] = False
        return fresh

    def reset(self, env_ids: torch.Tensor) -> None:
        """``env_ids`` started a new episode: they draw new sizes from a range (``cfg.low``)."""
        self.fresh[env_ids] = True
        if self.drawn is not None and len(env_ids):
            self.draw_sizes(env_ids)

    def draw_sizes(self, env_ids: torch.Tensor) -> None:
        """Draw the sizes of ``env_ids`` from [low, magnitude] (``cfg.low``)."""
        assert self.drawn is not None and self.cfg.low is not None
        low, high = self.cfg.low, self.cfg.magnitude
        unit = self.uniform((len(env_ids), *self.drawn.shape[1:]))
        if self.cfg.kind in LATENCY_KINDS:  # whole steps, each equally likely
            self.drawn[env_ids] = torch.floor(low + unit * (math.floor(high) - low + 1)).clamp(max=high)
        else:
            self.drawn[env_ids] = low + unit * (high - low)
        self.peak = self.drawn * self.severity

    def record(self, name: str, world_ids: torch.Tensor, values: torch.Tensor) -> None:
        """Set the task's record of a parameter it randomises (``task.randomizer.<name>``, what the critic's
        ``privileged`` observation reads) to the values written, so that the critic sees the world as it is."""
        if self.randomizer is not None:
            getattr(self.randomizer, name)[world_ids] = values

    @property
    def randomizer(self) -> Any:
        """The task's domain randomisation (``DomainRandomization``), whose record the critic reads, or None."""
        return getattr(self.env.task, "randomizer", None)

    def normal(self, shape: tuple[int, ...]) -> torch.Tensor:
        return torch.randn(shape, generator=self.generator, device=self.env.device)

    def uniform(self, shape: tuple[int, ...]) -> torch.Tensor:
        return torch.rand(shape, generator=self.generator, device=self.env.device)


class ColumnPerturbation(Perturbation):
    """Perturbs chosen columns of an (n, D) signal: policy observation entries or actions."""

    def __init__(
        self,
        cfg: PerturbationConfig,
        severity: float,
        env: LeggedEnv,
        generator: torch.Generator,
        columns: torch.Tensor,
        scale: torch.Tensor,
    ):
        super().__init__(cfg, severity, env, generator)
        self.columns = columns.to(env.device)
        """Columns perturbed."""
        self.scale = scale.to(env.device)
        """(C,) multiplier from a size's units to a column's (an observation term's scale; 1 for actions)."""
        self.draw = torch.zeros(env.num_envs, len(columns), device=env.device)
        """(n, C) current random draw."""
        self.setup()

    def setup(self) -> None:
        """Allocate a kind's own state (the columns are known)."""

    def apply_to(self, signal: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
        """The perturbed (n, D) ``signal`` at episode steps ``steps``."""
        out = signal.clone()
        out[:, self.columns] = self.perturb(signal[:, self.columns], steps)
        return out

    def perturb(self, values: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
        """(n, C) perturbed values of the chosen columns."""
        raise NotImplementedError

    def redraw(self, steps: torch.Tensor, sample: torch.Tensor) -> None:
        """Replace the draws of the envs that are due with rows of (n, C) ``sample``."""
        due = self.due(steps)
        self.draw[due] = sample[due]


class PhysicsPerturbation(Perturbation):
    """Writes a per-world parameter of size ``size(steps)`` before the physics of a step: a world is rewritten
    when its size changes and after every reset (which may have redrawn the task's own randomisation)."""

    def __init__(self, cfg: PerturbationConfig, severity: float, env: LeggedEnv, generator: torch.Generator):
        super().__init__(cfg, severity, env, generator)
        self.written: torch.Tensor | None = None
        """(n,) or (n, C) size last written to each world (nan: none), shaped as ``size``'s once written."""
        self.setup()

    def setup(self) -> None:
        """Check and keep what a kind needs (nominal values)."""

    def apply(self, steps: torch.Tensor) -> None:
        """Write the worlds whose size changed or that were reset."""
        size = self.size(steps)
        if self.written is None or self.written.shape != size.shape:
            self.written = torch.full_like(size, float("nan"))
        changed = size != self.written
        stale = (changed.any(dim=1) if changed.dim() == 2 else changed) | self.take_fresh()
        if stale.any():
            ids = stale.nonzero().flatten()
            self.write(ids, size[ids])
            self.written[ids] = size[ids]

    def write(self, world_ids: torch.Tensor, size: torch.Tensor) -> None:
        """Set the parameter of ``world_ids`` for their (len(ids),) or (len(ids), C) sizes."""
        raise NotImplementedError


class DelayLine:
    """Per-env delay of whole control steps: ``push(x_t)`` returns ``x_{t - delay}``; after a reset an env's
    line is filled with its first value."""

    def __init__(self, max_delay: int, num_envs: int, dim: int, device: torch.device):
        self.buffer = torch.zeros(num_envs, max_delay + 1, dim, device=device)
        """(n, D + 1, dim) recent values, newest first."""

    def push(self, values: torch.Tensor, delay: torch.Tensor, fill: torch.Tensor) -> torch.Tensor:
        """Record (n, dim) ``values``, filling the lines of the (n,) bool ``fill`` envs; (n, dim) delayed values
        for (n,) ``delay`` steps (at most the line's length)."""
        self.buffer = torch.roll(self.buffer, shifts=1, dims=1)
        self.buffer[:, 0] = values
        self.buffer[fill] = values[fill].unsqueeze(1)
        rows = torch.arange(values.shape[0], device=values.device)
        return self.buffer[rows, delay.clamp(0, self.buffer.shape[1] - 1)]

"""Live training progress: one refreshed line on a terminal, one printed line per iteration otherwise."""

from __future__ import annotations

import datetime
import os
import sys
from dataclasses import dataclass, field
from typing import TextIO

from tqdm import tqdm


@dataclass
class IterationStats:
    """What one finished iteration reports."""

    iteration: int
    """Completed iterations so far."""
    total: int
    """Iterations of the whole run."""
    steps_per_s: float
    """Env-steps per second of this iteration, collection and learning included (all ranks)."""
    eta_s: float
    """Estimated seconds to the end of the run."""
    mean_reward: float | None
    """Mean return of the last 100 finished episodes (None before any finished)."""
    mean_episode_length: float | None
    """Mean length of the last 100 finished episodes, control steps."""
    metrics: dict[str, float] = field(default_factory=dict)
    """The task's key metrics (tracking errors, curriculum levels)."""


def format_stats(stats: IterationStats) -> str:
    """``1,234 steps/s | ETA 0:03:12 | reward 4.31 | ep len 812 | terrain_level 1.2``: the key figures.

    Task metrics with a plain name (curriculum levels) are key figures; grouped ones (``group/name``) are
    details (``format_details``).
    """
    parts = [f"{stats.steps_per_s:,.0f} steps/s", f"ETA {datetime.timedelta(seconds=round(stats.eta_s))}"]
    if stats.mean_reward is not None:
        parts.append(f"reward {stats.mean_reward:.3g}")
    if stats.mean_episode_length is not None:
        parts.append(f"ep len {stats.mean_episode_length:.0f}")
    parts += [f"{name} {value:.3g}" for name, value in stats.metrics.items() if "/" not in name]
    return " | ".join(parts)


def format_details(stats: IterationStats) -> str:
    """``tracking_rmse vx 0.31 vy 0.2 | command_progress vx 0.05 ...``: the grouped task metrics."""
    groups: dict[str, list[str]] = {}
    for key, value in stats.metrics.items():
        group, slash, name = key.partition("/")
        if slash:
            groups.setdefault(group, []).append(f"{name} {value:.3g}")
    return " | ".join(f"{group} {' '.join(items)}" for group, items in groups.items())


def _terminal_columns(stream: TextIO) -> int:
    """Width of the terminal behind ``stream`` (0 when unknown)."""
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return 0


class TrainProgress:
    """Shows each finished iteration: on a terminal a refreshed tqdm line with the key figures (the
    grouped task metrics printed above it every ``details_every`` iterations); otherwise one plain line
    per iteration with everything."""

    def __init__(self, start: int, total: int, stream: TextIO | None = None, details_every: int = 10):
        self.stream = stream or sys.stdout
        self.details_every = details_every
        self.tty = self.stream.isatty()
        columns = _terminal_columns(self.stream)
        self.bar = (
            tqdm(
                total=total,
                initial=start,
                file=self.stream,
                unit="it",
                dynamic_ncols=columns > 0,
                ncols=None if columns > 0 else 160,  # a pseudo-terminal without a size reports 0 x 0
                nrows=None if columns > 0 else 24,
                bar_format="train {n_fmt}/{total_fmt} {bar:12} {elapsed} | {desc}",
            )
            if self.tty
            else None
        )

    def update(self, stats: IterationStats) -> None:
        details = format_details(stats)
        if self.bar is None:
            line = " | ".join(part for part in (format_stats(stats), details) if part)
            print(f"it {stats.iteration}/{stats.total} | {line}", file=self.stream, flush=True)
            return
        if details and (stats.iteration % self.details_every == 0 or stats.iteration == stats.total):
            self.bar.write(f"it {stats.iteration}: {details}", file=self.stream)
        self.bar.set_description_str(format_stats(stats), refresh=False)
        self.bar.update(stats.iteration - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

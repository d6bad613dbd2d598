"""Live training progress: one refreshed line on a terminal, one printed line per iteration otherwise."""

from __future__ import annotations

import datetime
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
    """``1.2k steps/s | ETA 0:03:12 | reward 4.31 | ep len 812 | level 1.20``: everything but the counter."""
    parts = [f"{stats.steps_per_s:,.0f} steps/s", f"ETA {datetime.timedelta(seconds=round(stats.eta_s))}"]
    if stats.mean_reward is not None:
        parts.append(f"reward {stats.mean_reward:.3g}")
    if stats.mean_episode_length is not None:
        parts.append(f"ep len {stats.mean_episode_length:.0f}")
    parts += [f"{name} {value:.3g}" for name, value in stats.metrics.items()]
    return " | ".join(parts)


class TrainProgress:
    """Shows each finished iteration: a tqdm bar with the stats on a terminal, a plain line otherwise."""

    def __init__(self, start: int, total: int, stream: TextIO | None = None):
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty()
        self.bar = (
            tqdm(
                total=total,
                initial=start,
                file=self.stream,
                unit="it",
                dynamic_ncols=True,
                bar_format="train {n_fmt}/{total_fmt} {bar:12} {elapsed} | {postfix}",
            )
            if self.tty
            else None
        )

    def update(self, stats: IterationStats) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(format_stats(stats), refresh=False)
            self.bar.update(stats.iteration - self.bar.n)
        else:
            print(f"it {stats.iteration}/{stats.total} | {format_stats(stats)}", file=self.stream, flush=True)

    def write(self, message: str) -> None:
        """Print a message without breaking the bar."""
        if self.bar is not None:
            self.bar.write(message, file=self.stream)
        else:
            print(message, file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

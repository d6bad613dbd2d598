"""Fixed-rate loop pacing without drift: deadlines are ``start + k * period``, never ``now + period``.

A late tick does not shift later deadlines; a tick that overruns by more than a period skips the
missed deadlines (no burst of catch-up ticks) and counts them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class FixedRate:
    """Paces a loop at ``period_s`` on the grid ``start + k * period_s``.

    ``clock`` returns monotonic seconds; ``sleep`` waits a number of seconds (both injectable for
    tests). Usage: ``rate.start()`` once, then ``rate.wait()`` after each tick's work.
    """

    def __init__(
        self,
        period_s: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if not period_s > 0:
            raise ValueError(f"fixed rate: period must be > 0 s, got {period_s}")
        self.period_s = period_s
        self.clock = clock
        self.sleep = sleep
        self.start_s = 0.0
        self.tick = 0
        """Index k of the deadline the loop last woke for."""
        self.overruns = 0
        """Deadlines that had already passed when ``wait`` was called."""
        self.skipped = 0
        """Deadlines dropped because a tick overran by more than a period."""
        self.max_lateness_s = 0.0
        """Largest wake-up time past its deadline, s."""

    def start(self) -> float:
        """Put deadline 0 at now; returns it."""
        self.start_s = self.clock()
        self.tick = 0
        return self.start_s

    def deadline(self, k: int) -> float:
        """Time of deadline ``k``, s."""
        return self.start_s + k * self.period_s

    def wait(self) -> int:
        """Sleep until the next deadline and return its index; returns at once when late."""
        k = self.tick + 1
        now = self.clock()
        if now >= self.deadline(k):
            self.overruns += 1
            latest = math.floor((now - self.start_s) / self.period_s)
            if latest > k:
                self.skipped += latest - k
                k = latest
        while now < self.deadline(k):
            self.sleep(self.deadline(k) - now)
            now = self.clock()
        self.max_lateness_s = max(self.max_lateness_s, now - self.deadline(k))
        self.tick = k
        return k

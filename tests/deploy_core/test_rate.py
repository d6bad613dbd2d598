"""FixedRate: deadlines stay on start + k * period under jitter and overruns (simulated clock)."""

from __future__ import annotations

import numpy as np
import pytest

from deploy.robot.rate import FixedRate

PERIOD_S = 0.002


class SimClock:
    """A monotonic clock that only moves when the loop works or sleeps; sleeps oversleep by jitter."""

    def __init__(self, seed: int, max_oversleep_s: float):
        self.now = 100.0
        self.rng = np.random.default_rng(seed)
        self.max_oversleep_s = max_oversleep_s

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.now += seconds + self.rng.uniform(0.0, self.max_oversleep_s)

    def work(self, seconds: float) -> None:
        self.now += seconds


def test_no_drift_over_many_periods_with_jitter() -> None:
    clock = SimClock(seed=1, max_oversleep_s=0.0003)
    rate = FixedRate(PERIOD_S, clock=clock, sleep=clock.sleep)
    start = rate.start()
    periods = 50_000
    wakes = np.empty(periods)
    for k in range(periods):
        clock.work(clock.rng.uniform(0.0002, 0.0009))
        assert rate.wait() == k + 1
        wakes[k] = clock.now
    lateness = wakes - (start + PERIOD_S * np.arange(1, periods + 1))
    assert lateness.min() >= 0.0
    assert lateness.max() <= 0.0003 + 1e-9, "every wake-up is within one oversleep of its grid point"
    assert rate.overruns == 0 and rate.skipped == 0
    # the same jitter with relative pacing (sleep(period) after the work) drifts by seconds
    naive = SimClock(seed=1, max_oversleep_s=0.0003)
    naive_start = naive.now
    for _ in range(periods):
        naive.work(naive.rng.uniform(0.0002, 0.0009))
        naive.sleep(PERIOD_S)
    assert naive.now - naive_start - periods * PERIOD_S > 10.0


def test_overruns_are_counted_and_missed_deadlines_skipped_without_losing_phase() -> None:
    clock = SimClock(seed=2, max_oversleep_s=0.0)
    rate = FixedRate(PERIOD_S, clock=clock, sleep=clock.sleep)
    start = rate.start()
    clock.work(0.0025)  # one slow tick: deadline 1 already passed, deadline 2 not yet
    assert rate.wait() == 1 and rate.overruns == 1 and rate.skipped == 0
    assert clock.now == pytest.approx(start + 0.0025)
    assert rate.wait() == 2 and clock.now == pytest.approx(start + 2 * PERIOD_S)
    clock.work(0.0071)  # a 3.5-period stall: deadlines 3..5 missed
    assert rate.wait() == 5 and rate.overruns == 2 and rate.skipped == 2
    assert rate.wait() == 6 and clock.now == pytest.approx(start + 6 * PERIOD_S)
    assert rate.max_lateness_s == pytest.approx(0.0011)


def test_period_must_be_positive() -> None:
    with pytest.raises(ValueError, match=r"^fixed rate: period must be > 0 s, got 0$"):
        FixedRate(0)

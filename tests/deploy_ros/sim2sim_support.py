"""The sim2sim test harness: ``deploy.sim.supervisor`` with its failures reported as test failures."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from deploy.sim.supervisor import Sim2SimError, Sim2SimSupervisor

REPO = Path(__file__).resolve().parents[2]
TEST_NODE_PARAMS = {"discovery_wait_s": 1.0, "stand_duration_s": 1.0}
"""Shorter start and stand-up than the defaults, to keep the tests short."""


class Sim2Sim(Sim2SimSupervisor):
    """A supervised sim2sim run whose timeouts, refusals and crashed processes fail the test."""

    def __init__(self, workdir: Path, domain: int, robot: str, policy: Path, bridge: dict, node: dict):
        super().__init__(workdir, domain, robot, policy, bridge, {**TEST_NODE_PARAMS, **node})

    def start_pair(self) -> None:
        super().start_pair()
        print(f"\n{self.startup_report} (discovery_wait_s {self.node_params['discovery_wait_s']})")

    def spin_until(self, done: Callable[[], object], what: str, timeout_s: float | None = None) -> object:
        try:
            return super().spin_until(done, what, *(() if timeout_s is None else (timeout_s,)))
        except Sim2SimError as error:
            pytest.fail(str(error))

    def request(self, transition: str) -> dict:
        try:
            return super().request(transition)
        except Sim2SimError as error:
            pytest.fail(str(error))

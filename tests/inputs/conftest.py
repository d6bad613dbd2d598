"""Fixtures of the bad-input corpus tests: a trained run to break, and stand-ins for what must not be reached."""

from __future__ import annotations

from pathlib import Path

import pytest

from policies.trainer import train

from .support import BASE, TINY, accepted


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stand run of 2 iterations (``model_2.pt``); copy it before breaking it."""
    runs = tmp_path_factory.mktemp("trained")
    return train(str(BASE), [*TINY, "train.max_iterations=2", f"train.runs_dir={runs}"]).run_dir


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building the env raises ``Accepted``: a config that gets this far was not refused."""
    monkeypatch.setattr("policies.env_setup.LeggedEnv", accepted)


@pytest.fixture
def no_learner(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building the learner raises ``Accepted`` (the env is built and checked first)."""
    monkeypatch.setattr("policies.trainer.LeggedRunner", accepted)


@pytest.fixture
def no_node(monkeypatch: pytest.MonkeyPatch) -> None:
    """Starting the ROS 2 policy node raises ``Accepted`` (the policy is loaded and checked first)."""
    monkeypatch.setattr("deploy.robot.policy_node.Context", accepted)

"""Session fixtures: stand-still policies exported once through ``policies.export``."""

from __future__ import annotations

from pathlib import Path

import pytest

from legged_envs.robots.go2 import GO2
from policies.export import export_policy, stand_still_policy

from .deploy_test_support import GO2_LAYOUT, HOST_LAYOUT, go2_metadata, host_metadata


@pytest.fixture(scope="session")
def go2_onnx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stand-still Go2 policy (locomotion layout with a 3-d command, 3 frames)."""
    path = tmp_path_factory.mktemp("policies") / "go2_stand_still.onnx"
    return export_policy(stand_still_policy(GO2, GO2_LAYOUT.obs_dim), None, go2_metadata(), path)


@pytest.fixture(scope="session")
def host_onnx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stand-still policy with HoST-style targets (q + beta * a, beta 0.3) on the Go2 spec."""
    path = tmp_path_factory.mktemp("policies") / "go2_host_stand_still.onnx"
    return export_policy(stand_still_policy(GO2, HOST_LAYOUT.obs_dim), None, host_metadata(), path)

"""Session fixtures: stand-still policies exported once through ``policies.export``."""

from __future__ import annotations

from pathlib import Path

import pytest

from legged_envs.robots.g1 import G1_23DOF
from legged_envs.robots.go2 import GO2
from policies.export import export_policy, stand_still_policy

from .deploy_test_support import G1_HOST_LAYOUT, GO2_LAYOUT, HOST_LAYOUT, g1_host_metadata, go2_metadata, host_metadata


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


@pytest.fixture(scope="session")
def g1_host_onnx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stand-still G1 23-DoF policy with HoST's observation (76 per frame, 6 frames) and beta 0.3."""
    path = tmp_path_factory.mktemp("policies") / "g1_host_stand_still.onnx"
    return export_policy(stand_still_policy(G1_23DOF, G1_HOST_LAYOUT.obs_dim), None, g1_host_metadata(), path)

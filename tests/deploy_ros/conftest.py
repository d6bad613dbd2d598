"""Fixtures: a private ROS domain per test, exported policies, the live-robot and sim2sim process harnesses."""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch
from torch import nn

from deploy.robot.policy_metadata import PolicyMetadata
from legged_envs.obs_layout import ObsLayout, ObsTerm
from legged_envs.robots.g1 import G1_23DOF
from legged_envs.robots.go2 import GO2
from legged_envs.robots.spec import RobotSpec
from policies.export import export_policy, stand_still_policy

from .live_robot import LiveRobot
from .sim2sim_support import Sim2Sim


@pytest.fixture
def ros_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> int:
    """Loopback-only discovery in a random domain (inherited by the test's processes); returns the domain id."""
    domain = random.SystemRandom().randint(1, 200)
    monkeypatch.setenv("ROS_DOMAIN_ID", str(domain))
    monkeypatch.setenv("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    monkeypatch.delenv("ROS_STATIC_PEERS", raising=False)
    monkeypatch.setenv("ROS_LOG_DIR", str(tmp_path / "ros_log"))
    monkeypatch.setenv("PYTHONUNBUFFERED", "1")
    if os.environ.get("RMW_IMPLEMENTATION", "rmw_fastrtps_cpp") != "rmw_fastrtps_cpp":
        pytest.fail(f"RMW_IMPLEMENTATION={os.environ['RMW_IMPLEMENTATION']}: tests expect rmw_fastrtps_cpp")
    return domain


@pytest.fixture
def sim2sim(ros_env: int, tmp_path: Path) -> Iterator[Callable[..., Sim2Sim]]:
    """``sim2sim(robot, policy, bridge={...}, node={...})``; every process started is stopped at teardown."""
    runs: list[Sim2Sim] = []

    def make(robot: str, policy: Path, bridge: dict | None = None, node: dict | None = None) -> Sim2Sim:
        run = Sim2Sim(tmp_path / f"run{len(runs)}", ros_env, robot, policy, bridge or {}, node or {})
        runs.append(run)
        return run

    yield make
    for run in runs:
        run.close()


@pytest.fixture
def live(ros_env: int, tmp_path: Path) -> Iterator[Callable[..., LiveRobot]]:
    """``live(spec, policy, **node_params)``; at teardown the node is stopped and its exit commands checked too."""
    robots: list[LiveRobot] = []

    def make(spec: RobotSpec, policy: Path, **node_params) -> LiveRobot:
        robots.append(LiveRobot(tmp_path / f"robot{len(robots)}", spec, policy, node_params))
        return robots[-1]

    yield make
    for robot in robots:
        robot.close()
        robot.lowcmds.assert_clean()


def _layout(spec: RobotSpec, command_dim: int = 0) -> ObsLayout:
    """A locomotion-style observation (gyro, gravity, [command], q, dq, last action), 3 frames."""
    n = spec.num_joints
    terms = [ObsTerm("base_ang_vel", 3, 0.25), ObsTerm("projected_gravity", 3)]
    terms += [ObsTerm("command", command_dim)] if command_dim else []
    terms += [ObsTerm("joint_pos_rel", n), ObsTerm("joint_vel", n, 0.05), ObsTerm("last_action", n)]
    return ObsLayout(tuple(terms), history_length=3)


GO2_META = PolicyMetadata.from_spec(
    GO2, _layout(GO2, 3), 0.02, command_names=("vx", "vy", "yaw_rate"), command_ranges=((-1, 1), (-0.6, 0.6), (-1, 1))
)
G1_META = PolicyMetadata.from_spec(G1_23DOF, _layout(G1_23DOF), 0.02)
"""Default-relative targets (no beta): zero actions hold the default pose."""


@pytest.fixture(scope="session")
def go2_policy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stand-still Go2 policy with a 3-d velocity command."""
    path = tmp_path_factory.mktemp("policies") / "go2_stand_still.onnx"
    return export_policy(stand_still_policy(GO2, GO2_META.obs_layout.obs_dim), None, GO2_META, path)


@pytest.fixture(scope="session")
def go2_huge_policy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Go2 policy whose every action is 1e3 (clipped to +-100 by the controller, far past every joint range)."""
    layer = nn.Linear(GO2_META.obs_layout.obs_dim, GO2.num_joints)
    with torch.no_grad():
        layer.weight.zero_()
        layer.bias.fill_(1e3)
    return export_policy(layer, None, GO2_META, tmp_path_factory.mktemp("policies") / "go2_huge.onnx")


@pytest.fixture(scope="session")
def g1_policy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stand-still G1 23-DoF policy holding the default pose."""
    path = tmp_path_factory.mktemp("policies") / "g1_stand_still.onnx"
    return export_policy(stand_still_policy(G1_23DOF, G1_META.obs_layout.obs_dim), None, G1_META, path)

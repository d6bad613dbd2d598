"""deploy.robot.params: the shipped parameter files load; bad files fail with one line naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.robot.params import ParamsError, PolicyNodeParams, read_section
from deploy.sim.params import SimBridgeParams
from legged_envs.robots import get_robot_spec

CONFIG_DIR = Path(__file__).resolve().parents[2] / "deploy" / "config"


@pytest.mark.parametrize("name", ("go2_sim2sim.yaml", "g1_sim2sim.yaml"))
def test_shipped_params_files_load_for_both_nodes(name: str) -> None:
    robot, node = read_section(CONFIG_DIR / name, "policy_node", PolicyNodeParams)
    _, bridge = read_section(CONFIG_DIR / name, "sim_bridge", SimBridgeParams)
    assert get_robot_spec(robot).name == robot
    assert node.tick_hz == 500.0 and node.state_timeout_s == 0.1 and isinstance(node.damping_kd, float)
    assert bridge.publish_hz == 500.0 and bridge.physics_dt_s == 0.002


def test_policy_override_replaces_the_file_value() -> None:
    _, node = read_section(CONFIG_DIR / "go2_sim2sim.yaml", "policy_node", PolicyNodeParams, policy="other.onnx")
    assert node.policy == "other.onnx"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "robot: go2\npolicy_node: {policy: p.onnx, tick_hz: fast}",
            r"policy_node\.tick_hz: expected a number, got 'fast'",
        ),
        ("robot: go2\npolicy_node: {policy: p.onnx, tick_hz: 0}", r"policy_node\.tick_hz: expected a number > 0"),
        ("robot: go2\npolicy_node: {policy: p.onnx, ticks: 5}", r"policy_node\.ticks: unknown parameter"),
        ("robot: go2\npolicy_node: {tick_hz: 500}", r"policy_node\.policy: required parameter missing"),
        ("robot: go2\npolicy_node: {policy: p.onnx, command_source: joy}", r"command_source: expected one of topic"),
        ("robot: go2\npolicy_node: {policy: p.onnx, max_tilt_rad: 4}", r"max_tilt_rad: expected a number in \(0, pi\]"),
        ("robot: 3\n", r"robot: expected a robot name"),
        ("robot: go2\nbridge: {}\n", r"unknown key 'bridge'"),
        ("robot: [go2\n", r"not valid YAML"),
    ],
)
def test_bad_params_name_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "params.yaml"
    path.write_text(text)
    with pytest.raises(ParamsError, match=message) as error:
        read_section(path, "policy_node", PolicyNodeParams)
    assert str(error.value).startswith(f"{path}: ") and "\n" not in str(error.value)


def test_bridge_start_pose_must_be_known(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text("robot: g1_23dof\nsim_bridge: {start_pose: floating}\n")
    with pytest.raises(ParamsError, match=r"sim_bridge\.start_pose: expected one of lying, standing, hanging"):
        read_section(path, "sim_bridge", SimBridgeParams)

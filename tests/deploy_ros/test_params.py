"""deploy.robot.params: the shipped parameter files load; bad files fail with one line naming file and key."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from deploy.robot.params import ParamsError, PolicyNodeParams, read_section
from deploy.robot.policy_node import main as policy_node_main
from deploy.sim.params import SimBridgeParams
from legged_envs.cli import main as legged_main
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
        (
            "robot: go2\npolicy_node: {policy: p.onnx, realtime_priority: 120}",
            r"realtime_priority: expected an integer",
        ),
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


@pytest.mark.parametrize("name", ("go2_real.yaml", "g1_real.yaml"))
def test_real_robot_files_set_every_node_parameter_with_a_comment_and_the_robot_defaults(name: str) -> None:
    path = CONFIG_DIR / name
    robot, node = read_section(path, "policy_node", PolicyNodeParams)
    lines = [line for line in path.read_text().splitlines() if line.startswith("  ")]
    assert all("#" in line for line in lines), [line for line in lines if "#" not in line]
    keys = {line.split(":")[0].strip() for line in lines}
    fields = {f.name for f in dataclasses.fields(PolicyNodeParams)} - ({"mode_pr"} if robot == "go2" else set())
    assert keys == fields
    assert node.network_interface != "lo" and node.domain_id == 0
    defaults = PolicyNodeParams(policy=node.policy)
    guards = ("state_timeout_s", "max_tilt_rad", "saturation_timeout_s", "discovery_wait_s", "graph_check_s")
    for guard in (*guards, "standup_timeout_s", "standup_joint_speed_factor", "standup_hold_s"):
        assert getattr(node, guard) == getattr(defaults, guard), guard


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("  max_tilt_rad: null", r"policy_node\.max_tilt_rad: null \(tilt guard off\) is a sim-only setting"),
        ("  state_timeout_s: 0.2", r"policy_node\.state_timeout_s: above the robot's 0\.1 is a sim-only setting"),
        ("  saturation_timeout_s: 1", r"policy_node\.saturation_timeout_s: above the robot's 0\.2"),
        ("  discovery_wait_s: 0", r"policy_node\.discovery_wait_s: below the robot's 1\.0"),
        ("  standup_timeout_s: 20", r"policy_node\.standup_timeout_s: above the robot's 10\.0 is a sim-only"),
        ("  standup_joint_speed_factor: 1.5", r"policy_node\.standup_joint_speed_factor: above the robot's 1\.0"),
        ("sim_bridge: {start_pose: lying}", r"sim_bridge: a sim-only setting, refused on a real interface \(network_i"),
    ],
)
def test_legged_deploy_refuses_sim_only_settings_on_a_real_interface(
    tmp_path: Path, capsys: pytest.CaptureFixture, change: str, message: str
) -> None:
    path = tmp_path / "params.yaml"
    path.write_text((CONFIG_DIR / "g1_real.yaml").read_text() + change + "\n")
    assert legged_main(["deploy", "--params", str(path)]) == 2
    error = capsys.readouterr().err
    assert re.match(rf"legged deploy: error: {re.escape(str(path))}: {message}", error), error
    sim = tmp_path / "sim.yaml"
    sim.write_text(path.read_text().replace("network_interface: eth0", "network_interface: lo"))
    read_section(sim, "policy_node", PolicyNodeParams)  # the same setting is fine in sim2sim


def test_missing_network_interface_is_refused_before_ros_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture, go2_policy: Path
) -> None:
    path = tmp_path / "params.yaml"
    path.write_text((CONFIG_DIR / "go2_real.yaml").read_text().replace("eth0", "robot9"))
    assert policy_node_main(["--params", str(path), "--policy", str(go2_policy)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("policy_node: error: network_interface 'robot9' does not exist on this machine"), error

"""The policies shipped in assets/policies load for their robot and their eval reports are reproducible."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deploy.robot.onnx_policy import OnnxPolicy
from deploy.robot.policy_metadata import PolicyMismatchError
from legged_envs.robots import get_robot_spec
from policies.evaluate import evaluate
from policies.run_dir import load_run, make_trained_env

SHIPPED = Path(__file__).resolve().parents[2] / "assets" / "policies"
GO2_DEMO = SHIPPED / "go2_posture_demo"


def test_the_shipped_onnx_policy_loads_for_the_go2_only() -> None:
    policy = OnnxPolicy(GO2_DEMO / "policy.onnx", get_robot_spec("go2"))
    assert policy.metadata.command_names == ("vx", "vy", "yaw_rate", "height", "pitch", "roll")
    with pytest.raises(PolicyMismatchError):
        OnnxPolicy(GO2_DEMO / "policy.onnx", get_robot_spec("g1_23dof"))


def test_the_shipped_onnx_policy_carries_the_command_ranges_its_training_reached() -> None:
    policy = OnnxPolicy(GO2_DEMO / "policy.onnx", get_robot_spec("go2"))
    env = make_trained_env(load_run(GO2_DEMO), 1)
    assert policy.metadata.command_ranges == env.task.command_ranges
    env.close()
    assert policy.metadata.command_ranges[0] == (0.0, 0.0)  # the demo never trained to walk: vx stays 0
    assert "OLDEST FIRST" in policy.metadata.conventions["observation"]
    assert "nose down" in policy.metadata.conventions["command.pitch"]


def test_re_evaluating_the_shipped_checkpoint_reproduces_its_report() -> None:
    report = json.loads((GO2_DEMO / "eval.json").read_text())
    result = evaluate(load_run(GO2_DEMO), episodes=report["episodes"])
    assert result.iteration == report["iteration"]
    assert result.fall_rate == pytest.approx(report["fall_rate"], abs=1e-9)
    for key in ("tracking_rmse", "command_test_rmse", "zero_action_rmse"):
        for name, rmse in report[key].items():
            assert getattr(result, key)[name] == pytest.approx(rmse, rel=1e-4), (key, name)
    assert result.meets_target == report["meets_target"]

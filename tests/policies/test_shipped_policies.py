"""The policies shipped in assets/policies load for their robot and their eval reports are reproducible."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deploy.robot.onnx_policy import OnnxPolicy
from deploy.robot.policy_metadata import PolicyMismatchError
from legged_envs.robots import get_robot_spec
from policies.evaluate import evaluate
from policies.run_dir import load_run

SHIPPED = Path(__file__).resolve().parents[2] / "assets" / "policies"
GO2_DEMO = SHIPPED / "go2_posture_demo"


def test_the_shipped_onnx_policy_loads_for_the_go2_only() -> None:
    policy = OnnxPolicy(GO2_DEMO / "policy.onnx", get_robot_spec("go2"))
    assert policy.metadata.command_names == ("vx", "vy", "yaw_rate", "height", "pitch", "roll")
    with pytest.raises(PolicyMismatchError):
        OnnxPolicy(GO2_DEMO / "policy.onnx", get_robot_spec("g1_23dof"))


def test_re_evaluating_the_shipped_checkpoint_reproduces_its_report() -> None:
    report = json.loads((GO2_DEMO / "eval.json").read_text())
    result = evaluate(load_run(GO2_DEMO), episodes=report["episodes"])
    assert result.iteration == report["iteration"]
    assert result.fall_rate == pytest.approx(report["fall_rate"], abs=1e-9)
    for name, rmse in report["tracking_rmse"].items():
        assert result.tracking_rmse[name] == pytest.approx(rmse, rel=1e-4), name

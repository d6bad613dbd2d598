"""The policies shipped in assets/policies load for their robot and their eval reports are reproducible."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from deploy.robot.onnx_policy import OnnxPolicy
from deploy.robot.policy_metadata import PolicyMismatchError
from legged_envs.robots import get_robot_spec
from policies.command_sweep import command_sweep
from policies.evaluate import evaluate
from policies.rng import seed_everything
from policies.run_dir import load_policy, load_run, make_trained_env, mean_action

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


GO2_WALK = SHIPPED / "go2_walk"
FLAT = ("terrain.kind=flat", "terrain.num_levels=1", "terrain.num_tiles_per_level=1")


def forward_speed(policy_of: str) -> tuple[float, float]:
    """(mean vx, fall rate) of ``policy_of`` = "trained" or "zero" holding vx = 0.5 m/s for 4 s on flat ground, with
    the walking policy's training randomisation."""
    seed_everything(7)
    run = load_run(GO2_WALK, FLAT)
    env = make_trained_env(run, 16)
    actor = load_policy(run, env.get_observations(), env.num_actions)
    zero = torch.zeros(env.num_envs, env.num_actions)
    policy = (lambda obs: mean_action(actor, obs)) if policy_of == "trained" else (lambda obs: zero)
    (point,) = command_sweep(env, policy, settle_s=1.5, seconds=4.0, dims=("vx",), values={"vx": [0.5]})
    env.close()
    return point.achieved, point.fall_rate


def test_the_shipped_walking_policy_walks_where_holding_the_pose_does_not() -> None:
    walked, falls = forward_speed("trained")
    stood, _ = forward_speed("zero")
    print(f"vx 0.5 m/s commanded: trained {walked:.3f} m/s ({falls:.0%} falls), zero action {stood:.3f} m/s")
    assert 0.4 <= walked <= 0.6 and falls == 0.0
    assert abs(stood) < 0.05


def test_the_walking_report_belongs_to_the_shipped_checkpoint_and_its_onnx_to_the_trained_ranges() -> None:
    report = json.loads((GO2_WALK / "eval.json").read_text())
    run = load_run(GO2_WALK)
    assert (report["checkpoint"], report["iteration"]) == (run.checkpoint.name, run.iteration)
    assert report["meets_target"], "the report holds a verdict per moving command"
    policy = OnnxPolicy(GO2_WALK / "policy.onnx", get_robot_spec("go2"))
    env = make_trained_env(run, 4)
    assert policy.metadata.command_ranges == env.task.command_ranges
    obs = env.get_observations()
    actor = load_policy(run, obs, env.num_actions)
    expected = mean_action(actor, obs).numpy()
    env.close()
    actual = [policy(row) for row in obs["policy"].numpy()]
    assert max(abs(a - e).max() for a, e in zip(actual, expected, strict=True)) < 1e-4

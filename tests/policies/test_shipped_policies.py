"""The policies shipped in assets/policies load for their robot, their eval reports are reproducible, and they
do their job."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from deploy.robot.onnx_policy import OnnxPolicy
from deploy.robot.policy_metadata import PolicyMismatchError
from legged_envs.perturbations.config import load_suite
from legged_envs.robots import get_robot_spec
from policies.command_sweep import command_sweep
from policies.evaluate import evaluate
from policies.rng import seed_everything
from policies.robustness import run_cell
from policies.run_dir import load_policy, load_run, make_trained_env, mean_action
from policies.standup_eval import evaluate_standup

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


G1_STANDUP = SHIPPED / "g1_standup_ground"


def test_the_shipped_standup_onnx_is_the_checkpoint_with_tanh_and_its_beta_for_the_g1_only() -> None:
    run = load_run(G1_STANDUP)
    report = json.loads((G1_STANDUP / "eval.json").read_text())
    assert (report["checkpoint"], report["iteration"]) == (run.checkpoint.name, run.iteration)
    policy = OnnxPolicy(G1_STANDUP / "policy.onnx", get_robot_spec("g1_23dof"))
    with pytest.raises(PolicyMismatchError):
        OnnxPolicy(G1_STANDUP / "policy.onnx", get_robot_spec("go2"))
    env = make_trained_env(run, 4)
    assert policy.metadata.beta == pytest.approx(env.task.beta) == pytest.approx(report["beta"])
    for _ in range(40):  # past the unactuated start, into varied states
        env.step(torch.randn(env.num_envs, env.num_actions))
    obs = env.get_observations()
    actor = load_policy(run, obs, env.num_actions)
    expected = torch.tanh(mean_action(actor, obs)).numpy()
    env.close()
    actual = [policy(row) for row in obs["policy"].numpy()]
    assert max(abs(a - e).max() for a, e in zip(actual, expected, strict=True)) < 1e-4


def test_the_shipped_standup_policy_rises_far_above_zero_and_random_actions() -> None:
    report = evaluate_standup(load_run(G1_STANDUP), episodes=100)
    head = {name: stats["all"].mean_head_height_m for name, stats in report.results.items()}
    print(f"mean head height over 100 episodes: {head}")
    assert head["policy"] >= 2.0 * max(head["zero_action"], head["random"]), head


GO2_WALK_ROBUST = SHIPPED / "go2_walk_robust"


def latency_fall_rate(run_dir: Path) -> float:
    """Fall rate of ``run_dir``'s policy over 32 episodes of 10 s with 80 ms (4 control steps) of action latency."""
    suite = load_suite(SHIPPED.parents[1] / "configs" / "robustness" / "go2.yaml")
    run = load_run(run_dir, ["env.episode_length_s=10"])
    env = make_trained_env(run, 1)
    actor = load_policy(run, env.get_observations(), env.num_actions)
    env.close()
    cell = run_cell(run, lambda obs: mean_action(actor, obs), 32, suite.scenarios["action_latency"], 1.0, seed=0)
    return cell["fall_rate"]


def test_the_policy_fine_tuned_under_perturbations_survives_action_latency_that_topples_the_original() -> None:
    robust, original = latency_fall_rate(GO2_WALK_ROBUST), latency_fall_rate(GO2_WALK)
    print(f"falls with 80 ms of action latency: fine-tuned {robust:.0%}, original {original:.0%}")
    assert robust <= 0.3 and original >= 0.6

"""The fixed-command tests' arithmetic, on hand-made trajectories; and the sweep on a real env."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from legged_envs.envs.legged_env import LeggedEnv
from legged_envs.tasks.go2_posture import Go2PostureTask
from legged_envs.tasks.registry import load_task_config
from policies.command_script import Segment
from policies.command_sweep import SweepAccumulator, command_sweep, sweep_rmse, sweep_values
from policies.play import segment_means
from policies.run_dir import load_run, make_trained_env
from policies.trainer import train

from .train_support import REPO


def test_settling_steps_and_dead_envs_do_not_count_and_falls_are_kept() -> None:
    acc = SweepAccumulator(num_envs=2, settle_steps=2)
    commanded = torch.tensor([0.5, 0.5])
    # Env 0 reaches 0.4 after settling; env 1 falls at step 3 (counted once alive, never after).
    trajectory = [([9.0, 9.0], [True, True]), ([9.0, 9.0], [True, True]), ([0.4, 0.2], [True, True])]
    trajectory += [([0.4, 0.0], [True, False]), ([0.4, 0.0], [True, False])]
    for step, (measured, alive) in enumerate(trajectory):
        fell = torch.tensor([False, step == 3])
        acc.add(torch.tensor(measured), commanded, torch.tensor(alive), fell)
    achieved, rmse, falls = acc.summary(torch.tensor([0]))
    assert achieved == pytest.approx(0.4) and rmse == pytest.approx(0.1) and falls == 0.0
    achieved, rmse, falls = acc.summary(torch.tensor([1]))
    assert achieved == pytest.approx(0.2) and rmse == pytest.approx(0.3) and falls == 1.0
    achieved, rmse, _ = acc.summary(torch.tensor([0, 1]))  # steps pooled: 0.4, 0.4, 0.4 and 0.2
    assert achieved == pytest.approx(0.35) and rmse == pytest.approx(math.sqrt((3 * 0.01 + 0.09) / 4))


def test_an_env_that_never_lives_past_settling_has_no_figures_only_a_fall() -> None:
    acc = SweepAccumulator(num_envs=1, settle_steps=5)
    acc.add(torch.tensor([0.0]), torch.tensor([1.0]), torch.tensor([False]), torch.tensor([True]))
    achieved, rmse, falls = acc.summary(torch.tensor([0]))
    assert math.isnan(achieved) and math.isnan(rmse) and falls == 1.0


def test_values_span_the_range_and_a_point_range_gives_one_value() -> None:
    assert sweep_values(-0.5, 0.7, 5) == [-0.5, -0.2, 0.1, 0.4, 0.7]
    assert sweep_values(0.0, 0.0, 5) == [0.0]


def test_a_robot_that_holds_its_pose_achieves_zero_whatever_is_commanded() -> None:
    _, cfg, _ = load_task_config(
        REPO / "configs" / "go2_demo.yaml",
        ["env.num_envs=10", "task.reset.joint_pos_noise_rad=0.0", "task.randomization.enabled=false"],
    )
    env = LeggedEnv(cfg, Go2PostureTask)
    zero = torch.zeros(env.num_envs, env.num_actions)
    points = command_sweep(env, lambda obs: zero, settle_s=0.5, seconds=1.5, dims=("pitch",))
    env.close()
    assert [p.value for p in points] == [-0.3, -0.15, 0.0, 0.15, 0.3]
    assert all(p.envs == 2 and p.fall_rate == 0.0 and abs(p.achieved) < 0.02 for p in points)
    # Ignoring the command costs its RMS: sqrt(mean of 0.09, 0.0225, 0, 0.0225, 0.09) = 0.2121.
    assert sweep_rmse(points)["pitch"] == pytest.approx(0.2121, abs=0.02)


def test_play_averages_each_segment_after_its_settling_second() -> None:
    segments = [Segment(2.0, (0.5,)), Segment(1.0, (0.0,))]
    # vx ramps to 0.5 in the first second, holds it, then stops at once.
    measured = [(t / 10, {"vx": min(0.5, t / 20) if t < 20 else 0.0}) for t in range(30)]
    (first, got_first), (second, got_second) = segment_means(segments, measured)
    assert got_first["vx"] == pytest.approx(0.5) and got_second["vx"] == pytest.approx(0.0)
    assert (first, second) == tuple(segments)


def test_a_trained_env_keeps_its_command_ranges_and_terrain_levels_while_evaluated(tmp_path: Path) -> None:
    """Evaluation must not move curricula: a lenient threshold would widen every range within one window."""
    result = train(
        str(REPO / "configs" / "go2_demo.yaml"),
        ["env.num_envs=16", "train.max_iterations=1", f"train.runs_dir={tmp_path}"],
    )
    lenient = ["enabled=true", "threshold=-1", "window_samples=4", "settle_s=0"]
    run = load_run(result.run_dir, [f"task.command_curriculum.{setting}" for setting in lenient])
    env = make_trained_env(run, 16)
    ranges = env.task.command_ranges
    zero = torch.zeros(env.num_envs, env.num_actions)
    command_sweep(env, lambda obs: zero, settle_s=0.1, seconds=0.5, dims=("height",))
    for _ in range(50):
        env.step(zero)
    assert env.task.command_ranges == ranges
    env.close()

"""Learning to get up: a minute of CPU training on a small stand-up problem raises the G1 from lying on its back.

The small problem is ``configs/g1_standup.yaml`` cut down: supine starts only, 128 envs, 4 s episodes, 60
iterations (~250k env-steps), the task reward group alone, no randomisation. That is far from standing (HoST
trains ~10^9 env-steps), so the criterion is the evaluation's progress measure before any success: the head
height over HoST's evaluation episodes (5 s, beta as trained, no pull force). A zero-action policy (targets =
current q: limp) stays on its back, and random actions flail without sitting up; the trained policy must lift
its head well above both.
"""

from __future__ import annotations

from pathlib import Path

import torch

from policies.run_dir import load_run
from policies.standup_eval import evaluate_standup
from policies.trainer import train

from .train_support import REPO

SMALL_PROBLEM = f"""\
base: {REPO / "configs" / "g1_standup.yaml"}
env: {{num_envs: 128, episode_length_s: 4.0}}
task:
  postures: {{weights: {{supine: 1.0, prone: 0.0, sitting: 0.0}}}}
  curriculum: {{enabled: false}}
  reward_group_weights: {{task: 1.0, regularization: 0.0, style: 0.0, post_task: 0.0}}
  randomization: {{enabled: false}}
train: {{max_iterations: 60, save_interval: 60}}
"""
MIN_HEAD_GAIN = 1.5
"""The trained policy's mean head height is at least this multiple of the better baseline's."""
MIN_HEAD_M = 0.25
"""...and at least this high, m (lying supine the head is ~0.08 m above the ground)."""


def test_a_minute_of_training_lifts_the_head_of_a_supine_g1_where_zero_and_random_actions_do_not(
    tmp_path: Path,
) -> None:
    torch.set_num_threads(2)
    config = tmp_path / "g1_standup_small.yaml"
    config.write_text(SMALL_PROBLEM)
    result = train(str(config), [f"train.runs_dir={tmp_path / 'runs'}"])
    report = evaluate_standup(load_run(result.run_dir), episodes=100)
    head = {name: stats["all"].mean_head_height_m for name, stats in report.results.items()}
    peak = {name: stats["all"].max_head_height_m for name, stats in report.results.items()}
    print(f"mean head height {head}, mean peak {peak}")
    best_baseline = max(head["zero_action"], head["random"])
    assert head["policy"] >= MIN_HEAD_GAIN * best_baseline, head
    assert head["policy"] >= MIN_HEAD_M, head
    assert peak["policy"] > max(peak["zero_action"], peak["random"]), peak

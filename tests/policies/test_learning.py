"""Learning: the demo's minutes of CPU training (configs/go2_demo.yaml) make a policy that follows height commands.

The criterion is the eval's fixed-command test (``policies.command_sweep``): height, pitch and roll
each held at five values across the demo's ranges, the others at 0, settled for a second, then
measured. A dimension is tracked when its RMSE is at most ``MAX_RMSE_RATIO`` of the commands' RMS
(the RMSE of a robot that ignores the command) and no value makes more than ``MAX_FALL_RATE`` of
the envs fall. The same test, run on a zero-action and a random policy from the same resets, must
fail: holding the default pose ignores every command, flailing falls or misses. Height is asserted;
pitch and roll need more than the demo's 200 iterations (~600k env-steps) and are only printed.

Locomotion (moving the base at a commanded velocity) takes ~10^7 env-steps, beyond a CI budget;
``tests/policies/test_shipped_policies.py`` checks it on the shipped walking policy.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch

from policies.command_sweep import CommandPoint, command_sweep
from policies.rng import seed_everything
from policies.run_dir import TrainedRun, load_policy, load_run, make_trained_env, mean_action
from policies.trainer import train

from .train_support import REPO

DEMO = str(REPO / "configs" / "go2_demo.yaml")
POSTURE = ("height", "pitch", "roll")
MAX_RMSE_RATIO = 0.6
"""A tracked dimension's RMSE is at most this share of its commands' RMS (1 for a robot ignoring them)."""
MAX_FALL_RATE = 0.1
EVAL_ENVS = 60
"""12 envs per commanded value."""


def posture_tests(run: TrainedRun, policy_of: str) -> list[CommandPoint]:
    """The fixed posture-command tests of ``policy_of`` = "trained", "zero" or "random" (N(0, 1) actions)."""
    seed_everything(123)  # the same resets for every policy
    env = make_trained_env(run, EVAL_ENVS)
    actor = load_policy(run, env.get_observations(), env.num_actions)
    policies = {
        "trained": lambda obs: mean_action(actor, obs),
        "zero": lambda obs: torch.zeros(EVAL_ENVS, env.num_actions),
        "random": lambda obs: torch.randn(EVAL_ENVS, env.num_actions),
    }
    points = command_sweep(env, policies[policy_of], settle_s=1.0, seconds=3.0, dims=POSTURE)
    env.close()
    return points


def untracked(points: list[CommandPoint]) -> list[str]:
    """The posture dimensions the tests show are not tracked, each with its RMSE ratio and worst fall rate."""
    failures = []
    for name in POSTURE:
        mine = [p for p in points if p.command == name]
        commanded_rms = math.sqrt(sum(p.value**2 for p in mine) / len(mine))
        rmse = math.sqrt(sum((p.rmse if not math.isnan(p.rmse) else math.inf) ** 2 for p in mine) / len(mine))
        worst_falls = max(p.fall_rate for p in mine)
        if not (rmse <= MAX_RMSE_RATIO * commanded_rms and worst_falls <= MAX_FALL_RATE):
            failures.append(f"{name}: RMSE {rmse / commanded_rms:.2f} of the commanded RMS, falls {worst_falls:.0%}")
    return failures


def test_the_demo_training_tracks_height_commands_that_zero_and_random_policies_do_not(
    tmp_path: Path,
) -> None:
    torch.set_num_threads(2)
    result = train(DEMO, [f"train.runs_dir={tmp_path}"])  # the demo's 200 iterations, ~2 min on 2 cores
    run = load_run(result.run_dir)
    verdicts = {kind: untracked(posture_tests(run, kind)) for kind in ("trained", "zero", "random")}
    print(verdicts)
    assert not [failure for failure in verdicts["trained"] if failure.startswith("height")]
    assert len(verdicts["zero"]) == len(POSTURE)
    assert [failure for failure in verdicts["random"] if failure.startswith("height")]

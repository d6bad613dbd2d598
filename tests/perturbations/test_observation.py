"""Observation perturbations against their definitions, measured on a real env: the wrapper's policy frame
minus the env's own (clean) frame."""

from __future__ import annotations

import math

import pytest
import torch

from legged_envs.perturbations.base import schedule_factor
from legged_envs.perturbations.config import ScheduleConfig
from legged_envs.perturbations.wrapper import PerturbedEnv

from .support import make_env, scenario, zeros


def frames(penv: PerturbedEnv, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(steps, n, F) newest perturbed and clean policy frames over ``steps`` zero-action steps."""
    frame_dim = penv.history.layout.frame_dim
    perturbed, clean = [], []
    for _ in range(steps):
        penv.step(zeros(penv))
        perturbed.append(penv.get_observations()["policy"][:, -frame_dim:].clone())
        clean.append(penv.env.get_observations()["policy"][:, -frame_dim:].clone())
    return torch.stack(perturbed), torch.stack(clean)


def term(penv: PerturbedEnv, name: str) -> tuple[slice, float]:
    layout = penv.history.layout
    return layout.frame_slices()[name], layout.term(name).scale


@pytest.mark.parametrize(("kind", "std_of_magnitude"), [("obs_gaussian", 1.0), ("obs_uniform", 1 / math.sqrt(3))])
def test_noise_has_the_configured_spread_on_the_chosen_term_only(kind: str, std_of_magnitude: float) -> None:
    penv = PerturbedEnv(make_env(64), scenario({"kind": kind, "terms": ["joint_vel"], "magnitude": 2.0}), 0.5)
    perturbed, clean = frames(penv, 40)
    columns, scale = term(penv, "joint_vel")
    noise = (perturbed - clean)[..., columns] / scale  # raw units: 40 x 64 x 12 samples
    assert noise.std().item() == pytest.approx(1.0 * std_of_magnitude, rel=0.03)
    assert abs(noise.mean().item()) < 0.02
    if kind == "obs_uniform":
        assert noise.abs().max().item() <= 1.0 + 1e-5
    others = torch.ones(perturbed.shape[-1], dtype=torch.bool)
    others[columns] = False
    assert torch.equal(perturbed[..., others], clean[..., others])


def test_bias_is_a_constant_offset_in_raw_units() -> None:
    penv = PerturbedEnv(make_env(4), scenario({"kind": "obs_bias", "terms": ["base_ang_vel"], "magnitude": -0.3}), 1)
    perturbed, clean = frames(penv, 5)
    columns, scale = term(penv, "base_ang_vel")
    assert torch.allclose((perturbed - clean)[..., columns], torch.full((5, 4, 3), -0.3 * scale), atol=1e-6)


def test_dropout_zeroes_the_configured_share() -> None:
    cfg = {"kind": "obs_dropout", "terms": ["joint_pos_rel", "joint_vel"], "magnitude": 0.3}
    penv = PerturbedEnv(make_env(64), scenario(cfg), 1.0)
    perturbed, clean = frames(penv, 20)
    columns = slice(term(penv, "joint_pos_rel")[0].start, term(penv, "joint_vel")[0].stop)
    dropped = (perturbed[..., columns] == 0) & (clean[..., columns] != 0)
    assert dropped.float().mean().item() == pytest.approx(0.3, abs=0.02)
    kept = perturbed[..., columns] != 0
    assert torch.equal(perturbed[..., columns][kept], clean[..., columns][kept])


def test_hold_last_dropout_repeats_the_previous_delivered_value() -> None:
    cfg = {"kind": "obs_dropout", "terms": ["joint_vel"], "magnitude": 0.5, "dropout": "hold"}
    penv = PerturbedEnv(make_env(16), scenario(cfg), 1.0)
    perturbed, clean = frames(penv, 20)
    columns, _ = term(penv, "joint_vel")
    now, before, truth = perturbed[1:, :, columns], perturbed[:-1, :, columns], clean[1:, :, columns]
    held = now != truth
    assert held.float().mean().item() == pytest.approx(0.5, abs=0.05)
    assert torch.equal(now[held], before[held])


def test_latency_delays_the_chosen_term_by_exactly_k_steps_and_ages_in_the_history() -> None:
    penv = PerturbedEnv(make_env(4), scenario({"kind": "obs_latency", "terms": ["joint_pos_rel"], "magnitude": 3}), 1)
    perturbed, clean = frames(penv, 12)
    columns, _ = term(penv, "joint_pos_rel")
    assert torch.equal(perturbed[3:, :, columns], clean[:-3, :, columns])
    assert not torch.equal(perturbed[3:, :, columns], clean[3:, :, columns])
    assert torch.equal(perturbed[3:, :, : columns.start], clean[3:, :, : columns.start])
    frame_dim = penv.history.layout.frame_dim
    stacked = penv.get_observations()["policy"]  # oldest first: the frame before the newest is last step's
    assert torch.equal(stacked[:, -2 * frame_dim : -frame_dim], perturbed[-2])


def test_interval_mode_holds_a_draw_for_k_steps() -> None:
    cfg = {"kind": "obs_gaussian", "terms": ["projected_gravity"], "magnitude": 0.1, "mode": "interval"}
    penv = PerturbedEnv(make_env(4), scenario({**cfg, "interval_steps": 5}), 1.0)
    perturbed, clean = frames(penv, 10)  # episode steps 1..10: draws at 5 and 10
    noise = (perturbed - clean)[..., term(penv, "projected_gravity")[0]]
    assert torch.allclose(noise[0], noise[3], atol=1e-6) and torch.allclose(noise[4], noise[8], atol=1e-6)
    assert not torch.allclose(noise[3], noise[4])


def test_schedules_follow_their_definitions() -> None:
    t = torch.tensor([0.0, 0.5, 1.0, 1.5, 2.0, 3.0])
    assert torch.equal(schedule_factor(ScheduleConfig("constant"), t), torch.ones(6))
    assert torch.equal(schedule_factor(ScheduleConfig("step", start_s=1.0), t), torch.tensor([0, 0, 1, 1, 1, 1.0]))
    ramp = schedule_factor(ScheduleConfig("ramp", start_s=1.0, duration_s=1.0), t)
    assert torch.allclose(ramp, torch.tensor([0, 0, 0, 0.5, 1, 1.0]))
    sine = schedule_factor(ScheduleConfig("sinusoid", start_s=1.0, period_s=2.0), t)
    assert torch.allclose(sine, torch.tensor([0, 0, 0, 0.5, 1, 0.0]), atol=1e-6)


def test_a_ramp_grows_the_noise_over_the_episode() -> None:
    ramp = {"kind": "ramp", "start_s": 0.0, "duration_s": 1.0}
    cfg = {"kind": "obs_uniform", "terms": ["joint_vel"], "magnitude": 1.0, "schedule": ramp}
    penv = PerturbedEnv(make_env(32), scenario(cfg), 1.0)
    perturbed, clean = frames(penv, 50)  # steps 1..50 of 0.02 s: the ramp ends at step 50
    noise = ((perturbed - clean)[..., term(penv, "joint_vel")[0]]).abs().amax(dim=(1, 2)) / 0.05
    limit = torch.arange(1, 51) * penv.control_dt
    assert torch.all(noise <= limit + 1e-4) and noise[-1] > 0.9


def test_episode_mode_holds_a_draw_for_the_episode_and_redraws_at_a_reset() -> None:
    cfg = {"kind": "obs_gaussian", "terms": ["projected_gravity"], "magnitude": 0.1, "mode": "episode"}
    penv = PerturbedEnv(make_env(4, "env.episode_length_s=0.2"), scenario(cfg), 1.0)  # 10 steps per episode
    perturbed, clean = frames(penv, 15)  # steps 1..9, then the new episode's 0..5
    noise = (perturbed - clean)[..., term(penv, "projected_gravity")[0]]
    assert torch.allclose(noise[0], noise[8], atol=1e-6) and torch.allclose(noise[9], noise[14], atol=1e-6)
    assert not torch.allclose(noise[8], noise[9])


def test_drift_random_walks_from_zero_each_episode_with_the_configured_step_std() -> None:
    cfg = {"kind": "obs_drift", "terms": ["base_ang_vel"], "magnitude": 0.01}
    penv = PerturbedEnv(make_env(256, "env.episode_length_s=0.5"), scenario(cfg), 2.0)  # step std 0.02 rad/s
    perturbed, clean = frames(penv, 30)  # episode steps 1..24 (2..25 walk steps), then the next episode's 0..5
    columns, scale = term(penv, "base_ang_vel")
    drift = (perturbed - clean)[..., columns] / scale  # raw units, (30, 256, 3)
    steps = drift[1:24] - drift[:23]
    assert steps.std().item() == pytest.approx(0.02, rel=0.03) and abs(steps.mean().item()) < 0.001
    assert drift[22].var().item() == pytest.approx(24 * 0.02**2, rel=0.15)  # variance grows with the walk's length
    assert drift[24].std().item() == pytest.approx(0.02, rel=0.15)  # a new episode starts from 0 (one step taken)
    others = torch.ones(perturbed.shape[-1], dtype=torch.bool)
    others[columns] = False
    assert torch.equal(perturbed[..., others], clean[..., others])

"""Perturbations while training (``train.perturbations``): reward kinds against their definitions on one reward group
and on several, the training env as rsl-rl drives it (its writes, resets, a clean ``privileged`` observation that
follows what physics perturbations set) and the severity curriculum. ``legged train`` with the section, bad
sections and ``--init``: tests/policies/test_training_perturbations.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from legged_envs.config.schema import validate
from legged_envs.envs.legged_env import LeggedEnv
from legged_envs.perturbations.training import TrainingPerturbationsConfig
from legged_envs.perturbations.wrapper import PerturbedEnv
from legged_envs.tasks.registry import load_task_config
from policies.env_setup import make_env as make_config_env
from policies.env_setup import perturb_for_training
from policies.evaluate import run_episodes

from .support import GO2_DEMO, make_env, scenario, zeros

REPO = Path(__file__).resolve().parents[2]
G1_STANDUP = REPO / "configs" / "g1_standup.yaml"


def go2(num_envs: int = 64) -> LeggedEnv:
    """Go2s of the demo run: one reward group, (n,) rewards."""
    return make_env(num_envs)


def g1(num_envs: int = 16) -> LeggedEnv:
    """G1s of the stand-up task: four reward groups, (n, 4) rewards."""
    _, cfg, task_cls = load_task_config(G1_STANDUP, [f"env.num_envs={num_envs}", "sim.num_threads=1"])
    return make_config_env(cfg, task_cls, G1_STANDUP, [])


def twin_rewards(
    build: Callable[[], LeggedEnv], perturbations: list[dict[str, Any]]
) -> tuple[torch.Tensor, torch.Tensor, float]:
    """(25, n, ...) rewards of 25 zero-action steps of a perturbed env and of an unperturbed twin (same config and
    seed: the same physics, which reward kinds leave alone), and the control step, s."""
    penv, twin = PerturbedEnv(build(), scenario(*perturbations), 1.0), build()
    perturbed, clean = [], []
    for _ in range(25):
        perturbed.append(penv.step(zeros(penv))[1])
        clean.append(twin.step(zeros(twin))[1])
    return torch.stack(perturbed), torch.stack(clean), penv.control_dt


@pytest.mark.parametrize("build", [go2, g1], ids=["one group", "four groups"])
def test_reward_noise_has_the_configured_std_per_second_on_every_group(build: Callable[[], LeggedEnv]) -> None:
    perturbed, clean, dt = twin_rewards(build, [{"kind": "reward_noise", "magnitude": 2.0}])
    assert perturbed.shape == clean.shape
    noise = (perturbed - clean) / dt  # per second: 1600 samples
    assert noise.std().item() == pytest.approx(2.0, rel=0.07) and abs(noise.mean().item()) < 0.2
    if noise.dim() == 3:  # each group its own draws
        assert all(noise[..., g].std().item() == pytest.approx(2.0, rel=0.15) for g in range(noise.shape[-1]))


@pytest.mark.parametrize("build", [go2, g1], ids=["one group", "four groups"])
def test_a_shifted_sparse_reward_is_shifted_or_zero_for_a_whole_step(build: Callable[[], LeggedEnv]) -> None:
    shift = {"kind": "reward_shift", "magnitude": -3.0}
    perturbed, clean, dt = twin_rewards(build, [shift, {"kind": "reward_sparse", "magnitude": 0.3}])
    rows = perturbed.reshape(*perturbed.shape[:2], -1)  # (steps, n, G)
    zeroed = (rows == 0).all(-1)
    assert torch.equal(zeroed, (rows == 0).any(-1))  # every group of a step together
    assert zeroed.float().mean().item() == pytest.approx(0.3, abs=0.04)
    shifted = clean.reshape(rows.shape) - 3.0 * dt
    assert torch.allclose(rows[~zeroed], shifted[~zeroed], atol=1e-6)


def test_reward_perturbations_change_the_returns_but_not_the_evaluation_metrics() -> None:
    noise, shift = {"kind": "reward_noise", "magnitude": 1.0}, {"kind": "reward_shift", "magnitude": -2.0}
    rewards = scenario(noise, shift, {"kind": "reward_sparse", "magnitude": 0.5})
    build = lambda: make_env(16, "env.episode_length_s=1.0")  # noqa: E731
    zero = lambda obs: torch.zeros(obs.batch_size[0], 12)  # noqa: E731
    perturbed, clean = run_episodes(PerturbedEnv(build(), rewards, 1.0), zero), run_episodes(build(), zero)
    assert perturbed["mean_return"] != pytest.approx(clean["mean_return"], abs=0.1)
    for metric in ("fall_rate", "mean_episode_length_s", "tracking_rmse"):  # measured from the state
        assert perturbed[metric] == clean[metric]


def go2_training_env(*apply: str, severity: str = "1.0") -> tuple[LeggedEnv | PerturbedEnv, Any]:
    """The demo run's config with ``train.perturbations`` (YAML flow mappings), as ``legged train`` builds it."""
    overrides = ["env.num_envs=8", "sim.num_threads=1", f"train.perturbations.apply=[{', '.join(apply)}]"]
    overrides.append(f"train.perturbations.severity={severity}")
    source = GO2_DEMO / "config.yaml"
    _, cfg, task_cls = load_task_config(source, overrides)
    return perturb_for_training(make_config_env(cfg, task_cls, source, overrides), cfg, source, overrides), cfg


def test_the_training_env_perturbs_only_the_policy_observation_and_takes_rsl_rls_writes() -> None:
    penv, cfg = go2_training_env("{kind: obs_gaussian, magnitude: 0.5}", "{kind: obs_drift, magnitude: 0.01}")
    assert isinstance(penv, PerturbedEnv)
    penv.episode_length_buf = torch.randint_like(penv.episode_length_buf, high=int(penv.max_episode_length))
    assert penv.env.episode_length_buf is penv.episode_length_buf  # rsl-rl's spread of the first episodes
    for _ in range(5):
        obs, _, _, _ = penv.step(zeros(penv))
        clean = penv.env.get_observations()
        assert not torch.allclose(obs["policy"], clean["policy"])
        assert torch.equal(obs["privileged"], clean["privileged"])  # the critic's truths stay clean
    penv.set_severity(0.25)
    assert [p.peak for p in penv.obs_perturbations] == pytest.approx([0.125, 0.0025])
    obs = penv.reset_all()  # after a resume restores the curricula
    assert torch.equal(penv.episode_length_buf, torch.zeros_like(penv.episode_length_buf))
    frames = obs["policy"].view(8, cfg.task.observations.history_length, -1)
    assert torch.equal(frames[:, 0], frames[:, -1])  # the history restarts from the first perturbed frame


def test_the_critic_sees_the_friction_and_payload_that_perturbations_set() -> None:
    penv, _ = go2_training_env("{kind: friction, magnitude: 0.6}", "{kind: payload, magnitude: 4.0}", severity="0.5")
    penv.step(zeros(penv))
    truths = penv.task.privileged_terms()
    assert torch.allclose(truths["friction"], torch.full((8, 1), 0.7))
    assert torch.allclose(truths["payload"], torch.full((8, 1), 2.0))


def test_the_severity_rises_linearly_over_the_iterations_then_holds() -> None:
    curve = {"start": 0.2, "end": 1.0, "iterations": 100}
    section = validate(
        {"apply": [{"kind": "push", "magnitude": 1.0}], "severity": curve}, TrainingPerturbationsConfig, ""
    )
    assert [section.severity_at(i) for i in (0, 25, 100, 500)] == pytest.approx([0.2, 0.4, 1.0, 1.0])
    assert section.peak_severity() == 1.0
    fixed = validate({"severity": 0.5}, TrainingPerturbationsConfig, "")
    assert fixed.severity_at(0) == fixed.severity_at(10**6) == fixed.peak_severity() == 0.5

"""Adversarial observation attacks against the shipped walking policy on real physics: they cost more return and
more falls than uniform noise of the same bound, PGD deviates the action most and stays inside its box per term;
bad attack configs are one-line errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from rsl_rl.models import MLPModel
from tensordict import TensorDict

from legged_envs.envs.legged_env import LeggedEnv
from legged_envs.perturbations.attacks import ObsAttack
from legged_envs.perturbations.config import load_suite
from legged_envs.perturbations.kinds import term_columns
from legged_envs.perturbations.wrapper import PerturbedEnv
from policies.evaluate import run_episodes
from policies.rng import seed_everything
from policies.robustness import evaluate_suite
from policies.run_dir import load_policy, load_run, make_trained_env, mean_action

from .support import make_env, scenario, suite_error

GO2_WALK = Path(__file__).resolve().parents[2] / "assets" / "policies" / "go2_walk"
EPSILON = {"base_ang_vel": 0.2, "projected_gravity": 0.05, "joint_pos_rel": 0.05, "joint_vel": 1.0}
"""Bound per sensor at size 1, raw units (rad/s, -, rad, rad/s)."""


@pytest.fixture(autouse=True)
def one_torch_thread() -> Iterator[None]:
    """The actor is tiny: threads only add contention on a busy 2-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def walker(num_envs: int) -> tuple[LeggedEnv, MLPModel]:
    """A fresh flat-ground env of the shipped walking policy's run (2 s episodes) and its actor."""
    run = load_run(GO2_WALK, ["terrain.kind=flat", "sim.num_threads=1", "env.episode_length_s=2"])
    seed_everything(run.cfg.seed)
    env = make_trained_env(run, num_envs)
    return env, load_policy(run, env.get_observations(), env.num_actions)


def attack(**options: object) -> dict:
    return {"kind": "obs_attack", "magnitude": 1.0, "epsilon": EPSILON, **options}


def test_pgd_costs_more_return_and_more_falls_than_uniform_noise_of_the_same_bound() -> None:
    uniform = scenario(*({"kind": "obs_uniform", "terms": [t], "magnitude": e} for t, e in EPSILON.items()))
    pgd = scenario(attack(steps=3, step_size=0.5))
    stats = {}
    for name, perturbations in (("clean", None), ("uniform", uniform), ("pgd", pgd)):
        env, actor = walker(16)
        stepped = env if perturbations is None else PerturbedEnv(env, perturbations, 3.0, policy=actor)
        stats[name] = run_episodes(stepped, lambda obs: mean_action(actor, obs))  # noqa: B023
    clean, uniform_loss = stats["clean"]["mean_return"], stats["clean"]["mean_return"] - stats["uniform"]["mean_return"]
    assert clean - stats["pgd"]["mean_return"] > 3.0 * max(uniform_loss, 0.1)
    assert stats["pgd"]["fall_rate"] > stats["uniform"]["fall_rate"] == stats["clean"]["fall_rate"] == 0.0


def test_pgd_deviates_the_action_more_than_fgsm_and_fgsm_more_than_uniform_noise() -> None:
    env, actor = walker(32)
    for _ in range(25):
        env.step(mean_action(actor, env.get_observations()))
    obs, layout = env.get_observations(), env.task.policy_obs_layout
    older, frame = obs["policy"][:, : -layout.frame_dim], obs["policy"][:, -layout.frame_dim :]

    def policy_input(newest: torch.Tensor) -> TensorDict:
        return TensorDict({"policy": torch.cat((older, newest), dim=1)}, batch_size=[32])

    def deviation(newest: torch.Tensor) -> torch.Tensor:
        return torch.linalg.vector_norm(mean_action(actor, policy_input(newest)) - mean_action(actor, obs), dim=1)

    steps = env.episode_length_buf
    deviations = {}
    for method in ("fgsm", "pgd"):
        cfg = scenario(attack(method=method)).perturbations[0]
        columns, scale = term_columns(cfg, layout)
        generator = torch.Generator().manual_seed(0)
        obs_attack = ObsAttack(cfg, 2.0, env, generator, columns, scale, policy=actor, policy_input=policy_input)
        deviations[method] = deviation(obs_attack.apply_to(frame, steps))
    noise = 2.0 * scale * (2.0 * torch.rand(32, len(columns), generator=torch.Generator().manual_seed(0)) - 1.0)
    deviations["uniform"] = deviation(frame.index_add(1, columns, noise))
    assert torch.all(deviations["pgd"] >= 0.95 * deviations["fgsm"])
    assert deviations["pgd"].mean() > deviations["fgsm"].mean() > 2.0 * deviations["uniform"].mean()


def test_pgd_stays_inside_the_epsilon_box_of_each_term_and_leaves_the_others_alone() -> None:
    env, actor = walker(8)
    bounds = {"base_ang_vel": 0.3, "joint_vel": 2.0}
    penv = PerturbedEnv(env, scenario(attack(epsilon=bounds)), 0.5, policy=actor)
    slices, frame_dim = penv.history.layout.frame_slices(), penv.history.layout.frame_dim
    attacked = torch.zeros(frame_dim, dtype=torch.bool)
    for _ in range(20):
        penv.step(mean_action(actor, penv.get_observations()))
        delta = (
            penv.get_observations()["policy"][:, -frame_dim:] - penv.env.get_observations()["policy"][:, -frame_dim:]
        )
        for name, bound in bounds.items():
            raw = delta[:, slices[name]] / penv.history.layout.term(name).scale
            assert raw.abs().max() <= 0.5 * bound * (1 + 1e-4)
            assert (raw.abs() > 0.5 * bound * 0.99).float().mean() > 0.5  # PGD ends on the box's faces
            attacked[slices[name]] = True
        assert torch.equal(delta[:, ~attacked], torch.zeros_like(delta[:, ~attacked]))


def test_the_same_seed_gives_the_same_attacked_episode() -> None:
    def episode() -> torch.Tensor:
        env, actor = walker(4)
        penv = PerturbedEnv(env, scenario(attack(method="pgd", steps=2)), 1.0, seed=5, policy=actor)
        for _ in range(15):
            penv.step(mean_action(actor, penv.get_observations()))
        return torch.cat((penv.get_observations()["policy"], penv.sim.base_pos()), dim=1)

    assert torch.equal(episode(), episode())


def test_an_attack_without_a_policy_or_without_autograd_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"obs_attack: no policy to attack: pass PerturbedEnv\(\.\.\., policy="):
        PerturbedEnv(make_env(2), scenario(attack()), 1.0)
    env, actor = walker(2)
    with torch.inference_mode(), pytest.raises(RuntimeError, match=r"step the env outside torch.inference_mode"):
        PerturbedEnv(env, scenario(attack()), 1.0, policy=actor)


@pytest.mark.parametrize(
    ("perturbation", "message"),
    [
        ("{kind: obs_attack, magnitude: 0.1, method: cw}", "perturbations[0].method: expected one of"),
        ("{kind: obs_attack, magnitude: 0.1, steps: 0}", "perturbations[0].steps: expected int in [1, 100]"),
        ("{kind: obs_attack, magnitude: 0.1, step_size: 2}", "perturbations[0].step_size: expected"),
        ("{kind: obs_attack, magnitude: -0.1}", "perturbations[0].magnitude: must be >= 0"),
        ("{kind: obs_attack, magnitude: 1, epsilon: {gyro: 0.2}}", "perturbations[0].epsilon: unknown observation"),
        ("{kind: obs_attack, magnitude: 1, epsilon: {joint_vel: -1}}", "perturbations[0].epsilon.joint_vel: expected"),
        ("{kind: obs_attack, magnitude: 1, epsilon: {joint_vel: 1}, terms: [joint_vel]}", "terms: obs_attack: give"),
        ("{kind: obs_uniform, magnitude: 1, epsilon: {joint_vel: 1}}", "perturbations[0].epsilon: only for obs_attack"),
        ("{kind: obs_attack, magnitude: 1, joints: [FR_calf_joint]}", "perturbations[0].joints: only for the action"),
    ],
)
def test_a_bad_attack_is_one_line_naming_the_file_and_key(tmp_path: Path, perturbation: str, message: str) -> None:
    path = tmp_path / "suite.yaml"
    text = suite_error(path, f"{{a: {{perturbations: [{perturbation}]}}}}")
    assert text.startswith(f"{path}: scenarios.a.") and message in text


def test_a_suite_attacks_the_runs_own_actor(tmp_path: Path) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text(f"episodes: 4\nseverities: [3.0]\nscenarios: {{pgd: {{perturbations: [{json.dumps(attack())}]}}}}")
    suite = load_suite(path)
    run = load_run(GO2_WALK, ["terrain.kind=flat", "sim.num_threads=1", "env.episode_length_s=1"])
    nominal, attacked = evaluate_suite(run, suite).cells
    assert attacked.scenario == "pgd" and attacked.mean_return < nominal.mean_return - 1.0
    with pytest.raises(ValueError, match="obs_attack: no policy to attack"):
        evaluate_suite(run, suite, policy=lambda obs: torch.zeros(obs.batch_size[0], 12))

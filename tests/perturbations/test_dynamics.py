"""Dynamics perturbations on real physics: a push changes the base velocity by its size, friction changes how
far a pushed robot slides, a payload loads the feet; the same seed gives the same episode."""

from __future__ import annotations

import pytest
import torch

from legged_envs.perturbations.dynamics import Push
from legged_envs.perturbations.wrapper import PerturbedEnv

from .support import make_env, scenario, zeros

GRAVITY = 9.81


def test_a_push_adds_exactly_its_size_to_the_horizontal_base_velocity() -> None:
    penv = PerturbedEnv(make_env(8), scenario({"kind": "push", "magnitude": 0.8, "mode": "episode"}), 1.5)
    push = penv.physics_perturbations[0]
    assert isinstance(push, Push)
    before = penv.sim.base_lin_vel().clone()
    push.apply(torch.full((8,), 50))  # episode mode: once, at step interval_steps (50)
    delta = penv.sim.base_lin_vel() - before
    assert torch.allclose(torch.linalg.vector_norm(delta[:, :2], dim=1), torch.full((8,), 1.2), atol=1e-5)
    assert torch.all(delta[:, 2].abs() < 1e-6)
    assert torch.linalg.vector_norm(delta[:, :2].mean(0)) < 1.0  # random directions
    before = penv.sim.base_lin_vel().clone()
    push.apply(torch.full((8,), 49))
    assert torch.equal(penv.sim.base_lin_vel(), before)


def test_pushes_fire_every_k_steps_in_interval_mode() -> None:
    penv = PerturbedEnv(make_env(2), scenario({"kind": "push", "magnitude": 0.5, "mode": "interval"}), 1.0)
    push = penv.physics_perturbations[0]
    fired = []
    for _ in range(120):
        before = penv.sim.get_state().qvel[:, 0:2].clone()
        push.apply(penv.episode_length_buf)
        fired.append(not torch.equal(penv.sim.get_state().qvel[:, 0:2], before))
        penv.step(zeros(penv))
    assert [step for step, hit in enumerate(fired) if hit] == [50, 100]


def slide_m(friction_loss: float) -> float:
    """Mean horizontal distance a standing robot travels in 1 s after a 1.5 m/s push at 0.5 s."""
    push = {"kind": "push", "magnitude": 1.5, "mode": "episode", "interval_steps": 25}
    penv = PerturbedEnv(make_env(4), scenario(push, {"kind": "friction", "magnitude": friction_loss}), 1.0)
    for _ in range(25):
        penv.step(zeros(penv))
    start = penv.sim.base_pos()[:, :2].clone()
    for _ in range(50):
        penv.step(zeros(penv))
    return torch.linalg.vector_norm(penv.sim.base_pos()[:, :2] - start, dim=1).mean().item()


def test_low_friction_makes_a_pushed_robot_slide_further() -> None:
    assert slide_m(0.9) > 1.5 * slide_m(0.0)


def test_a_payload_adds_its_weight_to_the_ground_reaction() -> None:
    loads = []
    for kg in (0.0, 6.0):
        penv = PerturbedEnv(make_env(2), scenario({"kind": "payload", "magnitude": kg}), 1.0)
        for _ in range(50):
            penv.step(zeros(penv))
        loads.append(penv.sim.contact_forces()[:, :, 2].sum(1).mean().item())
    assert loads[1] - loads[0] == pytest.approx(6.0 * GRAVITY, rel=0.1)


def test_the_same_seed_gives_the_same_perturbed_episode_and_another_seed_does_not() -> None:
    parts = (
        {"kind": "obs_gaussian", "magnitude": 0.1},
        {"kind": "action_noise", "magnitude": 0.1},
        {"kind": "push", "magnitude": 0.5, "mode": "interval", "interval_steps": 10},
    )

    def episode(seed: int) -> torch.Tensor:
        penv = PerturbedEnv(make_env(4), scenario(*parts), 1.0, seed=seed)
        for _ in range(30):
            penv.step(zeros(penv))
        return torch.cat((penv.get_observations()["policy"], penv.sim.base_pos()), dim=1)

    first = episode(3)
    assert torch.equal(first, episode(3))
    assert not torch.allclose(first, episode(4))

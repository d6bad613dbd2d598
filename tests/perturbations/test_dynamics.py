"""Dynamics perturbations on real physics: a push changes the base velocity by its size, friction changes how
far a pushed robot slides, a payload loads the feet, tilted gravity turns the ground reaction, lost contact damping
makes the feet bounce; the same seed gives the same episode."""

from __future__ import annotations

import math

import pytest
import torch

from legged_envs.perturbations.dynamics import GravityTilt, Push
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
        {"kind": "obs_drift", "terms": ["base_ang_vel"], "magnitude": 0.01},
        {"kind": "action_noise", "magnitude": 0.1},
        {"kind": "push", "magnitude": 0.5, "mode": "interval", "interval_steps": 10},
        {"kind": "gravity_tilt", "magnitude": 0.1, "mode": "interval", "interval_steps": 10},
    )

    def episode(seed: int) -> torch.Tensor:
        penv = PerturbedEnv(make_env(4), scenario(*parts), 1.0, seed=seed)
        for _ in range(30):
            penv.step(zeros(penv))
        return torch.cat((penv.get_observations()["policy"], penv.sim.base_pos()), dim=1)

    first = episode(3)
    assert torch.equal(first, episode(3))
    assert not torch.allclose(first, episode(4))


def test_tilted_gravity_turns_the_ground_reaction_by_its_size_towards_each_envs_own_direction() -> None:
    cfg = {"kind": "gravity_tilt", "magnitude": 0.1, "mode": "episode"}
    penv = PerturbedEnv(make_env(16), scenario(cfg), 1.5)  # 0.15 rad, one direction per env and episode
    forces = []
    for _ in range(100):  # 2 s: the standing robots settle on the tilted gravity
        penv.step(zeros(penv))
        forces.append(penv.sim.contact_forces().sum(1))
    force = torch.stack(forces[50:]).mean(0)  # (n, 3) mean ground reaction of the last second: minus the weight
    angle = torch.atan2(torch.linalg.vector_norm(force[:, :2], dim=1), force[:, 2])
    assert torch.allclose(angle, torch.full((16,), 0.15), atol=0.02)
    mass = sum(penv.sim.layout.body_mass_kg.values())
    assert torch.linalg.vector_norm(force, dim=1).mean().item() == pytest.approx(mass * GRAVITY, rel=0.02)
    tilt = penv.physics_perturbations[0]
    assert isinstance(tilt, GravityTilt)
    direction = torch.atan2(-force[:, 1], -force[:, 0])  # where the weight pulls
    assert ((direction - tilt.azimuth + math.pi).remainder(2 * math.pi) - math.pi).abs().max().item() < 0.1
    spread = torch.stack((direction.cos(), direction.sin())).mean(1)
    assert torch.linalg.vector_norm(spread).item() < 0.6  # random directions


def airborne_foot_steps(damping_loss: float) -> tuple[int, float]:
    """Feet of Go2s dropped 0.1 m on restitution ``damping_loss``, at the 5 ms physics rate: physics steps with a foot
    off the ground after its first touchdown, and the largest foot contact force, N."""
    overrides = ("task.reset.drop_height_m=0.1", "sim.decimation=1", "env.episode_length_s=0.5")
    penv = PerturbedEnv(make_env(2, *overrides), scenario({"kind": "restitution", "magnitude": damping_loss}), 1.0)
    feet = [index for name, index in penv.body_index.items() if name.endswith("_foot")]
    forces = []
    for _ in range(80):
        penv.step(zeros(penv))
        forces.append(penv.sim.contact_forces()[:, feet, 2].clone())
    force = torch.stack(forces)  # (steps, n, 4)
    touched = (force > 0).cummax(dim=0).values
    return int((touched & (force == 0)).sum()), force.max().item()


def test_lost_contact_damping_is_solref_damping_and_makes_the_feet_bounce() -> None:
    penv = PerturbedEnv(make_env(2), scenario({"kind": "restitution", "magnitude": 0.8}), 0.5)
    penv.step(zeros(penv))
    data = penv.sim.batch.get_data(1)  # MuJoCo's own contacts: solref (time constant, damping ratio)
    assert data.ncon >= 4
    assert torch.allclose(torch.as_tensor(data.contact.solref[: data.ncon]), torch.tensor([0.02, 0.6]).double())
    stiff, bouncy = airborne_foot_steps(0.0), airborne_foot_steps(0.8)
    assert stiff[0] == 0 and bouncy[0] >= 10
    assert bouncy[1] > 1.5 * stiff[1]

"""Domain randomisation is the perturbation library's: sizes drawn per episode from a range (``low``), the kinds
it needs (link masses, PD gains, CoM shift, force pushes) on real physics, and ``task.randomization`` compiled
into those perturbations. The tasks' own checks of their randomisation: tests/tasks/test_go2_posture.py."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from legged_envs.perturbations.randomization_config import RandomizationConfig, randomization_perturbations
from legged_envs.perturbations.wrapper import PerturbedEnv

from .support import make_env, scenario, suite_error, zeros

GRAVITY = 9.81
THIGHS = ["FR_thigh", "FL_thigh", "RR_thigh", "RL_thigh"]


def test_a_range_draws_each_env_and_joint_uniformly_and_again_each_episode() -> None:
    env = make_env(256, "env.episode_length_s=0.1")  # 5 steps per episode
    penv = PerturbedEnv(env, scenario({"kind": "motor_strength", "low": -0.2, "magnitude": 0.3}), 1.0)
    penv.step(zeros(penv))
    strength = env.sim.strength.float().clone()  # torque multiplier = 1 - share lost
    assert strength.min() >= 0.7 - 1e-6 and strength.max() <= 1.2 + 1e-6
    assert strength.mean().item() == pytest.approx(0.95, abs=0.01)
    assert strength.std().item() == pytest.approx(0.5 / 12**0.5, rel=0.05)  # uniform over a width of 0.5
    assert (strength[0] != strength[0, 0]).any() and (strength[:, 0] != strength[0, 0]).any()  # per joint, per env
    for _ in range(5):  # time-out: every env starts a new episode and draws again
        penv.step(zeros(penv))
    assert (env.sim.strength.float() != strength).all()


def test_a_latency_range_draws_whole_steps_each_equally_likely() -> None:
    penv = PerturbedEnv(make_env(600), scenario({"kind": "action_latency", "low": 0.0, "magnitude": 2.0}), 1.0)
    (latency,) = penv.action_perturbations
    counts = torch.bincount(latency.peak.long(), minlength=3)
    assert torch.equal(latency.peak, latency.peak.round())
    assert len(counts) == 3 and (counts - 200).abs().max() < 45


def test_link_mass_adds_its_share_of_the_links_mass_to_the_ground_reaction() -> None:
    loads = []
    for share in (0.0, 0.5):
        penv = PerturbedEnv(make_env(2), scenario({"kind": "link_mass", "bodies": THIGHS, "magnitude": share}), 1.0)
        settled = []
        for step in range(100):  # the heavier legs sag and rebound for ~1 s
            penv.step(zeros(penv))
            if step >= 70:
                settled.append(penv.sim.contact_forces()[:, :, 2].sum(1).mean().item())
        loads.append(sum(settled) / len(settled))
    thighs = sum(penv.sim.layout.body_mass_kg[body] for body in THIGHS)
    assert loads[1] - loads[0] == pytest.approx(0.5 * thighs * GRAVITY, rel=0.05)


def test_stiffness_and_damping_scale_their_own_gain_only() -> None:
    cases = {"stiffness": (0.25, 1.0), "damping": (1.0, 0.25)}  # kind -> expected kp, kd multipliers
    for kind, (kp_share, kd_share) in cases.items():
        penv = PerturbedEnv(make_env(2), scenario({"kind": kind, "magnitude": 0.75, "joints": ["FR_calf_joint"]}), 1.0)
        penv.step(zeros(penv))
        calf = penv.robot.joint_names.index("FR_calf_joint")
        joint = penv.robot.joints[calf]
        assert penv.sim.kp[:, calf].tolist() == pytest.approx([kp_share * joint.kp] * 2)
        assert penv.sim.kd[:, calf].tolist() == pytest.approx([kd_share * joint.kd] * 2)
        others = [j for j in range(penv.num_actions) if j != calf]
        nominal_kp = torch.tensor([penv.robot.joints[j].kp for j in others], dtype=torch.float64)
        assert torch.allclose(penv.sim.kp[:, others], nominal_kp.expand(2, -1))


def test_a_force_push_changes_the_base_velocity_by_its_impulse() -> None:
    push = {"kind": "push_force", "magnitude": 60.0, "duration_s": 0.1, "mode": "episode", "interval_steps": 10}
    penv = PerturbedEnv(make_env(4), scenario(push), 1.0)
    for _ in range(10):
        penv.step(zeros(penv))
    before = penv.sim.base_lin_vel()[:, :2].clone()
    penv.step(zeros(penv))  # step 10: the push starts, 5 steps of 60 N
    force = penv.physics_perturbations[0].force[:, :2].clone()
    assert torch.allclose(torch.linalg.vector_norm(force, dim=1), torch.full((4,), 60.0))
    for _ in range(4):
        penv.step(zeros(penv))
    mass = sum(penv.sim.layout.body_mass_kg.values())
    gained = torch.sum((penv.sim.base_lin_vel()[:, :2] - before) * force / 60.0, dim=1)
    assert (gained > 0.4 * 60.0 * 0.1 / mass).all()  # the legs' friction takes part of the impulse
    penv.step(zeros(penv))
    assert (penv.physics_perturbations[0].force == 0).all()  # 0.1 s is over


def test_com_shift_moves_the_centre_of_mass_within_its_cube() -> None:
    penv = PerturbedEnv(make_env(64), scenario({"kind": "com_shift", "magnitude": 0.04}), 1.0)
    penv.step(zeros(penv))
    shift = penv.physics_perturbations[0].unit * 0.04
    assert shift.abs().max() <= 0.04 and shift.abs().mean().item() == pytest.approx(0.02, rel=0.15)
    assert torch.corrcoef(shift.T).abs().fill_diagonal_(0).max() < 0.35  # independent axes
    torch.testing.assert_close(penv.task.randomizer.com_offset_m, shift)  # written, and what the critic reads


def test_task_randomization_compiles_to_ranged_library_perturbations() -> None:
    cfg = RandomizationConfig(friction=(0.2, 1.25), kp_scale=(0.85, 1.15), link_mass_bodies=["FR_thigh"])
    entries = {entry.kind: entry for entry in randomization_perturbations(cfg, 1.0, 0.02)}
    assert entries["friction"].low == pytest.approx(-0.25) and entries["friction"].magnitude == pytest.approx(0.8)
    assert (entries["stiffness"].low, entries["stiffness"].magnitude) == pytest.approx((-0.15, 0.15))
    assert (entries["link_mass"].low, entries["link_mass"].magnitude) == pytest.approx((-0.2, 0.2))
    assert entries["push_force"].interval_steps == 375  # every 7.5 s, the middle of 5-10 s
    assert entries["action_latency"].low == 0 and entries["action_latency"].magnitude == 2
    assert {e.terms[0] for e in randomization_perturbations(cfg, 1.0, 0.02) if e.kind == "obs_uniform"} == set(
        cfg.obs_noise
    )
    assert randomization_perturbations(RandomizationConfig(enabled=False), 1.0, 0.02) == []
    pinned = RandomizationConfig(friction=(1.0, 1.0), payload_kg=(0.0, 0.0), push_force_n=(0.0, 0.0))
    kinds = {entry.kind for entry in randomization_perturbations(pinned, 1.0, 0.02)}
    assert not kinds & {"friction", "payload", "push_force"}  # pinned at nominal: nothing to apply


@pytest.mark.parametrize(
    ("perturbation", "key", "words"),
    [
        ("{kind: friction, low: 0.5, magnitude: 0.2}", "low", "above magnitude"),
        ("{kind: push, low: -0.5, magnitude: 1.0}", "low", "must be >= 0"),
        ("{kind: link_mass, magnitude: 0.2}", "bodies", "needs the bodies"),
        ("{kind: payload, bodies: [FR_thigh], magnitude: 1.0}", "bodies", "only for link_mass"),
    ],
)
def test_a_bad_range_or_body_list_names_its_key(tmp_path: Path, perturbation: str, key: str, words: str) -> None:
    error = suite_error(tmp_path / "suite.yaml", f"{{s: {{perturbations: [{perturbation}]}}}}")
    assert f"scenarios.s.perturbations[0].{key}" in error and words in error


def test_a_worst_case_search_refuses_a_range(tmp_path: Path) -> None:
    perturbation = "{kind: payload, low: 0.0, magnitude: 3.0}"
    error = suite_error(tmp_path / "suite.yaml", f"{{s: {{search: worst_case, perturbations: [{perturbation}]}}}}")
    assert "scenarios.s.perturbations[0].low" in error and "give one" in error


def test_a_suite_range_replaces_the_tasks_draw_and_the_critic_sees_it() -> None:
    env = make_env(32, "task.randomization.enabled=true", "task.randomization.friction=[0.9,0.9]")
    penv = PerturbedEnv(env, scenario({"kind": "friction", "low": 0.2, "magnitude": 0.6}), 1.0)
    penv.step(zeros(penv))
    friction = env.task.randomizer.friction
    assert friction.min() >= 0.4 - 1e-6 and friction.max() <= 0.8 + 1e-6 and friction.std() > 0.05

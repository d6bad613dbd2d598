"""Action and motor perturbations against their definitions, on real physics: the actions the env applied
(``env.actions``), joint positions and actuator torques."""

from __future__ import annotations

import math

import pytest
import torch

from legged_envs.perturbations.wrapper import PerturbedEnv

from .support import make_env, scenario, zeros

FR_CALF, FR_THIGH = 2, 1
"""Indices of FR_calf_joint and FR_thigh_joint in the Go2's joint order."""


def swinging(step: int, num_envs: int) -> torch.Tensor:
    """(n, 12) actions swinging every joint by +-0.5 with a period of 25 steps (0.5 s)."""
    return torch.full((num_envs, 12), 0.5 * math.sin(2 * math.pi * step / 25))


def test_action_noise_has_the_configured_std_per_motor() -> None:
    penv = PerturbedEnv(make_env(64), scenario({"kind": "action_noise", "magnitude": 0.2}), 0.5)
    noise = []
    for step in range(30):
        actions = swinging(step, 64)
        penv.step(actions)
        noise.append(penv.env.actions - actions)
    noise = torch.stack(noise)  # 30 x 64 x 12
    assert noise.std().item() == pytest.approx(0.1, rel=0.03)
    assert noise.std(dim=(0, 1)).min().item() > 0.09  # every motor gets its own noise


def test_action_latency_applies_the_action_of_exactly_k_steps_before() -> None:
    penv = PerturbedEnv(make_env(4), scenario({"kind": "action_latency", "magnitude": 2}), 1.0)
    sent, applied = [], []
    for step in range(10):
        sent.append(swinging(step, 4))
        penv.step(sent[-1])
        applied.append(penv.env.actions.clone())
    assert all(torch.equal(applied[t], sent[t - 2]) for t in range(2, 10))
    assert torch.equal(applied[0], sent[0]) and torch.equal(applied[1], sent[0])  # the first action until then
    last_action = penv.history.layout.frame_slices()["last_action"]
    assert torch.equal(penv.get_observations()["policy"][:, -penv.history.layout.frame_dim :][:, last_action], sent[-1])


def test_a_locked_motor_holds_its_position_at_lock_time_while_the_others_move() -> None:
    step_at_half_second = {"kind": "step", "start_s": 0.5}
    cfg = {"kind": "locked_motor", "joints": ["FR_calf_joint"], "magnitude": 1.0, "schedule": step_at_half_second}
    penv = PerturbedEnv(make_env(4), scenario(cfg), 1.0)
    positions = []
    for step in range(75):
        penv.step(swinging(step, 4))
        positions.append(penv.env.state.joint_pos.clone())
    positions = torch.stack(positions)  # step k's state is at the end of episode step k + 1
    lock_pos = positions[24, :, FR_CALF]  # position when the lock engaged (episode step 25 = 0.5 s)
    assert (positions[35:, :, FR_CALF] - lock_pos).abs().max().item() < 0.05
    assert (positions[:24, :, FR_CALF].amax(0) - positions[:24, :, FR_CALF].amin(0)).min().item() > 0.1
    assert (positions[35:, :, FR_THIGH].amax(0) - positions[35:, :, FR_THIGH].amin(0)).min().item() > 0.1


def test_a_limp_motor_gives_zero_torque_and_a_weak_one_loses_its_share() -> None:
    limp = PerturbedEnv(make_env(2), scenario({"kind": "limp_motor", "joints": ["FR_calf_joint"], "magnitude": 1}), 1)
    weak = PerturbedEnv(make_env(2), scenario({"kind": "motor_strength", "magnitude": 0.5}), 1.0)
    full = make_env(2)
    for env in (limp, weak, full):
        env.step(zeros(env))
    assert torch.all(limp.sim.joint_torque()[:, FR_CALF] == 0)
    assert torch.all(limp.sim.joint_torque()[:, FR_THIGH].abs() > 0.1)
    assert torch.allclose(weak.sim.strength, torch.full((2, 12), 0.5, dtype=torch.float64))  # the CPU backend's
    assert torch.equal(limp.sim.kp[:, FR_CALF], torch.zeros(2, dtype=torch.float64))
    assert torch.equal(limp.sim.kp[:, FR_THIGH], full.sim.kp[:, FR_THIGH])


def test_motor_values_return_to_nominal_only_where_the_schedule_says() -> None:
    ramp = {"kind": "ramp", "start_s": 0.0, "duration_s": 1.0}
    penv = PerturbedEnv(make_env(2), scenario({"kind": "motor_strength", "magnitude": 1.0, "schedule": ramp}), 0.5)
    for _ in range(26):
        penv.step(zeros(penv))
    assert penv.sim.strength[0, 0].item() == pytest.approx(1.0 - 0.5 * 25 * penv.control_dt, abs=1e-6)

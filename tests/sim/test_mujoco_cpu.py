"""The CPU backend runs real MuJoCo physics with PD, limits and per-world parameters."""

from __future__ import annotations

import math

import pytest
import torch

from legged_envs.robots.go2 import GO2
from legged_envs.sim.factory import make_backend
from legged_envs.sim.mujoco_cpu import MujocoCpuBackend
from legged_envs.terrains.config import TerrainConfig

FEET = ("FL_foot", "FR_foot", "RL_foot", "RR_foot")
GRAVITY = 9.81


def make_go2(num_worlds: int) -> MujocoCpuBackend:
    sim, _ = make_backend(GO2, TerrainConfig(kind="flat"), num_worlds, ("base", *FEET), num_threads=1)
    assert isinstance(sim, MujocoCpuBackend)
    stand = standing_state(sim, num_worlds)
    sim.reset_worlds(torch.arange(num_worlds), stand)
    sim.set_joint_targets(default_pose(num_worlds))
    return sim


def default_pose(num_worlds: int) -> torch.Tensor:
    return torch.tensor(GO2.default_joint_pos).repeat(num_worlds, 1)


def standing_state(sim: MujocoCpuBackend, num_worlds: int):
    base_pos = torch.tensor([0.0, 0.0, GO2.default_base_height_m + 0.01]).repeat(num_worlds, 1)
    base_pos[:, 0] = torch.arange(num_worlds) * 2.0  # apart, so the worlds look different
    quat = torch.tensor([1.0, 0.0, 0.0, 0.0]).repeat(num_worlds, 1)
    return sim.compose_state(base_pos, quat, default_pose(num_worlds))


def total_mass(sim: MujocoCpuBackend) -> float:
    return float(sim.model.body_mass.sum())


def settle(sim: MujocoCpuBackend, seconds: float) -> None:
    sim.step(round(seconds / sim.physics_dt))


def test_pd_holds_go2_standing_at_spec_height() -> None:
    sim = make_go2(2)
    heights = []
    for _ in range(250):  # 5 s at 50 Hz
        sim.step(4)
        heights.append(sim.base_pos()[:, 2].clone())
    late = torch.stack(heights[50:])
    assert torch.all(late.max(0).values - late.min(0).values < 0.02)
    assert torch.allclose(late[-1], torch.full((2,), GO2.default_base_height_m), atol=0.03)


def test_standing_feet_carry_the_robots_weight() -> None:
    sim = make_go2(1)
    settle(sim, 1.0)
    forces = sim.contact_forces()[0]
    feet_z = forces[1:, 2].sum().item()
    assert feet_z == pytest.approx(total_mass(sim) * GRAVITY, rel=0.05)
    assert forces[0].norm().item() < 1e-6  # the base does not touch the ground


def test_torques_never_exceed_effort_limits() -> None:
    sim = make_go2(1)
    limits = torch.tensor([j.effort_limit_nm for j in GO2.joints])
    sim.set_joint_targets(default_pose(1) + 3.0)
    for _ in range(20):
        sim.step(1)
        assert torch.all(sim.joint_torque().abs() <= limits + 1e-4)
    assert torch.any(sim.joint_torque().abs() > 0.99 * limits)  # the limit was reached


def test_per_world_gains_and_motor_strength_change_the_torque() -> None:
    sim = make_go2(3)
    ids = torch.arange(3)
    kp = torch.tensor([j.kp for j in GO2.joints]).repeat(3, 1)
    kd = torch.tensor([j.kd for j in GO2.joints]).repeat(3, 1)
    sim.set_pd_gains(ids[1:2], 2.0 * kp[1:2], kd[1:2])
    sim.set_motor_strength(ids[2:3], torch.full((1, 12), 0.5))
    # same state in every world, no velocity, target offset small enough to stay unclipped
    state = standing_state(sim, 3)
    state.qpos[:, 0] = 0.0
    sim.reset_worlds(ids, state)
    sim.set_joint_targets(default_pose(3) + 0.05)
    sim.step(1)
    torque = sim.joint_torque()
    expected = kp[0] * 0.05
    assert torch.allclose(torque[0], expected, rtol=1e-3)
    assert torch.allclose(torque[1], 2.0 * expected, rtol=1e-3)
    assert torch.allclose(torque[2], 0.5 * expected, rtol=1e-3)


def test_zero_gains_let_the_robot_collapse() -> None:
    sim = make_go2(2)
    sim.set_pd_gains(torch.tensor([1]), torch.zeros(1, 12), torch.full((1, 12), 0.1))
    settle(sim, 2.0)
    height = sim.base_pos()[:, 2]
    assert height[0] > 0.9 * GO2.default_base_height_m
    assert height[1] < 0.6 * GO2.default_base_height_m


def test_external_force_lifts_the_robot() -> None:
    sim = make_go2(2)
    weight = total_mass(sim) * GRAVITY
    force = torch.zeros(2, 3)
    force[1, 2] = 1.5 * weight
    sim.set_external_force("base", force)
    settle(sim, 0.5)
    height = sim.base_pos()[:, 2]
    assert height[1] > height[0] + 0.3
    assert sim.contact_forces()[1].norm() < 1e-6  # applied force is not reported as contact


def test_added_mass_shows_in_foot_forces() -> None:
    sim = make_go2(2)
    base_mass = float(sim.model.body("base").mass[0])
    sim.set_body_mass(torch.tensor([1]), "base", torch.tensor([base_mass + 5.0]))
    settle(sim, 1.0)
    feet_z = sim.contact_forces()[:, 1:, 2].sum(dim=1)
    assert (feet_z[1] - feet_z[0]).item() == pytest.approx(5.0 * GRAVITY, rel=0.05)


def test_com_offset_shifts_load_to_the_front_feet() -> None:
    sim = make_go2(2)
    sim.set_com_offset(torch.tensor([1]), "base", torch.tensor([[0.05, 0.0, 0.0]]))
    settle(sim, 1.0)
    forces_z = sim.contact_forces()[:, 1:, 2]
    front_share = forces_z[:, :2].sum(dim=1) / forces_z.sum(dim=1)
    assert front_share[1] > front_share[0] + 0.05


def test_low_friction_lets_a_pushed_robot_slide() -> None:
    sim = make_go2(2)
    sim.set_friction(torch.tensor([0, 1]), torch.tensor([1.0, 0.05]))
    push = torch.zeros(2, 3)
    push[:, 1] = 0.1 * total_mass(sim) * GRAVITY  # above 0.05 m g of friction, well below 1.0 m g
    sim.set_external_force("base", push)
    start = sim.base_pos()[:, 1].clone()
    settle(sim, 1.0)
    slid = sim.base_pos()[:, 1] - start
    assert slid[1] > 0.2
    assert slid[0] < 0.05


def test_state_round_trip_reproduces_the_trajectory() -> None:
    sim = make_go2(2)
    settle(sim, 0.2)
    saved = sim.get_state()
    sim.step(20)
    after = sim.get_state()
    sim.reset_worlds(torch.arange(2), saved)
    sim.step(20)
    again = sim.get_state()
    assert torch.allclose(after.qpos, again.qpos, atol=1e-6)


def test_base_angular_velocity_is_in_the_base_frame() -> None:
    sim = make_go2(1)
    state = standing_state(sim, 1)
    yaw = math.pi / 2
    state.qpos[0, 2] = 2.0  # in the air
    state.qpos[0, 3:7] = torch.tensor([math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)], dtype=torch.float64)
    state.qvel[0, 3:6] = torch.tensor([0.3, 0.0, 0.0], dtype=torch.float64)  # roll rate about the body x axis
    sim.reset_worlds(torch.tensor([0]), state)
    assert torch.allclose(sim.base_ang_vel()[0], torch.tensor([0.3, 0.0, 0.0]), atol=1e-6)

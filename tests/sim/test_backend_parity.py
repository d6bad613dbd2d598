"""MuJoCo Warp (on Warp's CPU device) reproduces the C engine through the same backend interface.

Warp computes in float32, C MuJoCo in float64, so trajectories drift apart slowly: the float32
rounding of the first steps (1e-7) grows through the foot impacts. The tolerances are about five
times the worst errors measured on two variants of the long run (world 1's torque limit 12 or 20
N m), since which impact amplifies the rounding most changes with every detail of the scenario.

The solver budget is raised to 50 iterations for the comparison: with the Go2's elliptic friction
cones and impratio 100, the default 10 iterations stop both engines' solvers short of convergence
at foot impacts, and two unconverged solvers differ by where they stopped, not by their physics
(C MuJoCo alone, 10 against 50 iterations, moves the base by 0.18 m over this run).
"""

from __future__ import annotations

import math

import pytest
import torch

from legged_envs.robots.go2 import GO2
from legged_envs.sim.backend import PhysicsBackend, WorldState
from legged_envs.sim.model_builder import SolverSettings, build_model
from legged_envs.sim.mujoco_cpu import MujocoCpuBackend
from legged_envs.sim.mujoco_warp import MujocoWarpBackend
from legged_envs.terrains.config import TerrainConfig

FEET = ("FR_foot", "FL_foot", "RR_foot", "RL_foot")
BODIES = ("base", "FR_thigh", "RL_calf", *FEET)
NUM_WORLDS = 3
CONTROL_STEPS = 200
DECIMATION = 4
GRAVITY = 9.81
PARITY_TOLERANCE = {
    "base_pos": 2e-4,  # m; measured 3.4e-5 (12 N m variant) and 4.1e-5 (20 N m variant)
    "base_quat": 1e-3,  # measured 8.9e-6 and 1.8e-4
    "base_lin_vel": 5e-3,  # m/s; measured 1.7e-5 and 1.3e-3
    "base_ang_vel": 0.1,  # rad/s; measured 9.9e-5 and 1.6e-2
    "joint_pos": 2e-3,  # rad; measured 2.1e-5 and 4.1e-4
    "joint_vel": 0.1,  # rad/s; measured 5.4e-4 and 2.5e-2
    "joint_torque": 0.1,  # N m; measured 4.7e-4 and 1.7e-2
    "body_pos": 2e-4,  # m; measured 3.9e-5 and 4.1e-5
    "body_quat": 1e-3,  # measured 1.4e-5 and 1.8e-4
}
"""Worst |Warp - C| over every world and control step of the long run. Contact forces are left out:
an impact a few microseconds apart changes them by up to 8.5 N; the short standing runs check them."""
SHORT_RUN_POS_TOL_M = 1e-5
"""Worst base position error of the short standing runs (measured 2.1e-6 m)."""
SHORT_RUN_FORCE_TOL_N = 5e-3
"""Worst contact force error of the short standing runs (measured 2.5e-4 N of ~40 N per foot)."""


@pytest.fixture(scope="module")
def model():
    model, _ = build_model(GO2, TerrainConfig(kind="flat"), solver=SolverSettings(iterations=50, ls_iterations=50))
    return model


@pytest.fixture(scope="module")
def compiled(model) -> None:
    """Compile (or load from ~/.cache/warp) MuJoCo Warp's kernels once for the module: a minute or more cold."""
    make_warp(model, 1).step(1)


def make_warp(model, num_worlds: int) -> MujocoWarpBackend:
    return MujocoWarpBackend(model, GO2, num_worlds, BODIES, device="cpu")


def default_pose(num_worlds: int) -> torch.Tensor:
    return torch.tensor(GO2.default_joint_pos, dtype=torch.float64).repeat(num_worlds, 1)


def yaw_quat(yaw: torch.Tensor) -> torch.Tensor:
    zeros = torch.zeros_like(yaw)
    return torch.stack((torch.cos(yaw / 2), zeros, zeros, torch.sin(yaw / 2)), dim=-1)


def start_states(sim: PhysicsBackend) -> WorldState:
    """Go2s dropped from a few cm above standing height, yawed, with perturbed joints."""
    gen = torch.Generator().manual_seed(0)
    n = sim.num_worlds
    base_pos = torch.zeros(n, 3, dtype=torch.float64)
    base_pos[:, 0] = torch.arange(n) * 2.0
    base_pos[:, 2] = GO2.default_base_height_m + 0.02 + 0.02 * torch.rand(n, generator=gen, dtype=torch.float64)
    yaw = torch.rand(n, generator=gen, dtype=torch.float64) * 2.0 - 1.0
    joints = default_pose(n) + 0.1 * torch.randn(n, GO2.num_joints, generator=gen, dtype=torch.float64)
    return sim.compose_state(base_pos, yaw_quat(yaw), joints)


def standing_states(sim: PhysicsBackend) -> WorldState:
    """Go2s at the default pose, 1 cm above standing height."""
    n = sim.num_worlds
    base_pos = torch.zeros(n, 3, dtype=torch.float64)
    base_pos[:, 0] = torch.arange(n) * 2.0
    base_pos[:, 2] = GO2.default_base_height_m + 0.01
    return sim.compose_state(base_pos, yaw_quat(torch.zeros(n, dtype=torch.float64)), default_pose(n))


def joint_targets(step: int, num_worlds: int) -> torch.Tensor:
    """Smooth per-world, per-joint sinusoids (0.2 rad, 1.5 Hz) around the default pose."""
    phase = torch.arange(num_worlds, dtype=torch.float64)[:, None] + 0.4 * torch.arange(GO2.num_joints)[None]
    time_s = step * DECIMATION * 0.005
    return default_pose(num_worlds) + 0.2 * torch.sin(2 * math.pi * 1.5 * time_s + phase)


def configure(sim: PhysicsBackend) -> None:
    """World 1: weaker motors with lower torque limits; world 2: stiffer PD on slippery ground."""
    kp = torch.full((1, GO2.num_joints), 30.0)
    kd = torch.full((1, GO2.num_joints), 0.8)
    sim.set_motor_strength(torch.tensor([1]), torch.full((1, GO2.num_joints), 0.9))
    sim.set_torque_limits(torch.tensor([1]), torch.full((1, GO2.num_joints), 12.0))  # clips often
    sim.set_pd_gains(torch.tensor([2]), kp, kd)
    sim.set_friction(torch.tensor([2]), torch.tensor([0.4]))


def robot_weight_n(model) -> float:
    return float(model.body_subtreemass[1]) * GRAVITY


def max_abs_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a.double().cpu() - b.double().cpu()).abs().max().item()


def test_warp_matches_cpu_over_200_control_steps(model, compiled) -> None:
    cpu = MujocoCpuBackend(model, GO2, NUM_WORLDS, BODIES, num_threads=1)
    warp = make_warp(model, NUM_WORLDS)
    start = start_states(cpu)
    for sim in (cpu, warp):
        configure(sim)
        sim.reset_worlds(torch.arange(NUM_WORLDS), start)
    worst = dict.fromkeys(PARITY_TOLERANCE, 0.0)
    peak_foot_force = torch.zeros(NUM_WORLDS)
    for step in range(CONTROL_STEPS):
        targets = joint_targets(step, NUM_WORLDS)
        for sim in (cpu, warp):
            sim.set_joint_targets(targets)
            sim.step(DECIMATION)
        for name in worst:
            worst[name] = max(worst[name], max_abs_diff(getattr(cpu, name)(), getattr(warp, name)()))
        peak_foot_force = torch.maximum(peak_foot_force, cpu.contact_forces()[:, 3:, 2].max(dim=1).values)
    assert torch.all(peak_foot_force > 20.0), "the feet never pushed on the ground: nothing was compared"
    assert torch.all(cpu.base_pos()[:, 2] > 0.15), "a robot fell: the scenario is meant to keep contacts simple"
    assert int(warp.wp_data.overflow.numpy().max()) == 0, "MuJoCo Warp overflowed or stopped its solver early"
    for name, value in worst.items():
        assert value < PARITY_TOLERANCE[name], f"{name}: worst |warp - cpu| {value:.2e} over {worst}"


def test_reset_worlds_restores_the_state_that_get_state_returned(model, compiled) -> None:
    warp = make_warp(model, 2)
    start = start_states(warp)
    start.qpos[1] = start.qpos[0]  # twins, so world 1 shows what world 0 did
    warp.reset_worlds(torch.arange(2), start)
    warp.set_joint_targets(joint_targets(0, 2)[[0, 0]])
    warp.step(20)
    saved = warp.get_state(torch.tensor([0]))
    assert saved.qpos.shape == (1, model.nq) and saved.qvel.shape == (1, model.nv)
    warp.step(20)
    world1_later = warp.get_state(torch.tensor([1]))
    torque, contact = warp.joint_torque(), warp.contact_forces()

    warp.reset_worlds(torch.tensor([0]), saved)
    assert torch.equal(warp.get_state(torch.tensor([0])).qpos, saved.qpos)
    assert torch.equal(warp.get_state(torch.tensor([1])).qpos, world1_later.qpos)
    assert torch.equal(warp.joint_torque()[1], torque[1]), "reset touched a world it was not given"
    assert torch.equal(warp.contact_forces()[1], contact[1])
    assert warp.contact_forces()[0, 3:, 2].sum() > 0.5 * robot_weight_n(model)  # forward ran at the reset
    warp.set_joint_targets(joint_targets(0, 2)[[0, 0]])
    warp.step(20)
    replay = warp.get_state(torch.tensor([0]))
    # not bit-exact: the reset also cleared world 0's solver warm start (measured 3.6e-7, 4.5e-6)
    assert torch.allclose(replay.qpos, world1_later.qpos, atol=5e-6)
    assert torch.allclose(replay.qvel, world1_later.qvel, atol=5e-5)


def test_external_force_lifts_the_robot_as_on_cpu(model, compiled) -> None:
    cpu = MujocoCpuBackend(model, GO2, 2, BODIES, num_threads=1)
    warp = make_warp(model, 2)
    start = standing_states(cpu)
    lift = torch.zeros(2, 3)
    lift[1, 2] = 1.5 * robot_weight_n(model)
    for sim in (cpu, warp):
        sim.reset_worlds(torch.arange(2), start)
        sim.set_joint_targets(default_pose(2))
        sim.set_external_force("base", lift)
        sim.step(100)
    height = warp.base_pos()[:, 2]
    assert height[1] > height[0] + 0.3
    assert warp.contact_forces()[1].norm() < 1e-6  # the applied force is not reported as contact
    assert warp.contact_forces()[0, 3:, 2].sum().item() == pytest.approx(robot_weight_n(model), rel=0.1)
    assert max_abs_diff(cpu.base_pos(), warp.base_pos()) < SHORT_RUN_POS_TOL_M
    assert max_abs_diff(cpu.contact_forces(), warp.contact_forces()) < SHORT_RUN_FORCE_TOL_N


def test_mass_and_com_changes_match_cpu(model, compiled) -> None:
    cpu = MujocoCpuBackend(model, GO2, 3, BODIES, num_threads=1)
    warp = make_warp(model, 3)
    start = standing_states(cpu)
    base_mass = float(model.body("base").mass[0])
    for sim in (cpu, warp):
        sim.set_body_mass(torch.tensor([1]), "base", torch.tensor([base_mass + 5.0]))  # applied by the reset
        sim.reset_worlds(torch.arange(3), start)
        sim.set_com_offset(torch.tensor([2]), "base", torch.tensor([[0.05, 0.0, 0.0]]))  # applied by the step
        sim.set_joint_targets(default_pose(3))
        sim.step(200)
    feet_z = warp.contact_forces()[:, 3:, 2]
    assert (feet_z[1].sum() - feet_z[0].sum()).item() == pytest.approx(5.0 * GRAVITY, rel=0.05)
    front_share = feet_z[:, :2].sum(dim=1) / feet_z.sum(dim=1)
    assert front_share[2] > front_share[0] + 0.05
    assert max_abs_diff(cpu.base_pos(), warp.base_pos()) < SHORT_RUN_POS_TOL_M
    assert max_abs_diff(cpu.contact_forces(), warp.contact_forces()) < SHORT_RUN_FORCE_TOL_N


def test_friction_change_between_steps_applies_at_once_as_on_cpu(model, compiled) -> None:
    cpu = MujocoCpuBackend(model, GO2, 2, BODIES, num_threads=1)
    warp = make_warp(model, 2)
    start = standing_states(cpu)
    push = torch.zeros(2, 3)
    push[:, 1] = 0.15 * robot_weight_n(model)  # less than the high friction, far more than the low
    for sim in (cpu, warp):
        sim.reset_worlds(torch.arange(2), start)
        sim.set_joint_targets(default_pose(2))
        sim.set_external_force("base", push)
        sim.step(20)
        sim.set_friction(torch.arange(2), torch.tensor([1.0, 0.05]))
        sim.step(1)
    assert max_abs_diff(cpu.base_pos(), warp.base_pos()) < SHORT_RUN_POS_TOL_M
    for sim in (cpu, warp):
        sim.step(100)
    slid = warp.base_pos()[:, 1] - start.qpos[:, 1].float()
    assert slid[1] > 0.2  # measured 0.28 m
    assert slid[0] < 0.08  # measured 0.05 m: the legs lean into the push and hold
    assert max_abs_diff(cpu.base_pos(), warp.base_pos()) < SHORT_RUN_POS_TOL_M


def test_gravity_and_contact_damping_changes_between_steps_apply_at_once_as_on_cpu(model, compiled) -> None:
    cpu = MujocoCpuBackend(model, GO2, 3, BODIES, num_threads=1)
    warp = make_warp(model, 3)
    start = standing_states(cpu)
    tilt = 0.3  # rad, towards +y in world 1
    gravity = torch.tensor([[0.0, GRAVITY * math.sin(tilt), -GRAVITY * math.cos(tilt)]])
    for sim in (cpu, warp):
        sim.reset_worlds(torch.arange(3), start)
        sim.set_joint_targets(default_pose(3))
        sim.step(20)
        sim.set_gravity(torch.tensor([1]), gravity)
        sim.set_contact_damping(torch.tensor([2]), torch.tensor([0.2]))
        sim.step(1)
    assert max_abs_diff(cpu.base_pos(), warp.base_pos()) < SHORT_RUN_POS_TOL_M
    for sim in (cpu, warp):
        sim.step(100)
    ground = warp.contact_forces()[:, 3:].sum(dim=1)  # (3, 3) on the feet
    assert ground[1, 1].item() == pytest.approx(-math.sin(tilt) * robot_weight_n(model), rel=0.1)
    assert ground[0, 1].abs().item() < 0.01 * robot_weight_n(model)
    assert max_abs_diff(cpu.base_pos(), warp.base_pos()) < SHORT_RUN_POS_TOL_M

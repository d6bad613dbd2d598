"""The controller closing the loop on MuJoCo's Go2 at 500 Hz: lying down -> standing -> policy -> damping."""

from __future__ import annotations

from pathlib import Path

import mujoco
import numpy as np

from assets import asset_path
from deploy.robot.controller import Controller, LowStateView, MotorCommands
from deploy.robot.observation import tilt_rad
from deploy.robot.onnx_policy import OnnxPolicy
from deploy.robot.remote import RemoteState, encode_remote
from deploy.robot.state_machine import Mode
from legged_envs.robots.go2 import GO2

from .deploy_test_support import TICK_S

LYING = np.array([0.0, 1.25, -2.65] * 2 + [0.0, 1.7, -2.5] * 2)
"""Legs folded under the body, the rear feet 6 cm further back than in Unitree's symmetric lie-down pose, so
that the feet need not slide to reach the default stance (front thigh 0.8, rear 1.0): with kp 20 they do
not, and from the symmetric pose the robot ends up standing pitched by ~0.19 rad."""


class Go2Sim:
    """MuJoCo Go2 on a plane at a 2 ms step; motors emulated as tau = kp (q* - q) + kd (dq* - dq) + tau_ff."""

    def __init__(self) -> None:
        spec = mujoco.MjSpec.from_file(str(asset_path(GO2.mjcf_file)))
        spec.worldbody.add_geom(
            type=mujoco.mjtGeom.mjGEOM_PLANE, size=[0, 0, 1], friction=[1.0, 0.005, 0.0001], contype=0, conaffinity=1
        )
        spec.option.timestep = TICK_S
        self.model = spec.compile()
        self.data = mujoco.MjData(self.model)
        self.qpos = np.array([self.model.jnt_qposadr[self.model.joint(n).id] for n in GO2.joint_names])
        self.qvel = np.array([self.model.jnt_dofadr[self.model.joint(n).id] for n in GO2.joint_names])
        self.effort = np.array([j.effort_limit_nm for j in GO2.joints])
        self.motors = list(GO2.motor_indices)
        self.data.qpos[2] = 0.15
        self.data.qpos[self.qpos] = LYING
        self.buttons: frozenset[str] = frozenset()

    @property
    def height_m(self) -> float:
        return float(self.data.qpos[2])

    def lowstate(self, now_s: float) -> LowStateView:
        motor_q, motor_dq = np.zeros(GO2.num_motor_slots), np.zeros(GO2.num_motor_slots)
        motor_q[self.motors] = self.data.qpos[self.qpos]
        motor_dq[self.motors] = self.data.qvel[self.qvel]
        return LowStateView(
            quat_wxyz=self.data.qpos[3:7].copy(),
            gyro_rad_s=self.data.qvel[3:6].copy(),  # free-joint angular velocity is in the body frame
            acc_m_s2=np.zeros(3),  # this model has no accelerometer; the controller only bounds the reading
            motor_q=motor_q,
            motor_dq=motor_dq,
            wireless_remote=encode_remote(RemoteState(buttons=self.buttons)),
            stamp_s=now_s,
        )

    def step(self, cmd: MotorCommands) -> None:
        q, dq = self.data.qpos[self.qpos], self.data.qvel[self.qvel]
        m = self.motors
        tau = cmd.kp[m] * (cmd.q[m] - q) + cmd.kd[m] * (cmd.dq[m] - dq) + cmd.tau[m]
        self.data.ctrl[:] = np.clip(tau, -self.effort, self.effort)
        mujoco.mj_step(self.model, self.data)


def test_go2_stands_up_runs_the_policy_and_damps_when_lowstate_stops(go2_onnx: Path) -> None:
    sim = Go2Sim()
    ctrl = Controller(GO2, OnnxPolicy(go2_onnx, GO2))
    now = 0.0

    def run(seconds: float, buttons: tuple[str, ...] = (), fresh: bool = True) -> None:
        nonlocal now, state
        sim.buttons = frozenset(buttons)
        for _ in range(round(seconds / TICK_S)):
            if fresh:
                state = sim.lowstate(now)
            sim.step(ctrl.tick(now, state))
            now += TICK_S

    state = sim.lowstate(now)
    run(0.5)
    assert ctrl.mode is Mode.PASSIVE and sim.height_m < 0.12, "limp robot rests on the ground"
    run(0.01, ("start",))
    run(1.2)
    assert ctrl.mode is Mode.STAND and 0.10 < sim.height_m < 0.22, "half-way up"
    run(1.4)
    assert ctrl.mode is Mode.READY
    run(1.0)
    assert abs(sim.height_m - GO2.default_base_height_m) < 0.025, f"stands at {sim.height_m:.3f} m"
    assert tilt_rad(sim.data.qpos[3:7]) < 0.05

    run(0.01, ("A",))
    run(2.0)
    assert ctrl.mode is Mode.POLICY and ctrl.policy_steps == 101, "2.01 s at 50 Hz, the first on entry"
    assert abs(sim.height_m - GO2.default_base_height_m) < 0.025, "the stand-still policy keeps it standing"
    assert tilt_rad(sim.data.qpos[3:7]) < 0.05

    ticks_before = round(now / TICK_S)
    while ctrl.mode is Mode.POLICY:
        run(TICK_S, fresh=False)  # LowState stops arriving
    late_s = round(now / TICK_S) * TICK_S - ticks_before * TICK_S - ctrl.config.guards.state_timeout_s
    assert late_s <= 2 * TICK_S + 1e-9, f"DAMPING {late_s * 1000:.1f} ms after the timeout"
    height = sim.height_m
    run(1.0, fresh=False)
    assert ctrl.mode is Mode.DAMPING
    assert sim.height_m < height - 0.05, "damping lets the robot sink"
    assert tilt_rad(sim.data.qpos[3:7]) < 0.3, "and sink slowly, without toppling"

"""Shared builders for the deploy-core tests: Go2 layouts and metadata, LowState views, ONNX variants."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from deploy.robot.controller import Controller, LowStateView, MotorCommands
from deploy.robot.policy_metadata import PolicyMetadata
from deploy.robot.remote import RemoteState, encode_remote
from legged_envs.obs_layout import ObsLayout, ObsTerm
from legged_envs.robots.g1 import G1_23DOF
from legged_envs.robots.go2 import GO2
from legged_envs.robots.spec import RobotSpec

TICK_S = 0.002
J = GO2.num_joints
COMMAND_NAMES = ("vx_m_s", "vy_m_s", "yaw_rate_rad_s")
COMMAND_RANGES = ((-1.0, 1.0), (-0.6, 0.6), (-1.0, 1.0))
GO2_LAYOUT = ObsLayout(
    (
        ObsTerm("base_ang_vel", 3, 0.25),
        ObsTerm("projected_gravity", 3),
        ObsTerm("command", 3),
        ObsTerm("joint_pos_rel", J),
        ObsTerm("joint_vel", J, 0.05),
        ObsTerm("last_action", J),
    ),
    history_length=3,
)
"""A locomotion-style layout: 45 entries per frame, 3 frames."""
HOST_LAYOUT = ObsLayout(
    (
        ObsTerm("base_ang_vel", 3, 0.25),
        ObsTerm("projected_gravity", 3),
        ObsTerm("joint_pos_rel", J),
        ObsTerm("joint_vel", J, 0.05),
        ObsTerm("last_action", J),
        ObsTerm("beta", 1),
    ),
    history_length=6,
)
"""A HoST-style layout (beta observed, 6 frames) used on the Go2 spec."""


G1_HOST_LAYOUT = ObsLayout(
    (
        ObsTerm("base_ang_vel", 3, 0.25),
        ObsTerm("projected_gravity", 3),
        ObsTerm("joint_pos_rel", G1_23DOF.num_joints),
        ObsTerm("joint_vel", G1_23DOF.num_joints, 0.05),
        ObsTerm("last_action", G1_23DOF.num_joints),
        ObsTerm("beta", 1),
    ),
    history_length=6,
)
"""HoST's G1 observation: 76 entries per frame, 6 frames."""


def g1_host_metadata() -> PolicyMetadata:
    return PolicyMetadata.from_spec(G1_23DOF, G1_HOST_LAYOUT, 0.02, beta=0.3)


def go2_metadata() -> PolicyMetadata:
    return PolicyMetadata.from_spec(GO2, GO2_LAYOUT, 0.02, command_names=COMMAND_NAMES, command_ranges=COMMAND_RANGES)


def host_metadata(beta: float = 0.3) -> PolicyMetadata:
    return PolicyMetadata.from_spec(GO2, HOST_LAYOUT, 0.02, beta=beta)


def quat_about_x(angle_rad: float) -> np.ndarray:
    """wxyz quaternion of a roll by ``angle_rad``."""
    return np.array([math.cos(angle_rad / 2), math.sin(angle_rad / 2), 0.0, 0.0])


def lowstate(
    stamp_s: float,
    q: np.ndarray | None = None,
    dq: np.ndarray | None = None,
    quat: np.ndarray | None = None,
    buttons: tuple[str, ...] = (),
    spec: RobotSpec = GO2,
    mode_machine: int | None = None,
) -> LowStateView:
    """A LowState view with joint q/dq given in spec order (default pose, at rest, level by default)."""
    motor_q = np.zeros(spec.num_motor_slots)
    motor_dq = np.zeros(spec.num_motor_slots)
    motor_q[list(spec.motor_indices)] = spec.default_joint_pos if q is None else q
    motor_dq[list(spec.motor_indices)] = 0.0 if dq is None else dq
    return LowStateView(
        quat_wxyz=np.array([1.0, 0.0, 0.0, 0.0]) if quat is None else quat,
        gyro_rad_s=np.zeros(3),
        acc_m_s2=np.array([0.0, 0.0, 9.81]),
        motor_q=motor_q,
        motor_dq=motor_dq,
        wireless_remote=encode_remote(RemoteState(buttons=frozenset(buttons))),
        stamp_s=stamp_s,
        mode_machine=mode_machine,
    )


def joint_targets(out: MotorCommands, spec: RobotSpec = GO2) -> np.ndarray:
    """Position targets of the spec's joints, spec order."""
    return out.q[list(spec.motor_indices)]


def press(ctrl: Controller, now_s: float, button: str, **state) -> tuple[float, MotorCommands]:
    """Tick once with ``button`` down, once released; returns the time after and the last output."""
    ctrl.tick(now_s, lowstate(now_s, buttons=(button,), **state))
    now_s += TICK_S
    return now_s + TICK_S, ctrl.tick(now_s, lowstate(now_s, **state))


def run(ctrl: Controller, now_s: float, seconds: float, **state) -> tuple[float, MotorCommands]:
    """Tick for ``seconds`` with a fresh, constant state; returns the time after and the last output."""
    out = None
    for _ in range(round(seconds / TICK_S)):
        out = ctrl.tick(now_s, lowstate(now_s, **state))
        now_s += TICK_S
    return now_s, out


def write_variant(
    src: Path,
    dst: Path,
    bias: np.ndarray | None = None,
    weight: np.ndarray | None = None,
    props: dict[str, str] | None = None,
) -> Path:
    """Copy the exported stand-still ONNX (a single Gemm) at ``src`` with a new (num_actions,) bias,
    (num_actions, obs_dim) weight and/or metadata entries."""
    model = onnx.load(src)
    (gemm,) = model.graph.node
    if weight is not None:
        init = next(t for t in model.graph.initializer if t.name == gemm.input[1])
        init.CopyFrom(numpy_helper.from_array(np.asarray(weight, dtype=np.float32), init.name))
    if bias is not None:
        del gemm.input[2:]
        gemm.input.append("test_bias")
        model.graph.initializer.append(numpy_helper.from_array(np.asarray(bias, dtype=np.float32), "test_bias"))
    for key, value in (props or {}).items():
        entry = next((p for p in model.metadata_props if p.key == key), None)
        if entry is None:
            model.metadata_props.add(key=key, value=value)
        else:
            entry.value = value
    onnx.save(model, dst)
    return dst


def permuted_go2() -> RobotSpec:
    """The Go2 spec with its DDS motor slots shuffled (to test the motor-order mapping)."""
    slots = (7, 2, 11, 0, 19, 5, 3, 14, 9, 1, 6, 12)
    return dataclasses.replace(
        GO2, joints=tuple(dataclasses.replace(j, motor_index=s) for j, s in zip(GO2.joints, slots, strict=True))
    )

"""deploy.robot.guards via the Controller: impossible readings and saturated policies damp; targets stay in range."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from deploy.robot.controller import Controller, ControllerConfig
from deploy.robot.guards import GuardLimits
from deploy.robot.onnx_policy import OnnxPolicy
from deploy.robot.state_machine import Mode
from legged_envs.robots.go2 import GO2

from .deploy_test_support import TICK_S, J, joint_targets, lowstate, press, run, write_variant

LOWER = np.array([j.range_rad[0] for j in GO2.joints])
UPPER = np.array([j.range_rad[1] for j in GO2.joints])
DEFAULT = np.asarray(GO2.default_joint_pos)
CALF = 2
"""FR_calf_joint: range -2.72..-0.84 rad, velocity limit 15.7 rad/s."""


def _policy_controller(onnx_path: Path, **guards) -> tuple[Controller, float]:
    """A Go2 controller in POLICY (stood up by buttons); returns it and the time of its next tick."""
    ctrl = Controller(GO2, OnnxPolicy(onnx_path, GO2), ControllerConfig(guards=GuardLimits(**guards)))
    now, _ = press(ctrl, 0.0, "start")
    now, _ = run(ctrl, now, ctrl.config.stand_duration_s + 0.01)
    now, _ = press(ctrl, now, "A")
    assert ctrl.mode is Mode.POLICY, ctrl.refusal
    return ctrl, now


def _with(state, **fields):
    return dataclasses.replace(state, **fields)


def _calf(values: np.ndarray, value: float) -> np.ndarray:
    out = values.copy()
    out[GO2.motor_indices[CALF]] = value
    return out


@pytest.mark.parametrize(
    ("change", "fault"),
    [
        (
            lambda s: _with(s, motor_q=_calf(s.motor_q, 10.0)),
            "LowState q of FR_calf_joint is 10 rad, outside its range",
        ),
        (lambda s: _with(s, motor_q=_calf(s.motor_q, 1e6)), "LowState q of FR_calf_joint is 1e+06 rad"),
        (lambda s: _with(s, motor_q=_calf(s.motor_q, -3.0)), "LowState q of FR_calf_joint is -3 rad"),
        (lambda s: _with(s, motor_dq=_calf(s.motor_dq, 1e6)), "LowState dq of FR_calf_joint is 1e+06 rad/s, beyond 2"),
        (lambda s: _with(s, motor_dq=_calf(s.motor_dq, -32.0)), "LowState dq of FR_calf_joint is -32 rad/s"),
        (lambda s: _with(s, gyro_rad_s=np.array([0.0, 40.0, 0.0])), "LowState gyroscope reads 40 rad/s, beyond"),
        (lambda s: _with(s, acc_m_s2=np.array([0.0, 0.0, -200.0])), "LowState accelerometer reads 200 m/s^2, beyond"),
        (lambda s: _with(s, quat_wxyz=np.array([2.0, 0.0, 0.0, 0.0])), "LowState quaternion has norm 2, expected 1"),
        (lambda s: _with(s, quat_wxyz=np.zeros(4)), "LowState quaternion has norm 0, expected 1"),
    ],
    ids=["q_10", "q_1e6", "q_below_margin", "dq_1e6", "dq_over_twice_limit", "gyro", "acc", "quat_norm", "quat_zero"],
)
def test_physically_impossible_finite_reading_damps_at_once(go2_onnx: Path, change, fault: str) -> None:
    ctrl, now = _policy_controller(go2_onnx)
    out = ctrl.tick(now, change(lowstate(now)))
    assert out.mode is Mode.DAMPING
    assert ctrl.fault.startswith(fault), ctrl.fault
    np.testing.assert_array_equal(out.kp, 0.0)
    assert (joint_targets(out) >= LOWER).all() and (joint_targets(out) <= UPPER).all()


def test_readings_just_outside_the_range_keep_the_policy_and_targets_stay_in_range(go2_onnx: Path) -> None:
    ctrl, now = _policy_controller(go2_onnx)
    for q_calf, dq_calf in ((-0.7, 30.0), (-2.85, -30.0)):  # 0.14 rad beyond the range, under 2 x 15.7 rad/s
        q, dq = DEFAULT.copy(), np.zeros(J)
        q[CALF], dq[CALF] = q_calf, dq_calf
        out = ctrl.tick(now, lowstate(now, q=q, dq=dq))
        now += TICK_S
        assert out.mode is Mode.POLICY, ctrl.fault
        targets = joint_targets(out).astype(np.float32)  # as written into the LowCmd
        assert (targets >= LOWER).all() and (targets <= UPPER).all(), "the joint range wins over the torque window"


def test_targets_on_a_limit_stay_inside_it_once_rounded_to_float32(go2_onnx: Path, tmp_path: Path) -> None:
    huge = np.tile([1e4, -1e4, 1e4], 4)  # every joint pushed to one of its limits
    policy = write_variant(go2_onnx, tmp_path / "huge.onnx", bias=huge)
    ctrl, now = _policy_controller(policy, saturation_timeout_s=10.0)
    at_limit = np.where(huge > 0, UPPER, LOWER)
    now, out = run(ctrl, now, 0.1, q=at_limit)
    targets = joint_targets(out).astype(np.float32)
    assert (targets >= LOWER).all() and (targets <= UPPER).all()
    np.testing.assert_allclose(targets, at_limit, atol=1e-6)


def test_saturated_actions_for_the_timeout_damp(go2_onnx: Path, tmp_path: Path) -> None:
    bias = np.zeros(J)
    bias[CALF] = 1e6  # one joint at the clip (100) forever
    ctrl, now = _policy_controller(write_variant(go2_onnx, tmp_path / "wild.onnx", bias=bias))
    while ctrl.mode is Mode.POLICY:
        ctrl.tick(now, lowstate(now))
        now += TICK_S
    assert ctrl.mode is Mode.DAMPING
    assert ctrl.fault == "policy actions saturated (|a| >= 100 on FR_calf_joint) for 0.20 s"
    assert ctrl.policy_steps == 9, "the 10th saturated policy step damps instead of being applied"


def test_large_actions_below_the_clip_do_not_damp(go2_onnx: Path, tmp_path: Path) -> None:
    ctrl, now = _policy_controller(write_variant(go2_onnx, tmp_path / "large.onnx", bias=np.full(J, 99.0)))
    now, out = run(ctrl, now, 1.0)
    assert out.mode is Mode.POLICY and ctrl.policy_steps >= 50


def test_guard_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="guard limits: acc_limit_m_s2 must be > 0, got 0"):
        GuardLimits(acc_limit_m_s2=0)

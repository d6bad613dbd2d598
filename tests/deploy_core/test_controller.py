"""Controller: the mode walk, STAND interpolation, every guard, and the target/torque clamps on a Go2."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from deploy.robot.controller import Controller, ControllerConfig
from deploy.robot.guards import GuardLimits
from deploy.robot.onnx_policy import OnnxPolicy
from deploy.robot.state_machine import Mode
from legged_envs.robots.g1 import G1_23DOF
from legged_envs.robots.go2 import GO2
from legged_envs.robots.spec import RobotSpec

from .deploy_test_support import (
    G1_HOST_LAYOUT,
    GO2_LAYOUT,
    TICK_S,
    J,
    joint_targets,
    lowstate,
    press,
    quat_about_x,
    run,
    write_variant,
)

DEFAULT = np.array(GO2.default_joint_pos)
KP = np.array([j.kp for j in GO2.joints])
KD = np.array([j.kd for j in GO2.joints])
LOWER = np.array([j.range_rad[0] for j in GO2.joints])
UPPER = np.array([j.range_rad[1] for j in GO2.joints])
EFFORT = np.array([j.effort_limit_nm for j in GO2.joints])
USED = list(GO2.motor_indices)
UNUSED = [slot for slot in range(GO2.num_motor_slots) if slot not in USED]
CROUCH = DEFAULT + np.tile([0.1, 0.4, -0.5], 4)
"""A measured pose away from the default one, inside the joint ranges."""


def _controller(onnx_path: Path, spec: RobotSpec = GO2, **settings) -> Controller:
    """A controller on ``spec``; ``settings`` are ControllerConfig or GuardLimits fields."""
    guard_fields = {f.name for f in dataclasses.fields(GuardLimits)}
    guards = GuardLimits(**{k: v for k, v in settings.items() if k in guard_fields})
    config = ControllerConfig(guards=guards, **{k: v for k, v in settings.items() if k not in guard_fields})
    return Controller(spec, OnnxPolicy(onnx_path, spec), config)


def _to_ready(ctrl: Controller, **state) -> float:
    """Button start, then STAND until done; returns the time after, in READY."""
    now, _ = press(ctrl, 0.0, "start", **state)
    now, _ = run(ctrl, now, ctrl.config.stand_duration_s + 0.01, **state)
    assert ctrl.mode is Mode.READY
    return now


def _to_policy(ctrl: Controller, **state) -> float:
    """``_to_ready``, then button A; returns the time after, in POLICY."""
    now, _ = press(ctrl, _to_ready(ctrl, **state), "A", **state)
    assert ctrl.mode is Mode.POLICY, ctrl.refusal
    return now


def _torque_estimate(out, q: np.ndarray, dq: np.ndarray) -> np.ndarray:
    return out.kp[USED] * (out.q[USED] - q) - out.kd[USED] * dq


def test_buttons_walk_passive_stand_ready_policy_damping_and_reset(go2_onnx: Path) -> None:
    ctrl = _controller(go2_onnx)
    out = ctrl.tick(0.0, lowstate(0.0, q=CROUCH))
    assert out.mode is Mode.PASSIVE
    for field in (out.dq, out.kp, out.kd, out.tau):
        np.testing.assert_array_equal(field, 0.0)
    np.testing.assert_array_equal(joint_targets(out), DEFAULT, err_msg="limp modes send the default pose, kp 0")
    np.testing.assert_array_equal(out.q[UNUSED], 0.0)

    now, out = press(ctrl, TICK_S, "start", q=CROUCH)
    assert out.mode is Mode.STAND
    np.testing.assert_allclose(joint_targets(out), CROUCH, atol=0.01, err_msg="STAND starts at the measured pose")
    np.testing.assert_array_equal(out.kp[USED], KP)
    np.testing.assert_array_equal(out.kd[USED], KD)
    for field in (out.q, out.kp, out.kd):
        np.testing.assert_array_equal(field[UNUSED], 0.0)

    now, out = run(ctrl, now, 2.6, q=CROUCH)
    assert out.mode is Mode.READY
    np.testing.assert_array_equal(joint_targets(out), DEFAULT)

    now, out = press(ctrl, now, "A", q=CROUCH)
    assert out.mode is Mode.POLICY
    steps_before = ctrl.policy_steps
    now, out = run(ctrl, now, 0.2, q=CROUCH)
    assert ctrl.policy_steps - steps_before == 10, "50 Hz policy in a 500 Hz loop"
    np.testing.assert_allclose(
        joint_targets(out), DEFAULT, atol=1e-6, err_msg="stand-still policy holds the default pose"
    )

    now, out = press(ctrl, now, "select", q=CROUCH)
    assert out.mode is Mode.DAMPING
    np.testing.assert_array_equal(out.kp, 0.0)
    np.testing.assert_array_equal(out.kd[USED], 8.0)
    np.testing.assert_array_equal(out.kd[UNUSED], 0.0)
    now, out = press(ctrl, now, "start", q=CROUCH)
    assert out.mode is Mode.DAMPING, "DAMPING is latched"
    ctrl.tick(now, lowstate(now, buttons=("L1",)))
    ctrl.tick(now + TICK_S, lowstate(now + TICK_S, buttons=("L1", "X")))
    assert ctrl.mode is Mode.PASSIVE
    assert list(ctrl.events) == [
        "PASSIVE -> STAND (button start)",
        "STAND -> READY (stand done)",
        "READY -> POLICY (button A)",
        "POLICY -> DAMPING (button select)",
        "DAMPING -> PASSIVE (button L1+X)",
    ]


def test_request_api_refuses_what_the_state_machine_does_not_allow(go2_onnx: Path) -> None:
    ctrl = _controller(go2_onnx)
    assert not ctrl.request("stand")
    assert ctrl.refusal == "stand refused: no LowState received yet"
    ctrl.tick(0.0, lowstate(0.0))
    assert not ctrl.request("policy") and ctrl.refusal == "policy is not allowed in PASSIVE"
    assert ctrl.request("stand") and ctrl.mode is Mode.STAND
    assert ctrl.request("damp") and ctrl.mode is Mode.DAMPING
    assert not ctrl.request("stand") and ctrl.mode is Mode.DAMPING
    assert ctrl.request("reset") and ctrl.mode is Mode.PASSIVE and ctrl.fault is None
    with pytest.raises(ValueError):
        ctrl.request("jump")


def test_stand_interpolates_linearly_and_reaches_default_pose_in_the_set_time(go2_onnx: Path) -> None:
    ctrl = _controller(go2_onnx, stand_duration_s=2.0)
    ctrl.tick(0.0, lowstate(0.0, q=CROUCH))
    assert ctrl.request("stand")
    start = 1.0
    out = ctrl.tick(start, lowstate(start, q=CROUCH))
    np.testing.assert_allclose(joint_targets(out), CROUCH)
    now = start
    for k in range(1, 1000):
        now = start + k * TICK_S
        out = ctrl.tick(now, lowstate(now, q=CROUCH))
        expected = CROUCH + (k * TICK_S / 2.0) * (DEFAULT - CROUCH)
        np.testing.assert_allclose(joint_targets(out), expected, atol=1e-9)
        assert out.mode is Mode.STAND
    out = ctrl.tick(start + 2.0, lowstate(start + 2.0, q=CROUCH))
    assert out.mode is Mode.READY
    np.testing.assert_array_equal(joint_targets(out), DEFAULT)


def test_stale_lowstate_damps_at_the_first_tick_past_the_timeout(go2_onnx: Path) -> None:
    ctrl = _controller(go2_onnx, state_timeout_s=0.1)
    now = _to_policy(ctrl, q=CROUCH)
    last = lowstate(now, q=CROUCH)
    ctrl.tick(now, last)
    ticks = 0
    while ctrl.mode is Mode.POLICY:
        ticks += 1
        ctrl.tick(now + ticks * TICK_S, last)  # no new LowState arrives
    assert ticks in (50, 51), "0.098 s old is accepted, 0.102 s is not (0.100 s sits on the float boundary)"
    assert ctrl.mode is Mode.DAMPING
    assert ctrl.fault == f"LowState is {ticks * TICK_S * 1e3:.1f} ms old (timeout 100 ms)"
    ctrl2 = _controller(go2_onnx)
    now = _to_policy(ctrl2)
    ctrl2.tick(now, None)
    assert ctrl2.mode is Mode.DAMPING and ctrl2.fault == "no LowState received yet"


@pytest.mark.parametrize("where", ["motor_dq", "motor_q", "quat", "gyro"])
def test_nan_in_the_state_damps(go2_onnx: Path, where: str) -> None:
    ctrl = _controller(go2_onnx)
    now = _to_policy(ctrl)
    state = lowstate(now)
    array = {"motor_dq": state.motor_dq, "motor_q": state.motor_q, "quat": state.quat_wxyz, "gyro": state.gyro_rad_s}
    array[where][1] = np.inf if where == "gyro" else np.nan
    out = ctrl.tick(now, state)
    assert out.mode is Mode.DAMPING
    assert ctrl.fault == "LowState has NaN/Inf in the IMU or motor states"


def test_nan_in_an_unused_motor_slot_is_ignored(go2_onnx: Path) -> None:
    ctrl = _controller(go2_onnx)
    now = _to_policy(ctrl)
    state = lowstate(now)
    state.motor_q[UNUSED] = np.nan
    assert ctrl.tick(now, state).mode is Mode.POLICY


def test_inf_from_the_policy_damps(go2_onnx: Path, tmp_path: Path) -> None:
    # finite for the zero observation the loader tries, Inf once gravity (0, 0, -1) enters the observation
    huge = np.full((J, GO2_LAYOUT.obs_dim), 3e38)
    path = write_variant(go2_onnx, tmp_path / "inf.onnx", weight=huge)
    ctrl = _controller(path)
    now = _to_ready(ctrl)
    assert ctrl.request("policy")
    out = ctrl.tick(now, lowstate(now))
    assert out.mode is Mode.DAMPING and ctrl.fault == "policy output has NaN/Inf"
    np.testing.assert_array_equal(out.kp, 0.0)
    assert np.isfinite(out.q).all()


def test_tilt_past_the_limit_damps_and_blocks_standing_up(go2_onnx: Path) -> None:
    ctrl = _controller(go2_onnx, max_tilt_rad=1.0)
    now = _to_policy(ctrl, quat=quat_about_x(0.9))
    assert ctrl.tick(now, lowstate(now, quat=quat_about_x(-0.95))).mode is Mode.POLICY
    assert ctrl.tick(now + TICK_S, lowstate(now + TICK_S, quat=quat_about_x(-1.05))).mode is Mode.DAMPING
    assert ctrl.fault == "base tilt 1.05 rad exceeds 1.0 rad"

    lying = _controller(go2_onnx, max_tilt_rad=1.0)
    lying.tick(0.0, lowstate(0.0, quat=quat_about_x(1.6)))
    assert not lying.request("stand") and lying.mode is Mode.PASSIVE
    assert lying.refusal == "stand refused: base tilt 1.60 rad exceeds 1.0 rad"
    unguarded = _controller(go2_onnx, max_tilt_rad=None)
    unguarded.tick(0.0, lowstate(0.0, quat=quat_about_x(1.6)))
    assert unguarded.request("stand")


def test_huge_actions_stay_in_joint_ranges_and_torque_estimate_within_effort(go2_onnx: Path, tmp_path: Path) -> None:
    huge = np.tile([1e4, -1e4, 1e4], 4) * np.repeat([1, -1, 1, -1], 3)
    ctrl = _controller(write_variant(go2_onnx, tmp_path / "huge.onnx", bias=huge), saturation_timeout_s=10.0)
    now = _to_policy(ctrl)
    rng = np.random.default_rng(3)
    worst = 0.0
    for _ in range(2000):
        q = rng.uniform(LOWER, UPPER)
        dq = rng.uniform(-30.0, 30.0, size=J)
        out = ctrl.tick(now, lowstate(now, q=q, dq=dq))
        assert out.mode is Mode.POLICY
        targets = joint_targets(out)
        assert (targets >= LOWER - 1e-12).all() and (targets <= UPPER + 1e-12).all()
        torque = _torque_estimate(out, q, dq)
        assert (np.abs(torque) <= EFFORT + 1e-9).all()
        worst = max(worst, float(np.max(np.abs(torque) / EFFORT)))
        now += TICK_S
    assert worst == pytest.approx(1.0), "huge actions drive the estimate to the limit, not past it"
    assert ctrl.policy_steps >= 200


def test_torque_estimate_is_limited_while_holding_a_pose_far_from_the_default(go2_onnx: Path) -> None:
    ctrl = _controller(go2_onnx)
    far = LOWER + 0.05
    now = _to_policy(ctrl, q=far, dq=np.full(J, 5.0))
    out = ctrl.tick(now, lowstate(now, q=far, dq=np.full(J, 5.0)))
    torque = _torque_estimate(out, far, np.full(J, 5.0))
    assert (np.abs(torque) <= EFFORT + 1e-9).all()
    assert np.isclose(np.abs(torque), EFFORT).any(), "some joints are at their effort limit"


def test_host_targets_are_measured_q_plus_beta_times_action(host_onnx: Path, tmp_path: Path) -> None:
    ctrl = _controller(write_variant(host_onnx, tmp_path / "half.onnx", bias=np.full(J, 0.5)))
    now = _to_policy(ctrl, q=CROUCH)  # the policy ran on the first POLICY tick, 2 ticks ago
    measured = CROUCH + 0.02
    now, out = run(ctrl, now, 8 * TICK_S, q=measured)
    np.testing.assert_allclose(joint_targets(out), CROUCH + 0.3 * 0.5, atol=1e-6, err_msg="held between policy steps")
    out = ctrl.tick(now, lowstate(now, q=measured))
    np.testing.assert_allclose(joint_targets(out), measured + 0.3 * 0.5, atol=1e-6)
    assert ctrl.observations.layout.term("beta") is not None


def test_command_reaches_the_policy_clamped_and_a_nan_command_damps(go2_onnx: Path, tmp_path: Path) -> None:
    weight = np.zeros((J, GO2_LAYOUT.obs_dim))
    newest_vx = (GO2_LAYOUT.history_length - 1) * GO2_LAYOUT.frame_dim + GO2_LAYOUT.frame_slices()["command"].start
    weight[0, newest_vx] = 1.0  # FR_hip action = newest frame's vx command
    ctrl = _controller(write_variant(go2_onnx, tmp_path / "echo.onnx", weight=weight))
    now = _to_ready(ctrl)
    assert ctrl.request("policy")

    def policy_period(command: np.ndarray) -> np.ndarray:
        """One policy tick then 9 holding ticks, all with ``command``; the FR_hip target of each tick."""
        nonlocal now
        targets = []
        for _ in range(10):
            targets.append(joint_targets(ctrl.tick(now, lowstate(now), command=command))[0])
            now += TICK_S
        return np.array(targets)

    np.testing.assert_allclose(policy_period(np.array([0.4, 0.0, 0.0])), DEFAULT[0] + 0.25 * 0.4, atol=1e-6)
    np.testing.assert_allclose(policy_period(np.array([5.0, 0.0, 0.0])), DEFAULT[0] + 0.25 * 1.0, atol=1e-6)
    policy_period(np.array([np.nan, 0.0, 0.0]))
    assert ctrl.mode is Mode.DAMPING and ctrl.fault.startswith("command must be 3 finite values")


def test_g1_host_policy_drives_all_35_slots_and_checks_mode_machine(g1_host_onnx: Path) -> None:
    g1 = G1_23DOF
    assert G1_HOST_LAYOUT.frame_dim == 76
    ctrl = _controller(g1_host_onnx, g1, max_tilt_rad=None)
    lying = quat_about_x(1.57)  # HoST starts lying: the tilt guard is off
    state = {"spec": g1, "quat": lying, "mode_machine": 1}
    now = _to_policy(ctrl, **state)
    now, out = run(ctrl, now, 0.1, **state)
    assert out.mode is Mode.POLICY and len(out.q) == g1.num_motor_slots == 35
    used = list(g1.motor_indices)
    unused = [slot for slot in range(35) if slot not in used]
    np.testing.assert_allclose(out.q[used], g1.default_joint_pos, atol=1e-6, err_msg="q + beta * 0 holds the pose")
    np.testing.assert_array_equal(out.kp[used], [j.kp for j in g1.joints])
    for field in (out.q, out.kp, out.kd):
        np.testing.assert_array_equal(field[unused], 0.0)
    out = ctrl.tick(now, lowstate(now, spec=g1, quat=lying, mode_machine=4))
    assert out.mode is Mode.DAMPING and ctrl.fault == "LowState mode_machine 4, policy expects 1"


def test_bad_config_and_policy_rate_are_named(go2_onnx: Path) -> None:
    with pytest.raises(ValueError, match=r"^controller config: stand_duration_s must be > 0, got 0$"):
        ControllerConfig(stand_duration_s=0)
    with pytest.raises(
        ValueError, match=r"^controller: policy control_dt 0.02 s is not a multiple of the tick 0.003 s$"
    ):
        _controller(go2_onnx, tick_period_s=0.003)

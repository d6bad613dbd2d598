"""Stand-up mode of the controller on the G1: engaging from the ground, its guard instead of tilt, the hand-over."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from deploy.robot.controller import Controller, ControllerConfig
from deploy.robot.guards import GuardLimits
from deploy.robot.onnx_policy import OnnxPolicy
from deploy.robot.standup import StandupLimits
from deploy.robot.state_machine import Mode
from legged_envs.robots.g1 import G1_23DOF
from legged_envs.robots.go2 import GO2

from .deploy_test_support import TICK_S, joint_targets, lowstate, quat_about_x, write_variant

G1 = G1_23DOF
J = G1.num_joints
DEFAULT = np.array(G1.default_joint_pos)
KNEE = G1.joint_names.index("left_knee_joint")
SUPINE = np.array([math.cos(-math.pi / 4), 0.0, math.sin(-math.pi / 4), 0.0])
"""On the back: pitched -90 deg about the base y axis (gravity along the base x axis)."""
PRONE = np.array([math.cos(math.pi / 4), 0.0, math.sin(math.pi / 4), 0.0])
LEGS_FOLDED = DEFAULT.copy()
for name, value in (("hip_pitch", -1.5), ("knee", 1.2), ("ankle_pitch", 0.2)):
    LEGS_FOLDED[[i for i, n in enumerate(G1.joint_names) if name in n]] = value
"""A lying pose far from the default one (the stand-up task's sitting legs)."""
LOWER, UPPER = np.array([j.range_rad for j in G1.joints]).T + np.array([[1e-6], [-1e-6]])
BETA, ACTION = 0.3, 0.5
"""The test policies' beta (``g1_host_metadata``) and the constant action of ``pushing``."""


@pytest.fixture
def pushing(g1_host_onnx: Path, tmp_path: Path) -> Path:
    """The G1 stand-up policy (beta 0.3) with every action 0.5."""
    return write_variant(g1_host_onnx, tmp_path / "pushing.onnx", bias=np.full(J, ACTION))


def controller(policy: Path, **standup: float) -> Controller:
    """A G1 controller with the real robot's guards (tilt 1 rad) and ``standup`` limits."""
    config = ControllerConfig(guards=GuardLimits(max_tilt_rad=1.0), standup=StandupLimits(**standup))
    return Controller(G1, OnnxPolicy(policy, G1), config)


def state(now: float, q: np.ndarray = LEGS_FOLDED, quat: np.ndarray = SUPINE, **kw):
    return lowstate(now, q=q, quat=quat, spec=G1, mode_machine=G1.mode_machine, **kw)


def run(ctrl: Controller, now: float, seconds: float, **kw) -> tuple[float, Mode]:
    """Tick for ``seconds`` with a constant state; the time after and the mode."""
    for _ in range(round(seconds / TICK_S)):
        ctrl.tick(now, state(now, **kw))
        now += TICK_S
    return now, ctrl.mode


def test_standup_engages_from_passive_and_damping_with_q_plus_beta_a_of_the_lying_robot(
    pushing: Path, go2_onnx: Path
) -> None:
    ctrl = controller(pushing)
    ctrl.tick(0.0, state(0.0))
    assert not ctrl.request("stand") and ctrl.refusal == "stand refused: base tilt 1.57 rad exceeds 1.0 rad"
    assert ctrl.request("standup") and ctrl.mode is Mode.STANDUP
    out = ctrl.tick(TICK_S, state(TICK_S))
    assert out.mode is Mode.STANDUP
    targets = joint_targets(out, G1)
    np.testing.assert_allclose(targets, LEGS_FOLDED + BETA * ACTION, atol=1e-6, err_msg="q + beta * a, no stand")
    assert np.abs(targets - DEFAULT).max() > 1.0, "nowhere near the default pose"
    np.testing.assert_array_equal(out.kp[list(G1.motor_indices)], [j.kp for j in G1.joints])

    ctrl.damp("operator")
    now, mode = run(ctrl, 2 * TICK_S, 0.1)
    assert mode is Mode.DAMPING
    prone = LEGS_FOLDED - 0.2  # now lying on the front in another pose (q + 0.15 inside every range)
    ctrl.tick(now, state(now, q=prone, quat=PRONE, buttons=("R1",)))
    out = ctrl.tick(now + TICK_S, state(now + TICK_S, q=prone, quat=PRONE, buttons=("R1", "Y")))  # remote chord
    assert out.mode is Mode.STANDUP, ctrl.refusal
    np.testing.assert_allclose(joint_targets(out, G1), prone + BETA * ACTION, atol=1e-6)
    assert list(ctrl.events)[-2:] == ["STANDUP -> DAMPING (operator)", "DAMPING -> STANDUP (button R1+Y)"]

    go2 = Controller(GO2, OnnxPolicy(go2_onnx, GO2))  # a walking policy: beta null
    go2.tick(0.0, lowstate(0.0))
    assert not go2.request("standup") and go2.mode is Mode.PASSIVE
    assert go2.refusal == "standup refused: not a stand-up policy (its metadata beta is null)"


def test_tilt_guard_does_not_trip_while_lying_in_standup_but_the_timeout_does(pushing: Path) -> None:
    ctrl = controller(pushing, timeout_s=1.0)
    ctrl.tick(0.0, state(0.0))
    assert ctrl.request("standup")
    now, mode = run(ctrl, TICK_S, 0.95)
    assert mode is Mode.STANDUP, ctrl.fault  # lying: tilt 1.57 rad, beyond the 1 rad tilt guard
    now, mode = run(ctrl, now, 0.1)
    assert mode is Mode.DAMPING
    assert ctrl.fault == "stand-up timeout: not stood up 1 s after engaging"

    nan = controller(pushing)
    nan.tick(0.0, state(0.0))
    assert nan.request("standup")
    bad = LEGS_FOLDED.copy()
    bad[KNEE] = math.nan
    nan.tick(TICK_S, state(TICK_S, q=bad))
    assert nan.mode is Mode.DAMPING and "NaN" in nan.fault, "the state guards stay on in STANDUP"


def test_joint_speed_beyond_the_standup_limit_damps_and_just_below_does_not(pushing: Path) -> None:
    ctrl = controller(pushing)
    ctrl.tick(0.0, state(0.0))
    assert ctrl.request("standup")
    dq = np.zeros(J)
    dq[KNEE] = 19.9  # knee velocity limit 20 rad/s; the state guard's impossible-speed bound is 40
    now, mode = run(ctrl, TICK_S, 0.1, dq=dq)
    assert mode is Mode.STANDUP
    dq[KNEE] = -20.5
    ctrl.tick(now, state(now, dq=dq))
    assert ctrl.mode is Mode.DAMPING
    assert ctrl.fault == (
        "stand-up joint speed: left_knee_joint at 20.5 rad/s, beyond 20 rad/s (1 x its velocity limit)"
    )


def test_hand_over_once_upright_near_the_default_pose_for_the_hold_time_then_the_tilt_guard_is_back(
    pushing: Path,
) -> None:
    ctrl = controller(pushing, hold_s=1.0, timeout_s=10.0)
    ctrl.tick(0.0, state(0.0))
    assert ctrl.request("standup")
    now, _ = run(ctrl, TICK_S, 1.0)  # lying
    squat = DEFAULT.copy()
    squat[[i for i, n in enumerate(G1.joint_names) if "knee" in n]] = 1.2  # upright trunk, knees 0.9 rad off
    now, mode = run(ctrl, now, 1.5, q=squat, quat=quat_about_x(0.1))
    assert mode is Mode.STANDUP, "a squat is not standing"

    standing = np.clip(DEFAULT + 0.4 * np.sign(np.arange(J) % 2 - 0.5), LOWER, UPPER)  # <= 0.4 rad off: inside 0.5
    upright = quat_about_x(0.4)  # gravity z -0.92 < -0.9
    now, mode = run(ctrl, now, 0.9, q=standing, quat=upright)
    assert mode is Mode.STANDUP
    now, mode = run(ctrl, now, 0.01, q=standing, quat=quat_about_x(0.5))  # gravity z -0.88: the hold restarts
    now, mode = run(ctrl, now, 0.9, q=standing, quat=upright)
    assert mode is Mode.STANDUP, "the condition must hold 1 s without a break"
    now, mode = run(ctrl, now, 0.1 + TICK_S, q=standing, quat=upright)
    assert mode is Mode.STAND
    out = ctrl.tick(now, state(now, q=standing, quat=upright))
    np.testing.assert_allclose(joint_targets(out, G1), standing, atol=0.02, err_msg="STAND starts at the measured q")
    now, mode = run(ctrl, now + TICK_S, ctrl.config.stand_duration_s, q=standing, quat=upright)
    assert mode is Mode.READY
    np.testing.assert_array_equal(joint_targets(ctrl.tick(now, state(now, q=DEFAULT, quat=upright)), G1), DEFAULT)
    assert list(ctrl.events) == [
        "PASSIVE -> STANDUP (request)",
        "STANDUP -> STAND (stood up)",
        "STAND -> READY (stand done)",
    ]
    ctrl.tick(now + TICK_S, state(now + TICK_S, q=standing, quat=quat_about_x(1.05)))
    assert ctrl.mode is Mode.DAMPING and ctrl.fault == "base tilt 1.05 rad exceeds 1.0 rad"


def test_standup_limits_must_be_sensible() -> None:
    with pytest.raises(ValueError, match=r"^stand-up limits: timeout_s must be > 0, got 0$"):
        StandupLimits(timeout_s=0)
    with pytest.raises(ValueError, match=r"upright_gravity_z must be in \(-1, 0\), got 0.5"):
        StandupLimits(upright_gravity_z=0.5)

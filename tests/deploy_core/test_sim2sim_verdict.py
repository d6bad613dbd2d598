"""The sim2sim verdict: motion measured from the bridge's reports, commands parsed, standing height required."""

from __future__ import annotations

import math

import pytest

from deploy.sim.sim2sim import measure_motion, parse_commands, verdict


def report(t: float, x: float, y: float, yaw: float, height: float = 0.27, tilt: float = 0.02) -> dict:
    return {"sim_time_s": t, "base_xy_m": [x, y], "base_yaw_rad": yaw, "base_height_m": height, "tilt_rad": tilt}


def test_motion_is_measured_in_the_heading_frame_with_yaw_unwrapped_across_pi() -> None:
    # Facing +y (yaw pi/2), moving 1 m along +y and 0.5 m along -x in 2 s: 0.5 m/s forward, 0.25 m/s left.
    samples = [report(0.0, 0.0, 0.0, math.pi / 2), report(2.0, -0.5, 1.0, math.pi / 2)]
    motion = measure_motion(samples)
    assert motion.vx == pytest.approx(0.5) and motion.vy == pytest.approx(0.25) and motion.yaw_rate == pytest.approx(0)
    # Turning 4 rad in 4 s at 1 rad/s crosses +-pi: the samples every second unwrap it.
    yaws = [math.remainder(1.0 * t, 2 * math.pi) for t in range(5)]
    turning = [report(float(t), 0.0, 0.0, yaw) for t, yaw in enumerate(yaws)]
    assert measure_motion(turning).yaw_rate == pytest.approx(1.0)


def test_commands_are_named_and_unnamed_ones_are_zero() -> None:
    assert parse_commands(["vx=0.5", "yaw_rate=-0.2"], ("vx", "vy", "yaw_rate")) == [0.5, 0.0, -0.2]
    with pytest.raises(ValueError, match="--command speed=1: the policy's commands are vx, vy"):
        parse_commands(["speed=1"], ("vx", "vy"))
    with pytest.raises(ValueError, match="expected NAME=NUMBER"):
        parse_commands(["vx=fast"], ("vx",))


def test_a_crouch_or_a_robot_that_does_not_move_fails_and_a_walk_passes() -> None:
    walk = [report(0.0, 0.0, 0.0, 0.0), report(4.0, 2.0, 0.0, 0.0)]  # 0.5 m/s forward
    assert verdict(walk, "POLICY", 0.263, {"vx": 0.5, "vy": 0.0, "yaw_rate": 0.0})
    stand = [report(0.0, 0.0, 0.0, 0.0), report(4.0, 0.0, 0.0, 0.0)]
    assert not verdict(stand, "POLICY", 0.263, {"vx": 0.5, "vy": 0.0, "yaw_rate": 0.0})
    assert verdict(stand, "POLICY", 0.263, {"vx": 0.0, "vy": 0.0, "yaw_rate": 0.0})
    crouch = [report(0.0, 0.0, 0.0, 0.0, height=0.146), report(4.0, 0.0, 0.0, 0.0, height=0.146)]
    assert not verdict(crouch, "POLICY", 0.263, {})
    assert not verdict(stand, "DAMPING", 0.263, {})

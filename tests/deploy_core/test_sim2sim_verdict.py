"""The sim2sim verdict: motion and posture measured from the bridge's reports, commands parsed, checks per segment."""

from __future__ import annotations

import math

import pytest

from deploy.sim.sim2sim import measure_motion, measure_segment, parse_commands, verdict
from policies.command_script import Segment

NAMES = ("vx", "vy", "yaw_rate", "height", "pitch", "roll")
STANDING = 0.263


def report(t: float, x: float, y: float, yaw: float, height: float = 0.263, pitch: float = 0.0) -> dict:
    return {
        "sim_time_s": t,
        "base_xy_m": [x, y],
        "base_rpy_rad": [0.0, pitch, yaw],
        "base_height_m": height,
        "tilt_rad": abs(pitch),
    }


def segment(seconds: float, **command: float) -> Segment:
    return Segment(seconds, tuple(command.get(name, 0.0) for name in NAMES))


def test_motion_is_measured_in_the_heading_frame_with_yaw_unwrapped_across_pi() -> None:
    # Facing +y (yaw pi/2), moving 1 m along +y and 0.5 m along -x in 2 s: 0.5 m/s forward, 0.25 m/s left.
    samples = [report(0.0, 0.0, 0.0, math.pi / 2), report(2.0, -0.5, 1.0, math.pi / 2)]
    motion = measure_motion(samples)
    assert motion.vx == pytest.approx(0.5) and motion.vy == pytest.approx(0.25) and motion.yaw_rate == pytest.approx(0)
    # Turning 4 rad in 4 s at 1 rad/s crosses +-pi: the samples every second unwrap it.
    turning = [report(float(t), 0.0, 0.0, math.remainder(1.0 * t, 2 * math.pi)) for t in range(5)]
    assert measure_motion(turning).yaw_rate == pytest.approx(1.0)


def test_posture_is_the_mean_over_the_segment_relative_to_standing() -> None:
    samples = [report(0.0, 0, 0, 0, height=0.23, pitch=0.08), report(1.0, 0, 0, 0, height=0.24, pitch=0.12)]
    achieved = measure_segment(samples, STANDING)
    assert achieved["height"] == pytest.approx(-0.028) and achieved["pitch"] == pytest.approx(0.10)


def test_commands_are_named_and_unnamed_ones_are_zero() -> None:
    assert parse_commands(["vx=0.5", "yaw_rate=-0.2"], ("vx", "vy", "yaw_rate")) == [0.5, 0.0, -0.2]
    with pytest.raises(ValueError, match="--command speed=1: the policy's commands are vx, vy"):
        parse_commands(["speed=1"], ("vx", "vy"))
    with pytest.raises(ValueError, match="expected NAME=NUMBER"):
        parse_commands(["vx=fast"], ("vx",))


def test_each_segment_must_follow_its_command_and_a_crouch_or_a_fall_fails() -> None:
    walk = [report(0.0, 0.0, 0.0, 0.0), report(4.0, 2.0, 0.0, 0.0)]  # 0.5 m/s forward
    still = [report(4.0, 2.0, 0.0, 0.0), report(6.0, 2.0, 0.0, 0.0)]
    assert verdict([(segment(4, vx=0.5), walk), (segment(2), still)], "POLICY", STANDING, NAMES)
    assert not verdict([(segment(4, vx=0.5), still)], "POLICY", STANDING, NAMES)  # asked to walk, stood
    crouch = [report(0.0, 0, 0, 0, height=0.22), report(2.0, 0, 0, 0, height=0.22)]
    assert verdict([(segment(2, height=-0.04), crouch)], "POLICY", STANDING, NAMES)
    assert not verdict([(segment(2), crouch)], "POLICY", STANDING, NAMES)  # 4 cm low when asked to stand
    assert not verdict([(segment(2), still)], "DAMPING", STANDING, NAMES)
    fallen = [report(0.0, 0, 0, 0), report(2.0, 0, 0, 0, height=0.1, pitch=1.2)]
    assert not verdict([(Segment(2, ()), fallen)], "POLICY", STANDING, ())  # a policy without commands


def test_judged_commands_limit_the_tracking_checks_but_never_upright_or_height() -> None:
    leaning = [report(0.0, 0, 0, 0, pitch=0.07), report(2.0, 0, 0, 0, pitch=0.07)]  # 0.07 rad nose down
    assert not verdict([(segment(2), leaning)], "POLICY", STANDING, NAMES)
    assert verdict([(segment(2), leaning)], "POLICY", STANDING, NAMES, judged=("height",))
    crouch = [report(0.0, 0, 0, 0, height=0.18), report(2.0, 0, 0, 0, height=0.18)]
    assert not verdict([(segment(2), crouch)], "POLICY", STANDING, NAMES, judged=("vx",))  # below standing height


def test_walking_a_curve_shows_no_sideways_motion() -> None:
    # 0.4 m/s forward while turning at 0.5 rad/s for 2 s (1 rad), reported every 0.25 s.
    speed, rate = 0.4, 0.5
    times = [0.25 * i for i in range(9)]
    arc = [
        report(t, speed / rate * math.sin(rate * t), speed / rate * (1 - math.cos(rate * t)), rate * t) for t in times
    ]
    motion = measure_motion(arc)
    assert motion.vx == pytest.approx(speed, abs=0.002) and abs(motion.vy) < 0.002
    assert motion.yaw_rate == pytest.approx(rate)

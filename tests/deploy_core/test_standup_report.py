"""The sim2sim stand-up verdict from the bridge's reports: stood up, time to stand, falls, hand-over, peak speed."""

from __future__ import annotations

import pytest

from deploy.sim.standup_report import StandupRun, measure_standup, standup_table, standup_verdict

REST = {"sim_time_s": 1.0, "base_height_m": 0.07, "projected_gravity": [-1.0, 0.0, 0.0], "tilt_rad": 1.57}


def report(t: float, low: float, high: float, mode: str, speed: float = 1.0, joint: str = "left_knee_joint") -> dict:
    return {
        "sim_time_s": t,
        "base_height_m": high,
        "base_height_range_m": [low, high],
        "tilt_rad": 0.1,
        "node_mode": mode,
        "joint_speed_peak_rad_s": speed,
        "joint_speed_peak_joint": joint,
        "bad_crc_count": 0,
        "max_target_excursion_rad": -0.01,
    }


def standup_run(reports: list[dict], left: dict | None) -> StandupRun:
    return StandupRun("supine", REST, 1.0, reports, left, {"left_knee_joint": 20.0, "left_elbow_joint": 37.0})


def rising(fall_to: float | None = None) -> list[dict]:
    """Up over 2 s in STANDUP (peak 9 rad/s), handed over at 3 s; READY, then optionally a fall."""
    heights = [0.07, 0.2, 0.4, 0.6, 0.72, 0.76, 0.78, 0.78]
    reports = [
        report(1.0 + 0.5 * k, h - 0.02, h, "STANDUP", speed=9.0 if k == 3 else 2.0) for k, h in enumerate(heights)
    ]
    reports += [report(5.0 + 0.5 * k, 0.77, 0.78, "READY", speed=25.0, joint="left_elbow_joint") for k in range(4)]
    if fall_to is not None:
        reports.append(report(7.5, fall_to, 0.6, "DAMPING"))
    return reports


HANDED_OVER = {"mode": "STAND", "sim_time_s": 4.6, "fault": None}


def test_a_stand_up_that_holds_passes_with_time_and_peak_in_standup_only(capsys: pytest.CaptureFixture) -> None:
    run = standup_run(rising(), HANDED_OVER)
    out = measure_standup(run)
    assert out.stood_up and out.handed_over
    assert out.time_to_stand_s == pytest.approx(2.0), "first above 0.7 m in the report at t = 3 s, engaged at 1 s"
    assert (out.peak_speed_rad_s, out.peak_joint) == (9.0, "left_knee_joint"), "READY's 25 rad/s not counted"
    assert standup_verdict(run)
    printed = capsys.readouterr().out
    assert (
        "| time to stand up | 2.00 s |" in printed
        and "| hand-over to STAND (stood-up rule) | yes: STAND at +3.60 s |" in printed
    )
    assert "9.00 rad/s (left_knee_joint; node limit 20 rad/s)" in printed
    assert printed.rstrip().endswith("sim2sim: PASS")


def test_a_fall_after_standing_a_timeout_or_no_rise_fails(capsys: pytest.CaptureFixture) -> None:
    fallen = measure_standup(standup_run(rising(fall_to=0.3), HANDED_OVER))
    assert not fallen.stood_up and fallen.lowest_after_m == 0.3 and fallen.lowest_after_mode == "DAMPING"
    assert fallen.time_to_stand_s == pytest.approx(2.0)

    lying = [report(1.0 + 0.5 * k, 0.06, 0.08, "STANDUP") for k in range(20)]
    timeout = {"mode": "DAMPING", "sim_time_s": 11.0, "fault": "stand-up timeout: not stood up 10 s after engaging"}
    run = standup_run([*lying, report(11.5, 0.06, 0.07, "DAMPING")], timeout)
    out = measure_standup(run)
    assert not out.stood_up and out.time_to_stand_s is None and not out.handed_over and out.end_mode == "DAMPING"
    table = "\n".join(standup_table(run, out))
    assert "| stood up (pelvis > 0.7 m, never < 0.5 m after) | no: highest 0.080 m |" in table
    assert "no: DAMPING at +10.00 s (stand-up timeout: not stood up 10 s after engaging)" in table
    assert "| start | supine: pelvis 0.070 m, gravity in base (-1.00, +0.00, +0.00) |" in table
    assert not standup_verdict(run)
    assert "sim2sim: FAIL (not: stood up, handed over, not damped)" in capsys.readouterr().out

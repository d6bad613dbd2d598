"""Every fault of the policy node over real DDS, against this test's own 500 Hz LowState publisher.

The node runs as a process; every LowCmd it sends is checked (``live_robot.LowCmdCheck``: CRC, q inside
the joint ranges, kp 0 or the spec's, no kp > 0 after damping), including its exit commands.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
from rclpy.qos import QoSProfile

from deploy.robot import topics
from legged_envs.robots.g1 import G1_23DOF
from legged_envs.robots.go2 import GO2

from .live_robot import TICK_S

KNEE = G1_23DOF.joint_names.index("left_knee_joint")
KNEE_SLOT = G1_23DOF.motor_indices[KNEE]
KNEE_UPPER = G1_23DOF.joints[KNEE].range_rad[1]
"""The audit's joint: range -0.087..2.88 rad, kp 200."""
STATE_TIMEOUT_S = 0.1


def _motor(field: str, value: float) -> Callable[[np.ndarray], None]:
    def mutate(msg: np.ndarray) -> None:
        msg["motor_state"][field][KNEE_SLOT] = value

    return mutate


def _imu(field: str, values: tuple[float, ...]) -> Callable[[np.ndarray], None]:
    def mutate(msg: np.ndarray) -> None:
        msg["imu_state"][field] = values

    return mutate


def test_impossible_readings_damp_and_no_lowcmd_leaves_the_joint_range(live, g1_policy: Path) -> None:
    robot = live(G1_23DOF, g1_policy)
    robot.start_node()
    robot.to_policy()
    robot.mutate = _motor("q", KNEE_UPPER + 0.1)  # past the range but inside the 0.2 rad margin: plausible
    robot.run_for(0.3)
    assert robot.statuses[-1]["mode"] == "POLICY", robot.statuses[-1]
    for mutate, fault in (
        (_motor("q", 10.0), "LowState q of left_knee_joint is 10 rad, outside its range"),
        (_motor("q", 1e6), "LowState q of left_knee_joint is 1e+06 rad"),
        (_motor("dq", 1e6), "LowState dq of left_knee_joint is 1e+06 rad/s"),
        (_imu("gyroscope", (0.0, 0.0, 100.0)), "LowState gyroscope reads 100 rad/s"),
        (_imu("accelerometer", (500.0, 0.0, 9.81)), "LowState accelerometer reads 500 m/s^2"),
    ):
        last_seq = robot.statuses[-1]["seq"]
        positions_before = robot.lowcmds.position_count
        robot.mutate = mutate
        damped = robot.wait_mode("DAMPING", last_seq)
        assert damped["fault"].startswith(fault), damped
        robot.run_for(0.05)
        print(f"{fault}: {robot.lowcmds.position_count - positions_before} kp > 0 LowCmds before DAMPING")
        robot.mutate = None
        robot.to_policy()
    robot.lowcmds.assert_clean()


def test_second_commander_appearing_later_damps_with_one_log_line_and_blocks_standing(live, g1_policy: Path) -> None:
    robot = live(G1_23DOF, g1_policy)
    robot.start_node()
    robot.to_policy()
    robot.run_for(1.0)
    last_seq = robot.statuses[-1]["seq"]
    commander = robot.node.create_publisher(robot.cmd_layout.msg_class, topics.LOWCMD, QoSProfile(depth=1))
    limp = robot.cmd_layout.zeros()  # what the audit's second commander sent: zero torque at the default pose
    limp["mode_machine"] = G1_23DOF.mode_machine
    limp["motor_cmd"]["q"][list(G1_23DOF.motor_indices)] = G1_23DOF.default_joint_pos
    limp["crc"] = robot.cmd_layout.crc(limp)
    damped = robot.run_until(
        lambda: (
            commander.publish(robot.cmd_layout.to_cdr(limp))
            or next((s for s in robot.statuses if s["seq"] > last_seq and s["mode"] == "DAMPING"), None)
        ),
        "DAMPING after a second /lowcmd publisher appeared",
    )
    assert damped["fault"] == "another node publishes /lowcmd (/test_robot)", damped
    robot.run_for(1.5)  # three more graph checks with the commander still there
    assert robot.request("reset")["accepted"]
    refused = robot.request("stand")
    assert (
        not refused["accepted"] and refused["reason"] == "stand refused: another node publishes /lowcmd (/test_robot)"
    )
    lines = [line for line in robot.log().splitlines() if "another node publishes /lowcmd" in line and "ERROR" in line]
    assert len(lines) == 1, lines

    robot.node.destroy_publisher(commander)
    robot.lowcmds.rearm()
    robot.run_until(lambda: robot.request("stand")["accepted"], "stand accepted once the other commander left")


def test_saturated_policy_damps_after_the_saturation_timeout(live, go2_huge_policy: Path) -> None:
    robot = live(GO2, go2_huge_policy)
    robot.start_node()
    robot.to_policy()
    damped = robot.wait_mode("DAMPING", robot.statuses[-1]["seq"])
    assert re.fullmatch(r"policy actions saturated \(\|a\| >= 100 on FR_hip_joint\) for 0\.20 s", damped["fault"])
    assert 8 <= damped["policy_steps"] <= 10, "DAMPING on the 10th saturated step (0.2 s at 50 Hz)"


def test_stale_lowstate_damps_within_the_timeout_plus_two_command_periods(live, g1_policy: Path) -> None:
    robot = live(G1_23DOF, g1_policy, state_timeout_s=STATE_TIMEOUT_S)
    robot.start_node()
    robot.to_policy()
    robot.run_for(0.5)
    robot.publishing = False
    damped = robot.wait_mode("DAMPING", robot.statuses[-1]["seq"])
    robot.run_for(0.05)
    age_ms = float(re.fullmatch(r"LowState is ([\d.]+) ms old \(timeout 100 ms\)", damped["fault"])[1])
    outside_ms = (robot.lowcmds.first_damping_s - robot.last_sent_s) * 1e3
    print(
        f"node clock: DAMPING at {age_ms:.1f} ms; robot side: last LowState -> first damping LowCmd {outside_ms:.1f} ms"
    )
    assert age_ms <= (STATE_TIMEOUT_S + 2 * TICK_S) * 1e3, "measured by the node on the tick that damped"


def test_lowstate_with_a_bad_crc_counts_as_missing_and_is_reported(live, g1_policy: Path) -> None:
    robot = live(G1_23DOF, g1_policy)
    robot.start_node()
    robot.to_policy()
    robot.bad_crc = lambda k: k % 2 == 1  # every other LowState spoilt: the good ones keep the state fresh
    robot.run_for(1.0)
    still = robot.request("policy")  # refused (already in POLICY); its answer carries the counts
    assert still["mode"] == "POLICY" and still["lowstate_bad_crc"] > 100, still
    robot.bad_crc = lambda k: True
    damped = robot.wait_mode("DAMPING", still["seq"])
    assert re.fullmatch(r"LowState is [\d.]+ ms old \(timeout 100 ms\)", damped["fault"]), damped
    assert damped["lowstate_bad_crc"] >= still["lowstate_bad_crc"] + 10, "the spoilt ones of the last 0.1 s counted"
    assert "with a bad CRC ignored" in robot.log()

"""Sim2sim over real DDS: the MuJoCo bridge and the policy node as processes, driven like a robot.

Go2: dropped lying, stood up by STAND, held by a stand-still policy. G1: it cannot hold its default
pose on PD gains alone (measured: a free G1 at its default pose with the spec's gains, zero actions,
falls over within ~1.5 s), so it starts on the bridge's gantry; once released it falls and the tilt
guard must damp it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from deploy.sim import topics as sim_topics
from deploy.sim.sim2sim import measure_motion
from legged_envs.robots.g1 import G1_23DOF
from legged_envs.robots.go2 import GO2

from .sim2sim_support import REPO


def assert_commands_clean(sim: dict) -> None:
    """Every LowCmd the bridge took had a valid CRC, the family's header and targets inside the joint ranges."""
    assert sim["lowcmd_count"] > 0
    assert sim["bad_crc_count"] == 0, sim
    assert sim["malformed_count"] == 0, sim
    assert sim["max_target_excursion_rad"] <= 0.0, sim  # float32 targets inside the ranges, not only close


def test_go2_stands_up_from_lying_holds_upright_under_the_policy_and_damps_on_nan_lowstate(sim2sim, go2_policy: Path):
    run = sim2sim("go2", go2_policy, bridge={"start_pose": "lying"})
    run.start_pair()
    lying = run.wait_sim(lambda s: True, "a sim report")
    assert lying["base_height_m"] < 0.15 and run.statuses[-1]["mode"] == "PASSIVE"

    run.request("stand")
    run.wait_mode("READY")
    run.request("policy")
    run.wait_mode("POLICY")
    standing = run.wait_sim_time(2.0)
    assert abs(standing["base_height_m"] - GO2.default_base_height_m) < 0.03, standing["base_height_m"]
    assert standing["tilt_rad"] < 0.1, standing["tilt_rad"]
    assert standing["cmd_kind"] == "POSITION"

    run.publish(sim_topics.SIM_CONTROL, "nan")
    damped = run.wait_mode("DAMPING")
    assert "NaN" in damped["fault"], damped
    assert damped["policy_steps"] > 50, "POLICY ran the policy at 50 Hz for 2 s of simulation"
    assert_commands_clean(run.wait_sim(lambda s: s["cmd_kind"] == "DAMPING", "damping commands at the bridge"))


def test_g1_on_gantry_reaches_policy_by_cli_and_remote_holds_default_pose_and_tilt_guard_damps_after_release(
    sim2sim, g1_policy: Path
):
    run = sim2sim("g1_23dof", g1_policy, bridge={"start_pose": "hanging"})
    run.start_pair()
    cli = [sys.executable, "-m", "deploy.robot.transition", "stand", "--timeout", "30"]
    result = subprocess.run(cli, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "stand: accepted, mode STAND" in result.stdout, result.stdout + result.stderr
    run.wait_mode("READY")

    run.publish(sim_topics.SIM_REMOTE, "A")  # the remote's A button: READY -> POLICY
    run.wait_mode("POLICY")
    hanging = run.wait_sim_time(1.0)
    assert hanging["held"]
    error = np.abs(np.array(hanging["joint_q"]) - G1_23DOF.default_joint_pos)
    assert error.max() < 0.05, f"joint {G1_23DOF.joint_names[error.argmax()]} is {error.max():.3f} rad off"
    assert_commands_clean(hanging)  # includes mode_machine == the spec's on every LowCmd

    run.publish(sim_topics.SIM_CONTROL, "release")
    damped = run.wait_mode("DAMPING")
    assert "tilt" in damped["fault"], damped
    fallen = run.wait_sim(lambda s: not s["held"] and s["cmd_kind"] == "DAMPING", "damping after the fall")
    assert_commands_clean(fallen)


WALK_POLICY = REPO / "assets" / "policies" / "go2_walk" / "policy.onnx"


def test_the_shipped_go2_walking_policy_walks_at_the_commanded_velocity_over_dds(sim2sim) -> None:
    """The exported walking policy, driven by the ROS 2 node through LowCmd/LowState, moves the MuJoCo Go2 forward
    at 0.5 m/s held on /cmd, at standing height; the same run without a command stands still."""
    run = sim2sim("go2", WALK_POLICY)
    run.start_pair()
    run.request("stand")
    run.wait_mode("READY")
    run.request("policy")
    run.wait_mode("POLICY")
    still = [run.wait_sim_time(1.0)] + [run.wait_sim_time(0.25) for _ in range(8)]
    run.hold_command([0.5, 0.0, 0.0, 0.0, 0.0, 0.0])
    run.wait_sim_time(1.5)  # gets up to speed
    walking = [run.wait_sim_time(0.25) for _ in range(13)]
    assert run.statuses[-1]["mode"] == "POLICY"
    standing, moving = measure_motion(still), measure_motion(walking)
    print(f"standing {standing}, walking {moving}")
    assert abs(standing.vx) < 0.1
    assert 0.3 <= moving.vx <= 0.7 and abs(moving.vy) < 0.2, moving
    assert min(s["base_height_m"] for s in walking) > 0.75 * GO2.default_base_height_m
    assert_commands_clean(walking[-1])

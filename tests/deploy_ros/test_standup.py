"""Stand-up mode over real DDS: the policy node process on a lying robot, and sim2sim with MuJoCo.

The node engages a stand-up policy straight from PASSIVE with the robot lying (its first position LowCmd is
q + beta * a of the lying robot), the tilt guard stays quiet while lying, the stand-up timeout damps; in
sim2sim the bridge spawns a supine G1 and the stand-up report has its fields, and on the gantry the
stood-up rule hands over to STAND and READY.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from deploy.robot.policy_metadata import PolicyMetadata
from deploy.sim.sim2sim import record_standup
from deploy.sim.standup_report import measure_standup, standup_verdict
from legged_envs.obs_layout import ObsLayout, ObsTerm
from legged_envs.robots.g1 import G1_23DOF
from policies.export import export_policy

G1 = G1_23DOF
N = G1.num_joints
LAYOUT = ObsLayout(
    (
        ObsTerm("base_ang_vel", 3, 0.25),
        ObsTerm("projected_gravity", 3),
        ObsTerm("joint_pos_rel", N),
        ObsTerm("joint_vel", N, 0.05),
        ObsTerm("last_action", N),
        ObsTerm("beta", 1),
    ),
    history_length=6,
)
"""The g1_standup task's observation: 76 per frame, 6 frames."""
BETA, ACTION = 0.25, 0.4
SUPINE = (math.cos(-math.pi / 4), 0.0, math.sin(-math.pi / 4), 0.0)
LYING_Q = np.array(G1.default_joint_pos)
for fragment, value in (("hip_pitch", -1.5), ("knee", 1.2), ("ankle_pitch", 0.2)):
    LYING_Q[[i for i, name in enumerate(G1.joint_names) if fragment in name]] = value


def standup_policy(path: Path, action: float) -> Path:
    """A G1 stand-up policy (beta 0.25) whose every action is ``action`` (ends in tanh, as trained)."""
    layer = nn.Linear(LAYOUT.obs_dim, N)
    with torch.no_grad():
        layer.weight.zero_()
        layer.bias.fill_(math.atanh(action))
    meta = PolicyMetadata.from_spec(G1, LAYOUT, 0.02, beta=BETA)
    return export_policy(nn.Sequential(layer, nn.Tanh()), None, meta, path)


@pytest.fixture(scope="module")
def pushing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return standup_policy(tmp_path_factory.mktemp("policies") / "g1_standup_push.onnx", ACTION)


@pytest.fixture(scope="module")
def still(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return standup_policy(tmp_path_factory.mktemp("policies") / "g1_standup_still.onnx", 0.0)


def test_node_engages_standup_from_passive_lying_without_interpolating_and_times_out(live, pushing: Path) -> None:
    robot = live(G1, pushing, standup_timeout_s=1.5)
    robot.state["imu_state"]["quaternion"] = SUPINE
    robot.state["motor_state"]["q"][list(G1.motor_indices)] = LYING_Q
    robot.start_node()
    assert robot.statuses[-1]["mode"] == "PASSIVE" and robot.lowcmds.position_count == 0
    refused = robot.request("stand")
    assert not refused["accepted"] and refused["reason"] == "stand refused: base tilt 1.57 rad exceeds 1.0 rad"

    assert robot.request("standup")["accepted"]
    robot.run_until(lambda: robot.lowcmds.first_position_q is not None, "a position LowCmd")
    np.testing.assert_allclose(robot.lowcmds.first_position_q, LYING_Q + BETA * ACTION, atol=1e-5)
    robot.run_for(1.0)
    assert robot.statuses[-1]["mode"] == "STANDUP", "lying 1 s in STANDUP: the tilt guard (1 rad) stays quiet"
    damped = robot.wait_mode("DAMPING")
    assert damped["fault"] == "stand-up timeout: not stood up 1.5 s after engaging", damped


def test_sim2sim_spawns_a_supine_g1_and_reports_the_failed_stand_up(sim2sim, still: Path, capsys) -> None:
    run = sim2sim("g1_23dof", still, bridge={"start_pose": "supine"}, node={"standup_timeout_s": 2.0})
    run.start_pair()
    recorded = record_standup(run, 0.5)
    rest = recorded.rest
    assert rest["base_height_m"] < 0.3 and rest["projected_gravity"][0] < -0.95, rest  # on its back
    out = measure_standup(recorded)
    assert not out.stood_up and out.time_to_stand_s is None and out.highest_m < 0.3
    assert recorded.left_standup["mode"] == "DAMPING" and "stand-up timeout" in recorded.left_standup["fault"]
    assert 0 < out.peak_speed_rad_s < 20 and out.peak_joint in G1.joint_names
    assert not standup_verdict(recorded)
    printed = capsys.readouterr().out
    for row in (
        "| start | supine: pelvis 0.",
        "| stood up (pelvis > 0.7 m, never < 0.5 m after) | no: highest 0.",
        "| time to stand up | - |",
        "| hand-over to STAND (stood-up rule) | no: DAMPING at +",
        "| peak joint speed in STANDUP | ",
        "| end | mode DAMPING, pelvis 0.",
    ):
        assert row in printed, row
    assert "sim2sim: FAIL (not: stood up, handed over, not damped)" in printed


def test_sim2sim_hands_over_on_the_gantry_and_reports_it(sim2sim, still: Path, capsys) -> None:
    run = sim2sim("g1_23dof", still, bridge={"start_pose": "hanging"}, node={"standup_hold_s": 0.5})
    run.start_pair()
    recorded = record_standup(run, 1.0)
    assert recorded.left_standup["mode"] == "STAND", recorded.left_standup
    run.wait_mode("READY")
    out = measure_standup(recorded)
    assert out.stood_up and out.handed_over and out.end_mode in ("STAND", "READY")
    assert standup_verdict(recorded)
    assert "sim2sim: PASS" in capsys.readouterr().out

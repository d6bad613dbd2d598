"""The sim bridge's perturbation appliers on the LowState, the LowCmd and the MuJoCo Go2, without ROS processes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from deploy.robot import topics
from deploy.robot.observation import projected_gravity
from deploy.robot.wire import WireLayout
from deploy.sim.perturb import BridgePerturbation, bridge_problem
from deploy.sim.sim_robot import SimRobot
from legged_envs.perturbations.config import PerturbationConfig, ScenarioConfig, ScheduleConfig, SuiteConfig
from legged_envs.robots.go2 import GO2

DT, HZ = 0.02, 500.0
TICK = 1.0 / HZ
SLOTS = np.asarray(GO2.motor_indices)


def applier(*perturbations: PerturbationConfig, severity: float = 1.0, robot: SimRobot | None = None):
    robot = robot or SimRobot(GO2)
    return BridgePerturbation(ScenarioConfig(list(perturbations)), severity, 0, GO2, robot, DT, HZ), robot


def lowstate(dq: float = 0.0) -> np.ndarray:
    msg = WireLayout(topics.message_types(GO2.message_family)[1]).zeros()
    msg["motor_state"]["q"][SLOTS] = GO2.default_joint_pos
    msg["motor_state"]["dq"][SLOTS] = dq
    return msg


def lowcmd(q: float = 0.5) -> np.ndarray:
    msg = WireLayout(topics.message_types(GO2.message_family)[0]).zeros()
    motors = msg["motor_cmd"]
    motors["q"][SLOTS], motors["kp"][SLOTS], motors["kd"][SLOTS] = q, 20.0, 0.5
    return msg


def suite(**perturbation) -> SuiteConfig:
    return SuiteConfig({"s": ScenarioConfig([PerturbationConfig(**perturbation)])})


@pytest.mark.parametrize(
    ("perturbation", "key", "reason"),
    [
        ({"kind": "obs_attack", "magnitude": 1.0, "epsilon": {"joint_vel": 1.0}}, "perturbations[0].kind", "gradient"),
        ({"kind": "obs_gaussian", "magnitude": 0.1, "terms": ["command"]}, "[0].terms", "no LowState"),
        ({"kind": "obs_dropout", "magnitude": 0.5, "terms": ["projected_gravity"]}, "[0].dropout", "use hold"),
        ({"kind": "obs_bias", "magnitude": 0.1}, "perturbations[0].terms", "(every term) has no LowState"),
        ({"kind": "reward_noise", "magnitude": 0.5}, "perturbations[0].kind", "training only"),
        ({"kind": "payload", "magnitude": 1.0, "body": "trunk"}, "perturbations[0].body", "no body 'trunk'"),
    ],
)
def test_what_the_bridge_cannot_apply_is_named_by_key(perturbation: dict, key: str, reason: str) -> None:
    problem = bridge_problem(suite(**perturbation), GO2, ("world", "base"))
    assert problem is not None and problem[0].startswith("scenarios.s.") and problem[0].endswith(key), problem
    assert reason in problem[1]
    assert bridge_problem(suite(kind="push", magnitude=1.0), GO2, ("world", "base")) is None


def test_nothing_is_applied_before_start_then_a_bias_on_joint_vel_follows_its_schedule() -> None:
    ramp = ScheduleConfig("ramp", start_s=0.0, duration_s=1.0)
    bias, _ = applier(PerturbationConfig("obs_bias", 0.4, terms=["joint_vel"], schedule=ramp), severity=2.0)
    msg = lowstate(dq=1.0)
    bias.state(msg, 5.0)
    assert np.all(msg["motor_state"]["dq"][SLOTS] == 1.0)
    bias.start(5.0)
    bias.state(msg, 5.5)  # half-way up the ramp: 0.4 x 2 x 0.5
    assert np.allclose(msg["motor_state"]["dq"][SLOTS], 1.4, atol=1e-6)
    assert np.all(msg["motor_state"]["q"][SLOTS] == np.float32(GO2.default_joint_pos))  # other terms untouched


def test_gyro_noise_has_the_std_of_its_size_and_is_redrawn_once_per_control_step() -> None:
    noise, _ = applier(PerturbationConfig("obs_gaussian", 0.3, terms=["base_ang_vel"]))
    noise.start(0.0)
    ticks = []
    for k in range(4000):
        msg = lowstate()
        noise.state(msg, k * TICK)
        ticks.append(msg["imu_state"]["gyroscope"].copy())
    ticks = np.array(ticks)
    per_step = ticks.reshape(-1, 10, 3)
    assert np.all(per_step == per_step[:, :1])  # 10 LowStates per 20 ms control step share a draw
    assert per_step[:, 0].std() == pytest.approx(0.3, rel=0.1) and abs(per_step[:, 0].mean()) < 0.05


def test_gravity_noise_turns_the_imu_quaternion_by_its_size() -> None:
    tilt = 0.3  # the robot pitched by 0.3 rad
    quat = np.array([math.cos(tilt / 2), 0.0, math.sin(tilt / 2), 0.0])
    noise, _ = applier(PerturbationConfig("obs_gaussian", 0.05, terms=["projected_gravity"]))
    noise.start(0.0)
    clean, seen = projected_gravity(quat), []
    for k in range(0, 3000, 10):
        msg = lowstate()
        msg["imu_state"]["quaternion"] = quat
        noise.state(msg, k * TICK)
        seen.append(projected_gravity(np.asarray(msg["imu_state"]["quaternion"], dtype=np.float64)))
    error = np.array(seen) - clean
    across = error @ np.array([[0.0], [1.0], [0.0]])  # across gravity: the noise's own std
    assert across.std() == pytest.approx(0.05, rel=0.15) and abs(across.mean()) < 0.01
    assert np.abs(np.linalg.norm(seen, axis=1) - 1.0).max() < 1e-5  # a direction, as the node reads it


def test_joint_position_dropout_reads_the_default_pose_and_latency_delays_by_whole_control_steps() -> None:
    dropout, _ = applier(PerturbationConfig("obs_dropout", 1.0, terms=["joint_pos_rel"]))
    dropout.start(0.0)
    msg = lowstate()
    msg["motor_state"]["q"][SLOTS] = 0.0
    dropout.state(msg, 0.0)
    assert np.allclose(msg["motor_state"]["q"][SLOTS], GO2.default_joint_pos)

    latency, _ = applier(PerturbationConfig("obs_latency", 2.0, terms=["joint_vel"]))
    latency.start(0.0)
    seen = []
    for k in range(60):
        msg = lowstate(dq=float(k))
        latency.state(msg, k * TICK)
        seen.append(float(msg["motor_state"]["dq"][SLOTS[0]]))
    assert seen[:21] == [0.0] * 21 and seen[40] == 20.0  # 2 control steps = 20 LowStates at 500 Hz


def test_action_kinds_change_the_lowcmd_targets_and_gains_of_their_joints() -> None:
    latency, _ = applier(PerturbationConfig("action_latency", 1.0))
    latency.start(0.0)
    targets = []
    for k in range(30):
        cmd = lowcmd(q=0.01 * k)
        latency.command(cmd, k * TICK)
        targets.append(float(cmd["motor_cmd"]["q"][SLOTS[0]]))
    assert targets[25] == pytest.approx(0.15)  # 10 LowCmds late

    limp, _ = applier(PerturbationConfig("limp_motor", 0.75, joints=["FR_calf_joint"]))
    limp.start(0.0)
    cmd = lowcmd()
    limp.command(cmd, 0.0)
    kp = cmd["motor_cmd"]["kp"][SLOTS]
    calf = GO2.joint_names.index("FR_calf_joint")
    assert kp[calf] == pytest.approx(5.0) and np.all(np.delete(kp, calf) == 20.0)

    noise, _ = applier(PerturbationConfig("action_noise", 0.05))
    noise.start(0.0)
    offsets = []
    for k in range(0, 5000, 10):
        cmd = lowcmd(q=0.5)
        noise.command(cmd, k * TICK)
        offsets.append(cmd["motor_cmd"]["q"][SLOTS] - np.float32(0.5))
    assert np.std(offsets) == pytest.approx(0.05, rel=0.1)  # rad on the targets


def test_dynamics_kinds_write_the_mujoco_world() -> None:
    kinds = applier(
        PerturbationConfig("payload", 4.0, body="base"),
        PerturbationConfig("friction", 0.8),
        PerturbationConfig("gravity_tilt", 0.2),
        PerturbationConfig("motor_strength", 0.5, joints=["FL_hip_joint"]),
        PerturbationConfig("push", 1.5, mode="episode", interval_steps=1),
    )
    perturbation, robot = kinds
    base = robot.model.body(GO2.base_body)
    mass, friction = float(base.mass[0]), robot.model.geom_friction[:, 0].copy()
    perturbation.start(0.0)
    perturbation.physics(0.0)
    assert base.mass[0] == pytest.approx(mass + 4.0)
    assert np.allclose(robot.model.geom_friction[:, 0], 0.2 * friction)
    gravity = robot.model.opt.gravity
    assert math.acos(-gravity[2] / np.linalg.norm(gravity)) == pytest.approx(0.2)
    assert robot.strength[GO2.joint_names.index("FL_hip_joint")] == 0.5 and robot.strength.sum() == 11.5
    velocity = robot.data.qvel[0:2].copy()
    perturbation.physics(DT)  # control step 1: the episode's push
    assert np.linalg.norm(robot.data.qvel[0:2] - velocity) == pytest.approx(1.5)


def test_gain_kinds_scale_their_own_lowcmd_gain_only() -> None:
    calf = GO2.joint_names.index("FR_calf_joint")
    for kind, (kp, kd) in {"stiffness": (5.0, 0.5), "damping": (20.0, 0.125)}.items():
        perturbation, _ = applier(PerturbationConfig(kind, 0.75, joints=["FR_calf_joint"]))
        perturbation.start(0.0)
        cmd = lowcmd()
        perturbation.command(cmd, 0.0)
        motors = cmd["motor_cmd"]
        assert (motors["kp"][SLOTS[calf]], motors["kd"][SLOTS[calf]]) == pytest.approx((kp, kd))
        assert np.all(np.delete(motors["kp"][SLOTS], calf) == 20.0)


def test_a_range_is_drawn_once_per_joint_and_body_kinds_write_the_world() -> None:
    kinds = applier(
        PerturbationConfig("motor_strength", 0.3, low=-0.2),
        PerturbationConfig("link_mass", 0.5, bodies=["FR_thigh"]),
        PerturbationConfig("com_shift", 0.04),
        PerturbationConfig("restitution", 0.6),
        PerturbationConfig("push_force", 60.0, mode="episode", interval_steps=1, duration_s=0.1),
    )
    perturbation, robot = kinds
    thigh, base = robot.model.body("FR_thigh"), robot.model.body(GO2.base_body)
    thigh_mass, com, damping = float(thigh.mass[0]), base.ipos.copy(), robot.model.geom_solref[:, 1].copy()
    perturbation.start(0.0)
    perturbation.physics(0.0)
    strength = robot.strength.copy()
    assert strength.min() >= 0.7 and strength.max() <= 1.2 and len(set(strength.round(6))) == len(strength)
    assert thigh.mass[0] == pytest.approx(1.5 * thigh_mass)
    shift = base.ipos - com
    assert np.abs(shift).max() <= 0.04 and np.abs(shift).max() > 0.0
    assert np.allclose(robot.model.geom_solref[:, 1], 0.4 * damping)
    perturbation.physics(DT)  # control step 1: the push starts
    assert np.linalg.norm(robot.data.xfrc_applied[base.id, :3]) == pytest.approx(60.0)
    perturbation.physics(DT + 0.05)
    assert np.array_equal(robot.strength, strength)  # drawn once, for the episode
    assert np.linalg.norm(robot.data.xfrc_applied[base.id, :3]) == pytest.approx(60.0)
    perturbation.physics(DT + 0.1)
    assert not robot.data.xfrc_applied[base.id].any()  # 0.1 s is over

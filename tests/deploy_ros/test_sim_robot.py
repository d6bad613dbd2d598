"""deploy.sim.sim_robot: the bridge's MuJoCo robot (no ROS): PD motors, IMU, start poses and postures, gantry."""

from __future__ import annotations

import numpy as np
import pytest

from deploy.robot.observation import projected_gravity, tilt_rad
from deploy.sim.sim_robot import SimRobot, rpy_from_quat
from legged_envs.robots.g1 import G1_23DOF
from legged_envs.robots.go2 import GO2
from legged_envs.robots.spec import RobotSpec


def hold_default_pose(sim: SimRobot, spec: RobotSpec) -> None:
    n = spec.num_joints
    kp, kd = np.array([j.kp for j in spec.joints]), np.array([j.kd for j in spec.joints])
    sim.set_command(np.ones(n), np.array(spec.default_joint_pos), np.zeros(n), kp, kd, np.zeros(n))


def test_standing_go2_holds_its_default_pose_and_the_imu_reads_gravity() -> None:
    sim = SimRobot(GO2, 0.002, "standing")
    hold_default_pose(sim, GO2)
    sim.step(1000)
    assert abs(sim.base_height_m - GO2.default_base_height_m) < 0.02 and tilt_rad(sim.imu_quat_wxyz) < 0.05
    assert np.allclose(sim.imu_acc_m_s2, [0.0, 0.0, 9.81], atol=0.3), "specific force points up at rest"
    assert np.abs(sim.imu_gyro_rad_s).max() < 0.05
    assert np.allclose(rpy_from_quat(sim.imu_quat_wxyz)[:2], 0.0, atol=0.05)


def test_motor_torque_is_clipped_to_the_effort_limit_and_zero_when_disabled() -> None:
    sim = SimRobot(GO2, 0.002, "hanging")
    n = GO2.num_joints
    far = np.array(GO2.default_joint_pos) + 2.0
    sim.set_command(np.ones(n), far, np.zeros(n), np.full(n, 1e4), np.zeros(n), np.zeros(n))
    sim.step()
    assert np.allclose(np.abs(sim.tau), sim.effort)
    sim.set_command(np.zeros(n), far, np.zeros(n), np.full(n, 1e4), np.zeros(n), np.full(n, 5.0))
    sim.step()
    assert not sim.tau.any()


def test_hanging_g1_is_held_until_released_then_falls_on_pd_gains_alone() -> None:
    sim = SimRobot(G1_23DOF, 0.002, "hanging")
    start_height = sim.base_height_m
    hold_default_pose(sim, G1_23DOF)
    sim.step(500)
    assert sim.held and abs(sim.base_height_m - start_height) < 0.005 and tilt_rad(sim.imu_quat_wxyz) < 0.02
    assert sim.release() and not sim.held and not sim.release()
    sim.step(1500)
    assert tilt_rad(sim.imu_quat_wxyz) > 1.0, "the G1 cannot balance at its default pose with PD alone"


def test_lying_go2_rests_on_the_floor() -> None:
    sim = SimRobot(GO2, 0.002, "lying")
    sim.step(250)
    assert sim.base_height_m < 0.12 and tilt_rad(sim.imu_quat_wxyz) < 0.3


def test_g1_spawns_supine_on_its_back_and_prone_on_its_front() -> None:
    for pose, sign in (("supine", -1.0), ("prone", 1.0)):
        sim = SimRobot(G1_23DOF, 0.002, pose)
        sim.step(500)  # motors off: it settles
        gravity = projected_gravity(sim.imu_quat_wxyz)
        assert sim.base_height_m < 0.3, (pose, sim.base_height_m)
        assert gravity[0] * sign > 0.95, (pose, gravity)  # gravity along the base x axis: chest up or down


def test_g1_seated_rests_on_the_platform_and_leaning_against_the_wall() -> None:
    seated = SimRobot(G1_23DOF, 0.002, "seated", platform_height_m=0.4)
    seated.step(750)
    box = seated.model.geom("platform")
    assert box.size[2] * 2 == pytest.approx(0.4)
    assert seated.base_height_m > 0.4, "the pelvis stays on the platform, above its top"
    assert "platform" in touching(seated) and "floor" in touching(seated), "seat on the box, feet on the floor"
    leaning = SimRobot(G1_23DOF, 0.002, "leaning", wall_distance_m=0.4)
    leaning.step(750)
    assert "wall" in touching(leaning)
    assert 0.3 < tilt_rad(leaning.imu_quat_wxyz) < 1.2, "sitting, the back on the wall: neither upright nor lying"
    with pytest.raises(KeyError):
        SimRobot(G1_23DOF, 0.002, "supine").model.geom("platform")


def touching(sim: SimRobot) -> set[str]:
    """Names of the named geoms in contact (floor, platform, wall)."""
    data, model = sim.data, sim.model
    return {model.geom(g).name for c in data.contact[: data.ncon] for g in (c.geom1, c.geom2)} - {""}

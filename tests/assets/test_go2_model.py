"""The project's Go2 MJCF and spec against Unitree's figures, and standing under PD on flat ground."""

import json
from pathlib import Path

import mujoco
import numpy as np
import pytest

from assets import asset_path
from legged_envs.robots.go2 import GO2

REFERENCE = json.loads((Path(__file__).resolve().parents[1] / "data" / "go2_reference.json").read_text())
"""Figures taken once from Unitree's Go2 MJCF (tests/data/go2_reference.json)."""


@pytest.fixture(scope="module")
def model() -> mujoco.MjModel:
    return mujoco.MjModel.from_xml_path(str(asset_path(GO2.mjcf_file)))


def _qpos_address(model: mujoco.MjModel, joint_name: str) -> int:
    return int(model.jnt_qposadr[model.joint(joint_name).id])


def test_total_mass_within_one_percent_of_unitree(model: mujoco.MjModel) -> None:
    ours, theirs = mujoco.mj_getTotalmass(model), REFERENCE["total_mass_kg"]
    assert abs(ours - theirs) / theirs < 0.01, f"total mass {ours:.4f} kg vs Unitree's {theirs:.4f} kg"


def test_joint_ranges_effort_limits_and_axes_match_unitree_and_spec(model: mujoco.MjModel) -> None:
    assert set(REFERENCE["joints"]) == set(GO2.joint_names)
    for joint in GO2.joints:
        ref = REFERENCE["joints"][joint.name]
        mj_joint = model.joint(joint.name)
        np.testing.assert_allclose(mj_joint.range, ref["range_rad"], atol=1e-9, err_msg=joint.name)
        np.testing.assert_allclose(joint.range_rad, ref["range_rad"], atol=1e-9, err_msg=joint.name)
        assert model.jnt_actfrclimited[mj_joint.id], joint.name
        effort = [-ref["effort_limit_nm"], ref["effort_limit_nm"]]
        np.testing.assert_allclose(model.jnt_actfrcrange[mj_joint.id], effort, err_msg=joint.name)
        assert joint.effort_limit_nm == pytest.approx(ref["effort_limit_nm"]), joint.name
        np.testing.assert_allclose(mj_joint.axis, ref["axis"], atol=1e-12, err_msg=joint.name)
        dof = model.jnt_dofadr[mj_joint.id]
        assert model.dof_armature[dof] == pytest.approx(ref["armature"]) == pytest.approx(joint.armature_kg_m2)
        assert model.dof_damping[dof] == pytest.approx(ref["damping"]), joint.name
        assert model.dof_frictionloss[dof] == pytest.approx(ref["frictionloss"]), joint.name


@pytest.mark.parametrize("config", sorted(REFERENCE["fk"]))
def test_foot_positions_match_unitree_within_5_mm(model: mujoco.MjModel, config: str) -> None:
    ref = REFERENCE["fk"][config]
    data = mujoco.MjData(model)
    data.qpos[:3] = REFERENCE["base_pose"]["pos_m"]
    data.qpos[3:7] = REFERENCE["base_pose"]["quat_wxyz"]
    for name, value in ref["joint_pos_rad"].items():
        data.qpos[_qpos_address(model, name)] = value
    mujoco.mj_kinematics(model, data)
    np.testing.assert_allclose(data.xpos[model.body(GO2.base_body).id], ref["base_pos_m"], atol=1e-9)
    for foot, position in ref["foot_pos_m"].items():
        error = np.linalg.norm(data.xpos[model.body(foot).id] - position)
        assert error < 0.005, f"{config}: {foot} is {1000 * error:.2f} mm from Unitree's"


def test_spec_joint_order_equals_mjcf_actuators(model: mujoco.MjModel) -> None:
    assert GO2.joint_names == tuple(REFERENCE["actuator_order"])
    assert model.nu == GO2.num_joints
    for index, joint in enumerate(GO2.joints):
        actuator = model.actuator(index)
        assert actuator.name == joint.name
        assert model.joint(actuator.trnid[0]).name == joint.name
        np.testing.assert_allclose(actuator.ctrlrange, [-joint.effort_limit_nm, joint.effort_limit_nm])


def test_motor_indices_follow_unitree_go2_dds_order() -> None:
    assert sorted(GO2.motor_indices) == list(range(12))
    # unitree_ros2 motor_crc.h: FR_0..2 = 0..2, FL = 3..5, RR = 6..8, RL = 9..11 (hip, thigh, calf).
    for joint in GO2.joints:
        leg, part, _ = joint.name.split("_")
        expected = 3 * ("FR", "FL", "RR", "RL").index(leg) + ("hip", "thigh", "calf").index(part)
        assert joint.motor_index == expected, joint.name
    assert GO2.num_motor_slots == 20 and GO2.message_family == "unitree_go"


def test_spec_names_exist_and_robot_geoms_only_collide_with_terrain(model: mujoco.MjModel) -> None:
    assert model.body(1).name == GO2.base_body
    assert model.joint(0).name == "floating_base" and model.jnt_bodyid[0] == 1
    assert model.site(GO2.imu_site).bodyid == model.body(GO2.base_body).id
    for body in (*GO2.foot_bodies, *GO2.named_bodies.values()):
        model.body(body)  # raises KeyError when missing
    assert np.all(model.geom_contype == 1) and np.all(model.geom_conaffinity == 0)
    foot_geoms = [g for g in range(model.ngeom) if model.body(model.geom_bodyid[g]).name in GO2.foot_bodies]
    assert len(foot_geoms) == 4
    assert all(model.geom_type[g] == mujoco.mjtGeom.mjGEOM_SPHERE for g in foot_geoms)
    np.testing.assert_allclose(model.geom_size[foot_geoms, 0], 0.022)


def test_go2_stands_at_default_pose_under_pd_for_5_s() -> None:
    spec = mujoco.MjSpec.from_file(str(asset_path(GO2.mjcf_file)))
    spec.worldbody.add_geom(
        type=mujoco.mjtGeom.mjGEOM_PLANE, size=[0, 0, 1], friction=[1.0, 0.005, 0.0001], contype=0, conaffinity=1
    )
    model = spec.compile()
    assert model.opt.timestep == pytest.approx(0.005)
    data = mujoco.MjData(model)
    qpos_idx = np.array([_qpos_address(model, name) for name in GO2.joint_names])
    qvel_idx = np.array([model.jnt_dofadr[model.joint(name).id] for name in GO2.joint_names])
    q0 = np.array(GO2.default_joint_pos)
    kp = np.array([joint.kp for joint in GO2.joints])
    kd = np.array([joint.kd for joint in GO2.joints])
    limit = np.array([joint.effort_limit_nm for joint in GO2.joints])
    base_id = model.body(GO2.base_body).id
    foot_geoms = [g for g in range(model.ngeom) if model.body(model.geom_bodyid[g]).name in GO2.foot_bodies]

    data.qpos[qpos_idx] = q0
    mujoco.mj_kinematics(model, data)
    lowest = min(data.geom_xpos[g, 2] - model.geom_size[g, 0] for g in foot_geoms)
    data.qpos[2] += 0.01 - lowest  # lowest foot 1 cm above the ground

    steps = round(5.0 / model.opt.timestep)
    height, up_z = np.empty(steps), np.empty(steps)
    for step in range(steps):
        tau = kp * (q0 - data.qpos[qpos_idx]) - kd * data.qvel[qvel_idx]
        data.ctrl[:] = np.clip(tau, -limit, limit)
        mujoco.mj_step(model, data)
        height[step], up_z[step] = data.xpos[base_id, 2], data.xmat[base_id, 8]

    last_4_s = height[round(1.0 / model.opt.timestep) :]
    assert last_4_s.max() - last_4_s.min() < 0.02, f"base height varies {last_4_s.max() - last_4_s.min():.4f} m"
    assert up_z.min() > 0.95, f"base tilted: min up-z {up_z.min():.3f}"
    # soft pyramidal friction lets the feet creep ~1 cm outwards over 5 s under zero-action PD
    assert abs(height[-1] - GO2.default_base_height_m) < 0.015, f"stands at {height[-1]:.4f} m"
    touching = {int(model.geom_bodyid[g]) for contact in data.contact[: data.ncon] for g in contact.geom} - {0}
    assert touching == {model.body(foot).id for foot in GO2.foot_bodies}, "only the feet may touch the ground"

"""The project's G1 23-DoF MJCF and robot spec against Unitree's figures (stored test data)."""

from __future__ import annotations

import json
from pathlib import Path

import mujoco
import numpy as np
import pytest

from assets import asset_path
from legged_envs.robots.g1 import G1_23DOF

REFERENCE = json.loads((Path(__file__).parents[1] / "data" / "g1_23dof_reference.json").read_text())
SPEC = G1_23DOF
HOST_GAINS = {"hip": (150.0, 4.0), "knee": (200.0, 6.0), "ankle": (40.0, 2.0), "other": (100.0, 4.0)}
HOST_EFFORT_NM = {"hip": 88.0, "knee": 139.0, "ankle": 50.0, "waist": 88.0, "other": 25.0}


def _load_model() -> mujoco.MjModel:
    return mujoco.MjModel.from_xml_path(str(asset_path(SPEC.mjcf_file)))


def _joint_group(name: str, groups: dict) -> str:
    return next((group for group in groups if group in name), "other")


def _set_joint_pos(model: mujoco.MjModel, data: mujoco.MjData, joint_pos: dict[str, float]) -> None:
    for name, value in joint_pos.items():
        data.qpos[model.joint(name).qposadr[0]] = value


def test_total_mass_is_within_one_percent_of_unitree() -> None:
    mass = _load_model().body_mass.sum()
    assert mass == pytest.approx(REFERENCE["total_mass_kg"], rel=0.01)


def test_joint_ranges_effort_limits_and_axes_equal_unitree_and_spec() -> None:
    model = _load_model()
    spec_joints = {joint.name: joint for joint in SPEC.joints}
    assert set(spec_joints) == set(REFERENCE["joints"])
    for name, ref in REFERENCE["joints"].items():
        joint = model.joint(name)
        np.testing.assert_allclose(model.jnt_range[joint.id], ref["range"], atol=1e-9, err_msg=name)
        np.testing.assert_allclose(model.jnt_actfrcrange[joint.id], [-ref["effort_limit"], ref["effort_limit"]])
        np.testing.assert_allclose(model.jnt_axis[joint.id], ref["axis"], atol=1e-9, err_msg=name)
        assert spec_joints[name].range_rad == pytest.approx(tuple(ref["range"]), abs=1e-9), name
        assert spec_joints[name].effort_limit_nm == ref["effort_limit"], name
        assert model.dof_armature[model.jnt_dofadr[joint.id]] == spec_joints[name].armature_kg_m2, name


def test_spec_joint_order_matches_mjcf_actuator_order_and_names() -> None:
    model = _load_model()
    actuator_names = [model.actuator(i).name for i in range(model.nu)]
    actuated_joints = [model.joint(model.actuator_trnid[i, 0]).name for i in range(model.nu)]
    assert actuator_names == list(SPEC.joint_names)
    assert actuated_joints == list(SPEC.joint_names)
    assert list(SPEC.joint_names) == REFERENCE["actuator_order"]
    for i, joint in enumerate(SPEC.joints):
        np.testing.assert_allclose(model.actuator_ctrlrange[i], [-joint.effort_limit_nm, joint.effort_limit_nm])


def test_spec_gains_and_effort_limits_are_host_figures() -> None:
    for joint in SPEC.joints:
        kp, kd = HOST_GAINS[_joint_group(joint.name, HOST_GAINS)]
        assert (joint.kp, joint.kd) == (kp, kd), joint.name
        assert joint.effort_limit_nm == HOST_EFFORT_NM[_joint_group(joint.name, HOST_EFFORT_NM)], joint.name


def test_spec_names_exist_in_model_and_default_pose_is_in_range() -> None:
    model = _load_model()
    assert model.body(SPEC.base_body).id == 1 and model.jnt_type[0] == mujoco.mjtJoint.mjJNT_FREE
    assert model.site_bodyid[model.site(SPEC.imu_site).id] == model.body(SPEC.base_body).id
    for body in (*SPEC.foot_bodies, *SPEC.named_bodies.values()):
        model.body(body)  # raises KeyError if missing
    for joint in SPEC.joints:
        assert joint.range_rad[0] <= joint.default_pos_rad <= joint.range_rad[1], joint.name


@pytest.mark.parametrize("config", REFERENCE["configurations"], ids=lambda c: c["name"])
def test_forward_kinematics_of_feet_hands_and_head_within_5mm(config: dict) -> None:
    model = _load_model()
    data = mujoco.MjData(model)
    data.qpos[:3] = REFERENCE["base_pos_m"]
    data.qpos[3:7] = REFERENCE["base_quat_wxyz"]
    _set_joint_pos(model, data, config["joint_pos_rad"])
    mujoco.mj_kinematics(model, data)
    for role, ref_pos in config["world_pos_m"].items():
        body = SPEC.named_bodies["head"] if role == "head" else role
        error_m = np.linalg.norm(data.xpos[model.body(body).id] - ref_pos)
        assert error_m < 0.005, f"{config['name']}: {role} off by {error_m * 1000:.1f} mm"


def test_stored_default_configuration_is_the_spec_default_pose() -> None:
    default = next(c for c in REFERENCE["configurations"] if c["name"] == "default")
    assert [default["joint_pos_rad"][name] for name in SPEC.joint_names] == list(SPEC.default_joint_pos)


def _lowest_geom_z(model: mujoco.MjModel, data: mujoco.MjData) -> float:
    """Lowest world z over the corners of every robot geom's local bounding box, m."""
    corners = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=float)
    lowest = np.inf
    for geom in np.flatnonzero(model.geom_bodyid > 0):
        center, half = model.geom_aabb[geom, :3], model.geom_aabb[geom, 3:]
        local = center + corners * half
        world = local @ data.geom_xmat[geom].reshape(3, 3).T + data.geom_xpos[geom]
        lowest = min(lowest, world[:, 2].min())
    return float(lowest)


def test_default_base_height_is_pelvis_height_with_feet_flat_at_default_pose() -> None:
    model = _load_model()
    data = mujoco.MjData(model)
    data.qpos[2] = 1.0
    _set_joint_pos(model, data, dict(zip(SPEC.joint_names, SPEC.default_joint_pos, strict=True)))
    mujoco.mj_kinematics(model, data)
    assert data.qpos[2] - _lowest_geom_z(model, data) == pytest.approx(SPEC.default_base_height_m, abs=0.002)


def test_supine_drop_with_damped_joints_settles_without_nan_or_deep_penetration() -> None:
    model_spec = mujoco.MjSpec.from_file(str(asset_path(SPEC.mjcf_file)))
    model_spec.worldbody.add_geom(type=mujoco.mjtGeom.mjGEOM_PLANE, size=[0, 0, 1], contype=0, conaffinity=1)
    model = model_spec.compile()
    for i, joint in enumerate(SPEC.joints):
        model.dof_damping[model.jnt_dofadr[model.joint(joint.name).id]] = joint.kd
        assert model.actuator_trnid[i, 0] == model.joint(joint.name).id
    data = mujoco.MjData(model)
    data.qpos[3:7] = [np.cos(-np.pi / 4), 0.0, np.sin(-np.pi / 4), 0.0]  # pitched -90 deg: lying on its back
    _set_joint_pos(model, data, dict(zip(SPEC.joint_names, SPEC.default_joint_pos, strict=True)))
    mujoco.mj_kinematics(model, data)
    data.qpos[2] += 0.3 - _lowest_geom_z(model, data)  # lowest point 0.3 m above the floor

    deepest_m = 0.0
    for _ in range(round(3.0 / model.opt.timestep)):
        mujoco.mj_step(model, data)  # ctrl stays zero: no motor torque
        if data.ncon:
            deepest_m = max(deepest_m, -data.contact.dist[: data.ncon].min())
    assert np.isfinite(data.qpos).all() and np.isfinite(data.qvel).all()
    assert deepest_m < 0.02, f"a geom sank {deepest_m * 100:.1f} cm into the floor"
    mujoco.mj_forward(model, data)
    m_qvel = np.zeros(model.nv)
    mujoco.mj_mulM(model, data, m_qvel, data.qvel)
    kinetic_j = 0.5 * data.qvel @ m_qvel
    assert kinetic_j < 0.01, f"still moving after 3 s: kinetic energy {kinetic_j:.3f} J"
    torso_forward = data.xmat[model.body("torso_link").id].reshape(3, 3)[:, 0]
    assert torso_forward[2] > 0.9, "robot did not stay on its back"

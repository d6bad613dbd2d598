"""Compose one MuJoCo model from a robot spec, its MJCF asset and a terrain.

The asset's ``<motor>`` actuators become PD actuators (``force = gain * ctrl + b1 * q + b2 * dq``
with gain = motor strength, b1 = -strength * kp, b2 = -strength * kd), so PD runs inside MuJoCo
at the physics rate and per-world gains are plain model fields. Backends write
``ctrl = kp * q_target + kd * dq_target + tau_ff``.
"""

from __future__ import annotations

from dataclasses import dataclass

import mujoco

from assets import asset_path
from legged_envs.robots.spec import RobotSpec
from legged_envs.terrains.config import TerrainConfig
from legged_envs.terrains.generator import TerrainLayout, add_terrain


@dataclass(frozen=True)
class SolverSettings:
    """MuJoCo solver options shared by every backend."""

    physics_dt: float = 0.005
    """Physics substep, s."""
    iterations: int = 20
    """Most constraint solver iterations per substep (it stops earlier once converged)."""
    ls_iterations: int = 20
    """Line-search iterations."""


def build_spec(
    robot: RobotSpec, terrain: TerrainConfig, seed: int, solver: SolverSettings
) -> tuple[mujoco.MjSpec, TerrainLayout]:
    """MjSpec of the robot on the terrain, with PD actuators and IMU sensors."""
    spec = mujoco.MjSpec.from_file(str(asset_path(robot.mjcf_file)))
    spec.option.timestep = solver.physics_dt
    spec.option.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    spec.option.iterations = solver.iterations
    spec.option.ls_iterations = solver.ls_iterations
    _make_pd_actuators(spec, robot)
    _add_imu_sensors(spec, robot)
    _add_viewing_aids(spec, robot)
    layout = add_terrain(spec, terrain, seed)
    return spec, layout


def build_model(
    robot: RobotSpec, terrain: TerrainConfig, seed: int = 0, solver: SolverSettings | None = None
) -> tuple[mujoco.MjModel, TerrainLayout]:
    """Compiled model of the robot on the terrain, and the terrain's layout."""
    spec, layout = build_spec(robot, terrain, seed, solver or SolverSettings())
    return spec.compile(), layout


def _make_pd_actuators(spec: mujoco.MjSpec, robot: RobotSpec) -> None:
    actuators = {actuator.name: actuator for actuator in spec.actuators}
    if tuple(actuators) != robot.joint_names:
        raise ValueError(
            f"{robot.mjcf_file}: actuators {tuple(actuators)} do not match the spec's joint order {robot.joint_names}"
        )
    for joint in robot.joints:
        actuator = actuators[joint.name]
        actuator.gaintype = mujoco.mjtGain.mjGAIN_FIXED
        actuator.biastype = mujoco.mjtBias.mjBIAS_AFFINE
        actuator.gainprm[:3] = [1.0, 0.0, 0.0]
        actuator.biasprm[:3] = [0.0, -joint.kp, -joint.kd]
        actuator.ctrllimited = mujoco.mjtLimited.mjLIMITED_FALSE
        actuator.forcelimited = mujoco.mjtLimited.mjLIMITED_TRUE
        actuator.forcerange[:] = [-joint.effort_limit_nm, joint.effort_limit_nm]


def _add_imu_sensors(spec: mujoco.MjSpec, robot: RobotSpec) -> None:
    # The accelerometer also makes MuJoCo compute cfrc_ext (per-body contact forces) every step.
    for sensor_type, name in (
        (mujoco.mjtSensor.mjSENS_ACCELEROMETER, "imu_acc"),
        (mujoco.mjtSensor.mjSENS_GYRO, "imu_gyro"),
    ):
        spec.add_sensor(name=name, type=sensor_type, objtype=mujoco.mjtObj.mjOBJ_SITE, objname=robot.imu_site)


def _add_viewing_aids(spec: mujoco.MjSpec, robot: RobotSpec) -> None:
    spec.worldbody.add_light(name="sun", pos=[0, 0, 10], dir=[0, 0, -1], type=mujoco.mjtLightType.mjLIGHT_DIRECTIONAL)
    base = spec.body(robot.base_body)
    base.add_camera(
        name="track", mode=mujoco.mjtCamLight.mjCAMLIGHT_TRACKCOM, pos=[0, -2.5, 1.0], xyaxes=[1, 0, 0, 0, 0.37, 0.93]
    )

"""A robot spec simulated in plain MuJoCo, driven as Unitree's motor drivers drive the real joints.

The model is the project's MJCF asset on a flat floor (plus a platform box or a wall for the stand-up
postures that need one, ``deploy.sim.postures``), with IMU sensors (orientation, gyroscope,
accelerometer) on the spec's IMU site. Each physics step applies, per joint, the LowCmd PD law
``tau = tau_ff + kp (q_des - q) + kd (dq_des - dq)`` (zero for disabled motors) clipped to the
effort limit, times the joint's ``strength`` (1 unless perturbed). No torch and no training code: this is what the
sim2sim bridge runs.
"""

from __future__ import annotations

import math

import mujoco
import numpy as np

from assets import asset_path
from deploy.sim.postures import STANDUP_POSTURES, add_scenery, pitch_quat
from legged_envs.robots.spec import RobotSpec
from legged_envs.tasks.standup_postures import posture_joint_pos

START_POSES = ("lying", "standing", "hanging", *STANDUP_POSTURES)
"""lying: dropped onto the floor lying down (Go2 on its folded legs, G1 on its back); standing: default
pose with the feet on the floor; hanging: the same, the base held in place by a weld to the world
until ``release()`` (a gantry); supine, prone, sitting, seated (on a platform), leaning (on a wall):
the stand-up task's start postures (``deploy.sim.postures``)."""

GO2_LYING_Q = (0.0, 1.25, -2.65) * 2 + (0.0, 1.7, -2.5) * 2
"""Go2 legs folded under the body (FR, FL, RR, RL x hip, thigh, calf), rad."""
GYRO_FULL_SCALE_RAD_S = math.radians(2000.0)
ACC_FULL_SCALE_M_S2 = 16.0 * 9.80665
"""A +-2000 deg/s, +-16 g IMU (the robots' class): readings saturate there, as the real sensor's do (contact impacts
in a 2 ms physics step otherwise read hundreds of m/s^2)."""
DROP_HEIGHT_M = {"go2": 0.15, "g1_23dof": 0.25}
"""Base height the lying robot is dropped from, m."""


class SimRobot:
    """One robot on a flat floor at ``physics_dt_s``; joint arrays are in spec (policy) order."""

    def __init__(
        self,
        spec: RobotSpec,
        physics_dt_s: float = 0.002,
        start_pose: str = "standing",
        platform_height_m: float = 0.3,
        wall_distance_m: float = 0.4,
    ):
        if start_pose not in START_POSES:
            raise ValueError(f"sim robot: start_pose must be one of {', '.join(START_POSES)}, got {start_pose!r}")
        self.spec = spec
        model_spec = mujoco.MjSpec.from_file(str(asset_path(spec.mjcf_file)))
        model_spec.option.timestep = physics_dt_s
        floor = model_spec.worldbody.add_geom(name="floor", type=mujoco.mjtGeom.mjGEOM_PLANE, size=[0, 0, 1])
        floor.friction, floor.contype, floor.conaffinity = [1.0, 0.005, 0.0001], 0, 1
        posture = STANDUP_POSTURES.get(start_pose)
        support_m = add_scenery(model_spec, posture, platform_height_m, wall_distance_m) if posture else 0.0
        for name, kind in (
            ("imu_quat", mujoco.mjtSensor.mjSENS_FRAMEQUAT),
            ("imu_gyro", mujoco.mjtSensor.mjSENS_GYRO),
            ("imu_acc", mujoco.mjtSensor.mjSENS_ACCELEROMETER),
        ):
            model_spec.add_sensor(name=name, type=kind, objtype=mujoco.mjtObj.mjOBJ_SITE, objname=spec.imu_site)
        if start_pose == "hanging":
            model_spec.add_equality(
                name="gantry", type=mujoco.mjtEq.mjEQ_WELD, objtype=mujoco.mjtObj.mjOBJ_BODY, name1=spec.base_body
            )
        self.model = model_spec.compile()
        self.data = mujoco.MjData(self.model)
        model = self.model
        self._qpos = np.array([model.jnt_qposadr[model.joint(n).id] for n in spec.joint_names])
        self._qvel = np.array([model.jnt_dofadr[model.joint(n).id] for n in spec.joint_names])
        self._ctrl = np.array([model.actuator(n).id for n in spec.joint_names])
        self._sensor = {n: model.sensor_adr[model.sensor(n).id] for n in ("imu_quat", "imu_gyro", "imu_acc")}
        self.effort = np.array([j.effort_limit_nm for j in spec.joints])
        self.tau = np.zeros(spec.num_joints)
        """Torque applied in the last step, N m."""
        self.strength = np.ones(spec.num_joints)
        """Share of each joint's torque its drive delivers (a ``motor_strength`` perturbation lowers it)."""
        self._command = np.zeros((6, spec.num_joints))  # enabled, q, dq, kp, kd, tau_ff
        self._place(start_pose, support_m)

    # --- setup ----------------------------------------------------------------------------------
    def _place(self, start_pose: str, support_m: float) -> None:
        data, spec = self.data, self.spec
        data.qpos[self._qpos] = spec.default_joint_pos
        if start_pose in STANDUP_POSTURES:
            posture = STANDUP_POSTURES[start_pose]
            data.qpos[self._qpos] = posture_joint_pos(posture, spec.joint_names, spec.default_joint_pos)
            data.qpos[2] = support_m + posture.height_m
            data.qpos[3:7] = pitch_quat(posture.pitch_rad)
        elif start_pose == "lying":
            data.qpos[2] = DROP_HEIGHT_M.get(spec.name, 0.3)
            if spec.name == "go2":
                data.qpos[self._qpos] = GO2_LYING_Q
            else:  # on the back: the base's forward axis points up (pitch -90 deg)
                data.qpos[3:7] = (math.cos(-math.pi / 4), 0.0, math.sin(-math.pi / 4), 0.0)
        else:
            data.qpos[2] = spec.default_base_height_m
            mujoco.mj_forward(self.model, data)
            depth = min((c.dist for c in data.contact[: data.ncon]), default=0.0)
            data.qpos[2] -= min(depth, 0.0)  # lift out of any floor penetration
        if start_pose == "hanging":  # weld the base to the world where it is now
            mujoco.mj_forward(self.model, data)
            base = self.model.body(spec.base_body).id
            self.model.eq_data[0, 0:3] = 0.0  # anchor at the world origin
            self.model.eq_data[0, 3:6] = -data.xpos[base]  # the world origin seen from the (level) base
            self.model.eq_data[0, 6:10] = (1.0, 0.0, 0.0, 0.0)
            self.model.eq_data[0, 10] = 1.0
        mujoco.mj_forward(self.model, data)

    def release(self) -> bool:
        """Let go of a hanging robot (False when it was not held)."""
        if self.model.neq == 0 or not self.data.eq_active[0]:
            return False
        self.data.eq_active[0] = 0
        return True

    @property
    def held(self) -> bool:
        """True while the gantry holds the base."""
        return self.model.neq > 0 and bool(self.data.eq_active[0])

    # --- motors and physics ---------------------------------------------------------------------
    def set_command(
        self, enabled: np.ndarray, q: np.ndarray, dq: np.ndarray, kp: np.ndarray, kd: np.ndarray, tau: np.ndarray
    ) -> None:
        """Motor command per joint (spec order): enabled (0/1), targets rad and rad/s, gains, feed-forward N m."""
        for row, values in enumerate((enabled, q, dq, kp, kd, tau)):
            self._command[row] = values

    def step(self, count: int = 1) -> None:
        """Advance ``count`` physics steps, recomputing the PD torque every step."""
        enabled, q_des, dq_des, kp, kd, tau_ff = self._command
        data = self.data
        for _ in range(count):
            q, dq = data.qpos[self._qpos], data.qvel[self._qvel]
            tau = enabled * (tau_ff + kp * (q_des - q) + kd * (dq_des - dq))
            np.clip(tau, -self.effort, self.effort, out=self.tau)
            self.tau *= self.strength
            data.ctrl[self._ctrl] = self.tau
            mujoco.mj_step(self.model, data)

    # --- measurements ---------------------------------------------------------------------------
    @property
    def time_s(self) -> float:
        return float(self.data.time)

    @property
    def joint_q(self) -> np.ndarray:
        """(num_joints,) positions, rad."""
        return self.data.qpos[self._qpos].copy()

    @property
    def joint_dq(self) -> np.ndarray:
        """(num_joints,) velocities, rad/s."""
        return self.data.qvel[self._qvel].copy()

    def _read(self, name: str, size: int) -> np.ndarray:
        start = self._sensor[name]
        return self.data.sensordata[start : start + size].copy()

    @property
    def imu_quat_wxyz(self) -> np.ndarray:
        """(4,) IMU orientation in the world, w first."""
        return self._read("imu_quat", 4)

    @property
    def imu_gyro_rad_s(self) -> np.ndarray:
        """(3,) angular velocity in the IMU frame, rad/s, saturating at the IMU's full scale."""
        return np.clip(self._read("imu_gyro", 3), -GYRO_FULL_SCALE_RAD_S, GYRO_FULL_SCALE_RAD_S)

    @property
    def imu_acc_m_s2(self) -> np.ndarray:
        """(3,) specific force in the IMU frame (+9.81 m/s^2 up at rest), m/s^2, saturating at the IMU's full scale."""
        return np.clip(self._read("imu_acc", 3), -ACC_FULL_SCALE_M_S2, ACC_FULL_SCALE_M_S2)

    @property
    def base_height_m(self) -> float:
        """Height of the base body above the floor, m."""
        return float(self.data.xpos[self.model.body(self.spec.base_body).id][2])

    @property
    def base_xy_m(self) -> np.ndarray:
        """(2,) world position of the base body on the floor plane, m."""
        return self.data.xpos[self.model.body(self.spec.base_body).id][:2].copy()

    @property
    def base_rpy_rad(self) -> np.ndarray:
        """(3,) roll (+ left side up), pitch (+ nose down) and yaw of the base, rad."""
        return rpy_from_quat(self.imu_quat_wxyz)


def rpy_from_quat(quat_wxyz: np.ndarray) -> np.ndarray:
    """(3,) roll, pitch, yaw (ZYX Euler angles) of a wxyz quaternion, rad."""
    w, x, y, z = (float(v) for v in quat_wxyz)
    roll = math.atan2(2.0 * (w * x + y * z), 1.0 - 2.0 * (x * x + y * y))
    pitch = math.asin(min(max(2.0 * (w * y - z * x), -1.0), 1.0))
    yaw = math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))
    return np.array([roll, pitch, yaw])

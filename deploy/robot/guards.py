"""The controller's guards: every check that sends the robot to DAMPING, with its threshold.

``StateGuard.check`` runs on every tick's LowState: fresh, well formed, finite, physically possible
(joint positions inside their ranges up to a margin, joint speeds below a multiple of their limits,
IMU readings inside the IMU's range, a unit quaternion) and the robot's mode_machine;
``StateGuard.tilt_problem`` says whether the last good one is upright enough (not applied in stand-up
mode, whose own guard is ``deploy.robot.standup``).
``SaturationGuard.update`` runs on every policy output: actions at the clip for too long.
docs/SAFETY.md lists each guard with the test that proves it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from deploy.robot.observation import cos_tilt, tilt_rad
from deploy.robot.remote import REMOTE_BYTES
from legged_envs.robots.spec import RobotSpec

if TYPE_CHECKING:
    from deploy.robot.controller import LowStateView


@dataclass(frozen=True)
class GuardLimits:
    """Thresholds of the guards. The defaults are the real robot's (``legged deploy`` refuses looser ones there)."""

    state_timeout_s: float = 0.1
    """LowState older than this -> DAMPING, s: 50 missed messages at 500 Hz, short compared with the ~0.3 s
    a standing robot takes to fall."""
    max_tilt_rad: float | None = 1.0
    """Base tilt beyond this -> DAMPING, rad (~57 deg); None disables it (sim only: get-up policies start lying)."""
    joint_range_margin_rad: float = 0.2
    """A joint position further than this outside its range -> DAMPING, rad (hard stops sit at the range)."""
    velocity_limit_factor: float = 2.0
    """A joint speed above this multiple of the joint's velocity limit -> DAMPING."""
    gyro_limit_rad_s: float = 35.0
    """An angular velocity component above this -> DAMPING, rad/s (just above a +-2000 deg/s IMU's full scale)."""
    acc_limit_m_s2: float = 160.0
    """An acceleration component above this -> DAMPING, m/s^2 (just above a +-16 g IMU's full scale)."""
    quat_norm_tolerance: float = 0.1
    """An IMU quaternion whose norm is further than this from 1 -> DAMPING."""
    saturation_timeout_s: float = 0.2
    """Policy actions at the clip on some joint for this long (consecutive policy steps) -> DAMPING, s."""

    def __post_init__(self) -> None:
        for name in (
            "state_timeout_s",
            "joint_range_margin_rad",
            "velocity_limit_factor",
            "gyro_limit_rad_s",
            "acc_limit_m_s2",
            "quat_norm_tolerance",
            "saturation_timeout_s",
        ):
            if not getattr(self, name) > 0:
                raise ValueError(f"guard limits: {name} must be > 0, got {getattr(self, name)}")
        if self.max_tilt_rad is not None and not 0 < self.max_tilt_rad <= math.pi:
            raise ValueError(f"guard limits: max_tilt_rad must be in (0, pi] or None, got {self.max_tilt_rad}")


class StateGuard:
    """Checks one LowState for robot ``spec``; ``q``/``dq`` hold the used joints' readings of the last good one."""

    def __init__(self, spec: RobotSpec, limits: GuardLimits, mode_machine: int | None):
        self.spec, self.limits, self.mode_machine = spec, limits, mode_machine
        self.motor_index = np.asarray(spec.motor_indices, dtype=np.intp)
        self.lower = np.array([j.range_rad[0] for j in spec.joints])
        self.upper = np.array([j.range_rad[1] for j in spec.joints])
        self._q_low = self.lower - limits.joint_range_margin_rad
        self._q_high = self.upper + limits.joint_range_margin_rad
        self._dq_max = limits.velocity_limit_factor * np.array([j.velocity_limit_rad_s for j in spec.joints])
        self._cos_max_tilt = math.cos(limits.max_tilt_rad) if limits.max_tilt_rad is not None else -1.0
        self.q = np.asarray(spec.default_joint_pos, dtype=np.float64)
        self.dq = np.zeros(spec.num_joints)
        self.quat = np.array([1.0, 0.0, 0.0, 0.0])

    def check(self, now_s: float, state: LowStateView | None) -> str | None:
        """None when ``state`` is fresh and plausible (``q``/``dq``/``quat`` then updated); else the problem.
        The tilt is not checked here: ``tilt_problem``."""
        if state is None:
            return "no LowState received yet"
        limits = self.limits
        age = now_s - state.stamp_s
        if not age <= limits.state_timeout_s:
            return f"LowState is {age * 1e3:.1f} ms old (timeout {limits.state_timeout_s * 1e3:g} ms)"
        problem = self._shape_problem(state)
        if problem:
            return problem
        q, dq = state.motor_q[self.motor_index], state.motor_dq[self.motor_index]
        quat, gyro, acc = state.quat_wxyz, state.gyro_rad_s, state.acc_m_s2
        if not math.isfinite(float(q.sum() + dq.sum() + quat.sum() + gyro.sum() + acc.sum())):  # NaN/Inf anywhere
            return "LowState has NaN/Inf in the IMU or motor states"
        problem = self._impossible(q, dq, quat, gyro, acc)
        if problem:
            return problem
        if self.mode_machine is not None and state.mode_machine not in (None, self.mode_machine):
            return f"LowState mode_machine {state.mode_machine}, policy expects {self.mode_machine}"
        self.q, self.dq, self.quat = q, dq, quat
        return None

    def tilt_problem(self) -> str | None:
        """The base tilt of the last good LowState when beyond ``max_tilt_rad``, else None."""
        if cos_tilt(self.quat) < self._cos_max_tilt:
            return f"base tilt {tilt_rad(self.quat):.2f} rad exceeds {self.limits.max_tilt_rad} rad"
        return None

    def _shape_problem(self, state: LowStateView) -> str | None:
        slots = self.spec.num_motor_slots
        if len(state.motor_q) != slots or len(state.motor_dq) != slots:
            return f"LowState has {len(state.motor_q)} motor states, robot {self.spec.name} has {slots}"
        if len(state.wireless_remote) != REMOTE_BYTES:
            return f"LowState wireless_remote has {len(state.wireless_remote)} bytes, expected {REMOTE_BYTES}"
        if len(state.quat_wxyz) != 4 or len(state.gyro_rad_s) != 3 or len(state.acc_m_s2) != 3:
            return "LowState IMU must have a 4-value quaternion, a 3-value gyroscope and a 3-value accelerometer"
        return None

    def _impossible(
        self, q: np.ndarray, dq: np.ndarray, quat: np.ndarray, gyro: np.ndarray, acc: np.ndarray
    ) -> str | None:
        """The first reading the robot cannot produce (None when all are possible)."""
        limits, names = self.limits, self.spec.joint_names
        outside = (q < self._q_low) | (q > self._q_high)
        if outside.any():
            i = int(outside.argmax())
            span = f"[{self.lower[i]:.3f}, {self.upper[i]:.3f}]"
            return (
                f"LowState q of {names[i]} is {q[i]:.4g} rad, outside its range {span} rad "
                f"by more than {limits.joint_range_margin_rad} rad"
            )
        fast = np.abs(dq) > self._dq_max
        if fast.any():
            i = int(fast.argmax())
            return (
                f"LowState dq of {names[i]} is {dq[i]:.4g} rad/s, beyond {limits.velocity_limit_factor:g} x its "
                f"{self._dq_max[i] / limits.velocity_limit_factor:g} rad/s limit"
            )
        for name, values, limit, unit in (
            ("gyroscope", gyro, limits.gyro_limit_rad_s, "rad/s"),
            ("accelerometer", acc, limits.acc_limit_m_s2, "m/s^2"),
        ):
            peak = float(np.abs(values).max())
            if peak > limit:
                return f"LowState {name} reads {peak:.4g} {unit}, beyond the IMU's range ({limit:g} {unit})"
        norm = math.sqrt(float(quat @ quat))
        if abs(norm - 1.0) > limits.quat_norm_tolerance:
            return f"LowState quaternion has norm {norm:.4g}, expected 1"
        return None


class SaturationGuard:
    """Counts consecutive policy steps with some action at the clip; a problem once they last ``steps``."""

    def __init__(self, clip: float, steps: int, control_dt: float, joint_names: tuple[str, ...]):
        self.clip, self.steps, self.control_dt, self.joint_names = clip, steps, control_dt, joint_names
        self.count = 0
        """Consecutive saturated policy steps so far."""

    def reset(self) -> None:
        self.count = 0

    def update(self, raw_action: np.ndarray) -> str | None:
        """Record one policy output (before clipping); the problem once saturation has lasted too long."""
        saturated = np.abs(raw_action) >= self.clip
        self.count = self.count + 1 if saturated.any() else 0
        if self.count < self.steps:
            return None
        joint = self.joint_names[int(saturated.argmax())]
        seconds = self.count * self.control_dt
        return f"policy actions saturated (|a| >= {self.clip:g} on {joint}) for {seconds:.2f} s"

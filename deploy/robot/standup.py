"""Stand-up mode's own guard and its hand-over rule (a HoST-style policy standing the robot up from the ground).

While lying the tilt guard cannot apply, so in STANDUP ``StandupMonitor`` replaces it with:

- a joint-speed limit: any joint faster than ``joint_speed_factor`` x its velocity limit -> DAMPING;
- a timeout: not stood up ``timeout_s`` after engaging -> DAMPING.

The node cannot measure pelvis height on hardware, so "stood up" is read from the IMU and the joints:
projected gravity z below ``upright_gravity_z`` (base within ~26 deg of upright) and every leg and waist
joint within ``pose_tolerance_rad`` of the default pose, both held without a break for ``hold_s``. The
arms are not checked (the hand-over's interpolation brings them to the default pose). docs/SAFETY.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deploy.robot.observation import projected_gravity
from legged_envs.robots.spec import RobotSpec

POSE_JOINTS = ("hip", "knee", "ankle", "waist")
"""Name fragments of the joints the hand-over rule compares with the default pose (the load-bearing ones)."""


@dataclass(frozen=True)
class StandupLimits:
    """Thresholds of stand-up mode. The defaults are the real robot's (``legged deploy`` refuses looser ones)."""

    timeout_s: float = 10.0
    """Not stood up this long after engaging -> DAMPING, s (HoST trains 10 s episodes)."""
    joint_speed_factor: float = 1.0
    """A joint faster than this multiple of its velocity limit -> DAMPING (the state guard's bound is 2)."""
    upright_gravity_z: float = -0.9
    """Stood up needs projected gravity z below this ((0, 0, -1) is level; -0.9 is a ~26 deg tilt)."""
    pose_tolerance_rad: float = 0.5
    """Stood up needs every leg and waist joint within this of its default position, rad."""
    hold_s: float = 1.0
    """The stood-up condition must hold this long without a break before the hand-over, s."""

    def __post_init__(self) -> None:
        for name in ("timeout_s", "joint_speed_factor", "pose_tolerance_rad", "hold_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"stand-up limits: {name} must be > 0, got {getattr(self, name)}")
        if not -1.0 < self.upright_gravity_z < 0.0:
            raise ValueError(f"stand-up limits: upright_gravity_z must be in (-1, 0), got {self.upright_gravity_z}")


class StandupMonitor:
    """Watches one stand-up: ``start()`` on entering STANDUP, then ``update`` on every tick's good LowState."""

    def __init__(self, spec: RobotSpec, limits: StandupLimits):
        self.spec, self.limits = spec, limits
        self._speed_max = limits.joint_speed_factor * np.array([j.velocity_limit_rad_s for j in spec.joints])
        self._pose = np.array([any(f in name for f in POSE_JOINTS) for name in spec.joint_names])
        self._default = np.asarray(spec.default_joint_pos, dtype=np.float64)
        self.start()

    def start(self) -> None:
        """Forget the previous stand-up; the clock starts at the next ``update``."""
        self._start_s: float | None = None
        self._upright_since_s: float | None = None
        self.stood_up = False
        """True once the stood-up condition has held for ``hold_s``."""

    def upright(self, q: np.ndarray, quat_wxyz: np.ndarray) -> bool:
        """The stood-up condition at one instant: base upright and the legs and waist near the default pose."""
        gravity_z = projected_gravity(quat_wxyz)[2]
        return gravity_z < self.limits.upright_gravity_z and bool(
            (np.abs(q - self._default)[self._pose] <= self.limits.pose_tolerance_rad).all()
        )

    def update(self, now_s: float, q: np.ndarray, dq: np.ndarray, quat_wxyz: np.ndarray) -> str | None:
        """Check one state (spec order); the problem that must end in DAMPING, else None (``stood_up`` updated)."""
        limits = self.limits
        if self._start_s is None:
            self._start_s = now_s
        fast = np.abs(dq) > self._speed_max
        if fast.any():
            i = int(fast.argmax())
            return (
                f"stand-up joint speed: {self.spec.joint_names[i]} at {abs(dq[i]):.3g} rad/s, beyond "
                f"{self._speed_max[i]:g} rad/s ({limits.joint_speed_factor:g} x its velocity limit)"
            )
        if self.upright(q, quat_wxyz):
            if self._upright_since_s is None:
                self._upright_since_s = now_s
            self.stood_up = now_s - self._upright_since_s >= limits.hold_s - 1e-9
        else:
            self._upright_since_s, self.stood_up = None, False
        if not self.stood_up and now_s - self._start_s > limits.timeout_s:
            return f"stand-up timeout: not stood up {limits.timeout_s:g} s after engaging"
        return None

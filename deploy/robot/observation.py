"""Policy observations from plain arrays (IMU, motors in DDS order, last action, command), numpy only.

Mirrors the sim tasks: each term of the ``ObsLayout`` is computed, multiplied by its scale and
concatenated into a frame; frames are stacked oldest first, and the first frame after ``reset()``
fills the whole history.
"""

from __future__ import annotations

import math

import numpy as np

from legged_envs.obs_layout import ObsLayout
from legged_envs.robots.spec import RobotSpec


def projected_gravity(quat_wxyz: np.ndarray) -> np.ndarray:
    """(3,) unit gravity direction in the base frame ((0, 0, -1) when level) from a wxyz quaternion."""
    w, x, y, z = (float(v) for v in quat_wxyz)
    n = w * w + x * x + y * y + z * z
    return np.array([2.0 * (w * y - x * z), -2.0 * (y * z + w * x), 2.0 * (x * x + y * y) - n]) / n


def cos_tilt(quat_wxyz: np.ndarray) -> float:
    """Cosine of the angle between the base z axis and the world z axis (1 level, -1 upside down)."""
    w, x, y, z = (float(v) for v in quat_wxyz)
    return 1.0 - 2.0 * (x * x + y * y) / (w * w + x * x + y * y + z * z)


def tilt_rad(quat_wxyz: np.ndarray) -> float:
    """Angle between the base z axis and the world z axis, rad (0 when level, pi upside down)."""
    return math.acos(min(max(cos_tilt(quat_wxyz), -1.0), 1.0))


class ObservationBuilder:
    """Builds (obs_dim,) policy inputs for ``layout`` on robot ``spec``; keeps the frame history."""

    def __init__(self, layout: ObsLayout, spec: RobotSpec):
        self.layout = layout
        self.spec = spec
        self.motor_index = np.asarray(spec.motor_indices, dtype=np.intp)
        """Spec joint i lives in DDS motor slot ``motor_index[i]``."""
        self.default_joint_pos = np.asarray(spec.default_joint_pos, dtype=np.float64)
        slices = layout.frame_slices()
        self._terms = tuple((term.name, slices[term.name], float(term.scale)) for term in layout.terms)
        self._history = np.zeros((layout.history_length, layout.frame_dim), dtype=np.float64)
        self._empty = True

    def reset(self) -> None:
        """Forget the history; the next frame fills all of it."""
        self._empty = True

    def frame(
        self,
        quat_wxyz: np.ndarray,
        gyro_rad_s: np.ndarray,
        motor_q: np.ndarray,
        motor_dq: np.ndarray,
        last_action: np.ndarray,
        command: np.ndarray | None = None,
        beta: float | None = None,
    ) -> np.ndarray:
        """One (frame_dim,) frame; ``motor_q``/``motor_dq`` are full DDS motor arrays, the rest spec order."""
        out = np.empty(self.layout.frame_dim, dtype=np.float64)
        for name, where, scale in self._terms:
            if name == "base_ang_vel":
                value = gyro_rad_s
            elif name == "projected_gravity":
                value = projected_gravity(quat_wxyz)
            elif name == "joint_pos_rel":
                value = np.asarray(motor_q, dtype=np.float64)[self.motor_index] - self.default_joint_pos
            elif name == "joint_vel":
                value = np.asarray(motor_dq, dtype=np.float64)[self.motor_index]
            elif name == "last_action":
                value = last_action
            elif name == "command":
                value = command
            else:
                value = beta
            if value is None:
                raise ValueError(f"observation term {name!r}: no value given")
            np.multiply(value, scale, out=out[where])
        return out

    def push(self, frame: np.ndarray) -> np.ndarray:
        """Append ``frame`` as the newest and return the (obs_dim,) stacked history, oldest first."""
        if self._empty:
            self._history[:] = frame
            self._empty = False
        else:
            self._history[:-1] = self._history[1:]
            self._history[-1] = frame
        return self._history.reshape(-1).copy()

    def build(self, *args, **kwargs) -> np.ndarray:
        """``push(frame(...))``: the next (obs_dim,) policy input."""
        return self.push(self.frame(*args, **kwargs))

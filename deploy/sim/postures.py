"""Stand-up start postures of the sim2sim robot and the scenery they need (a platform box, a wall).

The same postures as the stand-up task's training (``legged_envs/tasks/standup_postures.py``, which
needs torch and so cannot be imported here; a test checks that the two tables agree): a base pitch,
a pelvis height above the support at the spawn, joint positions by name fragment. The robot spawns at
the origin facing +x and is dropped, motors off until the first LowCmd, so it settles into the posture.
``seated``: on the edge of a box behind it (``platform_height_m`` high), its front face ``SEAT_INSET_M``
ahead of the pelvis, facing away from the box; ``leaning``: sitting with its back on a wall
``wall_distance_m`` behind the pelvis.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import mujoco
import numpy as np


@dataclass(frozen=True)
class StartPosture:
    """A stand-up start: base pitch, pelvis height above the support, joints, and the scenery it needs."""

    pitch_rad: float
    """Base pitch about its y axis: -pi/2 lies on the back, +pi/2 on the front."""
    height_m: float
    """Pelvis origin above the support (floor or platform top) at the spawn, m."""
    joints: Mapping[str, float] = field(default_factory=dict)
    """Joint-name fragment -> position, rad; joints not matched keep the default pose."""
    scenery: str = "floor"
    """``floor``, ``platform`` (seated on a box) or ``wall`` (leaning on one)."""


SITTING_LEGS = {"hip_pitch": -1.5, "knee": 1.2, "ankle_pitch": 0.2}
STANDUP_POSTURES: dict[str, StartPosture] = {
    "supine": StartPosture(-math.pi / 2, 0.25),
    "prone": StartPosture(math.pi / 2, 0.25),
    "sitting": StartPosture(-0.3, 0.45, SITTING_LEGS),
    "seated": StartPosture(0.0, 0.45, {**SITTING_LEGS, "knee": 1.5}, "platform"),
    "leaning": StartPosture(-0.4, 0.45, SITTING_LEGS, "wall"),
}
"""Posture name -> definition (the training's ``POSTURES``)."""
SEAT_INSET_M = 0.12
"""How far onto the platform (from its front face) the seated pelvis starts, m (the training's)."""
PLATFORM_DEPTH_M = 2.0
WALL_THICKNESS_M = 0.2
WALL_HEIGHT_M = 2.0
FEATURE_WIDTH_M = 3.0
"""Width (along y) of the platform and the wall, m."""


def add_scenery(model_spec: mujoco.MjSpec, posture: StartPosture, platform_height_m: float, wall_m: float) -> float:
    """Add the posture's box to ``model_spec`` (nothing for ``floor``); the support height under the pelvis, m."""
    if posture.scenery == "platform":
        centre = (SEAT_INSET_M - PLATFORM_DEPTH_M / 2, 0.0, platform_height_m / 2)
        half, support = (PLATFORM_DEPTH_M / 2, FEATURE_WIDTH_M / 2, platform_height_m / 2), platform_height_m
    elif posture.scenery == "wall":
        centre = (-wall_m - WALL_THICKNESS_M / 2, 0.0, WALL_HEIGHT_M / 2)
        half, support = (WALL_THICKNESS_M / 2, FEATURE_WIDTH_M / 2, WALL_HEIGHT_M / 2), 0.0
    else:
        return 0.0
    box = model_spec.worldbody.add_geom(name=posture.scenery, type=mujoco.mjtGeom.mjGEOM_BOX, size=half, pos=centre)
    box.friction, box.contype, box.conaffinity = [1.0, 0.005, 0.0001], 0, 1
    return support


def posture_joint_pos(posture: StartPosture, joint_names: tuple[str, ...], default: tuple[float, ...]) -> np.ndarray:
    """(J,) joint positions of ``posture``: matched name fragments override the default pose."""
    pose = np.array(default, dtype=np.float64)
    for index, name in enumerate(joint_names):
        for fragment, value in posture.joints.items():
            if fragment in name:
                pose[index] = value
    return pose


def pitch_quat(pitch_rad: float) -> np.ndarray:
    """(4,) wxyz quaternion of a pitch about the base y axis."""
    return np.array([math.cos(pitch_rad / 2), 0.0, math.sin(pitch_rad / 2), 0.0])

"""Stand-up start postures of the sim2sim robot and the scenery they need (a platform box, a wall).

The stand-up task's training postures (``legged_envs.tasks.standup_postures``, torch-free): a base pitch,
a pelvis height above the support at the spawn, joint positions by name fragment. The robot spawns at
the origin facing +x and is dropped, motors off until the first LowCmd, so it settles into the posture.
``seated``: on the edge of a box behind it (``platform_height_m`` high), its front face ``SEAT_INSET_M``
ahead of the pelvis, facing away from the box; ``leaning``: sitting with its back on a wall
``wall_distance_m`` behind the pelvis.
"""

from __future__ import annotations

import math

import mujoco
import numpy as np

from legged_envs.tasks.standup_postures import POSTURES, SEAT_INSET_M, Posture

STANDUP_POSTURES = POSTURES
"""Posture name -> definition: the stand-up training's own table."""
PLATFORM_DEPTH_M = 2.0
WALL_THICKNESS_M = 0.2
WALL_HEIGHT_M = 2.0
FEATURE_WIDTH_M = 3.0
"""Width (along y) of the platform and the wall, m."""


def add_scenery(model_spec: mujoco.MjSpec, posture: Posture, platform_height_m: float, wall_m: float) -> float:
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


def pitch_quat(pitch_rad: float) -> np.ndarray:
    """(4,) wxyz quaternion of a pitch about the base y axis."""
    return np.array([math.cos(pitch_rad / 2), 0.0, math.sin(pitch_rad / 2), 0.0])

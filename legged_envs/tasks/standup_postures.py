"""Initial postures of the stand-up task: where and how the robot starts, per terrain tile.

A posture is a base tilt, a height above the ground and a joint pose; the task adds noise and lets the
robot settle unactuated for its first steps, so every start is a physical rest. Flat and slope tiles
draw ``supine``, ``prone`` or ``sitting``; platform tiles seat the robot on the platform's edge facing
away from it; wall tiles sit it with its back leaning on the wall. Torch-free: the sim2sim bridge
(``deploy.sim.postures``) spawns its robot from the same table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Posture:
    """A starting posture, relative to the spawn heading."""

    pitch_rad: float
    """Base pitch about its own y axis after the heading: -pi/2 lies on the back, +pi/2 on the front."""
    height_m: float
    """Pelvis origin above the support (ground or platform top) at the spawn, m (it then drops)."""
    joints: dict[str, float] = field(default_factory=dict)
    """Joint-name fragment -> position, rad; joints not matched keep the default pose."""
    scenery: str = "floor"
    """``floor``, ``platform`` (seated on its edge) or ``wall`` (leaning on it)."""

    @property
    def facing_away(self) -> bool:
        """Faces away from the tile's feature (platform, wall) instead of toward it."""
        return self.scenery != "floor"


_SITTING_LEGS = {"hip_pitch": -1.5, "knee": 1.2, "ankle_pitch": 0.2}
POSTURES: dict[str, Posture] = {
    "supine": Posture(pitch_rad=-math.pi / 2, height_m=0.25),
    "prone": Posture(pitch_rad=math.pi / 2, height_m=0.25),
    "sitting": Posture(pitch_rad=-0.3, height_m=0.45, joints=_SITTING_LEGS),
    "seated": Posture(pitch_rad=0.0, height_m=0.45, joints={**_SITTING_LEGS, "knee": 1.5}, scenery="platform"),
    "leaning": Posture(pitch_rad=-0.4, height_m=0.45, joints=_SITTING_LEGS, scenery="wall"),
}
"""Posture name -> definition. ``seated``: on a platform; ``leaning``: back against a wall."""
POSTURE_NAMES = tuple(POSTURES)

SEAT_INSET_M = 0.12
"""How far onto the platform (from its near face) a seated robot's pelvis starts, m."""
BODY_REACH_M = 0.7
"""Radius around the spawn point whose highest ground sets the spawn height (a lying G1 is ~1.3 m long), m."""


def posture_joint_pos(posture: Posture, joint_names: Sequence[str], default: Sequence[float]) -> list[float]:
    """Joint positions of ``posture`` in ``joint_names`` order: matched name fragments override ``default``."""
    pose = [float(value) for value in default]
    for index, name in enumerate(joint_names):
        for fragment, value in posture.joints.items():
            if fragment in name:
                pose[index] = value
    return pose

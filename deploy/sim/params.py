"""Settings of the sim bridge: the ``sim_bridge`` section of a sim2sim parameters file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from deploy.robot.params import Check, non_negative, one_of, positive
from deploy.sim.sim_robot import START_POSES


@dataclass(frozen=True)
class SimBridgeParams:
    """Settings of ``deploy.sim.bridge``."""

    physics_dt_s: float = 0.002
    """MuJoCo step, s; must divide the LowState period."""
    publish_hz: float = 500.0
    """LowState rate, Hz (Unitree's robots publish at 500 Hz)."""
    start_pose: str = "standing"
    """``lying``, ``standing``, ``hanging`` (base held by a gantry until a ``release`` on /sim/control), or a
    stand-up posture: ``supine``, ``prone``, ``sitting``, ``seated`` (on a platform), ``leaning`` (on a wall)."""
    platform_height_m: float = 0.3
    """``seated``: height of the platform box, m (the training draws 0.22-0.46 m)."""
    wall_distance_m: float = 0.4
    """``leaning``: distance from the pelvis to the wall behind it, m (the training draws 0.3-0.5 m)."""
    remote_press_s: float = 0.1
    """A button named on /sim/remote is held down this long, s."""
    status_hz: float = 20.0
    """Rate of the /sim/state report, Hz."""

    CHECKS: ClassVar[dict[str, Check]] = {
        "physics_dt_s": positive,
        "publish_hz": positive,
        "start_pose": one_of(*START_POSES),
        "platform_height_m": positive,
        "wall_distance_m": positive,
        "remote_press_s": non_negative,
        "status_hz": positive,
    }

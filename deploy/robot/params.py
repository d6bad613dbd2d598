"""Parameters of the deploy nodes, read from one YAML file shared by the policy node and the sim bridge.

::

    robot: go2                 # robot spec name
    policy_node: {...}         # PolicyNodeParams fields
    sim_bridge: {...}          # SimBridgeParams fields

Unknown keys and wrong types are errors naming the file and the key (``FILE: policy_node.tick_hz:
expected a number > 0, got 'fast'``). Relative paths are resolved from the current directory.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from deploy.ros.sim_robot import START_POSES

COMMAND_SOURCES = ("topic", "remote")


class ParamsError(ValueError):
    """A bad parameters file; ``str()`` is one line naming the file and the key."""


@dataclass(frozen=True)
class PolicyNodeParams:
    """Settings of ``deploy.ros.policy_node``."""

    policy: str
    """Exported ONNX policy (``legged export``)."""
    tick_hz: float = 500.0
    """LowCmd rate, Hz (the policy runs at its own control_dt, every tick_hz * control_dt ticks)."""
    stand_duration_s: float = 2.5
    """STAND: time to interpolate to the default pose, s."""
    damping_kd: float = 8.0
    """DAMPING: kd of every motor (kp 0), N m s / rad."""
    state_timeout_s: float = 0.1
    """LowState older than this -> DAMPING, s."""
    max_tilt_rad: float | None = 1.0
    """Base tilt beyond this -> DAMPING, rad; null disables it (get-up policies start lying)."""
    command_source: str = "topic"
    """``topic``: std_msgs/Float32MultiArray on /cmd, in the policy's command order; ``remote``: the
    remote's sticks (ly -> vx, -lx -> vy, -rx -> yaw rate, scaled to the command ranges)."""
    command_timeout_s: float = 0.5
    """A /cmd message older than this counts as an all-zero command (clamped into range), s."""
    discovery_wait_s: float = 3.5
    """At start, watch this long for another node publishing lowcmd (and refuse to start if one is), s.
    Measured here on loopback, finding an already running participant took 0 to 2.3 s (Fast DDS repeats
    its participant announcements every 3 s once the first few are out)."""
    mode_pr: int = 0
    """unitree_hg only: LowCmd.mode_pr, the ankle mode (0 = pitch/roll, Unitree's default)."""


@dataclass(frozen=True)
class SimBridgeParams:
    """Settings of ``deploy.ros.sim_bridge``."""

    physics_dt_s: float = 0.002
    """MuJoCo step, s; must divide the LowState period."""
    publish_hz: float = 500.0
    """LowState rate, Hz (Unitree's robots publish at 500 Hz)."""
    start_pose: str = "standing"
    """``lying``, ``standing`` or ``hanging`` (base held by a gantry until a ``release`` on /sim/control)."""
    remote_press_s: float = 0.1
    """A button named on /sim/remote is held down this long, s."""
    status_hz: float = 20.0
    """Rate of the /sim/state report, Hz."""


_POSITIVE = {
    "tick_hz",
    "stand_duration_s",
    "state_timeout_s",
    "command_timeout_s",
    "physics_dt_s",
    "publish_hz",
    "status_hz",
}
_NON_NEGATIVE = {"damping_kd", "discovery_wait_s", "remote_press_s"}
_CHOICES = {"command_source": COMMAND_SOURCES, "start_pose": START_POSES, "mode_pr": (0, 1)}


def load_params(path: str | os.PathLike) -> dict[str, Any]:
    """The YAML mapping of a parameters file, with ``robot`` checked to be a string."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as error:
        raise ParamsError(f"{path}: cannot read parameters file: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        raise ParamsError(f"{path}: not valid YAML: {' '.join(str(error).split())[:160]}") from None
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: expected a mapping with 'robot', 'policy_node' and 'sim_bridge'")
    unknown = sorted(set(raw) - {"robot", "policy_node", "sim_bridge"})
    if unknown:
        raise ParamsError(f"{path}: unknown key {unknown[0]!r} (expected robot, policy_node, sim_bridge)")
    if not isinstance(raw.get("robot"), str):
        raise ParamsError(f"{path}: robot: expected a robot name such as 'go2', got {raw.get('robot')!r}")
    return raw


def read_section(path: str | os.PathLike, section: str, cls: type, **overrides: Any) -> tuple[str, Any]:
    """(robot name, ``cls`` built from ``section`` of the file at ``path``, with non-None ``overrides`` applied)."""
    raw = load_params(path)
    values = raw.get(section) or {}
    if not isinstance(values, dict):
        raise ParamsError(f"{path}: {section}: expected a mapping, got {type(values).__name__}")
    values = {**values, **{key: value for key, value in overrides.items() if value is not None}}
    fields = {field.name: field for field in dataclasses.fields(cls)}
    for key, value in values.items():
        if key not in fields:
            raise ParamsError(f"{path}: {section}.{key}: unknown parameter (known: {', '.join(fields)})")
        problem = _check(key, value, fields[key])
        if problem:
            raise ParamsError(f"{path}: {section}.{key}: {problem}, got {value!r}"[:200])
    missing = [f.name for f in fields.values() if f.default is dataclasses.MISSING and f.name not in values]
    if missing:
        raise ParamsError(f"{path}: {section}.{missing[0]}: required parameter missing")
    floats = {key for key, field in fields.items() if field.type.startswith("float")}
    return raw["robot"], cls(**{k: float(v) if k in floats and v is not None else v for k, v in values.items()})


def _check(key: str, value: Any, field: dataclasses.Field) -> str | None:
    """What is wrong with ``value`` for ``field`` (None when it is fine)."""
    kind = field.type
    if key in _CHOICES:
        return None if value in _CHOICES[key] else f"expected one of {', '.join(map(str, _CHOICES[key]))}"
    if kind == "str":
        return None if isinstance(value, str) and value else "expected a non-empty string"
    if value is None and "None" in kind:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "expected a number"
    if key in _POSITIVE and not value > 0:
        return "expected a number > 0"
    if key in _NON_NEGATIVE and not value >= 0:
        return "expected a number >= 0"
    if key == "max_tilt_rad" and not 0 < value <= math.pi:
        return "expected a number in (0, pi] or null"
    return None

"""Parameters of the deploy processes, read from one YAML file per robot and setting.

::

    robot: go2                 # robot spec name
    policy_node: {...}         # PolicyNodeParams fields
    sim_bridge: {...}          # deploy.sim.params.SimBridgeParams fields (sim2sim files only)

Unknown keys and wrong types are errors naming the file and the key (``FILE: policy_node.tick_hz:
expected a number > 0, got 'fast'``). Relative paths are resolved from the current directory. A
parameters class lists its value checks in ``CHECKS``; types come from its annotations; a
``sim_only_problem(raw)`` method, where a class has one, refuses sim-only settings in a real robot's file.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import yaml

SECTIONS = ("robot", "policy_node", "sim_bridge")
COMMAND_SOURCES = ("topic", "remote")

Check = Callable[[Any], "str | None"]
"""What is wrong with a value (None when it is fine)."""


class ParamsError(ValueError):
    """A bad parameters file; ``str()`` is one line naming the file and the key."""


def positive(value: float) -> str | None:
    return None if value > 0 else "expected a number > 0"


def non_negative(value: float) -> str | None:
    return None if value >= 0 else "expected a number >= 0"


def one_of(*choices: Any) -> Check:
    return lambda value: None if value in choices else f"expected one of {', '.join(map(str, choices))}"


def tilt_limit(value: float | None) -> str | None:
    return None if value is None or 0 < value <= math.pi else "expected a number in (0, pi] or null"


SIM_INTERFACE = "lo"
"""The loopback interface: sim2sim on one machine. Any other ``network_interface`` is a real robot."""


@dataclass(frozen=True)
class PolicyNodeParams:
    """Settings of ``deploy.robot.policy_node``."""

    policy: str
    """Exported ONNX policy (``legged export``)."""
    network_interface: str = SIM_INTERFACE
    """Network interface the robot is on (e.g. ``eth0``; ``lo`` for sim2sim); it must exist at start. On any
    interface but ``lo`` the sim-only settings are refused (``sim_only_problem``)."""
    domain_id: int | None = None
    """ROS domain (Unitree robots use 0); null: from the ROS_DOMAIN_ID environment variable."""
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
    saturation_timeout_s: float = 0.2
    """Policy actions at their clip on some joint for this long -> DAMPING, s (10 policy steps at 50 Hz)."""
    standup_timeout_s: float = 10.0
    """STANDUP (stand-up policies): not stood up this long after engaging -> DAMPING, s."""
    standup_joint_speed_factor: float = 1.0
    """STANDUP: a joint faster than this multiple of its velocity limit -> DAMPING."""
    standup_hold_s: float = 1.0
    """STANDUP: the stood-up rule (upright IMU, legs near the default pose) must hold this long, s."""
    command_source: str = "topic"
    """``topic``: std_msgs/Float32MultiArray on /cmd, in the policy's command order; ``remote``: the
    remote's sticks (ly -> vx, -lx -> vy, -rx -> yaw rate, scaled to the command ranges)."""
    command_timeout_s: float = 0.5
    """A /cmd message older than this counts as an all-zero command (clamped into range), s."""
    discovery_wait_s: float = 1.0
    """At start, after the robot's /lowstate publisher is discovered, watch this long for another node
    publishing /lowcmd (and refuse to start if one is) before publishing, s."""
    graph_check_s: float = 0.5
    """While running, the ROS graph is checked this often for another /lowcmd publisher (-> DAMPING), s."""
    realtime_priority: int = 40
    """SCHED_FIFO priority of the control thread (1-99; 0: normal scheduling). Below the kernel's interrupt
    threads (50) so network reception is not held up; where not permitted the node says so and runs on."""
    mode_pr: int = 0
    """unitree_hg only: LowCmd.mode_pr, the ankle mode (0 = pitch/roll, Unitree's default)."""

    CHECKS: ClassVar[dict[str, Check]] = {
        "tick_hz": positive,
        "stand_duration_s": positive,
        "damping_kd": non_negative,
        "state_timeout_s": positive,
        "max_tilt_rad": tilt_limit,
        "saturation_timeout_s": positive,
        "standup_timeout_s": positive,
        "standup_joint_speed_factor": positive,
        "standup_hold_s": positive,
        "command_source": one_of(*COMMAND_SOURCES),
        "command_timeout_s": positive,
        "discovery_wait_s": non_negative,
        "graph_check_s": positive,
        "realtime_priority": lambda value: None if 0 <= value <= 99 else "expected an integer in [0, 99]",
        "mode_pr": one_of(0, 1),
        "domain_id": lambda value: None if value is None or 0 <= value <= 232 else "expected an integer in [0, 232]",
    }

    def sim_only_problem(self, raw: dict[str, Any]) -> tuple[str, str] | None:
        """(key, problem) of the first sim-only setting in a real robot's file (``raw``); None when there is none."""
        if self.network_interface == SIM_INTERFACE:
            return None
        where = f"sim-only setting, refused on a real interface (network_interface {self.network_interface})"
        defaults = PolicyNodeParams(policy=self.policy)
        if "sim_bridge" in raw:
            return "sim_bridge", f"a {where}"
        if self.max_tilt_rad is None:
            return "policy_node.max_tilt_rad", f"null (tilt guard off) is a {where}"
        looser_above = ("state_timeout_s", "max_tilt_rad", "saturation_timeout_s", "graph_check_s")
        for key in (*looser_above, "standup_timeout_s", "standup_joint_speed_factor"):
            if getattr(self, key) > getattr(defaults, key):
                return f"policy_node.{key}", f"above the robot's {getattr(defaults, key)} is a {where}"
        if self.discovery_wait_s < defaults.discovery_wait_s:
            return "policy_node.discovery_wait_s", f"below the robot's {defaults.discovery_wait_s} is a {where}"
        return None


def load_params(path: str | os.PathLike) -> dict[str, Any]:
    """The YAML mapping of a parameters file, with its top-level keys and ``robot`` checked."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as error:
        raise ParamsError(f"{path}: cannot read parameters file: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        raise ParamsError(f"{path}: not valid YAML: {' '.join(str(error).split())[:160]}") from None
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: expected a mapping with {', '.join(SECTIONS)}")
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise ParamsError(f"{path}: unknown key {unknown[0]!r} (expected {', '.join(SECTIONS)})")
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
        problem = _type_problem(value, fields[key].type) or cls.CHECKS.get(key, lambda _: None)(value)
        if problem:
            raise ParamsError(f"{path}: {section}.{key}: {problem}, got {value!r}"[:200])
    missing = [f.name for f in fields.values() if f.default is dataclasses.MISSING and f.name not in values]
    if missing:
        raise ParamsError(f"{path}: {section}.{missing[0]}: required parameter missing")
    floats = {key for key, field in fields.items() if field.type.startswith("float")}
    params = cls(**{k: float(v) if k in floats and v is not None else v for k, v in values.items()})
    problem = params.sim_only_problem(raw) if hasattr(params, "sim_only_problem") else None
    if problem:
        raise ParamsError(f"{path}: {problem[0]}: {problem[1]}")
    return raw["robot"], params


def _type_problem(value: Any, kind: str) -> str | None:
    """What is wrong with ``value`` for a field annotated ``kind`` (None when it is fine)."""
    if value is None and "None" in kind:
        return None
    if kind.startswith("str"):
        return None if isinstance(value, str) and value else "expected a non-empty string"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "expected a number"
    if kind.startswith("int") and not float(value).is_integer():
        return "expected an integer"
    return None

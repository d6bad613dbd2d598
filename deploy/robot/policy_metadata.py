"""What a robot needs to know about an exported policy, stored in the ONNX model's ``metadata_props``.

Each field is one ``metadata_props`` entry whose value is JSON. ``check_against_spec`` refuses a
policy whose joints, gains, pose or layout disagree with the robot spec it is about to drive.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from legged_envs.obs_layout import PER_JOINT_TERMS, ObsLayout, ObsLayoutError
from legged_envs.robots.spec import RobotSpec

FORMAT_VERSION = 1
"""Version of the metadata format written by ``policies.export``."""

DEFAULT_ACTION_CLIP = 100.0
"""Actions are clipped to +-this before use (what ``LeggedEnv.step`` does in training)."""

_FLOAT_TOLERANCE = 1e-6


class PolicyLoadError(ValueError):
    """A policy file that cannot be used; ``str()`` is one line naming the file and the problem."""


class PolicyMismatchError(PolicyLoadError):
    """A policy whose metadata disagrees with the robot spec."""


@dataclass(frozen=True)
class PolicyMetadata:
    """Everything the deploy side needs besides the network."""

    robot: str
    """Robot spec name (``"go2"``, ``"g1_23dof"``)."""
    joint_names: tuple[str, ...]
    """Actuated joints in policy (action and observation) order."""
    default_joint_pos: tuple[float, ...]
    """Default pose per joint, rad."""
    kp: tuple[float, ...]
    """PD stiffness per joint, N m / rad."""
    kd: tuple[float, ...]
    """PD damping per joint, N m s / rad."""
    action_scale: float
    """Joint target = default + action_scale * action, rad per unit (when ``beta`` is None)."""
    beta: float | None
    """HoST rescaler: joint target = q + beta * action; None for default-relative targets."""
    obs_layout: ObsLayout
    """Observation terms, scales and history length."""
    control_dt: float
    """Policy period, s (0.02 for 50 Hz)."""
    command_names: tuple[str, ...]
    """Names of the command entries (e.g. ``vx_m_s``), empty when the task takes no command."""
    command_ranges: tuple[tuple[float, float], ...]
    """(low, high) per command entry; commands are clamped to these."""
    mode_machine: int
    """The LowState.mode_machine value the robot must report (0 where the message has none)."""
    message_family: str
    """``"unitree_hg"`` or ``"unitree_go"``."""
    action_clip: float | None = DEFAULT_ACTION_CLIP
    """Actions are clipped to +-action_clip before use and before being fed back; None: no clip."""
    conventions: Mapping[str, str] = field(default_factory=dict)
    """Plain-language meaning of observation terms, commands and actions (frames, units, signs) for a reader or
    another simulator; informational, never checked (optional in the file)."""
    format_version: int = FORMAT_VERSION
    """Version of this metadata format."""

    @property
    def num_actions(self) -> int:
        return len(self.joint_names)

    @classmethod
    def from_spec(
        cls,
        spec: RobotSpec,
        obs_layout: ObsLayout,
        control_dt: float,
        beta: float | None = None,
        command_names: tuple[str, ...] = (),
        command_ranges: tuple[tuple[float, float], ...] = (),
        action_clip: float | None = DEFAULT_ACTION_CLIP,
        conventions: Mapping[str, str] | None = None,
    ) -> PolicyMetadata:
        """Metadata whose robot fields come from ``spec``."""
        return cls(
            robot=spec.name,
            joint_names=spec.joint_names,
            default_joint_pos=spec.default_joint_pos,
            kp=tuple(joint.kp for joint in spec.joints),
            kd=tuple(joint.kd for joint in spec.joints),
            action_scale=spec.action_scale,
            beta=beta,
            obs_layout=obs_layout,
            control_dt=control_dt,
            command_names=tuple(command_names),
            command_ranges=tuple((float(lo), float(hi)) for lo, hi in command_ranges),
            mode_machine=spec.mode_machine,
            message_family=spec.message_family,
            action_clip=action_clip,
            conventions=dict(conventions or {}),
        )

    def to_props(self) -> dict[str, str]:
        """``metadata_props`` entries: field name -> JSON value."""
        values: dict[str, Any] = {
            "format_version": self.format_version,
            "robot": self.robot,
            "joint_names": list(self.joint_names),
            "default_joint_pos": list(self.default_joint_pos),
            "kp": list(self.kp),
            "kd": list(self.kd),
            "action_scale": self.action_scale,
            "beta": self.beta,
            "obs_layout": self.obs_layout.to_dict(),
            "control_dt": self.control_dt,
            "command_names": list(self.command_names),
            "command_ranges": [list(r) for r in self.command_ranges],
            "mode_machine": self.mode_machine,
            "message_family": self.message_family,
            "action_clip": self.action_clip,
            "conventions": dict(self.conventions),
        }
        return {key: json.dumps(value) for key, value in values.items()}

    @classmethod
    def from_props(cls, props: Mapping[str, str], source: str) -> PolicyMetadata:
        """Parse ``metadata_props``; raises ``PolicyLoadError`` naming ``source`` and the bad key."""
        if "format_version" not in props:
            raise PolicyLoadError(f"{source}: no policy metadata (export it with `legged export`)")
        reader = _PropsReader(props, source)
        version = reader.get("format_version", int)
        if version != FORMAT_VERSION:
            raise PolicyLoadError(f"{source}: metadata format_version {version}, this deploy reads {FORMAT_VERSION}")
        try:
            layout = ObsLayout.from_dict(reader.get("obs_layout", dict))
        except ObsLayoutError as error:
            raise PolicyLoadError(f"{source}: metadata obs_layout: {error}") from None
        meta = cls(
            robot=reader.get("robot", str),
            joint_names=tuple(reader.list_of("joint_names", str)),
            default_joint_pos=tuple(reader.list_of("default_joint_pos", float)),
            kp=tuple(reader.list_of("kp", float)),
            kd=tuple(reader.list_of("kd", float)),
            action_scale=reader.get("action_scale", float),
            beta=reader.get("beta", float, optional=True),
            obs_layout=layout,
            control_dt=reader.get("control_dt", float),
            command_names=tuple(reader.list_of("command_names", str)),
            command_ranges=tuple(reader.ranges("command_ranges")),
            mode_machine=reader.get("mode_machine", int),
            message_family=reader.get("message_family", str),
            action_clip=reader.get("action_clip", float, optional=True),
            conventions=reader.text_map("conventions"),
            format_version=version,
        )
        _check_consistent(meta, source)
        return meta


class _PropsReader:
    """Typed access to JSON-valued ``metadata_props`` with one-line errors."""

    def __init__(self, props: Mapping[str, str], source: str):
        self.props = props
        self.source = source

    def _fail(self, key: str, problem: str) -> PolicyLoadError:
        return PolicyLoadError(f"{self.source}: metadata {key}: {problem}")

    def _raw(self, key: str) -> Any:
        if key not in self.props:
            raise PolicyLoadError(f"{self.source}: metadata key {key!r} missing")
        try:
            return json.loads(self.props[key])
        except json.JSONDecodeError:
            raise self._fail(key, f"not JSON: {self.props[key][:40]!r}") from None

    def _typed(self, key: str, value: Any, kind: type) -> Any:
        if kind is float and type(value) in (int, float) and math.isfinite(value):
            return float(value)
        if kind is not float and type(value) is kind:
            return value
        raise self._fail(key, f"expected {kind.__name__}, got {value!r}"[:120])

    def get(self, key: str, kind: type, optional: bool = False) -> Any:
        value = self._raw(key)
        if optional and value is None:
            return None
        return self._typed(key, value, kind)

    def list_of(self, key: str, kind: type) -> list[Any]:
        value = self._raw(key)
        if not isinstance(value, list):
            raise self._fail(key, f"expected a list, got {type(value).__name__}")
        return [self._typed(f"{key}[{i}]", item, kind) for i, item in enumerate(value)]

    def text_map(self, key: str) -> dict[str, str]:
        """An optional JSON object of strings ({} when the key is missing)."""
        if key not in self.props:
            return {}
        value = self._raw(key)
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise self._fail(key, "expected an object of strings")
        return value

    def ranges(self, key: str) -> list[tuple[float, float]]:
        value = self._raw(key)
        if not isinstance(value, list) or any(not isinstance(r, list) or len(r) != 2 for r in value):
            raise self._fail(key, "expected a list of [low, high] pairs")
        return [tuple(self._typed(f"{key}[{i}]", x, float) for x in pair) for i, pair in enumerate(value)]


def _check_consistent(meta: PolicyMetadata, source: str) -> None:
    """Internal consistency of one metadata record (lengths, layout dims, ranges)."""
    n = meta.num_actions
    for key in ("default_joint_pos", "kp", "kd"):
        if len(getattr(meta, key)) != n:
            raise PolicyLoadError(f"{source}: metadata {key}: {len(getattr(meta, key))} entries for {n} joints")
    if len(meta.command_ranges) != len(meta.command_names):
        ranges, names = len(meta.command_ranges), len(meta.command_names)
        raise PolicyLoadError(f"{source}: metadata command_ranges: {ranges} ranges for {names} commands")
    for index, (low, high) in enumerate(meta.command_ranges):
        if low > high:
            raise PolicyLoadError(f"{source}: metadata command_ranges[{index}]: low {low} > high {high}")
    for term in meta.obs_layout.terms:
        expected = n if term.name in PER_JOINT_TERMS else len(meta.command_names) if term.name == "command" else None
        if expected is not None and term.dim != expected:
            problem = f"dim {term.dim}, expected {expected}"
            raise PolicyLoadError(f"{source}: metadata obs_layout term {term.name!r}: {problem}")
    if meta.beta is None and meta.obs_layout.term("beta") is not None:
        raise PolicyLoadError(f"{source}: metadata obs_layout observes 'beta' but beta is null")
    if meta.control_dt <= 0:
        raise PolicyLoadError(f"{source}: metadata control_dt: must be > 0, got {meta.control_dt}")
    if meta.action_clip is not None and meta.action_clip <= 0:
        raise PolicyLoadError(f"{source}: metadata action_clip: must be > 0 or null, got {meta.action_clip}")


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= _FLOAT_TOLERANCE * max(1.0, abs(a), abs(b))


def check_against_spec(meta: PolicyMetadata, spec: RobotSpec, source: str = "policy.onnx") -> None:
    """Raise ``PolicyMismatchError`` with one line naming the first field where ``meta`` and ``spec`` differ."""

    def mismatch(field: str, ours: Any, theirs: Any) -> PolicyMismatchError:
        return PolicyMismatchError(f"{source}: {field}: policy has {ours!r}, robot {spec.name} has {theirs!r}")

    _check_consistent(meta, source)
    if meta.robot != spec.name:
        raise mismatch("robot", meta.robot, spec.name)
    if meta.message_family != spec.message_family:
        raise mismatch("message_family", meta.message_family, spec.message_family)
    if meta.mode_machine != spec.mode_machine:
        raise mismatch("mode_machine", meta.mode_machine, spec.mode_machine)
    if meta.num_actions != spec.num_joints:
        raise mismatch("number of joints", meta.num_actions, spec.num_joints)
    for index, (ours, theirs) in enumerate(zip(meta.joint_names, spec.joint_names, strict=True)):
        if ours != theirs:
            raise mismatch(f"joint_names[{index}]", ours, theirs)
    spec_values = {
        "default_joint_pos": spec.default_joint_pos,
        "kp": tuple(joint.kp for joint in spec.joints),
        "kd": tuple(joint.kd for joint in spec.joints),
    }
    for key, theirs_all in spec_values.items():
        for index, (ours, theirs) in enumerate(zip(getattr(meta, key), theirs_all, strict=True)):
            if not _close(ours, theirs):
                raise mismatch(f"{key}[{index}] ({spec.joint_names[index]})", ours, theirs)
    if not _close(meta.action_scale, spec.action_scale):
        raise mismatch("action_scale", meta.action_scale, spec.action_scale)

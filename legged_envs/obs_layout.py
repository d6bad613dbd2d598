"""The policy observation layout shared by sim tasks, ONNX metadata and deploy.

A frame is the concatenation of the layout's terms, each multiplied by its scale; the policy input
stacks ``history_length`` frames OLDEST FIRST (the newest frame is last). After a reset the whole
history is filled with the current frame. Pure Python: no numpy, no torch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

TERM_MEANINGS = {
    "base_ang_vel": "IMU gyro, base frame, rad/s (3)",
    "projected_gravity": "unit gravity direction in the base frame, (0, 0, -1) when level, from the IMU quaternion (3)",
    "joint_pos_rel": "q - default pose, rad, spec joint order (one per joint)",
    "joint_vel": "dq, rad/s, spec joint order (one per joint)",
    "last_action": "the previous policy output after clipping (one per joint)",
    "command": "the task command vector, command_names order (its dim is the layout's)",
    "beta": "HoST action rescaler (1)",
}
"""The fixed vocabulary of observation terms and what each holds (raw, before its scale)."""
TERM_NAMES = tuple(TERM_MEANINGS)

FIXED_DIMS = {"base_ang_vel": 3, "projected_gravity": 3, "beta": 1}
"""Terms whose dimension does not depend on the robot or the task."""

PER_JOINT_TERMS = ("joint_pos_rel", "joint_vel", "last_action")
"""Terms with one entry per actuated joint."""


class ObsLayoutError(ValueError):
    """A bad observation layout; ``str()`` is one line naming the term or key."""


@dataclass(frozen=True)
class ObsTerm:
    """One term of an observation frame: ``scale * value``, ``dim`` entries."""

    name: str
    """One of ``TERM_NAMES``."""
    dim: int
    """Number of entries in the frame."""
    scale: float = 1.0
    """Multiplier applied to the raw value (e.g. 0.25 for gyro, 0.05 for joint velocities)."""

    def __post_init__(self) -> None:
        if self.name not in TERM_NAMES:
            raise ObsLayoutError(f"observation term {self.name!r}: unknown; expected one of {', '.join(TERM_NAMES)}")
        if type(self.dim) is not int or self.dim <= 0:
            raise ObsLayoutError(f"observation term {self.name!r}: dim must be an int > 0, got {self.dim!r}")
        if self.name in FIXED_DIMS and self.dim != FIXED_DIMS[self.name]:
            raise ObsLayoutError(f"observation term {self.name!r}: dim must be {FIXED_DIMS[self.name]}, got {self.dim}")
        if isinstance(self.scale, bool) or not isinstance(self.scale, (int, float)) or not math.isfinite(self.scale):
            raise ObsLayoutError(f"observation term {self.name!r}: scale must be a finite number, got {self.scale!r}")


@dataclass(frozen=True)
class ObsLayout:
    """Terms of one frame and how many frames the policy sees."""

    terms: tuple[ObsTerm, ...]
    """Terms in frame order."""
    history_length: int = 1
    """Number of stacked frames (oldest first)."""

    def __post_init__(self) -> None:
        if not self.terms:
            raise ObsLayoutError("observation layout: no terms")
        names = [term.name for term in self.terms]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ObsLayoutError(f"observation layout: term {duplicates[0]!r} appears more than once")
        if type(self.history_length) is not int or self.history_length < 1:
            raise ObsLayoutError(f"observation layout: history_length must be an int >= 1, got {self.history_length!r}")

    @property
    def frame_dim(self) -> int:
        """Entries in one frame."""
        return sum(term.dim for term in self.terms)

    @property
    def obs_dim(self) -> int:
        """Entries in the policy input: ``frame_dim * history_length``."""
        return self.frame_dim * self.history_length

    @property
    def term_names(self) -> tuple[str, ...]:
        return tuple(term.name for term in self.terms)

    def term(self, name: str) -> ObsTerm | None:
        """The term called ``name``, or None when the layout has none."""
        return next((term for term in self.terms if term.name == name), None)

    def frame_slices(self) -> dict[str, slice]:
        """Term name -> its slice inside one frame."""
        slices, start = {}, 0
        for term in self.terms:
            slices[term.name] = slice(start, start + term.dim)
            start += term.dim
        return slices

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``{"history_length": H, "terms": [{"name", "dim", "scale"}, ...]}``."""
        return {
            "history_length": self.history_length,
            "terms": [{"name": t.name, "dim": t.dim, "scale": float(t.scale)} for t in self.terms],
        }

    @classmethod
    def from_dict(cls, data: Any) -> ObsLayout:
        """Inverse of ``to_dict``; raises ``ObsLayoutError`` naming the bad key."""
        if not isinstance(data, Mapping):
            raise ObsLayoutError(f"observation layout: expected a mapping, got {type(data).__name__}")
        unknown = sorted(set(data) - {"history_length", "terms"})
        if unknown:
            raise ObsLayoutError(f"observation layout: unknown key {unknown[0]!r}")
        for key in ("history_length", "terms"):
            if key not in data:
                raise ObsLayoutError(f"observation layout: missing key {key!r}")
        if not isinstance(data["terms"], list):
            raise ObsLayoutError("observation layout: terms: expected a list")
        terms = []
        for index, term in enumerate(data["terms"]):
            if not isinstance(term, Mapping) or set(term) != {"name", "dim", "scale"}:
                raise ObsLayoutError(f"observation layout: terms[{index}]: expected keys name, dim, scale")
            terms.append(ObsTerm(name=term["name"], dim=term["dim"], scale=term["scale"]))
        return cls(terms=tuple(terms), history_length=data["history_length"])

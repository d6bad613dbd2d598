"""Command scripts for ``legged play``: a YAML list of segments, each holding a command for a while.

```yaml
- {duration_s: 3, vx: 0.6}                 # walk forward
- {duration_s: 3, vx: 0.4, yaw_rate: 0.8}  # curve left
- {duration_s: 2, height: -0.08, pitch: 0.2}
```

Command dimensions a segment does not name are 0 (for ``go2_posture``: standing still at the
nominal height, level). Names are the task's ``command_names``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from legged_envs.config import ConfigError
from legged_envs.config.loader import YamlLoader, display_path
from legged_envs.config.schema import show


@dataclass(frozen=True)
class Segment:
    """One command held for ``duration_s`` seconds."""

    duration_s: float
    command: tuple[float, ...]
    """Value per command dimension, in the task's ``command_names`` order."""


def load_command_script(path: str | Path, names: Sequence[str]) -> list[Segment]:
    """Read and check a command script against the task's command dimension ``names``."""
    path = Path(path)
    label = display_path(path.resolve())
    try:
        raw = yaml.load(path.read_text(), Loader=YamlLoader)
    except FileNotFoundError:
        raise ConfigError(f"{label}: file not found") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{label}: invalid YAML: {' '.join(str(error).split())}") from None
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{label}: expected a non-empty list of segments, e.g. - {{duration_s: 2, vx: 0.5}}")
    segments = []
    for index, item in enumerate(raw):
        where = f"{label}: [{index}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{where}: expected a mapping like {{duration_s: 2, vx: 0.5}}, got {show(item)}")
        duration = item.get("duration_s")
        if not _number(duration) or duration <= 0:
            raise ConfigError(f"{where}.duration_s: expected a number > 0, got {show(duration)}")
        values = dict.fromkeys(names, 0.0)
        for key, value in item.items():
            if key == "duration_s":
                continue
            if key not in values:
                raise ConfigError(f"{where}.{key}: unknown command (the task's commands: {', '.join(names)})")
            if not _number(value):
                raise ConfigError(f"{where}.{key}: expected a number, got {show(value)}")
            values[key] = float(value)
        segments.append(Segment(float(duration), tuple(values.values())))
    return segments


def command_at(segments: Sequence[Segment], time_s: float) -> tuple[float, ...]:
    """The command in force at ``time_s`` (the last segment's after the script ends)."""
    start = 0.0
    for segment in segments:
        start += segment.duration_s
        if time_s < start:
            return segment.command
    return segments[-1].command


def script_duration(segments: Sequence[Segment]) -> float:
    """Total length of a script, s."""
    return sum(segment.duration_s for segment in segments)


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def segment_table(names: Sequence[str], rows: Sequence[tuple[Segment, Mapping[str, float]]]) -> list[str]:
    """Markdown lines: per segment, each command dimension as ``commanded / achieved``."""
    lines = [
        "| segment | s | " + " | ".join(f"{name} cmd / got" for name in names) + " |",
        "|" + " --- |" * (len(names) + 2),
    ]
    for index, (segment, achieved) in enumerate(rows):
        pairs = zip(names, segment.command, strict=True)
        cells = [f"{commanded:+.2f} / {achieved.get(name, math.nan):+.3f}" for name, commanded in pairs]
        lines.append(f"| {index + 1} | {segment.duration_s:g} | " + " | ".join(cells) + " |")
    return lines

"""Command-line overrides: ``env.num_envs=512 sim.backend=mujoco_warp``.

The value is read as YAML: ``512`` is an int, ``1e-3`` and ``0.5`` floats, ``true`` a bool,
``[1024, 4096]`` a list, ``null`` (or nothing) None, anything else a string. An override is
deep-merged like one more file on top, and errors about its value name the override.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from legged_envs.config.loader import Origins, YamlLoader, merge
from legged_envs.config.schema import ConfigError, Origin

_KEY_PATH = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*", re.ASCII)


def parse_override(text: str) -> tuple[tuple[str, ...], Any]:
    """``"a.b.c=value"`` -> ``(("a", "b", "c"), value)`` with YAML typing of the value."""
    label = f"override {text}"
    key, sep, raw = text.partition("=")
    if not sep:
        raise ConfigError(f"{label}: expected key=value, e.g. env.num_envs=512")
    key = key.strip()
    if not _KEY_PATH.fullmatch(key):
        raise ConfigError(f"{label}: bad key path {key!r}, expected dotted names, e.g. env.num_envs")
    if key.split(".")[0] == "base":
        raise ConfigError(f"{label}: 'base' can only be set in a file")
    try:
        value = yaml.load(raw, Loader=YamlLoader)
    except yaml.YAMLError as error:
        problem = getattr(error, "problem", None) or " ".join(str(error).split())
        raise ConfigError(f"{label}: cannot read value {raw!r} as YAML ({problem})") from None
    return tuple(key.split(".")), value


def apply_overrides(data: dict[str, Any], origins: Origins, overrides: list[str] | tuple[str, ...]) -> None:
    """Merge each override into ``data`` in order (later ones win), recording their origins."""
    for text in overrides:
        path, value = parse_override(text)
        for key in reversed(path):
            value = {key: value}
        merge(data, origins, value, Origin(f"override {text}", path))

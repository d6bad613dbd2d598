"""Shared builders for the terrain tests: terrain-only models and MuJoCo ray casts."""

from __future__ import annotations

from collections.abc import Callable

import mujoco
import numpy as np
import pytest

from legged_envs.terrains.config import TerrainConfig
from legged_envs.terrains.generator import add_terrain
from legged_envs.terrains.layout import TerrainLayout

RAY_TOP_M = 50.0
"""Height the test rays start from, above every terrain surface, m."""


def terrain_model(cfg: TerrainConfig, seed: int = 0) -> tuple[mujoco.MjModel, TerrainLayout]:
    spec = mujoco.MjSpec()
    layout = add_terrain(spec, cfg, seed)
    return spec.compile(), layout


def ray_heights(model: mujoco.MjModel, xy: np.ndarray) -> np.ndarray:
    """(n,) height where a ray cast straight down at each (x, y) first hits a geom; nan where none."""
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    geom = np.zeros(1, np.int32)
    down = np.array([0.0, 0.0, -1.0])
    out = np.full(len(xy), np.nan)
    for i, (x, y) in enumerate(xy):
        dist = mujoco.mj_ray(model, data, np.array([x, y, RAY_TOP_M]), down, None, 1, -1, geom)
        if dist >= 0:
            out[i] = RAY_TOP_M - dist
    return out


@pytest.fixture
def build() -> Callable[..., tuple[mujoco.MjModel, TerrainLayout]]:
    return terrain_model


@pytest.fixture
def rays() -> Callable[[mujoco.MjModel, np.ndarray], np.ndarray]:
    return ray_heights

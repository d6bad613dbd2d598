"""Geometry of one tile of each kind: boxes and height fields, in world coordinates (numpy).

Every tile meets its neighbours at ground level (z = 0) along its edges: raised features keep
``FEATURE_MARGIN_M`` from the side edges, stairs start one tread in, slopes and rough ground
come back to 0 at the edges. Features lie toward +x of the spawn point (yaw 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from legged_envs.terrains.config import FEATURE_MARGIN_M, SLOPE_BOX_THICKNESS_M, WALL_THICKNESS_M, TerrainConfig

_IDENTITY_QUAT = (1.0, 0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Box:
    """A solid box: centre (m), half sizes (m) and orientation (quaternion wxyz), world frame."""

    center: tuple[float, float, float]
    half_size: tuple[float, float, float]
    quat: tuple[float, float, float, float] = _IDENTITY_QUAT


@dataclass
class Tile:
    """The geometry and spawn point of one tile."""

    kind: str
    """Tile kind (``config.TILE_KINDS``)."""
    difficulty: float
    """0 (easiest) to 1 (hardest)."""
    param: float
    """The kind's setting: platform / step height m, slope deg, wall distance m, bump height m; flat 0."""
    spawn_xy: tuple[float, float]
    """Where a robot starts, m (its height is the ground height there)."""
    boxes: list[Box] = field(default_factory=list)
    """Solid boxes of the tile's features."""
    heights: np.ndarray | None = None
    """(rows along y, cols along x) height field over the whole tile, m above 0; None if none."""
    lowest_z: float = 0.0
    """Lowest point of the tile's surface, m."""
    covers_ground: bool = False
    """Whether the tile's own geometry is the ground (else it stands on the plane or a ground box at 0)."""
    ground: Box | None = None
    """The tile-sized ground box (top at 0) the generator adds when the plane lies below 0."""

    @property
    def all_boxes(self) -> list[Box]:
        return [self.ground, *self.boxes] if self.ground else self.boxes


def aabb(lo: tuple[float, float, float], hi: tuple[float, float, float]) -> Box:
    """Axis-aligned box between two corners, m."""
    return Box(
        ((lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, (lo[2] + hi[2]) / 2),
        ((hi[0] - lo[0]) / 2, (hi[1] - lo[1]) / 2, (hi[2] - lo[2]) / 2),
    )


def lerp(bounds: tuple[float, float], t: float) -> float:
    """Value at ``t`` in [0, 1] of a (min difficulty, max difficulty) range."""
    return bounds[0] + (bounds[1] - bounds[0]) * t


def _quat_mul(a: tuple[float, ...], b: tuple[float, ...]) -> tuple[float, float, float, float]:
    aw, ax, ay, az = a
    bw, bx, by, bz = b
    return (
        aw * bw - ax * bx - ay * by - az * bz,
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
    )


def flat(cx: float, cy: float, d: float, cfg: TerrainConfig, rng: np.random.Generator) -> Tile:
    """Open ground; spawn at the centre."""
    return Tile("flat", d, 0.0, (cx, cy))


def platform(cx: float, cy: float, d: float, cfg: TerrainConfig, rng: np.random.Generator) -> Tile:
    """A box of the level's height ahead (+x) of a spawn point at the centre, across the tile."""
    height = lerp(cfg.platform_height_m, d)
    x0 = cx + cfg.platform_distance_m
    w = cfg.tile_size_m / 2 - FEATURE_MARGIN_M
    box = aabb((x0, cy - w, 0.0), (x0 + cfg.platform_depth_m, cy + w, height))
    return Tile("platform", d, height, (cx, cy), [box])


def wall(cx: float, cy: float, d: float, cfg: TerrainConfig, rng: np.random.Generator) -> Tile:
    """A vertical wall ahead (+x) of a spawn point at the centre, at the level's distance."""
    distance = lerp(cfg.wall_distance_m, d)
    x0 = cx + distance
    w = cfg.tile_size_m / 2 - FEATURE_MARGIN_M
    box = aabb((x0, cy - w, 0.0), (x0 + WALL_THICKNESS_M, cy + w, cfg.wall_height_m))
    return Tile("wall", d, distance, (cx, cy), [box])


def slope(cx: float, cy: float, d: float, cfg: TerrainConfig, rng: np.random.Generator) -> Tile:
    """An inverted pyramid: four faces at the level's incline, rim at 0, apex at the centre.

    Each face is a tilted box spanning the tile; where two overlap the higher surface is the
    right face, so their union is exact. Spawn on the +x face where it is farthest from the
    creases and the rim, facing uphill (+x).
    """
    angle = math.radians(lerp(cfg.slope_deg, d))
    half = cfg.tile_size_m / 2
    depth = half * math.tan(angle)
    overhang = half / 4  # face continues past the apex, under the opposite face: no gap below the apex
    length = (half + overhang) / math.cos(angle)
    mid = (half - overhang) / 2  # along x, of the face's top surface
    t = SLOPE_BOX_THICKNESS_M / 2
    # face rising toward +x: box x axis along the incline, z axis along the face normal
    local = np.array([mid + t * math.sin(angle), 0.0, -depth + mid * math.tan(angle) - t * math.cos(angle)])
    tilt = (math.cos(angle / 2), 0.0, -math.sin(angle / 2), 0.0)
    boxes = []
    for k in range(4):
        yaw = k * math.pi / 2
        c, s = math.cos(yaw), math.sin(yaw)
        center = (cx + c * local[0] - s * local[1], cy + s * local[0] + c * local[1], float(local[2]))
        quat = _quat_mul((math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)), tilt)
        boxes.append(Box(center, (length / 2, half, t), quat))
    spawn_r = half / (1 + 1 / math.sqrt(2))
    return Tile("slope", d, math.degrees(angle), (cx + spawn_r, cy), boxes, lowest_z=-depth, covers_ground=True)


def rough(cx: float, cy: float, d: float, cfg: TerrainConfig, rng: np.random.Generator) -> Tile:
    """Random bumps from 0 to the level's height on a grid of ``rough_cell_m``, 0 along the edges."""
    peak = lerp(cfg.rough_height_m, d)
    n = round(cfg.tile_size_m / cfg.rough_cell_m) + 1
    heights = rng.uniform(0.0, peak, size=(n, n))
    heights[[0, -1], :] = 0.0
    heights[:, [0, -1]] = 0.0
    return Tile("rough", d, peak, (cx, cy), heights=heights, covers_ground=True)


def stairs(cx: float, cy: float, d: float, cfg: TerrainConfig, rng: np.random.Generator) -> Tile:
    """A pyramid of square steps of the level's rise, from one tread in from the edge to the top landing."""
    rise = lerp(cfg.stairs_step_height_m, d)
    half, tread = cfg.tile_size_m / 2, cfg.stairs_step_width_m
    num_steps = math.floor((half - cfg.stairs_top_size_m / 2) / tread + 1e-9)
    boxes = []
    for i in range(1, num_steps + 1):
        w = half - i * tread
        boxes.append(aabb((cx - w, cy - w, 0.0), (cx + w, cy + w, i * rise)))
    return Tile("stairs", d, rise, (cx, cy), boxes)


BUILDERS: dict[str, Callable[[float, float, float, TerrainConfig, np.random.Generator], Tile]] = {
    "flat": flat,
    "platform": platform,
    "slope": slope,
    "wall": wall,
    "rough": rough,
    "stairs": stairs,
}
"""Tile kind -> builder(centre x, centre y, difficulty, config, rng)."""

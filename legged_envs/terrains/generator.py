"""Build a terrain into an MjSpec and describe it as a torch ``TerrainLayout``.

Tiles of ``config.TerrainConfig`` are laid out in a grid centred on the world origin: level l
along +x, tile t along +y. Geometry uses only what C MuJoCo and MuJoCo Warp both collide with
every robot primitive: boxes (platform, wall, stairs, tilted slope faces, ground), height fields
(rough ground) and one plane under everything. Terrain geoms have contype 0, conaffinity 1,
condim 3; robot geoms are expected to have contype 1, conaffinity 0.
"""

from __future__ import annotations

import math

import mujoco
import numpy as np
import torch

from legged_envs.terrains.config import TerrainConfig, kinds_in_use
from legged_envs.terrains.layout import TerrainLayout
from legged_envs.terrains.tiles import BUILDERS, Box, Tile, aabb

__all__ = ["TerrainLayout", "add_terrain", "column_kinds", "tile_difficulty"]

HFIELD_BASE_M = 0.1
"""Depth of a height field's solid base below the floor plane, m."""
_RGBA = {
    "ground": (0.45, 0.47, 0.5, 1.0),
    "platform": (0.6, 0.45, 0.3, 1.0),
    "wall": (0.75, 0.75, 0.7, 1.0),
    "slope": (0.4, 0.55, 0.35, 1.0),
    "rough": (0.5, 0.42, 0.33, 1.0),
    "stairs": (0.35, 0.45, 0.6, 1.0),
}


def column_kinds(cfg: TerrainConfig) -> tuple[str, ...]:
    """Kind of each column: ``cfg.kind``, or ``mix`` shares rounded to whole columns (largest remainder)."""
    kinds = kinds_in_use(cfg)
    if cfg.kind != "mixed":
        return kinds * cfg.num_tiles_per_level
    total = math.fsum(cfg.mix[k] for k in kinds)
    quotas = [cfg.mix[k] / total * cfg.num_tiles_per_level for k in kinds]
    counts = [math.floor(q) for q in quotas]
    by_remainder = sorted(range(len(kinds)), key=lambda i: counts[i] - quotas[i])
    for i in by_remainder[: cfg.num_tiles_per_level - sum(counts)]:
        counts[i] += 1
    return tuple(k for k, n in zip(kinds, counts, strict=True) for _ in range(n))


def tile_difficulty(level: int, column: int, kinds: tuple[str, ...], num_levels: int) -> float:
    """Difficulty in [0, 1]: rises through the columns of the tile's kind, then through the levels."""
    same = [t for t, k in enumerate(kinds) if k == kinds[column]]
    steps = num_levels * len(same) - 1
    return (level * len(same) + same.index(column)) / steps if steps else 0.0


def add_terrain(spec: mujoco.MjSpec, cfg: TerrainConfig, seed: int) -> TerrainLayout:
    """Add the terrain's geoms (and height fields) to ``spec.worldbody``; its layout, on the CPU.

    The same config and seed always give the same terrain (only rough ground is random).
    """
    cfg.check()
    kinds = column_kinds(cfg)
    size, levels = cfg.tile_size_m, cfg.num_levels
    grid_min = (-levels * size / 2, -len(kinds) * size / 2)
    rng = np.random.default_rng(seed)
    tiles = [
        [
            BUILDERS[kind](
                grid_min[0] + (level + 0.5) * size,
                grid_min[1] + (t + 0.5) * size,
                tile_difficulty(level, t, kinds, levels),
                cfg,
                rng,
            )
            for t, kind in enumerate(kinds)
        ]
        for level in range(levels)
    ]
    floor_z = min(0.0, *(tile.lowest_z for row in tiles for tile in row))
    if floor_z < 0:  # the plane sinks to the bottom of the deepest slope: the ground at 0 becomes boxes
        for level, row in enumerate(tiles):
            for t, tile in enumerate(row):
                if not tile.covers_ground:
                    x0, y0 = grid_min[0] + level * size, grid_min[1] + t * size
                    tile.ground = aabb((x0, y0, floor_z), (x0 + size, y0 + size, 0.0))
    _add_geoms(spec, cfg, tiles, grid_min, floor_z)
    return _layout(cfg, tiles, kinds, grid_min, floor_z)


def _add_geoms(
    spec: mujoco.MjSpec, cfg: TerrainConfig, tiles: list[list[Tile]], grid_min: tuple[float, float], floor_z: float
) -> None:
    def geom(name: str, rgba: tuple[float, ...], **kwargs: object) -> None:
        spec.worldbody.add_geom(
            name=name,
            contype=0,
            conaffinity=1,
            condim=3,
            friction=[cfg.friction, 0.005, 0.0001],
            rgba=list(rgba),
            **kwargs,
        )

    def box(name: str, b: Box, rgba: tuple[float, ...]) -> None:
        geom(name, rgba, type=mujoco.mjtGeom.mjGEOM_BOX, size=list(b.half_size), pos=list(b.center), quat=list(b.quat))

    geom("terrain_floor", _RGBA["ground"], type=mujoco.mjtGeom.mjGEOM_PLANE, size=[0, 0, 1], pos=[0, 0, floor_z])
    if floor_z < 0:
        for i, b in enumerate(_border_boxes(cfg, tiles, grid_min, floor_z)):
            box(f"terrain_border_{i}", b, _RGBA["ground"])
    size = cfg.tile_size_m
    for level, row in enumerate(tiles):
        for t, tile in enumerate(row):
            if tile.ground:
                box(f"terrain_{level}_{t}_ground", tile.ground, _RGBA["ground"])
            for i, b in enumerate(tile.boxes):
                box(f"terrain_{level}_{t}_{i}", b, _RGBA[tile.kind])
            if tile.heights is not None:
                peak = float(tile.heights.max())
                spec.add_hfield(
                    name=f"terrain_hfield_{level}_{t}",
                    size=[size / 2, size / 2, peak, HFIELD_BASE_M - floor_z],
                    nrow=tile.heights.shape[0],
                    ncol=tile.heights.shape[1],
                    userdata=(tile.heights / peak).ravel().tolist(),
                )
                center = [grid_min[0] + (level + 0.5) * size, grid_min[1] + (t + 0.5) * size, 0.0]
                geom(
                    f"terrain_{level}_{t}_hfield",
                    _RGBA["rough"],
                    type=mujoco.mjtGeom.mjGEOM_HFIELD,
                    hfieldname=f"terrain_hfield_{level}_{t}",
                    pos=center,
                )


def _border_boxes(
    cfg: TerrainConfig, tiles: list[list[Tile]], grid_min: tuple[float, float], floor_z: float
) -> list[Box]:
    """Ground at 0 around the grid: two strips along x (with the corners) and two along y."""
    b = cfg.border_m
    if b <= 0:
        return []
    x0, y0 = grid_min
    x1, y1 = x0 + len(tiles) * cfg.tile_size_m, y0 + len(tiles[0]) * cfg.tile_size_m
    return [
        aabb((x0 - b, y0 - b, floor_z), (x1 + b, y0, 0.0)),
        aabb((x0 - b, y1, floor_z), (x1 + b, y1 + b, 0.0)),
        aabb((x0 - b, y0, floor_z), (x0, y1, 0.0)),
        aabb((x1, y0, floor_z), (x1 + b, y1, 0.0)),
    ]


def _top_face(box: Box, center_xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The box's top face relative to a tile centre: (x0, x1, y0, y1) seen from above and plane (a, b, c)."""
    rot = np.zeros(9)
    mujoco.mju_quat2Mat(rot, np.asarray(box.quat, dtype=float))
    axes = rot.reshape(3, 3) * np.asarray(box.half_size)  # columns: half extents along the box axes, world
    # only boxes tilted about x or y keep the view from above an axis-aligned rectangle
    if (np.abs(axes[:2, 0]) > 1e-9).all() or (np.abs(axes[:2, 1]) > 1e-9).all() or axes[2, 2] <= 0:
        raise ValueError(f"terrain box {box} is not tilted about a horizontal grid axis")
    top = np.asarray(box.center) + axes[:, 2]
    top[:2] -= center_xy
    extent = np.abs(axes[:2, 0]) + np.abs(axes[:2, 1])
    normal = axes[:, 2]
    slope = -normal[:2] / normal[2]
    rect = np.array([top[0] - extent[0], top[0] + extent[0], top[1] - extent[1], top[1] + extent[1]])
    return rect, np.array([top[2] - slope @ top[:2], *slope])


def _layout(
    cfg: TerrainConfig, tiles: list[list[Tile]], kinds: tuple[str, ...], grid_min: tuple[float, float], floor_z: float
) -> TerrainLayout:
    levels, columns, size = len(tiles), len(kinds), cfg.tile_size_m
    max_boxes = max(len(tile.all_boxes) for row in tiles for tile in row)
    centers = np.zeros((levels, columns, 2))
    rect = np.tile([np.inf, -np.inf, np.inf, -np.inf], (levels, columns, max_boxes, 1))
    plane = np.zeros((levels, columns, max_boxes, 3))
    hfield_index = np.full((levels, columns), -1)
    hfields = []
    for level, row in enumerate(tiles):
        for t, tile in enumerate(row):
            centers[level, t] = grid_min[0] + (level + 0.5) * size, grid_min[1] + (t + 0.5) * size
            for i, box in enumerate(tile.all_boxes):
                rect[level, t, i], plane[level, t, i] = _top_face(box, centers[level, t])
            if tile.heights is not None:
                hfield_index[level, t] = len(hfields)
                peak = tile.heights.max()
                # MuJoCo stores the normalised samples as float32 and scales them by the peak
                hfields.append((tile.heights / peak).astype(np.float32).astype(np.float64) * peak)
    shape = hfields[0].shape if hfields else (2, 2)

    def f32(array: np.ndarray | list) -> torch.Tensor:
        return torch.as_tensor(np.asarray(array), dtype=torch.float32)

    layout = TerrainLayout(
        tile_origins=f32([[[*tile.spawn_xy, 0.0] for tile in row] for row in tiles]),
        tile_yaw=torch.zeros(levels, columns),
        tile_difficulty=f32([[tile.difficulty for tile in row] for row in tiles]),
        tile_param=f32([[tile.param for tile in row] for row in tiles]),
        tile_kinds=kinds,
        grid_min_xy=grid_min,
        tile_size_m=size,
        border_m=cfg.border_m,
        floor_z_m=floor_z,
        tile_center_xy=f32(centers),
        box_rect=f32(rect),
        box_plane=f32(plane),
        hfield_index=torch.as_tensor(hfield_index, dtype=torch.long),
        hfield_heights=f32(hfields).reshape(-1, *shape),
    )
    layout.tile_origins[..., 2] = layout.height_at(layout.tile_origins[..., :2])
    return layout

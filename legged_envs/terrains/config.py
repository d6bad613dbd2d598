"""Terrain schema: which tiles to build and how hard each difficulty level is.

Tiles form a grid: row = difficulty level (0 = easiest), column = tile. A ``(min, max)`` range
gives a kind's setting at difficulty 0 and 1; each tile's difficulty rises through the columns
of its kind and then the levels (see ``generator.tile_difficulty``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

TerrainKind = Literal["flat", "platform", "slope", "wall", "rough", "stairs", "mixed"]
TILE_KINDS = ("flat", "platform", "slope", "wall", "rough", "stairs")
"""Kinds one tile can have (``mixed`` picks one of these per column)."""
FEATURE_MARGIN_M = 0.5
"""Clearance between a raised feature (platform, wall, stairs) and its tile's side edges, m."""
WALL_THICKNESS_M = 0.2
"""Thickness of a wall, m."""
SLOPE_BOX_THICKNESS_M = 0.5
"""Thickness of the tilted boxes that form a slope tile's faces, m."""


@dataclass
class TerrainConfig:
    """The terrain the robots stand on: kind, tile grid and per-kind difficulty ranges."""

    kind: TerrainKind = "flat"
    """Tile kind of every column; ``mixed`` assigns kinds to columns in the proportions of ``mix``."""
    num_levels: int = field(default=1, metadata={"ge": 1})
    """Difficulty levels = rows of tiles (along x)."""
    num_tiles_per_level: int = field(default=1, metadata={"ge": 1})
    """Tiles per level = columns of tiles (along y)."""
    tile_size_m: float = field(default=8.0, metadata={"gt": 0})
    """Side of one square tile, m."""
    border_m: float = field(default=5.0, metadata={"ge": 0})
    """Width of the flat ground around the grid of tiles, m."""
    friction: float = field(default=1.0, metadata={"gt": 0})
    """Sliding friction coefficient of every terrain surface."""
    mix: dict[str, float] = field(
        default_factory=lambda: {"flat": 0.2, "rough": 0.3, "slope": 0.25, "stairs": 0.25}, metadata={"ge": 0}
    )
    """Share of columns per tile kind for ``kind: mixed`` (normalised; columns of a kind are adjacent)."""
    platform_height_m: tuple[float, float] = field(default=(0.22, 0.46), metadata={"gt": 0})
    """Platform height at difficulty 0 and 1, m."""
    platform_distance_m: float = field(default=0.5, metadata={"ge": 0})
    """Horizontal distance from a platform tile's spawn point to the platform's near face, m."""
    platform_depth_m: float = field(default=2.0, metadata={"gt": 0})
    """Platform extent away from the spawn point, m (its width is the tile's, less the margins)."""
    slope_deg: tuple[float, float] = field(default=(1.0, 15.0), metadata={"gt": 0, "lt": 45})
    """Incline of the four faces of a slope tile (an inverted pyramid) at difficulty 0 and 1, degrees."""
    wall_distance_m: tuple[float, float] = field(default=(0.3, 0.5), metadata={"ge": 0})
    """Horizontal distance from a wall tile's spawn point to the wall face at difficulty 0 and 1, m."""
    wall_height_m: float = field(default=2.0, metadata={"gt": 0})
    """Wall height, m."""
    rough_height_m: tuple[float, float] = field(default=(0.02, 0.10), metadata={"gt": 0})
    """Peak height of rough ground (random bumps from 0 to this) at difficulty 0 and 1, m."""
    rough_cell_m: float = field(default=0.2, metadata={"gt": 0})
    """Spacing of the random height samples of rough ground (rounded to divide the tile), m; linear between them."""
    stairs_step_height_m: tuple[float, float] = field(default=(0.05, 0.20), metadata={"gt": 0})
    """Rise of one stair step at difficulty 0 and 1, m."""
    stairs_step_width_m: float = field(default=0.3, metadata={"gt": 0})
    """Tread depth of one stair step, m."""
    stairs_top_size_m: float = field(default=2.0, metadata={"gt": 0})
    """Side of the square landing on top of a stairs pyramid (where robots spawn), m."""


def kinds_in_use(cfg: TerrainConfig) -> tuple[str, ...]:
    """Tile kinds the terrain contains (for ``mixed``: those with a share > 0, in ``mix`` order)."""
    return tuple(k for k, share in cfg.mix.items() if share > 0) if cfg.kind == "mixed" else (cfg.kind,)


def check_terrain_config(cfg: TerrainConfig, key: str = "terrain") -> None:
    """Raise ValueError naming the key when settings of the kinds in use contradict each other."""
    if cfg.kind == "mixed":
        unknown = sorted(set(cfg.mix) - set(TILE_KINDS))
        if unknown:
            raise ValueError(f"{key}.mix: unknown tile kind {unknown[0]!r} (valid: {', '.join(TILE_KINDS)})")
        if not math.fsum(cfg.mix.values()) > 0:
            raise ValueError(f"{key}.mix: expected at least one share > 0, got {cfg.mix}")
    kinds = kinds_in_use(cfg)
    half = cfg.tile_size_m / 2 - FEATURE_MARGIN_M
    if "platform" in kinds and cfg.platform_distance_m + cfg.platform_depth_m > half:
        raise ValueError(
            f"{key}.platform_distance_m + platform_depth_m = {cfg.platform_distance_m + cfg.platform_depth_m:g} m "
            f"must be <= tile_size_m / 2 - {FEATURE_MARGIN_M:g} = {half:g} m"
        )
    if "wall" in kinds and max(cfg.wall_distance_m) + WALL_THICKNESS_M > half:
        raise ValueError(
            f"{key}.wall_distance_m: {max(cfg.wall_distance_m):g} m + wall thickness {WALL_THICKNESS_M:g} m "
            f"must be <= tile_size_m / 2 - {FEATURE_MARGIN_M:g} = {half:g} m"
        )
    if "stairs" in kinds and cfg.stairs_top_size_m + 2 * cfg.stairs_step_width_m > cfg.tile_size_m:
        raise ValueError(
            f"{key}.stairs_top_size_m + 2 * stairs_step_width_m = "
            f"{cfg.stairs_top_size_m + 2 * cfg.stairs_step_width_m:g} m must be <= tile_size_m = {cfg.tile_size_m:g} m"
        )
    if "slope" in kinds and cfg.border_m < SLOPE_BOX_THICKNESS_M:
        raise ValueError(
            f"{key}.border_m = {cfg.border_m:g} m must be >= {SLOPE_BOX_THICKNESS_M:g} m with slope tiles "
            "(the border's ground covers the ends of their faces)"
        )
    if "rough" in kinds and cfg.rough_cell_m > cfg.tile_size_m / 4:
        raise ValueError(f"{key}.rough_cell_m = {cfg.rough_cell_m:g} m must be <= tile_size_m / 4")

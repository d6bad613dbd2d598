"""Terrain schema: which tiles to build and how hard each difficulty level is.

Tiles form a grid: row = difficulty level (0 = easiest), column = tile. A ``(min, max)`` range
gives a kind's setting at difficulty 0 and 1; each tile's difficulty rises through the columns
of its kind and then the levels (see ``generator.tile_difficulty``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from legged_envs.config.schema import FieldError

TerrainKind = Literal["flat", "platform", "slope", "wall", "rough", "stairs", "mixed"]
TILE_KINDS = ("flat", "platform", "slope", "wall", "rough", "stairs")
"""Kinds one tile can have (``mixed`` picks one of these per column)."""
FEATURE_MARGIN_M = 0.5
"""Clearance between a raised feature (platform, wall, stairs) and its tile's side edges, m."""
WALL_THICKNESS_M = 0.2
"""Thickness of a wall, m."""
SLOPE_BOX_THICKNESS_M = 0.5
"""Thickness of the tilted boxes that form a slope tile's faces, m."""
MAX_ROUGH_CELLS = 200
"""Most height samples along one side of a rough tile."""


@dataclass
class TerrainConfig:
    """The terrain the robots stand on: kind, tile grid and per-kind difficulty ranges."""

    kind: TerrainKind = "flat"
    """Tile kind of every column; ``mixed`` assigns kinds to columns in the proportions of ``mix``."""
    num_levels: int = field(default=1, metadata={"ge": 1, "le": 50})
    """Difficulty levels = rows of tiles (along x)."""
    num_tiles_per_level: int = field(default=1, metadata={"ge": 1, "le": 50})
    """Tiles per level = columns of tiles (along y)."""
    tile_size_m: float = field(default=8.0, metadata={"gt": 0, "le": 100})
    """Side of one square tile, m."""
    border_m: float = field(default=5.0, metadata={"ge": 0, "le": 100})
    """Width of the flat ground around the grid of tiles, m."""
    friction: float = field(default=1.0, metadata={"gt": 0, "le": 10})
    """Sliding friction coefficient of every terrain surface."""
    mix: dict[str, float] = field(
        default_factory=lambda: {"flat": 0.2, "rough": 0.3, "slope": 0.25, "stairs": 0.25},
        metadata={"ge": 0, "le": 1000},
    )
    """Share of columns per tile kind for ``kind: mixed`` (normalised; columns of a kind are adjacent)."""
    platform_height_m: tuple[float, float] = field(default=(0.22, 0.46), metadata={"gt": 0, "le": 10})
    """Platform height at difficulty 0 and 1, m."""
    platform_distance_m: float = field(default=0.5, metadata={"ge": 0, "le": 50})
    """Horizontal distance from a platform tile's spawn point to the platform's near face, m."""
    platform_depth_m: float = field(default=2.0, metadata={"gt": 0, "le": 50})
    """Platform extent away from the spawn point, m (its width is the tile's, less the margins)."""
    slope_deg: tuple[float, float] = field(default=(1.0, 15.0), metadata={"gt": 0, "lt": 45})
    """Incline of the four faces of a slope tile (an inverted pyramid) at difficulty 0 and 1, degrees."""
    wall_distance_m: tuple[float, float] = field(default=(0.3, 0.5), metadata={"ge": 0, "le": 50})
    """Horizontal distance from a wall tile's spawn point to the wall face at difficulty 0 and 1, m."""
    wall_height_m: float = field(default=2.0, metadata={"gt": 0, "le": 20})
    """Wall height, m."""
    rough_height_m: tuple[float, float] = field(default=(0.02, 0.10), metadata={"gt": 0, "le": 2})
    """Peak height of rough ground (random bumps from 0 to this) at difficulty 0 and 1, m."""
    rough_cell_m: float = field(default=0.2, metadata={"gt": 0, "le": 25})
    """Spacing of the random height samples of rough ground (rounded to divide the tile), m; linear between them."""
    stairs_step_height_m: tuple[float, float] = field(default=(0.05, 0.20), metadata={"gt": 0, "le": 2})
    """Rise of one stair step at difficulty 0 and 1, m."""
    stairs_step_width_m: float = field(default=0.3, metadata={"gt": 0, "le": 10})
    """Tread depth of one stair step, m."""
    stairs_top_size_m: float = field(default=2.0, metadata={"gt": 0, "le": 100})
    """Side of the square landing on top of a stairs pyramid (where robots spawn), m."""

    def check(self) -> None:
        """Settings of the kinds in use that contradict each other (``FieldError`` naming the key)."""
        unknown = sorted(set(self.mix) - set(TILE_KINDS))
        if unknown:
            raise FieldError("mix", f"unknown tile kind {unknown[0]!r} (valid: {', '.join(TILE_KINDS)})")
        if not math.fsum(self.mix.values()) > 0:
            raise FieldError("mix", f"expected at least one share > 0, got {self.mix}")
        kinds = kinds_in_use(self)
        half = self.tile_size_m / 2 - FEATURE_MARGIN_M
        if "platform" in kinds and self.platform_distance_m + self.platform_depth_m > half:
            problem = (
                f"platform_distance_m + platform_depth_m = {self.platform_distance_m + self.platform_depth_m:g} m "
                f"must be <= tile_size_m / 2 - {FEATURE_MARGIN_M:g} = {half:g} m"
            )
            raise FieldError("platform_depth_m", problem, "platform_distance_m", "tile_size_m")
        if "wall" in kinds and max(self.wall_distance_m) + WALL_THICKNESS_M > half:
            problem = (
                f"{max(self.wall_distance_m):g} m + wall thickness {WALL_THICKNESS_M:g} m "
                f"must be <= tile_size_m / 2 - {FEATURE_MARGIN_M:g} = {half:g} m"
            )
            raise FieldError("wall_distance_m", problem, "tile_size_m")
        stairs = self.stairs_top_size_m + 2 * self.stairs_step_width_m
        if "stairs" in kinds and stairs > self.tile_size_m:
            problem = (
                f"stairs_top_size_m + 2 * stairs_step_width_m = {stairs:g} m must be <= tile_size_m = "
                f"{self.tile_size_m:g} m"
            )
            raise FieldError("stairs_top_size_m", problem, "stairs_step_width_m", "tile_size_m")
        if "slope" in kinds and self.border_m < SLOPE_BOX_THICKNESS_M:
            problem = (
                f"{self.border_m:g} m must be >= {SLOPE_BOX_THICKNESS_M:g} m with slope tiles "
                "(the border's ground covers the ends of their faces)"
            )
            raise FieldError("border_m", problem, "kind")
        if "rough" in kinds and not self.tile_size_m / MAX_ROUGH_CELLS <= self.rough_cell_m <= self.tile_size_m / 4:
            problem = f"{self.rough_cell_m:g} m must be in [tile_size_m / {MAX_ROUGH_CELLS}, tile_size_m / 4]"
            raise FieldError("rough_cell_m", problem, "tile_size_m")


def kinds_in_use(cfg: TerrainConfig) -> tuple[str, ...]:
    """Tile kinds the terrain contains (for ``mixed``: those with a share > 0, in ``mix`` order)."""
    return tuple(k for k, share in cfg.mix.items() if share > 0) if cfg.kind == "mixed" else (cfg.kind,)

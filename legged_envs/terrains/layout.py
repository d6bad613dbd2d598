"""Where the tiles are and how high the ground is: torch only, any device, no MuJoCo at use time.

``height_at`` is exact for the geometry ``generator.add_terrain`` built: the highest terrain
surface straight above or below each point, i.e. what a ray cast straight down would hit.
Points on a vertical face of a box get the box's top (boxes are closed sets).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch

_CHUNK = 1 << 16
"""Points evaluated at once by ``height_at`` (bounds its temporary memory to tens of MB)."""
_VERTICAL_EPS = 1e-9
"""A box axis whose vertical component is below this counts as horizontal."""


@dataclass(frozen=True)
class TerrainLayout:
    """Tile grid, spawn points and ground heights of one terrain. Row = level, column = tile."""

    tile_origins: torch.Tensor
    """(L, T, 3) spawn point of each tile on the ground, world frame, m."""
    tile_yaw: torch.Tensor
    """(L, T) heading from the spawn point toward the tile's feature (platform, wall, uphill), rad."""
    tile_difficulty: torch.Tensor
    """(L, T) difficulty of each tile, 0 (easiest) to 1 (hardest); rises with the level."""
    tile_param: torch.Tensor
    """(L, T) the kind's setting: platform / step height m, slope deg, wall distance m, bump height m, flat 0."""
    tile_kinds: tuple[str, ...]
    """(T,) kind of the tiles of each column."""
    grid_min_xy: tuple[float, float]
    """World (x, y) of the grid's lower corner (level 0, tile 0), m. Tile (l, t) spans
    x in [x0 + l s, x0 + (l + 1) s], y in [y0 + t s, y0 + (t + 1) s]."""
    tile_size_m: float
    """Side of a tile, m."""
    border_m: float
    """Width of the ground (z = 0) around the grid, m."""
    floor_z_m: float
    """Height of the infinite plane under everything (0, or the bottom of the deepest slope tile), m."""
    box_rt_xy: torch.Tensor
    """(L, T, K, 3, 2) per tile box: first two columns of the world-to-box rotation."""
    box_up: torch.Tensor
    """(L, T, K, 3) per tile box: world +z in box coordinates."""
    box_offset: torch.Tensor
    """(L, T, K, 3) per tile box: box coordinates of the world point (0, 0, 0), m."""
    box_half: torch.Tensor
    """(L, T, K, 3) per tile box: half sizes, m."""
    box_valid: torch.Tensor
    """(L, T, K) whether the slot holds a box (tiles have different numbers of boxes)."""
    hfield_index: torch.Tensor
    """(L, T) index into ``hfield_heights`` of the tile's height field, -1 where none."""
    hfield_heights: torch.Tensor
    """(H, R, C) height fields spanning their whole tile, m; row r at y0 + r cell, column c at x0 + c cell."""

    @property
    def num_levels(self) -> int:
        return self.tile_origins.shape[0]

    @property
    def num_tiles(self) -> int:
        """Tiles per level (columns)."""
        return self.tile_origins.shape[1]

    @property
    def device(self) -> torch.device:
        return self.tile_origins.device

    def to(self, device: torch.device | str) -> TerrainLayout:
        """The same layout with every tensor on ``device``."""
        moved = {
            f.name: getattr(self, f.name).to(device)
            for f in dataclasses.fields(self)
            if isinstance(getattr(self, f.name), torch.Tensor)
        }
        return dataclasses.replace(self, **moved)

    def origins_for(self, levels: torch.Tensor, tiles: torch.Tensor) -> torch.Tensor:
        """(n, 3) spawn points of tiles ``(levels[i], tiles[i])`` (LongTensors (n,)), m."""
        return self.tile_origins[levels, tiles]

    def tile_of(self, xy: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(level, tile) LongTensors (...) of the tile under each point (..., 2), clamped to the grid."""
        cell = torch.floor((xy - xy.new_tensor(self.grid_min_xy)) / self.tile_size_m).long()
        return cell[..., 0].clamp(0, self.num_levels - 1), cell[..., 1].clamp(0, self.num_tiles - 1)

    def height_at(self, xy: torch.Tensor) -> torch.Tensor:
        """(...) ground height under each point (..., 2) (world x, y in m), m."""
        flat = xy.reshape(-1, 2).to(self.tile_origins.dtype)
        heights = [self._height(chunk) for chunk in flat.split(_CHUNK)]
        out = torch.cat(heights) if heights else flat.new_zeros(0)
        return out.reshape(xy.shape[:-1])

    def _height(self, xy: torch.Tensor) -> torch.Tensor:
        rel = (xy - xy.new_tensor(self.grid_min_xy)) / self.tile_size_m
        cell = torch.floor(rel).long()
        size = torch.tensor([self.num_levels, self.num_tiles], device=xy.device)
        inside = ((cell >= 0) & (cell < size)).all(-1)
        border = self.border_m / self.tile_size_m
        near = ((rel >= -border) & (rel <= size + border)).all(-1)
        outside_z = torch.where(near, 0.0, self.floor_z_m).to(xy.dtype)
        level, tile = cell[:, 0].clamp(0, self.num_levels - 1), cell[:, 1].clamp(0, self.num_tiles - 1)
        z = torch.full_like(outside_z, self.floor_z_m)
        if self.box_half.shape[2]:
            z = torch.maximum(z, self._box_top(xy, level, tile))
        if self.hfield_heights.shape[0]:
            z = torch.maximum(z, self._hfield_top(xy, level, tile))
        return torch.where(inside, z, outside_z)

    def _box_top(self, xy: torch.Tensor, level: torch.Tensor, tile: torch.Tensor) -> torch.Tensor:
        """(n,) highest box top on the vertical line through each point, -inf where no box."""
        rt, up, half = self.box_rt_xy[level, tile], self.box_up[level, tile], self.box_half[level, tile]
        # box coordinates of the vertical line: a + z * up, z = world height
        a = (rt @ xy[:, None, :, None]).squeeze(-1) + self.box_offset[level, tile]
        slanted = up.abs() > _VERTICAL_EPS
        safe_up = torch.where(slanted, up, torch.ones_like(up))
        z1, z2 = (-half - a) / safe_up, (half - a) / safe_up
        within = a.abs() <= half
        inf = torch.full_like(a, torch.inf)
        low = torch.where(slanted, torch.minimum(z1, z2), torch.where(within, -inf, inf)).amax(-1)
        high = torch.where(slanted, torch.maximum(z1, z2), torch.where(within, inf, -inf)).amin(-1)
        hit = (low <= high) & self.box_valid[level, tile]
        return torch.where(hit, high, -torch.inf).amax(-1)

    def _hfield_top(self, xy: torch.Tensor, level: torch.Tensor, tile: torch.Tensor) -> torch.Tensor:
        """(n,) height-field surface under each point (MuJoCo's triangles), -inf where none."""
        index = self.hfield_index[level, tile]
        rows, cols = self.hfield_heights.shape[1:]
        cell = self.tile_size_m / (cols - 1)
        corner = xy.new_tensor(self.grid_min_xy) + torch.stack([level, tile], -1).to(xy.dtype) * self.tile_size_m
        u = (xy[:, 0] - corner[:, 0]) / cell
        v = (xy[:, 1] - corner[:, 1]) / cell
        c = torch.floor(u).long().clamp(0, cols - 2)
        r = torch.floor(v).long().clamp(0, rows - 2)
        fu, fv = u - c, v - r
        flat = self.hfield_heights.reshape(-1)
        at = index.clamp(min=0) * (rows * cols) + r * cols + c
        z00, z01, z10, z11 = flat[at], flat[at + 1], flat[at + cols], flat[at + cols + 1]
        # each cell is split along its (r, c)-(r + 1, c + 1) diagonal, as MuJoCo does
        lower = z00 + fu * (z01 - z00) + fv * (z11 - z01)
        upper = z00 + fv * (z10 - z00) + fu * (z11 - z10)
        top = torch.where(fu >= fv, lower, upper)
        return torch.where(index >= 0, top, -torch.inf)

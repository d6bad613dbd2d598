"""Where the tiles are and how high the ground is: torch only, any device, no MuJoCo at use time.

``height_at`` is exact for the geometry ``generator.add_terrain`` built: the highest terrain
surface at each point, i.e. what a ray cast straight down hits. A tile's surface is the highest
of its boxes' top faces (each a plane over an axis-aligned rectangle) and its height field;
the other faces of a tilted box are hidden inside neighbouring ground by construction. Points
on a vertical face of a box get the box's top (boxes are closed sets).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch

_CHUNK = 1 << 16
"""Points evaluated at once by ``height_at`` (bounds its temporary memory to tens of MB)."""


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
    tile_center_xy: torch.Tensor
    """(L, T, 2) centre of each tile, world frame, m; box and height-field data are relative to it."""
    box_rect: torch.Tensor
    """(L, T, K, 4) per tile box: (x min, x max, y min, y max) of its top face seen from above, m;
    empty (+inf, -inf, ...) in unused slots."""
    box_plane: torch.Tensor
    """(L, T, K, 3) per tile box: its top face z = a + b x + c y as (a, b, c), m."""
    hfield_index: torch.Tensor
    """(L, T) index into ``hfield_heights`` of the tile's height field, -1 where none."""
    hfield_heights: torch.Tensor
    """(H, R, C) height fields spanning their whole tile, m; row r along y, column c along x, from the tile's corner."""

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
        index = level * self.num_tiles + tile  # flat tile index: index_select is the fastest gather
        local = xy - self.tile_center_xy.flatten(0, 1).index_select(0, index)
        z = torch.full_like(outside_z, self.floor_z_m)
        if self.box_rect.shape[2]:
            z = torch.maximum(z, self._box_top(local, index))
        if self.hfield_heights.shape[0]:
            z = torch.maximum(z, self._hfield_top(local, index))
        return torch.where(inside, z, outside_z)

    def _box_top(self, local: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        """(n,) highest box top face over each tile-local point of tiles ``index``, -inf where none."""
        rect = self.box_rect.flatten(0, 1).index_select(0, index)  # (n, K, 4)
        plane = self.box_plane.flatten(0, 1).index_select(0, index)  # (n, K, 3)
        x, y = local[:, None, 0], local[:, None, 1]
        over = (x >= rect[..., 0]) & (x <= rect[..., 1]) & (y >= rect[..., 2]) & (y <= rect[..., 3])
        top = plane[..., 0] + plane[..., 1] * x + plane[..., 2] * y
        return torch.where(over, top, -torch.inf).amax(-1)

    def _hfield_top(self, local: torch.Tensor, tile_index: torch.Tensor) -> torch.Tensor:
        """(n,) height-field surface under each tile-local point (MuJoCo's triangles), -inf where none."""
        index = self.hfield_index.flatten().index_select(0, tile_index)
        rows, cols = self.hfield_heights.shape[1:]
        cell = self.tile_size_m / (cols - 1)
        u = (local[:, 0] + self.tile_size_m / 2) / cell
        v = (local[:, 1] + self.tile_size_m / 2) / cell
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

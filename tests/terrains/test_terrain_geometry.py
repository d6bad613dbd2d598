"""Built terrains: exact heights (checked by MuJoCo ray casts), spawn points, difficulty, seeds."""

from __future__ import annotations

import math

import mujoco
import numpy as np
import pytest
import torch

from legged_envs.terrains.config import TILE_KINDS, TerrainConfig
from legged_envs.terrains.generator import add_terrain

ALL_KINDS = (*TILE_KINDS, "mixed")
MIX_ALL = dict.fromkeys(TILE_KINDS, 1.0)
EDGE_PROBE_M = 1e-4
"""Points whose ground height jumps within this distance lie on a vertical face and are skipped, m."""


def small(kind: str, **overrides: object) -> TerrainConfig:
    mix = {"mix": MIX_ALL} if kind == "mixed" else {}
    defaults = {"num_levels": 3, "num_tiles_per_level": 6 if kind == "mixed" else 2, "slope_deg": (5.0, 25.0)}
    return TerrainConfig(kind=kind, **{**defaults, **mix, **overrides})  # type: ignore[arg-type]


def random_points(cfg: TerrainConfig, layout, n: int, seed: int = 0) -> np.ndarray:
    """(n, 2) points spread over the grid, its border and 1 m beyond."""
    rng = np.random.default_rng(seed)
    x0, y0 = layout.grid_min_xy
    reach = cfg.border_m + 1.0
    x = rng.uniform(x0 - reach, x0 + layout.num_levels * cfg.tile_size_m + reach, n)
    y = rng.uniform(y0 - reach, y0 + layout.num_tiles * cfg.tile_size_m + reach, n)
    return np.stack([x, y], axis=1)


def on_vertical_face(layout, xy: torch.Tensor) -> torch.Tensor:
    """(n,) whether the ground height jumps by more than 1 mm within EDGE_PROBE_M of each point."""
    here = layout.height_at(xy)
    steps = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]], dtype=xy.dtype) * EDGE_PROBE_M
    around = layout.height_at(xy[:, None, :] + steps)
    return ((around - here[:, None]).abs() > 1e-3).any(dim=1)


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_height_at_agrees_with_a_mujoco_ray_cast_straight_down(kind: str, build, rays) -> None:
    cfg = small(kind)
    model, layout = build(cfg)
    xy = random_points(cfg, layout, 1500)
    expected = rays(model, xy)
    points = torch.tensor(xy, dtype=torch.float32)
    skip = on_vertical_face(layout, points).numpy()
    got = layout.height_at(points).numpy()
    assert not np.isnan(expected).any(), "every point has ground under it"
    assert skip.mean() < 0.01
    np.testing.assert_allclose(got[~skip], expected[~skip], atol=1e-3)


def test_a_point_on_a_vertical_face_gets_the_top_of_the_box(build) -> None:
    cfg = small("platform", num_levels=1, num_tiles_per_level=1, tile_size_m=8.0, platform_distance_m=0.5)
    _, layout = build(cfg)
    face_x = layout.tile_origins[0, 0, 0] + 0.5  # spawn at the tile centre, x = 0
    xy = torch.tensor([[face_x, 0.0], [face_x - 1e-3, 0.0], [face_x + 1e-3, 0.0]])
    h = cfg.platform_height_m[0]
    torch.testing.assert_close(layout.height_at(xy), torch.tensor([h, 0.0, h]))


def test_height_at_keeps_the_batch_shape_and_moves_devices(build) -> None:
    _, layout = build(small("mixed"))
    moved = layout.to("cpu")
    xy = torch.zeros(4, 5, 7, 2)
    assert moved.height_at(xy).shape == (4, 5, 7)
    assert moved.height_at(torch.zeros(0, 2)).shape == (0,)
    assert moved.tile_origins.device.type == "cpu" and moved.tile_kinds == layout.tile_kinds


def test_tiles_meet_their_neighbours_at_ground_level(build) -> None:
    cfg = small("mixed", num_levels=4)
    _, layout = build(cfg)
    x0, y0 = layout.grid_min_xy
    s = cfg.tile_size_m
    along = torch.linspace(0, 1, 401)
    lines = []
    for level in range(layout.num_levels + 1):
        xs = torch.full_like(along, x0 + level * s)
        lines.append(torch.stack([xs, y0 + along * layout.num_tiles * s], dim=1))
    for tile in range(layout.num_tiles + 1):
        ys = torch.full_like(along, y0 + tile * s)
        lines.append(torch.stack([x0 + along * layout.num_levels * s, ys], dim=1))
    heights = layout.height_at(torch.cat(lines))
    assert heights.abs().max() < 1e-5


@pytest.mark.parametrize(
    ("kind", "measure"),
    [
        # platform top, 1 m beyond its near face
        ("platform", lambda layout, o: layout.height_at(o[:, :2] + torch.tensor([1.5, 0.0]))),
        # rise over 0.5 m uphill from the spawn point
        ("slope", lambda layout, o: layout.height_at(o[:, :2] + torch.tensor([0.5, 0.0])) - o[:, 2]),
        # first step, half a tread in from the tile edge (spawn at the centre of an 8 m tile)
        ("stairs", lambda layout, o: layout.height_at(o[:, :2] + torch.tensor([-4.0 + 0.45, 0.0]))),
    ],
)
def test_difficulty_increases_with_level(kind: str, measure, build) -> None:
    _, layout = build(small(kind, num_levels=4))
    measured = torch.stack([measure(layout, layout.tile_origins[level]) for level in range(4)])
    assert (measured > 0).all()
    assert (measured[1:].amin(dim=1) > measured[:-1].amax(dim=1)).all(), measured
    assert (layout.tile_param[1:].amin(dim=1) > layout.tile_param[:-1].amax(dim=1)).all()


def test_rough_bumps_grow_with_level(build) -> None:
    cfg = small("rough", num_levels=4)
    _, layout = build(cfg)
    s = cfg.tile_size_m
    axis = torch.linspace(-0.5, 0.5, 81)  # every 0.1 m: on each 0.2 m sample
    grid = torch.stack(torch.meshgrid(axis, axis, indexing="ij"), -1)
    peaks = torch.stack(
        [
            torch.stack([layout.height_at(layout.tile_origins[level, t, :2] + grid * s).max() for t in range(2)])
            for level in range(4)
        ]
    )
    assert (peaks[1:].amin(dim=1) > peaks[:-1].amax(dim=1)).all(), peaks
    assert (peaks <= layout.tile_param + 1e-6).all() and (peaks > 0.9 * layout.tile_param).all()


def test_platform_and_wall_spawn_on_the_ground_facing_the_feature(build) -> None:
    for kind, distance, top in (("platform", 0.5, 0.22), ("wall", 0.3, 2.0)):
        cfg = small(kind, num_levels=1, num_tiles_per_level=1)
        _, layout = build(cfg)
        origin, yaw = layout.tile_origins[0, 0], float(layout.tile_yaw[0, 0])
        ahead = torch.tensor([math.cos(yaw), math.sin(yaw)])
        probes = origin[:2] + torch.stack([0 * ahead, (distance - 0.01) * ahead, (distance + 0.01) * ahead])
        torch.testing.assert_close(layout.height_at(probes), torch.tensor([0.0, 0.0, top]))
        assert origin[2] == 0.0


def test_slope_spawn_is_on_the_surface_facing_uphill(build) -> None:
    cfg = small("slope")
    _, layout = build(cfg)
    origins, yaw = layout.tile_origins.reshape(-1, 3), layout.tile_yaw.reshape(-1)
    torch.testing.assert_close(origins[:, 2], layout.height_at(origins[:, :2]))
    ahead = torch.stack([yaw.cos(), yaw.sin()], dim=1)
    rise = layout.height_at(origins[:, :2] + 0.1 * ahead) - origins[:, 2]
    expected = 0.1 * torch.tan(torch.deg2rad(layout.tile_param.reshape(-1)))
    torch.testing.assert_close(rise, expected, atol=1e-5, rtol=0)


def test_origins_for_picks_the_tiles_of_each_env(build) -> None:
    _, layout = build(small("stairs"))
    levels, tiles = torch.tensor([2, 0, 1]), torch.tensor([1, 0, 1])
    torch.testing.assert_close(layout.origins_for(levels, tiles), layout.tile_origins[levels, tiles])
    assert (layout.num_levels, layout.num_tiles) == (3, 2)
    got_levels, got_tiles = layout.tile_of(layout.origins_for(levels, tiles)[:, :2])
    assert torch.equal(got_levels, levels) and torch.equal(got_tiles, tiles)


def model_arrays(model: mujoco.MjModel) -> list[np.ndarray]:
    return [model.geom_pos, model.geom_size, model.geom_quat, model.hfield_size, model.hfield_data]


def test_the_same_seed_builds_the_same_terrain_and_another_seed_other_bumps(build) -> None:
    cfg = small("mixed")
    (a, layout_a), (b, layout_b), (c, _) = build(cfg, seed=3), build(cfg, seed=3), build(cfg, seed=4)
    for x, y in zip(model_arrays(a), model_arrays(b), strict=True):
        np.testing.assert_array_equal(x, y)
    torch.testing.assert_close(layout_a.hfield_heights, layout_b.hfield_heights, rtol=0, atol=0)
    torch.testing.assert_close(layout_a.tile_origins, layout_b.tile_origins, rtol=0, atol=0)
    assert not np.array_equal(a.hfield_data, c.hfield_data)
    boxes = a.geom_type == mujoco.mjtGeom.mjGEOM_BOX
    np.testing.assert_array_equal(a.geom_size[boxes], c.geom_size[boxes])  # only the random bumps differ


def test_terrain_geoms_collide_only_with_robot_geoms() -> None:
    spec = mujoco.MjSpec()
    add_terrain(spec, small("mixed"), seed=0)
    model = spec.compile()
    assert (model.geom_contype == 0).all() and (model.geom_conaffinity == 1).all()
    assert (model.geom_condim == 3).all()
    kinds = {mujoco.mjtGeom.mjGEOM_PLANE, mujoco.mjtGeom.mjGEOM_BOX, mujoco.mjtGeom.mjGEOM_HFIELD}
    assert set(model.geom_type.tolist()) == {int(kind) for kind in kinds}

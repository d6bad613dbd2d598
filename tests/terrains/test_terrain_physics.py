"""Bodies simulated by MuJoCo rest on the terrains where ``height_at`` says the ground is."""

from __future__ import annotations

import math

import mujoco
import numpy as np
import pytest
import torch

from legged_envs.terrains.config import TILE_KINDS, TerrainConfig
from legged_envs.terrains.generator import add_terrain
from legged_envs.terrains.layout import TerrainLayout

GO2_STAND_M = 0.30
"""Trunk centre height of the test quadruped above its feet' contact points, m."""


def add_go2_sized_body(spec: mujoco.MjSpec, pos: list[float], pitch_up: float) -> None:
    """A rigid 15 kg stand-in for a Go2 (box trunk, capsule legs, sphere feet), nose up by ``pitch_up`` rad."""
    quat = [math.cos(pitch_up / 2), 0.0, -math.sin(pitch_up / 2), 0.0]
    body = spec.worldbody.add_body(name="robot", pos=pos, quat=quat)
    body.add_freejoint()
    robot = {"contype": 1, "conaffinity": 0}
    body.add_geom(type=mujoco.mjtGeom.mjGEOM_BOX, size=[0.19, 0.047, 0.057], mass=9.0, **robot)
    for x in (0.19, -0.19):
        for y in (0.12, -0.12):
            foot = [x, y, -GO2_STAND_M + 0.022]
            body.add_geom(type=mujoco.mjtGeom.mjGEOM_CAPSULE, fromto=[x, y, 0, *foot], size=[0.02], mass=1.3, **robot)
            body.add_geom(type=mujoco.mjtGeom.mjGEOM_SPHERE, pos=foot, size=[0.022], mass=0.2, **robot)


def add_ball(spec: mujoco.MjSpec, pos: list[float], radius: float) -> None:
    """A 1 kg ball whose rolling friction holds it on a slope (contact condim 6)."""
    body = spec.worldbody.add_body(name="ball", pos=pos)
    body.add_freejoint()
    body.add_geom(
        type=mujoco.mjtGeom.mjGEOM_SPHERE,
        size=[radius],
        mass=1.0,
        contype=1,
        conaffinity=0,
        condim=6,
        friction=[1.0, 0.2, 0.2],
    )


def settle(spec: mujoco.MjSpec, seconds: float) -> tuple[mujoco.MjModel, mujoco.MjData]:
    model = spec.compile()
    data = mujoco.MjData(model)
    mujoco.mj_step(model, data, nstep=round(seconds / model.opt.timestep))
    return model, data


def terrain(cfg: TerrainConfig) -> tuple[mujoco.MjSpec, TerrainLayout]:
    spec = mujoco.MjSpec()
    spec.option.timestep = 0.005
    return spec, add_terrain(spec, cfg, seed=0)


@pytest.mark.parametrize("kind", (*TILE_KINDS, "mixed"))
def test_each_kind_compiles_and_holds_a_go2_sized_body_at_its_hardest_spawn_point(kind: str) -> None:
    mix = dict.fromkeys(TILE_KINDS, 1.0)
    cfg = TerrainConfig(kind=kind, num_levels=2, num_tiles_per_level=6, mix=mix, slope_deg=(5.0, 25.0))
    spec, layout = terrain(cfg)
    origin = layout.tile_origins[-1, -1].tolist()  # hardest tile
    incline = math.radians(layout.tile_param[-1, -1]) if layout.tile_kinds[-1] == "slope" else 0.0
    stand = GO2_STAND_M / math.cos(incline)  # vertical trunk height over the spawn point, standing on the face
    add_go2_sized_body(spec, [origin[0], origin[1], origin[2] + stand + 0.05], incline)
    model, data = settle(spec, 1.5)
    rest = data.qpos[2] - origin[2]
    slack = 0.12 if layout.tile_kinds[-1] == "rough" else 0.02
    assert abs(rest - stand) < slack, f"trunk {rest:.3f} m above the spawn point"
    assert np.linalg.norm(data.qvel[:3]) < 0.02, "at rest"
    robot = model.body("robot").id
    touching = {int(model.geom_bodyid[g]) for c in data.contact[: data.ncon] for g in c.geom}
    assert data.ncon > 0 and touching == {0, robot}


def test_a_ball_dropped_on_a_platform_rests_on_its_top() -> None:
    cfg = TerrainConfig(kind="platform", num_levels=3)
    spec, layout = terrain(cfg)
    radius = 0.1
    top_xy = layout.tile_origins[-1, 0, :2] + torch.tensor([cfg.platform_distance_m + cfg.platform_depth_m / 2, 0.0])
    height = float(layout.height_at(top_xy))
    assert height == pytest.approx(cfg.platform_height_m[1])
    add_ball(spec, [*top_xy.tolist(), height + radius + 0.2], radius)
    _, data = settle(spec, 1.5)
    assert abs(data.qpos[2] - (height + radius)) < 3e-3
    np.testing.assert_allclose(data.qpos[:2], top_xy.numpy(), atol=1e-3)


@pytest.mark.parametrize("level", [0, 2])
def test_a_ball_dropped_on_a_slope_rests_on_its_face(level: int) -> None:
    cfg = TerrainConfig(kind="slope", num_levels=3, slope_deg=(5.0, 25.0))
    spec, layout = terrain(cfg)
    radius = 0.1
    origin = layout.tile_origins[level, 0]
    add_ball(spec, [*origin[:2].tolist(), float(origin[2]) + radius + 0.1], radius)
    _, data = settle(spec, 1.5)
    angle = math.radians(float(layout.tile_param[level, 0]))
    ground = float(layout.height_at(torch.tensor(data.qpos[:2], dtype=torch.float32)))
    # a ball touching an incline has its centre radius / cos(angle) above the ground beneath it
    assert abs(data.qpos[2] - ground - radius / math.cos(angle)) < 3e-3
    assert np.linalg.norm(data.qvel[:3]) < 0.05, "held by friction (soft contacts creep a little)"

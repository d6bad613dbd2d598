"""MuJoCo Warp loads the terrains and collides with boxes, tilted boxes, height fields and the plane."""

from __future__ import annotations

import mujoco
import mujoco_warp as mjw
import numpy as np
import torch
import warp as wp

from legged_envs.terrains.config import TerrainConfig
from legged_envs.terrains.generator import add_terrain

RADIUS_M = 0.05


# The one MuJoCo Warp test of the terrains (Warp's CPU device). Its first run compiles the
# kernels for this model (about 1.5 min here; cached in ~/.cache/warp); later runs take seconds.
def test_mujoco_warp_loads_the_terrain_and_makes_the_same_contacts_as_mujoco() -> None:
    cfg = TerrainConfig(
        kind="mixed", num_levels=1, num_tiles_per_level=3, mix={"slope": 1, "rough": 1, "stairs": 1}, border_m=2.0
    )
    spec = mujoco.MjSpec()
    layout = add_terrain(spec, cfg, seed=0)
    # one ball on each tile's spawn point (tilted box, height field, box) and one on the plane past the border
    x0, _ = layout.grid_min_xy
    spots = [*layout.tile_origins[0].tolist(), [x0 - cfg.border_m - 1.0, 0.0, layout.floor_z_m]]
    for i, (x, y, z) in enumerate(spots):
        body = spec.worldbody.add_body(name=f"ball{i}", pos=[x, y, z + RADIUS_M + 0.02])
        body.add_freejoint()
        body.add_geom(type=mujoco.mjtGeom.mjGEOM_SPHERE, size=[RADIUS_M], mass=1.0, contype=1, conaffinity=0)
    model = spec.compile()
    data = mujoco.MjData(model)
    mujoco.mj_step(model, data, nstep=40)  # settle on the ground

    with wp.ScopedDevice("cpu"):
        wp_model = mjw.put_model(model)
        wp_data = mjw.put_data(model, data, nconmax=32, njmax=128)
        mjw.step(wp_model, wp_data)
        count = int(wp_data.nacon.numpy()[0])
        warp_pairs = {tuple(sorted(pair)) for pair in wp_data.contact.geom.numpy()[:count].tolist()}
        warp_qpos = wp_data.qpos.numpy()[0]
    mujoco.mj_step(model, data)
    mujoco_pairs = {tuple(sorted(c.geom.tolist())) for c in data.contact[: data.ncon]}

    terrain_types = {int(model.geom_type[min(pair)]) for pair in warp_pairs}
    assert terrain_types == {int(mujoco.mjtGeom.mjGEOM_BOX), int(mujoco.mjtGeom.mjGEOM_HFIELD), 0}  # 0: plane
    assert warp_pairs == mujoco_pairs and len(warp_pairs) == len(spots)
    np.testing.assert_allclose(warp_qpos, data.qpos, atol=1e-4)
    heights = layout.height_at(torch.tensor(warp_qpos.reshape(-1, 7)[:, :2], dtype=torch.float32)).numpy()
    assert (warp_qpos.reshape(-1, 7)[:, 2] > heights + 0.9 * RADIUS_M).all(), "balls rest on the surface"

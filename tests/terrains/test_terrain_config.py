"""The terrain schema validates like every config section and rejects contradictory settings."""

from __future__ import annotations

import pytest

from legged_envs.config.schema import ConfigError, FieldError, validate
from legged_envs.terrains.config import TerrainConfig
from legged_envs.terrains.generator import column_kinds, tile_difficulty


def test_yaml_values_validate_into_a_terrain_config() -> None:
    raw = {"kind": "mixed", "num_levels": 10, "mix": {"rough": 1, "stairs": 3}, "slope_deg": [1, 25]}
    cfg = validate(raw, TerrainConfig, "go2.yaml")
    assert cfg.mix == {"rough": 1.0, "stairs": 3.0}
    assert cfg.slope_deg == (1.0, 25.0)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"kind": "hills"}, "go2.yaml: kind"),
        ({"num_levels": 0}, "go2.yaml: num_levels"),
        ({"slope_deg": [1, 50]}, "go2.yaml: slope_deg[1]"),
        ({"mix": {"rough": -1}}, "go2.yaml: mix.rough"),
    ],
)
def test_bad_values_name_their_key(raw: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        validate(raw, TerrainConfig, "go2.yaml")


@pytest.mark.parametrize(
    ("cfg", "message"),
    [
        (TerrainConfig(kind="mixed", mix={"lava": 1.0}), "mix: unknown tile kind 'lava'"),
        (TerrainConfig(kind="flat", mix={"flat": 0.0}), "mix: expected at least one share > 0"),
        (TerrainConfig(kind="platform", platform_depth_m=5.0), "platform_depth_m: platform_distance_m"),
        (TerrainConfig(kind="wall", tile_size_m=2.0), "wall_distance_m"),
        (TerrainConfig(kind="stairs", stairs_top_size_m=7.9), "stairs_top_size_m"),
        (TerrainConfig(kind="rough", rough_cell_m=3.0), "rough_cell_m"),
        (TerrainConfig(kind="slope", border_m=0.1), "border_m"),
    ],
)
def test_contradictory_settings_raise_one_line_errors(cfg: TerrainConfig, message: str) -> None:
    with pytest.raises(FieldError, match=message) as info:
        cfg.check()
    assert "\n" not in str(info.value)


def test_settings_of_unused_kinds_are_not_checked() -> None:
    TerrainConfig(kind="flat", tile_size_m=1.0, platform_depth_m=5.0).check()


def test_mixed_columns_follow_the_shares_in_mix_order() -> None:
    cfg = TerrainConfig(kind="mixed", num_tiles_per_level=20)
    kinds = column_kinds(cfg)
    assert kinds == ("flat",) * 4 + ("rough",) * 6 + ("slope",) * 5 + ("stairs",) * 5
    odd = TerrainConfig(kind="mixed", num_tiles_per_level=3, mix={"flat": 1, "rough": 1, "slope": 1, "wall": 0})
    assert column_kinds(odd) == ("flat", "rough", "slope")


def test_difficulty_rises_through_a_kinds_columns_then_levels() -> None:
    kinds = ("rough", "stairs", "rough")
    rough = [tile_difficulty(level, t, kinds, 3) for level in range(3) for t in (0, 2)]
    assert rough == pytest.approx([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert [tile_difficulty(level, 1, kinds, 3) for level in range(3)] == [0.0, 0.5, 1.0]
    assert tile_difficulty(0, 0, ("flat",), 1) == 0.0

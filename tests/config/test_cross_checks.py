"""Settings valid alone but contradicting each other are refused with one line."""

from __future__ import annotations

import pytest

from legged_envs.config import ConfigError, load_config


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["sim.device=cuda"], "override sim.device=cuda: sim.device: sim.backend=mujoco runs on the CPU, got 'cuda'"),
        (
            ["terrain.kind=platform", "terrain.platform_depth_m=9"],
            "override terrain.platform_depth_m=9: terrain.platform_depth_m: platform_distance_m + platform_depth_m"
            " = 9.5 m must be <= tile_size_m / 2 - 0.5 = 3.5 m",
        ),
    ],
)
def test_contradicting_settings_are_refused(overrides: list[str], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_config("configs/bench.yaml", overrides)
    assert str(error.value).endswith(message)
    assert "\n" not in str(error.value)

"""Command-line overrides: key paths and YAML typing of values."""

import pytest

from legged_envs.config import ConfigError
from legged_envs.config.overrides import parse_override

TYPED = [
    ("env.num_envs=512", ("env", "num_envs"), 512),
    ("sim.physics_dt=0.002", ("sim", "physics_dt"), 0.002),
    ("sim.physics_dt=5e-3", ("sim", "physics_dt"), 0.005),
    ("a=-1E+3", ("a",), -1000.0),
    ("a=true", ("a",), True),
    ("a=False", ("a",), False),
    ("a=[1,2]", ("a",), [1, 2]),
    ("a=[1024, 4096, 8192]", ("a",), [1024, 4096, 8192]),
    ("a=[go2, 0.5]", ("a",), ["go2", 0.5]),
    ("sim.backend=mujoco_warp", ("sim", "backend"), "mujoco_warp"),
    ("sim.device=cuda:0", ("sim", "device"), "cuda:0"),
    ("a='512'", ("a",), "512"),
    ("a=x=y", ("a",), "x=y"),
    ("a=null", ("a",), None),
    ("a=", ("a",), None),
    ("a={kp: 3, kd: 0.5}", ("a",), {"kp": 3, "kd": 0.5}),
    ("a.b_2.c=1", ("a", "b_2", "c"), 1),
]


@pytest.mark.parametrize(("text", "path", "value"), TYPED, ids=[text for text, _, _ in TYPED])
def test_override_value_gets_yaml_scalar_type(text: str, path: tuple[str, ...], value: object) -> None:
    parsed_path, parsed = parse_override(text)
    assert parsed_path == path
    assert parsed == value
    assert type(parsed) is type(value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("seed", "override seed: expected key=value, e.g. env.num_envs=512"),
        ("env.=1", "override env.=1: bad key path 'env.', expected dotted names, e.g. env.num_envs"),
        ("1env=1", "override 1env=1: bad key path '1env', expected dotted names, e.g. env.num_envs"),
        (
            "a={b: 1",
            "override a={b: 1: cannot read value '{b: 1' as YAML (expected ',' or '}', but got '<stream end>')",
        ),
    ],
)
def test_malformed_override_is_refused(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_override(text)
    assert str(info.value) == message

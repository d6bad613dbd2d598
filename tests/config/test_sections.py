"""The root schema: configs/base.yaml spells out its defaults, every field is documented."""

import dataclasses
import typing
from pathlib import Path

import yaml

from legged_envs.config import load_config, to_dict
from legged_envs.config.schema import field_docs
from legged_envs.config.sections import RootConfig, SimConfig

BASE = Path(__file__).parents[2] / "configs" / "base.yaml"


def _sections(cls: type) -> list[type]:
    """``cls`` and every dataclass section below it."""
    nested = [tp for tp in typing.get_type_hints(cls).values() if dataclasses.is_dataclass(tp)]
    return [cls, *(section for tp in nested for section in _sections(tp))]


def test_base_yaml_holds_every_default_explicitly() -> None:
    assert yaml.safe_load(BASE.read_text()) == to_dict(RootConfig())


def test_base_yaml_loads_to_the_defaults() -> None:
    assert load_config(BASE) == RootConfig()


def test_every_field_has_a_docstring() -> None:
    for section in _sections(RootConfig):
        docs = field_docs(section)
        undocumented = [f.name for f in dataclasses.fields(section) if not docs.get(f.name, "").strip()]
        assert undocumented == [], f"{section.__qualname__}: fields without a docstring: {undocumented}"


def test_overrides_on_base_yaml_pick_the_gpu_backend() -> None:
    overrides = ["env.num_envs=512", "sim.backend=mujoco_warp", "sim.device=cuda:1", "sim.warp_njmax=4096"]
    cfg = load_config(BASE, overrides)
    assert cfg.sim == SimConfig(backend="mujoco_warp", device="cuda:1", warp_njmax=4096)
    assert cfg.env.num_envs == 512
    assert cfg.bench == RootConfig().bench

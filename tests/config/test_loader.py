"""Inheritance chains, deep merge, overrides on top, schema selection and saving."""

from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from legged_envs.config import ConfigError, load_config, register_schema, save_config, to_dict
from legged_envs.config.loader import load_file
from legged_envs.config.schema import Origin, registered_schemas

HERE = Path(__file__).parent


@dataclass
class Motor:
    kp: float = field(default=20.0, metadata={"ge": 0})
    """Stiffness, N m / rad."""


@dataclass
class Run:
    name: str = "run"
    """Run name."""
    num_envs: int = field(default=1, metadata={"gt": 0})
    """Parallel environments."""
    gains: dict[str, float] = field(default_factory=dict, metadata={"ge": 0})
    """Reward term -> weight (dimensionless)."""
    sizes: list[int] = field(default_factory=list)
    """Batch sizes."""
    motor: Motor = field(default_factory=Motor)
    """Motor model."""


@dataclass
class ChainConfig:
    seed: int = 0
    """RNG seed."""
    run: Run = field(default_factory=Run)
    """Run settings."""
    tags: list[str] = field(default_factory=list)
    """Free labels."""


@dataclass
class Posture:
    height_m: float = field(default=0.3, metadata={"gt": 0})
    """Target base height, m."""


@dataclass
class PostureConfig(ChainConfig):
    task: Posture = field(default_factory=Posture)
    """Task section added by the subclass."""


@dataclass
class OtherConfig:
    seed: int = 0
    """RNG seed."""


register_schema("test_loader_posture", PostureConfig)
register_schema("test_loader_other", OtherConfig)


@pytest.fixture(autouse=True)
def _in_tests_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(HERE)


def test_three_file_chain_merges_mappings_and_replaces_lists() -> None:
    cfg = load_config("good/chain/sub/child.yaml", schema=ChainConfig)
    expected_run = Run(name="child", num_envs=32, gains={"hip": 1.0, "knee": 3.0}, sizes=[4], motor=Motor(kp=50.0))
    assert cfg == ChainConfig(seed=1, run=expected_run, tags=["c"])
    assert isinstance(cfg.run.motor.kp, float)


def test_origins_name_the_file_that_last_set_each_key() -> None:
    _, origins = load_file("good/chain/sub/child.yaml")
    assert origins[("seed",)] == Origin("good/chain/grandparent.yaml")
    assert origins[("run", "num_envs")] == Origin("good/chain/parent.yaml")
    assert origins[("run", "sizes")] == Origin("good/chain/parent.yaml")
    assert origins[("run", "motor", "kp")] == Origin("good/chain/sub/child.yaml")
    assert origins[("run",)] == Origin("good/chain/grandparent.yaml")  # covers keys below it set by no other file


def test_overrides_apply_on_top_of_the_chain_in_order() -> None:
    overrides = ["run.num_envs=512", "run.gains.ankle=0.5", "tags=[x, y]", "seed=7", "seed=8", "run.motor={kp: 3}"]
    cfg = load_config("good/chain/sub/child.yaml", overrides, schema=ChainConfig)
    assert cfg.seed == 8
    assert cfg.run.num_envs == 512
    assert cfg.run.gains == {"hip": 1.0, "knee": 3.0, "ankle": 0.5}
    assert cfg.run.motor.kp == 3.0
    assert cfg.tags == ["x", "y"]


def test_error_in_dict_value_from_override_names_the_override() -> None:
    with pytest.raises(ConfigError) as info:
        load_config("good/chain/sub/child.yaml", ["run.gains.hip=-1"], schema=ChainConfig)
    assert str(info.value) == "override run.gains.hip=-1: expected float >= 0, got -1"


def test_override_replaces_a_bad_value_from_a_base_file() -> None:
    cfg = load_config("bad/child_of_bad_base.yaml", ["env.num_envs=8"])
    assert (cfg.seed, cfg.env.num_envs) == (1, 8)


def test_schema_key_selects_a_registered_subclass(tmp_path: Path) -> None:
    path = tmp_path / "posture.yaml"
    path.write_text(f"base: {HERE / 'good/chain/parent.yaml'}\nschema: test_loader_posture\ntask:\n  height_m: 0.25\n")
    cfg = load_config(path, schema=ChainConfig)
    assert type(cfg) is PostureConfig
    assert (cfg.task.height_m, cfg.run.num_envs) == (0.25, 32)


def test_schema_not_extending_the_requested_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.yaml"
    path.write_text("schema: test_loader_other\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, schema=ChainConfig)
    assert str(info.value) == f"{path}: schema: 'test_loader_other' (OtherConfig) does not extend ChainConfig"


def test_unknown_schema_name_lists_the_registered_ones() -> None:
    with pytest.raises(ConfigError) as info:
        load_config("good/minimal.yaml", ["schema=go3_posture"])
    known = ", ".join(map(repr, registered_schemas()))
    assert "'test_loader_posture', 'test_loader_other'" in known
    assert str(info.value) == f"override schema=go3_posture: unknown schema 'go3_posture' (registered: {known})"


def test_register_schema_refuses_a_taken_name() -> None:
    with pytest.raises(ValueError, match="already taken by PostureConfig"):
        register_schema("test_loader_posture", OtherConfig)


def test_saved_config_reloads_to_the_same_object(tmp_path: Path) -> None:
    cfg = load_config("good/chain/sub/child.yaml", ["run.gains.ankle=1e-3"], schema=PostureConfig)
    save_config(cfg, tmp_path / "run" / "config.yaml")
    assert load_config(tmp_path / "run" / "config.yaml", schema=ChainConfig) == cfg
    saved = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert saved == to_dict(cfg)
    assert saved["schema"] == "test_loader_posture"
    assert saved["run"]["gains"]["ankle"] == 0.001
    assert [path.name for path in (tmp_path / "run").iterdir()] == ["config.yaml"]

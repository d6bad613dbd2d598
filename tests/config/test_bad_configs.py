"""Every bad config in tests/config/bad/ (and every bad override) gives its exact one-line error."""

from pathlib import Path

import pytest

from legged_envs.config import ConfigError, load_config

HERE = Path(__file__).parent
BACKEND_KEYS = "backend, device, physics_dt, decimation, num_threads, warp_njmax, warp_nconmax"

# File under tests/config/bad/ -> the exact message (paths are relative to tests/config/).
BAD_FILES = {
    "unknown_top_key.yaml": "bad/unknown_top_key.yaml: envs: unknown key (did you mean 'env'?)",
    "unknown_nested_key.yaml": "bad/unknown_nested_key.yaml: env.num_env: unknown key (did you mean 'num_envs'?)",
    "unknown_key_no_match.yaml": (
        f"bad/unknown_key_no_match.yaml: sim.gravity: unknown key (valid keys: {BACKEND_KEYS})"
    ),
    "str_for_int.yaml": "bad/str_for_int.yaml: env.num_envs: expected int, got 'many'",
    "list_for_float.yaml": "bad/list_for_float.yaml: sim.physics_dt: expected float, got [0.005]",
    "bool_for_int.yaml": "bad/bool_for_int.yaml: seed: expected int, got True",
    "float_for_int.yaml": "bad/float_for_int.yaml: sim.decimation: expected int, got 4.5",
    "bool_for_float.yaml": "bad/bool_for_float.yaml: env.episode_length_s: expected float, got True",
    "int_for_str.yaml": "bad/int_for_str.yaml: sim.device: expected str, got 0",
    "scalar_for_list.yaml": "bad/scalar_for_list.yaml: bench.warp_world_counts: expected list of int, got 1024",
    "bad_list_item.yaml": "bad/bad_list_item.yaml: bench.warp_world_counts[1]: expected int, got 'four'",
    "below_ge.yaml": "bad/below_ge.yaml: seed: expected int in [0, 4294967295], got -1",
    "not_gt.yaml": "bad/not_gt.yaml: env.num_envs: expected int in (0, 1048576], got -4",
    "above_le.yaml": "bad/above_le.yaml: sim.physics_dt: expected float in (0, 0.05], got 0.1",
    "zero_dt.yaml": "bad/zero_dt.yaml: sim.physics_dt: expected float in (0, 0.05], got 0",
    "list_item_out_of_range.yaml": (
        "bad/list_item_out_of_range.yaml: bench.warp_world_counts[1]: expected int in (0, 1048576], got 0"
    ),
    "optional_out_of_range.yaml": "bad/optional_out_of_range.yaml: sim.warp_njmax: expected int in (0, 100000], got 0",
    "bad_choice.yaml": "bad/bad_choice.yaml: sim.backend: expected one of 'mujoco', 'mujoco_warp', got 'mujoko'",
    "bad_robot.yaml": "bad/bad_robot.yaml: robot: expected one of 'go2', 'g1_23dof', got 'g1'",
    "bad_device.yaml": "bad/bad_device.yaml: sim.device: expected 'cpu', 'cuda' or 'cuda:N', got 'gpu'",
    "bad_device_index.yaml": "bad/bad_device_index.yaml: sim.device: expected 'cpu', 'cuda' or 'cuda:N', got 'cuda:'",
    "section_not_mapping.yaml": "bad/section_not_mapping.yaml: env: expected a mapping, got 64",
    "empty_section.yaml": "bad/empty_section.yaml: env: expected a mapping, got None",
    "missing_base.yaml": "bad/missing_base.yaml: base: bad/no_such_file.yaml: file not found",
    "base_not_a_path.yaml": "bad/base_not_a_path.yaml: base: expected a file path, got ['../good/minimal.yaml']",
    "cycle_a.yaml": (
        "bad/bases/cycle_b.yaml: base: inheritance cycle bad/cycle_a.yaml -> bad/bases/cycle_b.yaml -> bad/cycle_a.yaml"
    ),
    "self_base.yaml": "bad/self_base.yaml: base: inheritance cycle bad/self_base.yaml -> bad/self_base.yaml",
    "malformed_yaml.yaml": (
        "bad/malformed_yaml.yaml: line 3, column 15: invalid YAML: mapping values are not allowed here"
    ),
    "unclosed_list.yaml": (
        "bad/unclosed_list.yaml: line 3, column 1: invalid YAML: expected ',' or ']', but got '<stream end>'"
        " (while parsing a flow sequence started at line 2, column 22)"
    ),
    "duplicate_key.yaml": "bad/duplicate_key.yaml: line 4, column 3: invalid YAML: duplicate key 'num_envs'",
    "top_level_list.yaml": "bad/top_level_list.yaml: expected a mapping of sections at the top level, got a list",
    "top_level_scalar.yaml": "bad/top_level_scalar.yaml: expected a mapping of sections at the top level, got a str",
    "child_of_bad_base.yaml": "bad/bases/bad_value.yaml: env.num_envs: expected int in (0, 1048576], got -4",
    "child_of_base_with_unknown_key.yaml": (
        "bad/bases/unknown_key.yaml: sim.backnd: unknown key (did you mean 'backend'?)"
    ),
    "grandchild_of_missing_base.yaml": "bad/bases/missing_base.yaml: base: bad/bases/nowhere.yaml: file not found",
    "child_overrides_section_with_scalar.yaml": (
        "bad/child_overrides_section_with_scalar.yaml: env: expected a mapping, got 128"
    ),
}

# Override applied on top of good/minimal.yaml -> the exact message.
BAD_OVERRIDES = {
    "env.num_envs": "override env.num_envs: expected key=value, e.g. env.num_envs=512",
    "env.num_envs=abc": "override env.num_envs=abc: expected int, got 'abc'",
    "env.num_envs=0": "override env.num_envs=0: expected int in (0, 1048576], got 0",
    "seed=true": "override seed=true: expected int, got True",
    "env.num_env=512": "override env.num_env=512: unknown key (did you mean 'num_envs'?)",
    "envs.num_envs=512": "override envs.num_envs=512: envs: unknown key (did you mean 'env'?)",
    "sim.backend=mujoko": "override sim.backend=mujoko: expected one of 'mujoco', 'mujoco_warp', got 'mujoko'",
    "sim.device=gpu": "override sim.device=gpu: expected 'cpu', 'cuda' or 'cuda:N', got 'gpu'",
    "sim.device.index=0": "override sim.device.index=0: sim.device: expected str, got {'index': 0}",
    "bench.warp_world_counts=[1024,-1]": (
        "override bench.warp_world_counts=[1024,-1]: bench.warp_world_counts[1]: expected int in (0, 1048576], got -1"
    ),
    "bench.warp_world_counts=[1024, 4096": (
        "override bench.warp_world_counts=[1024, 4096: cannot read value '[1024, 4096' as YAML"
        " (expected ',' or ']', but got '<stream end>')"
    ),
    "env..num_envs=4": (
        "override env..num_envs=4: bad key path 'env..num_envs', expected dotted names, e.g. env.num_envs"
    ),
    "=4": "override =4: bad key path '', expected dotted names, e.g. env.num_envs",
    "base=other.yaml": "override base=other.yaml: 'base' can only be set in a file",
}


@pytest.fixture(autouse=True)
def _in_tests_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(HERE)


def test_corpus_table_lists_every_bad_file() -> None:
    assert sorted(path.name for path in (HERE / "bad").glob("*.yaml")) == sorted(BAD_FILES)


@pytest.mark.parametrize(("name", "message"), BAD_FILES.items(), ids=list(BAD_FILES))
def test_bad_file_gives_exact_one_line_error(name: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(f"bad/{name}")
    assert str(info.value) == message


@pytest.mark.parametrize(("override", "message"), BAD_OVERRIDES.items(), ids=list(BAD_OVERRIDES))
def test_bad_override_gives_exact_one_line_error(override: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config("good/minimal.yaml", [override])
    assert str(info.value) == message


def test_missing_config_file_is_named() -> None:
    with pytest.raises(ConfigError) as info:
        load_config("good/no_such_config.yaml")
    assert str(info.value) == "good/no_such_config.yaml: file not found"


def test_error_outside_working_directory_names_absolute_path(tmp_path: Path) -> None:
    path = tmp_path / "outside.yaml"
    path.write_text("env:\n  num_envs: -4\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}: env.num_envs: expected int in (0, 1048576], got -4"

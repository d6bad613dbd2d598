"""OnnxPolicy: loads an exported policy for the right robot, refuses anything else with one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from deploy.robot.onnx_policy import OnnxPolicy
from deploy.robot.policy_metadata import PolicyLoadError, PolicyMetadata, PolicyMismatchError, check_against_spec
from legged_envs.robots.go2 import GO2

from .deploy_test_support import GO2_LAYOUT, J, go2_metadata, permuted_go2, write_variant


def _refusal(path: Path, spec=GO2) -> str:
    with pytest.raises(PolicyLoadError) as info:
        OnnxPolicy(path, spec)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_loads_metadata_and_runs_stand_still(go2_onnx: Path) -> None:
    policy = OnnxPolicy(go2_onnx, GO2)
    assert policy.metadata == go2_metadata()
    assert policy.obs_dim == GO2_LAYOUT.obs_dim == 135
    actions = policy(np.random.default_rng(0).normal(size=policy.obs_dim))
    assert actions.shape == (J,)
    np.testing.assert_array_equal(actions, 0.0)


def test_wrong_joint_order_is_refused(go2_onnx: Path, tmp_path: Path) -> None:
    names = list(GO2.joint_names)
    names[2], names[5] = names[5], names[2]
    path = write_variant(go2_onnx, tmp_path / "swapped.onnx", props={"joint_names": json.dumps(names)})
    assert _refusal(path) == (f"{path}: joint_names[2]: policy has 'FL_calf_joint', robot go2 has 'FR_calf_joint'")


def test_wrong_robot_is_refused(go2_onnx: Path, tmp_path: Path) -> None:
    path = write_variant(go2_onnx, tmp_path / "g1.onnx", props={"robot": json.dumps("g1_23dof")})
    assert _refusal(path) == f"{path}: robot: policy has 'g1_23dof', robot go2 has 'go2'"


def test_wrong_gain_is_refused_naming_the_joint(go2_onnx: Path, tmp_path: Path) -> None:
    kp = [20.0] * J
    kp[4] = 40.0
    path = write_variant(go2_onnx, tmp_path / "kp.onnx", props={"kp": json.dumps(kp)})
    assert _refusal(path) == f"{path}: kp[4] (FL_thigh_joint): policy has 40.0, robot go2 has 20.0"


def test_truncated_file_is_refused(go2_onnx: Path, tmp_path: Path) -> None:
    path = tmp_path / "truncated.onnx"
    data = go2_onnx.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert _refusal(path) == f"{path}: not an ONNX model (protobuf parsing failed: truncated, or another kind of file)"


def test_non_onnx_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.onnx"
    path.write_text("this is not a model\n")
    assert _refusal(path) == f"{path}: not an ONNX model (protobuf parsing failed: truncated, or another kind of file)"


def test_missing_file_is_refused(tmp_path: Path) -> None:
    assert _refusal(tmp_path / "nope.onnx") == f"{tmp_path / 'nope.onnx'}: not a file"
    assert _refusal(tmp_path) == f"{tmp_path}: not a file"


def test_model_without_metadata_is_refused(go2_onnx: Path, tmp_path: Path) -> None:
    import onnx

    model = onnx.load(go2_onnx)
    del model.metadata_props[:]
    path = tmp_path / "bare.onnx"
    onnx.save(model, path)
    assert _refusal(path) == f"{path}: no policy metadata (export it with `legged export`)"


def test_bad_metadata_values_are_named(go2_onnx: Path, tmp_path: Path) -> None:
    path = write_variant(go2_onnx, tmp_path / "a.onnx", props={"control_dt": '"fast"'})
    assert _refusal(path) == f"{path}: metadata control_dt: expected float, got 'fast'"
    path = write_variant(go2_onnx, tmp_path / "b.onnx", props={"kd": "[0.5, "})
    assert _refusal(path) == f"{path}: metadata kd: not JSON: '[0.5, '"


def test_layout_disagreeing_with_the_network_input_is_refused(go2_onnx: Path, tmp_path: Path) -> None:
    layout = go2_metadata().obs_layout.to_dict()
    layout["history_length"] = 4
    path = write_variant(go2_onnx, tmp_path / "h4.onnx", props={"obs_layout": json.dumps(layout)})
    assert _refusal(path) == f"{path}: obs has shape ['batch', 135], metadata expects (batch, 180)"


def test_motor_index_change_in_the_spec_does_not_matter_but_joint_order_does() -> None:
    check_against_spec(go2_metadata(), permuted_go2())
    meta = go2_metadata()
    reordered = PolicyMetadata(**{**meta.__dict__, "joint_names": meta.joint_names[3:] + meta.joint_names[:3]})
    with pytest.raises(PolicyMismatchError, match=r"^policy\.onnx: joint_names\[0\]: policy has 'FL_hip_joint'"):
        check_against_spec(reordered, GO2)


def test_policy_outputting_nan_for_a_zero_observation_is_refused_at_load(go2_onnx: Path, tmp_path: Path) -> None:
    path = write_variant(go2_onnx, tmp_path / "nan.onnx", bias=np.full(J, np.nan))
    assert _refusal(path) == f"{path}: outputs NaN or infinite actions for a zero observation"

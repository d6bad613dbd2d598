"""ObservationBuilder and ObsLayout: term values, DDS motor-order mapping, history order and reset fill."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from deploy.robot.observation import ObservationBuilder, projected_gravity, tilt_rad
from legged_envs.math_utils import quat_rotate_inverse
from legged_envs.obs_layout import ObsLayout, ObsLayoutError, ObsTerm
from legged_envs.robots.go2 import GO2

from .deploy_test_support import GO2_LAYOUT, HOST_LAYOUT, J, permuted_go2

RNG = np.random.default_rng(7)


def _random_quat() -> np.ndarray:
    quat = RNG.normal(size=4)
    return quat / np.linalg.norm(quat)


def _inputs(spec=GO2, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "quat_wxyz": _random_quat(),
        "gyro_rad_s": rng.normal(size=3),
        "motor_q": rng.normal(size=spec.num_motor_slots),
        "motor_dq": rng.normal(size=spec.num_motor_slots),
        "last_action": rng.normal(size=spec.num_joints),
        "command": rng.normal(size=3),
    }


def test_projected_gravity_matches_the_sim_term() -> None:
    quats = np.stack([_random_quat() for _ in range(50)])
    sim = quat_rotate_inverse(
        torch.tensor(quats), torch.tensor([[0.0, 0.0, -1.0]], dtype=torch.float64).expand(50, 3)
    ).numpy()
    ours = np.stack([projected_gravity(q) for q in quats])
    np.testing.assert_allclose(ours, sim, atol=1e-12)
    np.testing.assert_allclose(projected_gravity(np.array([1.0, 0, 0, 0])), [0.0, 0.0, -1.0])
    roll = 0.7
    quat = np.array([math.cos(roll / 2), math.sin(roll / 2), 0.0, 0.0])
    assert tilt_rad(quat) == pytest.approx(roll)
    assert tilt_rad(2.0 * quat) == pytest.approx(roll), "unnormalised quaternions are normalised"


def test_frame_terms_are_scaled_and_read_in_spec_order_from_dds_slots() -> None:
    spec = permuted_go2()
    builder = ObservationBuilder(GO2_LAYOUT, spec)
    inputs = _inputs(spec)
    frame = builder.frame(**inputs)
    slices = GO2_LAYOUT.frame_slices()
    motor = list(spec.motor_indices)
    np.testing.assert_allclose(frame[slices["base_ang_vel"]], 0.25 * inputs["gyro_rad_s"])
    np.testing.assert_allclose(frame[slices["projected_gravity"]], projected_gravity(inputs["quat_wxyz"]))
    np.testing.assert_allclose(frame[slices["command"]], inputs["command"])
    np.testing.assert_allclose(frame[slices["joint_pos_rel"]], inputs["motor_q"][motor] - spec.default_joint_pos)
    np.testing.assert_allclose(frame[slices["joint_vel"]], 0.05 * inputs["motor_dq"][motor])
    np.testing.assert_allclose(frame[slices["last_action"]], inputs["last_action"])
    # joint 0 (FR_hip) lives in DDS slot 7 of the permuted spec: its q is read from there
    assert frame[slices["joint_pos_rel"]][0] == inputs["motor_q"][7] - spec.default_joint_pos[0]


def test_history_is_filled_on_reset_and_stacked_oldest_first() -> None:
    builder = ObservationBuilder(HOST_LAYOUT, GO2)
    frames = []
    for step in range(8):
        inputs = _inputs(seed=step)
        del inputs["command"]
        frames.append(builder.frame(**inputs, beta=0.3))
    obs = builder.push(frames[0])
    assert obs.shape == (HOST_LAYOUT.obs_dim,) == (6 * (3 + 3 + 3 * J + 1),)
    np.testing.assert_array_equal(obs.reshape(6, -1), np.stack([frames[0]] * 6))
    for frame in frames[1:]:
        obs = builder.push(frame)
    np.testing.assert_array_equal(obs.reshape(6, -1), np.stack(frames[2:8]))
    assert obs[HOST_LAYOUT.frame_dim - 1] == 0.3, "beta is the last entry of each frame"
    builder.reset()
    np.testing.assert_array_equal(builder.push(frames[3]).reshape(6, -1), np.stack([frames[3]] * 6))


def test_missing_term_value_is_named() -> None:
    builder = ObservationBuilder(HOST_LAYOUT, GO2)
    inputs = _inputs()
    del inputs["command"]
    with pytest.raises(ValueError, match=r"^observation term 'beta': no value given$"):
        builder.frame(**inputs)


def test_layout_round_trips_and_rejects_bad_terms() -> None:
    assert ObsLayout.from_dict(GO2_LAYOUT.to_dict()) == GO2_LAYOUT
    assert GO2_LAYOUT.frame_dim == 45 and GO2_LAYOUT.obs_dim == 135
    with pytest.raises(ObsLayoutError, match=r"^observation term 'base_lin_vel': unknown; expected one of"):
        ObsTerm("base_lin_vel", 3)
    with pytest.raises(ObsLayoutError, match=r"^observation term 'beta': dim must be 1, got 2$"):
        ObsTerm("beta", 2)
    with pytest.raises(ObsLayoutError, match=r"^observation layout: term 'joint_vel' appears more than once$"):
        ObsLayout((ObsTerm("joint_vel", 12), ObsTerm("joint_vel", 12)))
    with pytest.raises(ObsLayoutError, match=r"^observation layout: history_length must be an int >= 1, got 0$"):
        ObsLayout((ObsTerm("joint_vel", 12),), history_length=0)
    bad = GO2_LAYOUT.to_dict()
    bad["terms"][1] = {"name": "projected_gravity", "dim": 3}
    with pytest.raises(ObsLayoutError, match=r"^observation layout: terms\[1\]: expected keys name, dim, scale$"):
        ObsLayout.from_dict(bad)

"""ONNX export: torch vs onnxruntime parity (normaliser inside), metadata, dynamic batch, atomic writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from rsl_rl.models import MLPModel, RNNModel
from tensordict import TensorDict
from torch import nn

from deploy.robot.observation import ObservationBuilder
from deploy.robot.onnx_policy import OnnxPolicy
from deploy.robot.policy_metadata import PolicyMetadata
from legged_envs.obs_layout import ObsLayout, ObsTerm
from legged_envs.robots.go2 import GO2
from policies.export import export_policy, rsl_rl_actor_parts

J = GO2.num_joints
LAYOUT = ObsLayout(
    (
        ObsTerm("base_ang_vel", 3, 0.25),
        ObsTerm("projected_gravity", 3),
        ObsTerm("command", 6),
        ObsTerm("joint_pos_rel", J),
        ObsTerm("joint_vel", J, 0.05),
        ObsTerm("last_action", J),
    ),
    history_length=2,
)
COMMANDS = ("vx_m_s", "vy_m_s", "yaw_rate_rad_s", "height_m", "pitch_rad", "roll_rad")
RANGES = ((-1.0, 1.0), (-0.6, 0.6), (-1.0, 1.0), (-0.25, 0.15), (-0.4, 0.4), (-0.4, 0.4))
META = PolicyMetadata.from_spec(GO2, LAYOUT, 0.02, command_names=COMMANDS, command_ranges=RANGES)
TOLERANCE = 1e-5


def _rsl_rl_actor(distribution: str) -> MLPModel:
    """A random-init rsl-rl 5.5.1 actor whose normaliser has seen non-trivial statistics."""
    torch.manual_seed(0)
    obs = TensorDict({"policy": torch.zeros(8, LAYOUT.obs_dim)}, batch_size=[8])
    model = MLPModel(
        obs,
        {"actor": ["policy"]},
        "actor",
        J,
        hidden_dims=[512, 256, 128],
        obs_normalization=True,
        distribution_cfg={"class_name": distribution},
    )
    model.train()
    offset = torch.linspace(-3.0, 3.0, LAYOUT.obs_dim)
    scale = torch.logspace(-2, 1, LAYOUT.obs_dim)
    for _ in range(20):
        batch = offset + scale * torch.randn(512, LAYOUT.obs_dim)
        model.update_normalization(TensorDict({"policy": batch}, batch_size=[512]))
    model.eval()
    assert model.obs_normalizer._mean.abs().max() > 2.5 and model.obs_normalizer._std.min() < 0.05
    return model


def _real_observations() -> np.ndarray:
    """(20, obs_dim) plausible standing observations built by the deploy observation builder."""
    rng = np.random.default_rng(1)
    builder = ObservationBuilder(LAYOUT, GO2)
    motors = list(GO2.motor_indices)
    out = []
    for _ in range(20):
        motor_q, motor_dq = np.zeros(GO2.num_motor_slots), np.zeros(GO2.num_motor_slots)
        motor_q[motors] = np.array(GO2.default_joint_pos) + rng.normal(0.0, 0.03, J)
        motor_dq[motors] = rng.normal(0.0, 0.3, J)
        tilt = rng.normal(0.0, 0.02, 2)
        quat = np.array([1.0, tilt[0], tilt[1], 0.0])
        out.append(
            builder.build(
                quat / np.linalg.norm(quat),
                rng.normal(0.0, 0.05, 3),
                motor_q,
                motor_dq,
                rng.normal(0.0, 0.2, J),
                np.array([0.5, 0.0, 0.2, 0.0, 0.0, 0.0]),
            )
        )
    return np.stack(out).astype(np.float32)


def _random_observations() -> np.ndarray:
    rng = np.random.default_rng(2)
    offset = np.linspace(-3.0, 3.0, LAYOUT.obs_dim)
    return (offset + rng.normal(0.0, 2.0, (256, LAYOUT.obs_dim))).astype(np.float32)


def _onnx_actions(path: Path, obs: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["actions"], {"obs": obs})[0]


@pytest.mark.parametrize("distribution", ["GaussianDistribution", "BetaDistribution"])
def test_rsl_rl_actor_with_normaliser_matches_onnxruntime(distribution: str, tmp_path: Path) -> None:
    model = _rsl_rl_actor(distribution)
    actor, normalizer = rsl_rl_actor_parts(model)
    path = export_policy(actor, normalizer, META, tmp_path / "policy.onnx")
    policy = OnnxPolicy(path, GO2)
    for obs in (_random_observations(), _real_observations()):
        with torch.no_grad():
            expected = model(TensorDict({"policy": torch.from_numpy(obs)}, batch_size=[len(obs)])).numpy()
        batched = _onnx_actions(path, obs)  # dynamic batch dimension
        assert np.abs(batched - expected).max() <= TOLERANCE
        single = np.stack([policy(row) for row in obs[:8]])
        assert np.abs(single - expected[:8]).max() <= TOLERANCE
        assert np.abs(expected).max() > 0.05, "the comparison is not between near-zero outputs"


def test_plain_module_without_normaliser_matches_and_metadata_round_trips(tmp_path: Path) -> None:
    torch.manual_seed(1)
    actor = nn.Sequential(nn.Linear(LAYOUT.obs_dim, 64), nn.ELU(), nn.Linear(64, J), nn.Tanh())
    path = export_policy(actor, None, META, tmp_path / "sub" / "policy.onnx")
    obs = _real_observations()
    with torch.no_grad():
        expected = actor(torch.from_numpy(obs)).numpy()
    assert np.abs(_onnx_actions(path, obs) - expected).max() <= TOLERANCE

    model = onnx.load(path)
    assert max(op.version for op in model.opset_import if op.domain in ("", "ai.onnx")) >= 17
    (graph_input,) = model.graph.input
    assert graph_input.name == "obs" and [o.name for o in model.graph.output] == ["actions"]
    dims = graph_input.type.tensor_type.shape.dim
    assert dims[0].dim_param and dims[1].dim_value == LAYOUT.obs_dim, "dynamic batch, fixed obs_dim"
    props = {p.key: p.value for p in model.metadata_props}
    assert PolicyMetadata.from_props(props, str(path)) == META
    assert not any("/work/" in p.value for node in model.graph.node for p in node.metadata_props)


def test_export_replaces_atomically_and_a_failed_export_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.onnx"
    path.write_bytes(b"previous policy")
    with pytest.raises(ValueError, match=r"^export: actor output shape \(5,\), metadata expects \(12,\)$"):
        export_policy(nn.Linear(LAYOUT.obs_dim, 5), None, META, path)
    with pytest.raises(ValueError, match=r"^export: actor does not accept obs of shape \(B, 96\)"):
        export_policy(nn.Linear(10, J), None, META, path)
    assert path.read_bytes() == b"previous policy"
    export_policy(nn.Linear(LAYOUT.obs_dim, J), None, META, path)
    assert OnnxPolicy(path, GO2).metadata == META
    assert sorted(p.name for p in tmp_path.iterdir()) == ["policy.onnx"], "no temp files left behind"


def test_recurrent_rsl_rl_actor_is_refused() -> None:
    obs = TensorDict({"policy": torch.zeros(2, LAYOUT.obs_dim)}, batch_size=[2])
    model = RNNModel(obs, {"actor": ["policy"]}, "actor", J, hidden_dims=[32], rnn_hidden_dim=16)
    with pytest.raises(TypeError, match=r"^export: expected an rsl-rl MLPModel actor, got RNNModel$"):
        rsl_rl_actor_parts(model)

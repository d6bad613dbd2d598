"""ONNX export: ``actor(normalizer(obs))`` with the robot's metadata embedded, written atomically.

The exported graph has one input ``obs`` (batch, obs_dim) float32 and one output ``actions``
(batch, num_actions); the batch dimension is dynamic. Observation normalisation lives inside the
graph, so the deploy side feeds raw (scaled) observation frames.
"""

from __future__ import annotations

import copy
import logging
import os
import tempfile
import warnings
from pathlib import Path

import onnx
import torch
from torch import nn

from deploy.robot.policy_metadata import PolicyMetadata
from legged_envs.robots.spec import RobotSpec

OPSET_VERSION = 18
INPUT_NAME = "obs"
OUTPUT_NAME = "actions"


class _NormalizedActor(nn.Module):
    """``actor(normalizer(obs))``: (B, obs_dim) -> (B, num_actions)."""

    def __init__(self, actor: nn.Module, obs_normalizer: nn.Module | None):
        super().__init__()
        self.normalizer = obs_normalizer if obs_normalizer is not None else nn.Identity()
        self.actor = actor

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.actor(self.normalizer(obs))


def rsl_rl_actor_parts(model: nn.Module) -> tuple[nn.Module, nn.Module | None]:
    """Split an rsl-rl 5.5.1 actor model into (deterministic actor, obs normaliser or None).

    rsl-rl 5.5.1 keeps the normaliser in ``model.obs_normalizer`` (``EmpiricalNormalization`` when
    ``model.obs_normalization`` is set, else ``nn.Identity``), the network in ``model.mlp`` and the
    distribution head in ``model.distribution``, whose ``as_deterministic_output_module()`` maps the
    MLP output to the mean action. Only non-recurrent MLP models taking one flat vector are supported.
    """
    from rsl_rl.models import MLPModel

    if not isinstance(model, MLPModel) or type(model).get_latent is not MLPModel.get_latent:
        raise TypeError(f"export: expected an rsl-rl MLPModel actor, got {type(model).__name__}")
    if model.is_recurrent:
        raise TypeError(f"export: recurrent actor {type(model).__name__} is not supported")
    head = model.distribution.as_deterministic_output_module() if model.distribution is not None else nn.Identity()
    actor = nn.Sequential(copy.deepcopy(model.mlp), head)
    normalizer = copy.deepcopy(model.obs_normalizer) if model.obs_normalization else None
    return actor, normalizer


def stand_still_policy(spec: RobotSpec, obs_dim: int) -> nn.Module:
    """A policy that always outputs zero actions (default pose), exported like a trained one."""
    layer = nn.Linear(obs_dim, spec.num_joints)
    nn.init.zeros_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


def export_policy(
    actor: nn.Module, obs_normalizer: nn.Module | None, metadata: PolicyMetadata, path: str | os.PathLike
) -> Path:
    """Write ``actor(obs_normalizer(obs))`` as ONNX with ``metadata`` to ``path`` (temp file + os.replace).

    ``actor`` maps (B, obs_dim) -> (B, num_actions); both modules are copied to the CPU in eval mode.
    Raises ``ValueError`` when the actor's shapes disagree with the metadata or its weights are not finite.
    """
    path = Path(path)
    module = _NormalizedActor(copy.deepcopy(actor), copy.deepcopy(obs_normalizer)).cpu().eval()
    for name, tensor in module.state_dict().items():
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise ValueError(
                f"export: {name} holds NaN or infinite values; a policy that would output them is not written"
            )
    obs_dim = metadata.obs_layout.obs_dim
    example = torch.zeros(2, obs_dim)
    with torch.no_grad():
        try:
            out = module(example)
        except RuntimeError as error:
            raise ValueError(f"export: actor does not accept obs of shape (B, {obs_dim}): {error}") from None
    if tuple(out.shape) != (2, metadata.num_actions):
        shape, expected = tuple(out.shape)[1:], (metadata.num_actions,)
        raise ValueError(f"export: actor output shape {shape}, metadata expects {expected}")
    program = _trace(module, example)
    model = program.model_proto
    for item in (*model.graph.node, *model.graph.input, *model.graph.output, *model.graph.value_info):
        del item.metadata_props[:]  # the exporter's source traces (local file paths), not policy metadata
    for key, value in metadata.to_props().items():
        model.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(model.SerializeToString())
            file.flush()
            os.fsync(file.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; a policy is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    """The process's file-creation mask (reading it means setting it, so it is set straight back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _trace(module: nn.Module, example: torch.Tensor) -> torch.onnx.ONNXProgram:
    """torch.export-based ONNX export with a dynamic batch dimension, without the exporter's chatter."""
    registration_log = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = registration_log.level
    registration_log.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.onnx.export(
                module,
                (example,),
                input_names=[INPUT_NAME],
                output_names=[OUTPUT_NAME],
                opset_version=OPSET_VERSION,
                dynamic_shapes={"obs": {0: torch.export.Dim("batch")}},
                dynamo=True,
                verbose=False,
            )
    finally:
        registration_log.setLevel(level)

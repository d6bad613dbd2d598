"""Run an exported policy with onnxruntime (CPU, one thread) after checking it fits the robot."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnxruntime as ort

from deploy.robot.policy_metadata import PolicyLoadError, PolicyMetadata, check_against_spec
from legged_envs.robots.spec import RobotSpec

INPUT_NAME = "obs"
OUTPUT_NAME = "actions"


class OnnxPolicy:
    """``policy(obs (obs_dim,)) -> actions (num_actions,)`` for one robot spec.

    Construction raises ``PolicyLoadError`` (one line, naming the file) when the path is not a file,
    not an ONNX model, has no or bad metadata, disagrees with ``spec`` (``PolicyMismatchError``), or
    its input/output shapes disagree with the metadata.
    """

    def __init__(self, path: str | os.PathLike, spec: RobotSpec):
        self.path = Path(path)
        source = str(self.path)
        if not self.path.is_file():
            raise PolicyLoadError(f"{source}: not a file")
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(source, sess_options=options, providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises several untyped errors for unreadable models
            raise PolicyLoadError(f"{source}: {_load_problem(error)}") from None
        props = self.session.get_modelmeta().custom_metadata_map
        self.metadata = PolicyMetadata.from_props(props, source)
        check_against_spec(self.metadata, spec, source)
        self._check_io(source)
        self._input = np.zeros((1, self.obs_dim), dtype=np.float32)
        self._check_runs(source)

    @property
    def obs_dim(self) -> int:
        return self.metadata.obs_layout.obs_dim

    @property
    def num_actions(self) -> int:
        return self.metadata.num_actions

    def _check_io(self, source: str) -> None:
        inputs, outputs = self.session.get_inputs(), self.session.get_outputs()
        if [i.name for i in inputs] != [INPUT_NAME] or OUTPUT_NAME not in [o.name for o in outputs]:
            raise PolicyLoadError(
                f"{source}: expected input {INPUT_NAME!r} and output {OUTPUT_NAME!r}, "
                f"got inputs {[i.name for i in inputs]} and outputs {[o.name for o in outputs]}"
            )
        output = next(o for o in outputs if o.name == OUTPUT_NAME)
        for name, shape, dim in (
            (INPUT_NAME, inputs[0].shape, self.obs_dim),
            (OUTPUT_NAME, output.shape, self.num_actions),
        ):
            if len(shape) != 2 or (isinstance(shape[1], int) and shape[1] != dim):
                raise PolicyLoadError(f"{source}: {name} has shape {shape}, metadata expects (batch, {dim})")
        if inputs[0].type != "tensor(float)":
            raise PolicyLoadError(f"{source}: {INPUT_NAME} has type {inputs[0].type}, expected tensor(float)")

    def _check_runs(self, source: str) -> None:
        """Run the network once on a zero observation: a model whose inside disagrees with its declared shapes,
        or that outputs NaN, is refused at load rather than at its first step in POLICY."""
        try:
            (actions,) = self.session.run([OUTPUT_NAME], {INPUT_NAME: self._input})
        except Exception as error:  # onnxruntime raises untyped errors for a graph that cannot run
            problem = " ".join(str(error).split())[:200] or type(error).__name__
            raise PolicyLoadError(f"{source}: fails on a zero observation ({problem})") from None
        if actions.shape != (1, self.num_actions):
            raise PolicyLoadError(
                f"{source}: {OUTPUT_NAME} has shape {actions.shape} for one observation, "
                f"expected (1, {self.num_actions})"
            )
        if not np.isfinite(actions).all():
            raise PolicyLoadError(f"{source}: outputs NaN or infinite actions for a zero observation")

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        """(obs_dim,) observation -> (num_actions,) float32 actions (a new array)."""
        self._input[0] = obs
        (actions,) = self.session.run([OUTPUT_NAME], {INPUT_NAME: self._input})
        if actions.shape != (1, self.num_actions):
            raise RuntimeError(f"{self.path}: policy returned shape {actions.shape}, expected (1, {self.num_actions})")
        return actions[0].copy()


def _load_problem(error: Exception) -> str:
    """One line on why onnxruntime could not load a model."""
    text = " ".join(str(error).split())
    if "INVALID_PROTOBUF" in text:
        return "not an ONNX model (protobuf parsing failed: truncated, or another kind of file)"
    return f"onnxruntime cannot load it: {text[:200] or type(error).__name__}"

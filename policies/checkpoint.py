"""Training checkpoints: atomic writes, safe reads (``weights_only=True``) and one-line errors.

A checkpoint is rsl-rl's dict (``actor_state_dict``, ``critic_state_dict``,
``optimizer_state_dict``, ``iter``, ``infos``) plus ``rng`` (per-rank generator states),
``task_state`` (per-rank curriculum state of the task) and ``logger`` (step and time totals).
``iter`` counts COMPLETED iterations: ``model_<iter>.pt``.
"""

from __future__ import annotations

import io
import os
import pickle
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from legged_envs.config.loader import display_path
from policies.train_config import MAX_ITERATIONS

REQUIRED_KEYS = ("actor_state_dict", "critic_state_dict", "optimizer_state_dict", "iter")
_NAME = re.compile(r"model_(\d+)\.pt")
_GLOBAL = re.compile(r"GLOBAL ([\w.]+)")
"""torch's name of the Python object a weights-only load refused."""


class CheckpointError(ValueError):
    """A missing, unreadable or mismatched checkpoint; ``str()`` is one line naming the file."""


def checkpoint_path(run_dir: Path, iteration: int) -> Path:
    """``run_dir/model_<iteration>.pt``."""
    return run_dir / f"model_{iteration}.pt"


def latest_checkpoint(run_dir: Path) -> Path:
    """The checkpoint of a run directory with the most completed iterations."""
    found = find_latest_checkpoint(run_dir)
    if found is None:
        raise CheckpointError(f"{display_path(run_dir)}: no checkpoint (model_<iteration>.pt) in the run directory")
    return found


def find_latest_checkpoint(run_dir: Path) -> Path | None:
    """The checkpoint of a run directory with the most completed iterations, or None."""
    found = [(n, p) for p in run_dir.glob("model_*.pt") if (n := checkpoint_iteration(p)) is not None]
    return max(found)[1] if found else None


def save_checkpoint(state: Mapping[str, Any], path: Path) -> None:
    """Write ``state`` to ``path`` atomically: a temp file beside it, fsync, then ``os.replace``.

    A crash or kill at any moment leaves either the previous file or the new one, never half a file.
    A folder that cannot be written (read-only, full disk) raises ``OSError`` naming ``path``.
    """
    tmp = temp_path(path)
    try:
        with open(tmp, "wb") as file:
            torch.save(dict(state), file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except OSError as error:
        raise OSError(error.errno, error.strerror, str(path)) from None
    finally:
        tmp.unlink(missing_ok=True)


def temp_path(path: Path) -> Path:
    """The temp file this process writes ``path`` through: ``.<name>.<pid>.tmp`` beside it."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint with ``torch.load(weights_only=True)`` (no code runs from the file) and check it:
    its keys, a completed-iteration count, and networks of finite tensors."""
    label = display_path(path)
    if not path.is_file():
        raise CheckpointError(f"{label}: checkpoint not found")
    try:
        content = path.read_bytes()
    except OSError as error:
        raise CheckpointError(f"{label}: cannot read ({error.strerror or error})") from None
    try:
        data = torch.load(io.BytesIO(content), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        unsafe = _GLOBAL.search(str(error))
        if unsafe:
            raise CheckpointError(
                f"{label}: not a plain-tensor checkpoint: it holds a Python object ({unsafe.group(1)}), "
                "which loading with weights_only=True refuses to run"
            ) from None
        raise CheckpointError(f"{label}: not a readable checkpoint (truncated or not a torch file)") from None
    except Exception:  # a damaged file fails anywhere inside torch's reader, with any error type
        raise CheckpointError(f"{label}: not a readable checkpoint (truncated or not a torch file)") from None
    _check_layout(label, data)
    for key in ("actor_state_dict", "critic_state_dict"):
        for name, tensor in data[key].items():
            if isinstance(tensor, torch.Tensor) and tensor.is_floating_point() and not torch.isfinite(tensor).all():
                raise CheckpointError(f"{label}: {key}: {name} holds NaN or infinite values (the run diverged)")
    return data


def _check_layout(label: str, data: Any) -> None:
    """Raise ``CheckpointError`` unless ``data`` has the keys and value kinds of a training checkpoint."""
    if not isinstance(data, dict):
        raise CheckpointError(f"{label}: not a training checkpoint (holds a {type(data).__name__}, expected a dict)")
    missing = [key for key in REQUIRED_KEYS if key not in data]
    if missing:
        raise CheckpointError(f"{label}: not a training checkpoint (missing {', '.join(map(repr, missing))})")
    iteration = data["iter"]
    if type(iteration) is not int or not 0 <= iteration <= MAX_ITERATIONS:
        expected = f"a count of completed iterations (int in [0, {MAX_ITERATIONS}])"
        raise CheckpointError(f"{label}: iter: expected {expected}, got {iteration!r:.40}")
    for key in ("actor_state_dict", "critic_state_dict", "optimizer_state_dict"):
        if not isinstance(data[key], Mapping):
            raise CheckpointError(f"{label}: {key}: expected a state dict, got {type(data[key]).__name__}")
    optimizer = data["optimizer_state_dict"]
    if not isinstance(optimizer.get("state"), Mapping) or not isinstance(optimizer.get("param_groups"), list):
        raise CheckpointError(f"{label}: optimizer_state_dict: expected torch's 'state' and 'param_groups'")
    for key in ("rng", "task_state"):
        per_rank = data.get(key)
        if per_rank is not None and not (isinstance(per_rank, list) and all(isinstance(s, Mapping) for s in per_rank)):
            raise CheckpointError(f"{label}: {key}: expected a list of one state per process, got {per_rank!r:.40}")
    if not isinstance(data.get("logger", {}), Mapping | None):
        raise CheckpointError(f"{label}: logger: expected a mapping of totals, got {data['logger']!r:.40}")


def checkpoint_iteration(path: Path) -> int | None:
    """N of a file named ``model_<N>.pt``, else None."""
    match = _NAME.fullmatch(path.name)
    return int(match.group(1)) if match else None


def check_state_dict(path: Path, what: str, model: torch.nn.Module, state: Any) -> None:
    """Raise ``CheckpointError`` unless ``state`` has exactly ``model``'s tensors with the same shapes."""
    label = display_path(path)
    if not isinstance(state, Mapping):
        raise CheckpointError(f"{label}: {what}: expected a state dict, got {type(state).__name__}")
    expected = model.state_dict()
    for key, tensor in expected.items():
        if key not in state:
            raise CheckpointError(f"{label}: {what}: missing {key!r} (the run's network differs)")
        got = state[key]
        if not isinstance(got, torch.Tensor) or got.shape != tensor.shape:
            shape = list(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
            raise CheckpointError(
                f"{label}: {what}: {key} has shape {shape}, this run's network needs {list(tensor.shape)}"
            )
    extra = sorted(set(state) - set(expected))
    if extra:
        raise CheckpointError(f"{label}: {what}: unexpected {extra[0]!r} (the run's network differs)")

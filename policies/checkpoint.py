"""Training checkpoints: atomic writes, safe reads (``weights_only=True``) and one-line errors.

A checkpoint is rsl-rl's dict (``actor_state_dict``, ``critic_state_dict``,
``optimizer_state_dict``, ``iter``, ``infos``) plus ``rng`` (per-rank generator states),
``task_state`` (per-rank curriculum state of the task) and ``logger`` (step and time totals).
``iter`` counts COMPLETED iterations: ``model_<iter>.pt``.
"""

from __future__ import annotations

import os
import pickle
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from legged_envs.config.loader import display_path

REQUIRED_KEYS = ("actor_state_dict", "critic_state_dict", "optimizer_state_dict", "iter")
_NAME = re.compile(r"model_(\d+)\.pt")


class CheckpointError(ValueError):
    """A missing, unreadable or mismatched checkpoint; ``str()`` is one line naming the file."""


def checkpoint_path(run_dir: Path, iteration: int) -> Path:
    """``run_dir/model_<iteration>.pt``."""
    return run_dir / f"model_{iteration}.pt"


def latest_checkpoint(run_dir: Path) -> Path:
    """The checkpoint of a run directory with the most completed iterations."""
    found = [(int(m.group(1)), p) for p in run_dir.glob("model_*.pt") if (m := _NAME.fullmatch(p.name))]
    if not found:
        raise CheckpointError(f"{display_path(run_dir)}: no checkpoint (model_<iteration>.pt) in the run directory")
    return max(found)[1]


def save_checkpoint(state: Mapping[str, Any], path: Path) -> None:
    """Write ``state`` to ``path`` atomically: a temp file beside it, fsync, then ``os.replace``.

    A crash or kill at any moment leaves either the previous file or the new one, never half a file.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as file:
            torch.save(dict(state), file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint with ``torch.load(weights_only=True)`` (no code runs from the file) and check its keys."""
    label = display_path(path)
    if not path.is_file():
        raise CheckpointError(f"{label}: checkpoint not found")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError) as error:
        reason = " ".join(str(error).split())[:160] or type(error).__name__
        raise CheckpointError(f"{label}: not a readable checkpoint (truncated or not a torch file: {reason})") from None
    if not isinstance(data, dict):
        raise CheckpointError(f"{label}: not a training checkpoint (holds a {type(data).__name__}, expected a dict)")
    missing = [key for key in REQUIRED_KEYS if key not in data]
    if missing:
        raise CheckpointError(f"{label}: not a training checkpoint (missing {', '.join(map(repr, missing))})")
    return data


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

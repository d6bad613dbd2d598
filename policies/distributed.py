"""Multi-process training under ``torchrun``: rank discovery and the process group.

torchrun sets ``WORLD_SIZE``, ``RANK`` and ``LOCAL_RANK``. The backend is ``gloo`` when the
envs and networks are on the CPU and ``nccl`` on CUDA (rank r then uses ``cuda:<LOCAL_RANK>``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as tdist


@dataclass(frozen=True)
class Ranks:
    """This process's place among the training processes."""

    world_size: int = 1
    """Number of processes."""
    rank: int = 0
    """Global rank (0 = the one that writes the run directory)."""
    local_rank: int = 0
    """Rank on this machine (picks the CUDA device)."""

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def main(self) -> bool:
        return self.rank == 0


def _env_int(name: str, default: int) -> int:
    text = os.environ.get(name, str(default))
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"environment variable {name}: expected an integer, got {text!r}") from None


def init_distributed(device: str) -> Ranks:
    """Join the process group when ``WORLD_SIZE`` > 1 (gloo on CPU, nccl on CUDA); else a single rank."""
    ranks = Ranks(_env_int("WORLD_SIZE", 1), _env_int("RANK", 0), _env_int("LOCAL_RANK", 0))
    if not ranks.distributed:
        return ranks
    if not 0 <= ranks.rank < ranks.world_size:
        raise ValueError(f"RANK={ranks.rank} is outside WORLD_SIZE={ranks.world_size}")
    cuda = device.startswith("cuda")
    if cuda:
        torch.cuda.set_device(ranks.local_rank)
    if not tdist.is_initialized():
        tdist.init_process_group(backend="nccl" if cuda else "gloo", rank=ranks.rank, world_size=ranks.world_size)
    return ranks


def rank_device(device: str, ranks: Ranks) -> str:
    """The torch device of this rank: ``cuda:<LOCAL_RANK>`` for CUDA runs with several processes."""
    return f"cuda:{ranks.local_rank}" if ranks.distributed and device.startswith("cuda") else device


def gather(value: Any, ranks: Ranks) -> list[Any]:
    """``value`` of every rank, in rank order (every rank must call it)."""
    if not ranks.distributed:
        return [value]
    values: list[Any] = [None] * ranks.world_size
    tdist.all_gather_object(values, value)
    return values


def any_rank(flag: bool, ranks: Ranks) -> bool:
    """True on every rank when ``flag`` is True on some rank (every rank must call it)."""
    if not ranks.distributed:
        return flag
    return any(gather(flag, ranks))


def shutdown(ranks: Ranks) -> None:
    """Leave the process group."""
    if ranks.distributed and tdist.is_initialized():
        tdist.destroy_process_group()

"""``torchrun --nproc_per_node=2 legged train``: two CPU processes (gloo) train one policy in lockstep."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import torch

from policies.runner import state_digest

from .train_support import BASE, REPO, tiny


def test_two_processes_end_with_identical_weights_and_only_rank_0_writes(tmp_path: Path) -> None:
    run = tmp_path / "run"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    command += ["-m", "legged_envs.cli", "train", BASE, *tiny(tmp_path, "train.max_iterations=2")]
    command += ["--run-dir", str(run)]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 process(es) x 8 envs" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no second run directory from rank 1
    checkpoint = torch.load(run / "model_2.pt", weights_only=True)
    digests = checkpoint["infos"]["actor_sha256"]
    assert len(digests) == 2 and digests[0] == digests[1] == state_digest(checkpoint["actor_state_dict"])
    rank0, rank1 = checkpoint["rng"]
    assert not torch.equal(rank0["env"], rank1["env"])  # each rank stepped its own envs (seed + rank)

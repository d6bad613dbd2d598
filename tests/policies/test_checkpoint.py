"""Checkpoint files: written atomically (a crash or kill mid-write leaves the previous one whole), and holding
what makes a resumed run continue the same way every time."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from policies.checkpoint import load_checkpoint, save_checkpoint
from policies.trainer import train

from .train_support import BASE, tiny, weights


def _state(iteration: int, size: int = 1000) -> dict:
    return {
        "actor_state_dict": {"w": torch.full((size,), float(iteration))},
        "critic_state_dict": {},
        "optimizer_state_dict": {"state": {}, "param_groups": []},
        "iter": iteration,
    }


def test_a_crash_while_writing_leaves_the_previous_checkpoint_intact(tmp_path: Path) -> None:
    path = tmp_path / "model_1.pt"
    save_checkpoint(_state(1), path)
    broken = _state(2)
    broken["infos"] = {"not_saveable": lambda: None}  # torch.save fails part-way through the file
    with pytest.raises(Exception, match="lambda"):
        save_checkpoint(broken, path)
    assert load_checkpoint(path)["iter"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["model_1.pt"]  # the temp file is gone too


WRITER = """
import sys, torch
from pathlib import Path
from policies.checkpoint import save_checkpoint
path, i = Path(sys.argv[1]), 0
while True:
    i += 1
    save_checkpoint({"actor_state_dict": {"w": torch.full((4_000_000,), float(i))}, "critic_state_dict": {},
                     "optimizer_state_dict": {"state": {}, "param_groups": []}, "iter": i}, path)
"""


def test_a_kill_during_repeated_writes_never_leaves_a_partial_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)])
    deadline = time.monotonic() + 120
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    first = path.stat().st_mtime_ns
    while path.stat().st_mtime_ns == first and time.monotonic() < deadline:
        time.sleep(0.01)  # at least one more write finished: the next one is under way
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=30)
    state = load_checkpoint(path)
    assert state["iter"] >= 2 and torch.all(state["actor_state_dict"]["w"] == float(state["iter"]))


def test_two_resumes_from_one_checkpoint_continue_identically(tmp_path: Path) -> None:
    run = train(BASE, tiny(tmp_path / "runs", "train.max_iterations=2")).run_dir
    copies = [shutil.copytree(run, tmp_path / name) for name in ("a", "b")]
    for copy in copies:
        train(None, ["train.max_iterations=4"], resume=str(copy))
    a, b = (weights(copy / "model_4.pt") for copy in copies)
    assert all(torch.equal(a[key], b[key]) for key in a)

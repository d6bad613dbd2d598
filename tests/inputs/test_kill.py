"""``kill -9`` of ``legged train`` at random moments, one of them in the middle of a checkpoint write: every
file left is whole, and the run goes on (``--resume``, or a new run in the folder when none had started)."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from policies.checkpoint import find_latest_checkpoint, load_checkpoint

from .support import BASE, REPO, TINY, legged

BIG = (*TINY, "train.policy.actor_hidden_dims=[512,512]", "train.policy.critic_hidden_dims=[512,512]")
"""Networks whose checkpoints (about 7 MB) take long enough to write to be killed in the middle of one."""


def _start(*args: str | Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "legged_envs.cli", "train", *map(str, args)]
    return subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _kill_when(process: subprocess.Popen, moment: Callable[[], bool], limit_s: float = 120) -> bool:
    """SIGKILL ``process`` as soon as ``moment()`` holds (polled every millisecond); whether it did."""
    deadline = time.monotonic() + limit_s
    while process.poll() is None and time.monotonic() < deadline:
        if moment():
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            return True
        time.sleep(0.001)
    process.kill()
    process.wait(timeout=30)
    return False


def _completed(run: Path) -> int:
    latest = find_latest_checkpoint(run) if run.is_dir() else None
    return load_checkpoint(latest)["iter"] if latest else 0


def _goes_on(run: Path) -> None:
    """Every checkpoint loads; the run (or, when none had started, a new one in the same folder) trains on."""
    for path in run.glob("model_*.pt"):
        load_checkpoint(path)
    done = _completed(run)
    if (run / "config.yaml").exists():
        outcome = legged("train", "--resume", run, f"train.max_iterations={done + 1}")
    else:
        assert not run.exists() or not any(run.iterdir()), sorted(run.iterdir())
        outcome = legged("train", BASE, *BIG, "train.max_iterations=1", "--run-dir", run)
    assert outcome.code == 0, outcome.stderr
    assert (run / f"model_{done + 1}.pt").is_file()
    assert not list(run.glob("*.tmp")) and not list(run.glob(".*.tmp"))


def test_kill_9_at_random_moments_and_mid_write_loses_nothing(tmp_path: Path) -> None:
    rng = random.Random(11)
    run = tmp_path / "run"
    many = ("train.max_iterations=100000", "train.save_interval=1")
    for delay in (rng.uniform(0.5, 4.0), rng.uniform(4.0, 8.0)):  # in start-up, then in training
        started = time.monotonic()
        process = _start(BASE, *BIG, *many, "--run-dir", run) if not run.exists() else _start("--resume", run, *many)
        _kill_when(process, lambda s=started, d=delay: time.monotonic() - s > d)
        _goes_on(run)
    writing = _start("--resume", run, *many)
    assert _kill_when(writing, lambda: any(run.glob(".model_*.pt.*.tmp"))), "no checkpoint write was caught"
    assert list(run.glob(".model_*.pt.*.tmp"))  # killed in the middle of a write
    _goes_on(run)

"""``legged train``: run directory, reproducibility with a seed, stop on SIGTERM and resume."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml

from legged_envs.config import ConfigError
from policies.checkpoint import latest_checkpoint
from policies.trainer import train

from .train_support import BASE, REPO, tiny, weights


def test_a_run_directory_holds_config_tensorboard_logs_and_checkpoints(tmp_path: Path) -> None:
    result = train(BASE, tiny(tmp_path, "train.max_iterations=3", "train.save_interval=2", "train.run_name=demo"))
    run = result.run_dir
    assert result.iterations == 3 and result.stopped_by == 0
    assert run.parent == tmp_path / "stand" and run.name.endswith("_demo")
    assert sorted(p.name for p in run.glob("model_*.pt")) == ["model_2.pt", "model_3.pt"]  # interval and end
    assert list(run.glob("events.out.tfevents.*"))
    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert saved["env"]["num_envs"] == 8 and saved["train"]["max_iterations"] == 3
    checkpoint = torch.load(run / "model_3.pt", weights_only=True)
    assert checkpoint["iter"] == 3 and len(checkpoint["rng"]) == 1
    assert not list(run.glob(".*tmp*"))  # no temp files left behind


def test_the_same_seed_gives_identical_weights_and_another_seed_does_not(tmp_path: Path) -> None:
    runs = [
        train(BASE, tiny(tmp_path / name, "train.max_iterations=2", f"seed={seed}")).run_dir
        for name, seed in (("a", 7), ("b", 7), ("c", 8))
    ]
    a, b, c = (weights(run / "model_2.pt") for run in runs)
    assert all(torch.equal(a[key], b[key]) for key in a)
    assert not all(torch.equal(a[key], c[key]) for key in a)


def test_sigterm_saves_and_resume_continues_the_counter_optimizer_and_normaliser(tmp_path: Path) -> None:
    run = tmp_path / "run"
    overrides = tiny(tmp_path, "train.max_iterations=1000", "train.save_interval=1")
    process = subprocess.Popen(
        [sys.executable, "-m", "legged_envs.cli", "train", BASE, *overrides, "--run-dir", str(run)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 240
    while not (run / "model_2.pt").exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGTERM, output
    assert "stopped by SIGTERM" in output and "--resume" in output
    stopped = latest_checkpoint(run)
    done = torch.load(stopped, weights_only=True)["iter"]
    assert 2 <= done < 1000 and stopped.name == f"model_{done}.pt"

    result = train(None, [f"train.max_iterations={done + 1}"], resume=str(run))
    assert result.iterations == done + 1
    before = torch.load(stopped, weights_only=True)
    after = torch.load(run / f"model_{done + 1}.pt", weights_only=True)
    assert after["iter"] == done + 1
    updates_per_iteration = 2 * 2  # epochs x mini-batches
    adam_steps = [float(state["optimizer_state_dict"]["state"][0]["step"]) for state in (before, after)]
    assert adam_steps[1] == adam_steps[0] + updates_per_iteration  # the optimizer went on, not restarted
    count = "obs_normalizer.count"
    assert after["actor_state_dict"][count] == before["actor_state_dict"][count] + 8 * 8  # envs x steps
    assert yaml.safe_load((run / "config.yaml").read_text())["train"]["max_iterations"] == done + 1


def test_resume_needs_a_run_directory_and_refuses_a_config_too(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="run directory not found"):
        train(None, resume=str(tmp_path / "nowhere"))
    with pytest.raises(ConfigError, match="not a run directory"):
        train(None, resume=str(tmp_path))
    with pytest.raises(ConfigError, match="not both"):
        train(BASE, resume=str(tmp_path))

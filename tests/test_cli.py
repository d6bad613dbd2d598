"""The ``legged`` command: subcommands, bench output and one-line errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from legged_envs.cli import main


def run_legged(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "legged_envs.cli", *args], capture_output=True, text=True, timeout=300, check=False
    )


def test_bench_prints_both_sides_and_their_ratio() -> None:
    result = run_legged(
        "bench", "configs/bench.yaml", "bench.num_worlds=8", "bench.num_steps=5", "bench.warmup_steps=1"
    )
    assert result.returncode == 0, result.stderr
    for label in ("raw mujoco.batch.Batch", "raw mujoco.rollout", "env loop", "training"):
        assert label in result.stdout
    env_loop = next(line for line in result.stdout.splitlines() if "env loop" in line)
    ratio = float(env_loop.split("env-steps/s")[1].split("x fastest raw")[0])
    assert ratio > 0


def test_bad_override_is_one_line_naming_the_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "configs/bench.yaml", "env.num_envs=-4"]) == 2
    error = capsys.readouterr().err.strip()
    assert error == "legged bench: error: override env.num_envs=-4: expected int in (0, 1048576], got -4"


def test_missing_config_file_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "configs/nope.yaml"]) == 2
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and "configs/nope.yaml" in error

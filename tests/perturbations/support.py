"""Shared by the perturbation tests: real Go2 envs (the shipped demo run's config, flat ground), scenarios."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from legged_envs.config import ConfigError
from legged_envs.config.schema import validate
from legged_envs.envs.legged_env import LeggedEnv
from legged_envs.perturbations.config import ScenarioConfig, load_suite
from policies.run_dir import load_run, make_trained_env

GO2_DEMO = Path(__file__).resolve().parents[2] / "assets" / "policies" / "go2_posture_demo"
STILL = ("task.reset.joint_pos_noise_rad=0.0", "sim.num_threads=1")
"""Every robot starts in the default stance: zero actions hold it."""


def scenario(*perturbations: dict[str, Any], severity_scale: float = 1.0) -> ScenarioConfig:
    """A validated scenario of perturbation mappings (as in a suite YAML)."""
    return validate({"perturbations": list(perturbations), "severity_scale": severity_scale}, ScenarioConfig, "test")


def make_env(num_envs: int, *overrides: str) -> LeggedEnv:
    """A freshly reset env of the demo run's config."""
    return make_trained_env(load_run(GO2_DEMO, [*STILL, *overrides]), num_envs)


def zeros(env: Any) -> torch.Tensor:
    """(n, J) zero actions: hold the default pose."""
    return torch.zeros(env.num_envs, env.num_actions)


def suite_error(path: Path, scenarios: str) -> str:
    """The error of loading a suite file whose ``scenarios`` mapping is ``scenarios`` (YAML flow text): one line."""
    path.write_text(f"scenarios: {scenarios}")
    with pytest.raises(ConfigError) as error:
        load_suite(path)
    text = str(error.value)
    assert "\n" not in text, text
    return text

"""deploy/ runs on the robot's computer without torch: importing any deploy module must not load it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

MODULES = (
    "deploy.controller",
    "deploy.observation",
    "deploy.onnx_policy",
    "deploy.policy_metadata",
    "deploy.rate",
    "deploy.remote",
    "deploy.state_machine",
    "legged_envs.obs_layout",
    "legged_envs.robots.go2",
)


def test_importing_deploy_core_does_not_import_torch() -> None:
    code = f"import sys; import {', '.join(MODULES)}; assert 'torch' not in sys.modules, 'torch was imported'"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2]
    )
    assert result.returncode == 0, result.stderr

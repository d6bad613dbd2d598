"""deploy/ runs on the robot's computer without torch: importing any deploy module must not load it."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import deploy

REPO = Path(__file__).resolve().parents[2]
SHARED = ("legged_envs.obs_layout", "legged_envs.robots.go2", "legged_envs.robots.g1")
"""Modules outside deploy/ that the deploy side imports."""


def deploy_modules() -> list[str]:
    """Every Python module of the deploy package (the ROS nodes, launch helpers and core)."""
    found = pkgutil.walk_packages(deploy.__path__, prefix="deploy.")
    return sorted(module.name for module in found if ".msgs" not in module.name)


def test_every_deploy_module_is_found() -> None:
    modules = deploy_modules()
    for expected in ("deploy.controller", "deploy.ros.policy_node", "deploy.ros.sim_bridge", "deploy.launch"):
        assert expected in modules


def test_importing_the_deploy_side_does_not_import_torch() -> None:
    modules = (*deploy_modules(), *SHARED)
    code = f"import sys; import {', '.join(modules)}; assert 'torch' not in sys.modules, 'torch was imported'"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=False)
    assert result.returncode == 0, result.stderr

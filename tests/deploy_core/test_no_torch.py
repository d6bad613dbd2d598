"""deploy/ runs on the robot's computer without torch; its robot path also without the sim tooling or MuJoCo."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import deploy

REPO = Path(__file__).resolve().parents[2]
SHARED = ("legged_envs.obs_layout", "legged_envs.robots.go2", "legged_envs.robots.g1")
"""Modules outside deploy/ that the deploy side imports."""


def deploy_modules(prefix: str = "deploy.") -> list[str]:
    """Every Python module of the deploy package (robot path, sim tooling) whose name starts with ``prefix``."""
    found = pkgutil.walk_packages(deploy.__path__, prefix="deploy.")
    return sorted(m.name for m in found if ".msgs" not in m.name and m.name.startswith(prefix))


def imports_in_fresh_interpreter(modules: list[str], forbidden: str) -> subprocess.CompletedProcess:
    """Import ``modules`` in a new interpreter; fails when a loaded module's name starts with ``forbidden``."""
    code = (
        f"import sys; import {', '.join(modules)}; "
        f"bad = sorted(m for m in sys.modules if m == {forbidden!r} or m.startswith({forbidden + '.'!r})); "
        "assert not bad, f'imported {bad[:3]}'"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=False)


def test_every_deploy_module_is_found() -> None:
    modules = deploy_modules()
    for expected in ("deploy.robot.controller", "deploy.robot.policy_node", "deploy.sim.bridge", "deploy.sim.launch"):
        assert expected in modules


def test_importing_the_deploy_side_does_not_import_torch() -> None:
    result = imports_in_fresh_interpreter([*deploy_modules(), *SHARED], "torch")
    assert result.returncode == 0, result.stderr


def test_the_robot_path_imports_neither_the_sim_tooling_nor_mujoco() -> None:
    robot = deploy_modules("deploy.robot.")
    assert "deploy.robot.policy_node" in robot
    for forbidden in ("deploy.sim", "mujoco"):
        result = imports_in_fresh_interpreter(robot, forbidden)
        assert result.returncode == 0, result.stderr

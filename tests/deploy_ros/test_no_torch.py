"""The ROS nodes, the bridge and the launch helpers run without torch: importing them must not load it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

MODULES = (
    "deploy.launch",
    "deploy.launch.__main__",
    "deploy.ros.bench_latency",
    "deploy.ros.params",
    "deploy.ros.policy_node",
    "deploy.ros.sim_bridge",
    "deploy.ros.sim_robot",
    "deploy.ros.topics",
    "deploy.ros.transition",
    "deploy.ros.wire",
)


def test_importing_deploy_ros_does_not_import_torch() -> None:
    code = f"import sys; import {', '.join(MODULES)}; assert 'torch' not in sys.modules, 'torch was imported'"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2]
    )
    assert result.returncode == 0, result.stderr

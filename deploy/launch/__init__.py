"""Launching the sim2sim pair (sim bridge + policy node) on one parameters file.

``sim2sim.launch.py`` is the ROS 2 launch description (``ros2 launch``); ``python -m deploy.launch``
starts the same processes without ros2launch, which has no PyPI wheel for Jazzy.
"""

from __future__ import annotations

import sys


def sim2sim_commands(params: str, policy: str | None = None) -> list[tuple[str, list[str]]]:
    """(name, argv) of the processes of a sim2sim run: the sim bridge, then the policy node."""
    node = [sys.executable, "-m", "deploy.ros.policy_node", "--params", params]
    return [
        ("sim_bridge", [sys.executable, "-m", "deploy.ros.sim_bridge", "--params", params]),
        ("policy_node", node + (["--policy", policy] if policy else [])),
    ]

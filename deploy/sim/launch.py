"""``python -m deploy.sim.launch --params FILE [--policy FILE]``: run the sim2sim pair without ros2launch.

Starts the sim bridge and the policy node, forwards Ctrl-C / SIGTERM to both, and stops both as soon
as either exits. Transitions: ``python -m deploy.robot.transition stand|policy|damp|reset``.
``sim2sim.launch.py`` beside this file is the same pair as a ROS 2 launch description (``ros2 launch``,
which needs the ``launch_ros`` packages; they have no PyPI wheel for Jazzy).
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

GRACE_S = 5.0
"""Time the processes get to exit after SIGINT before they are killed, s."""


def sim2sim_commands(params: str, policy: str | None = None) -> list[tuple[str, list[str]]]:
    """(name, argv) of the processes of a sim2sim run: the sim bridge, then the policy node."""
    node = [sys.executable, "-m", "deploy.robot.policy_node", "--params", params]
    return [
        ("sim_bridge", [sys.executable, "-m", "deploy.sim.bridge", "--params", params]),
        ("policy_node", node + (["--policy", policy] if policy else [])),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.sim.launch",
        description="Run the sim2sim pair (sim bridge + policy node) without ros2launch.",
    )
    parser.add_argument("--params", required=True, help="parameters YAML (e.g. deploy/config/go2_sim2sim.yaml)")
    parser.add_argument("--policy", help="ONNX policy (overrides policy_node.policy)")
    args = parser.parse_args(argv)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    processes = {name: subprocess.Popen(cmd) for name, cmd in sim2sim_commands(args.params, args.policy)}
    code = 0
    try:
        while not stopping:
            ended = {name: p.returncode for name, p in processes.items() if p.poll() is not None}
            if ended:
                name, code = next(iter(ended.items()))
                print(f"deploy.sim.launch: {name} exited with code {code}; stopping the others", file=sys.stderr)
                break
            time.sleep(0.1)
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + GRACE_S
        for process in processes.values():
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    return code


if __name__ == "__main__":
    sys.exit(main())

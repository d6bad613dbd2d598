"""``python -m deploy.sim.launch`` (the fallback for ``ros2 launch``) runs the sim2sim pair and stops both on Ctrl-C."""

from __future__ import annotations

import signal
from pathlib import Path

from deploy.robot import topics


def test_launch_fallback_starts_bridge_and_policy_node_and_stops_both_on_sigint(sim2sim, go2_policy: Path):
    run = sim2sim("go2", go2_policy, bridge={"start_pose": "lying"})
    launcher = run.start("launch", "deploy.sim.launch")
    run.wait_sim(lambda s: s["lowcmd_count"] > 0, "LowCmd from the launched policy node reaching the launched bridge")
    assert run.wait_mode("PASSIVE")["seq"] >= 1

    launcher.send_signal(signal.SIGINT)
    assert run.spin_until(lambda: launcher.poll() is not None, "the launcher exiting") and launcher.returncode == 0
    run.spin_until(
        lambda: not run.node.count_publishers(topics.LOWCMD) and not run.node.count_publishers(topics.LOWSTATE),
        "both nodes leaving the ROS graph",
    )

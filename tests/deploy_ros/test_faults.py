"""Faults in sim2sim over real DDS: huge actions, corrupted LowCmd, a second node at start.

Each fault against the node alone, with the test's own LowState publisher, is in test_node_faults.py."""

from __future__ import annotations

import re
from pathlib import Path

from deploy.robot import topics
from deploy.robot.wire import WireLayout

from .test_sim2sim import assert_commands_clean


def test_huge_actions_stay_in_joint_ranges_until_saturation_damps_and_lowcmd_with_bad_crc_is_ignored(
    sim2sim, go2_huge_policy: Path
):
    run = sim2sim("go2", go2_huge_policy, bridge={"start_pose": "hanging"})
    run.start_pair()
    run.request("stand")
    run.wait_mode("READY")
    run.request("policy")
    run.wait_mode("POLICY")
    damped = run.wait_mode("DAMPING")
    # The saturation guard damps after 0.2 s; a leg flung into MuJoCo's soft joint limit can overshoot it by
    # more than the 0.2 rad margin first, and the impossible-reading guard damps instead (both are correct).
    assert re.match(r"policy actions saturated \(\|a\| >= 100 on |LowState q of \w+ is ", damped["fault"]), damped
    sim = run.wait_sim(lambda s: s["cmd_kind"] == "DAMPING", "damping commands at the bridge")
    assert_commands_clean(sim)  # every POSITION LowCmd of the saturated policy inside the joint ranges

    # A LowCmd that would bend every joint far out of range, with its CRC off by one: the bridge drops it.
    layout = WireLayout(topics.message_types("unitree_go")[0])
    bad = layout.zeros()
    bad["head"], bad["level_flag"] = (0xFE, 0xEF), 0xFF
    bad["motor_cmd"]["mode"][:12], bad["motor_cmd"]["q"][:12], bad["motor_cmd"]["kp"][:12] = 1, 10.0, 100.0
    bad["crc"] = (layout.crc(bad) + 1) & 0xFFFFFFFF
    publisher = run.node.create_publisher(layout.msg_class, topics.LOWCMD, topics.STREAM_OUT)
    run.spin_until(lambda: publisher.get_subscription_count() > 0, "the bridge subscribing our LowCmd")
    sent = 0

    def counted() -> bool:  # the bridge reads LowCmd best-effort: publish until three bad ones were counted
        nonlocal sent
        if run.sim["bad_crc_count"] >= 3:
            return True
        publisher.publish(layout.to_cdr(bad))
        sent += 1
        return False

    run.spin_until(counted, "three bad-CRC LowCmd counted by the bridge")
    sim = run.wait_sim_time(0.2)
    assert 3 <= sim["bad_crc_count"] <= sent and sim["malformed_count"] == 0
    assert sim["max_target_excursion_rad"] <= 0.0, "no bad LowCmd was applied or range-checked"
    assert sim["lowcmd_count"] > sim["bad_crc_count"] + 500, "the node's LowCmd kept coming"
    assert run.statuses[-1]["mode"] == "DAMPING"


def test_second_policy_node_refuses_to_start_while_one_commands_the_robot(sim2sim, go2_policy: Path):
    run = sim2sim("go2", go2_policy, bridge={"start_pose": "lying"}, node={"discovery_wait_s": 3.5})
    run.start_pair()
    before = run.wait_sim(lambda s: True, "a sim report")["lowcmd_count"]
    second = run.start("second_node", "deploy.robot.policy_node")
    code = run.spin_until(lambda: second.poll() is not None and (second.returncode,), "the second node exiting")[0]
    output = run.log_tail("second_node")
    assert code == 1, output
    assert re.search(r"^policy_node: error: another node already publishes /lowcmd \(.*\); refusing", output, re.M)
    after = run.wait_sim(lambda s: s["lowcmd_count"] > before + 500, "the first node still commanding")
    assert after["bad_crc_count"] == 0

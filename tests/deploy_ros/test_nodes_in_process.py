"""The nodes driven tick by tick in this process, against a second DDS participant (real DDS, loopback).

Checks what the sim2sim runs cannot see from outside: the command the policy receives from /cmd and
from the remote's sticks, and the bridge's perturbation hooks.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest
import rclpy
from rclpy.context import Context
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions
from std_msgs.msg import Float32MultiArray

from deploy.robot import topics
from deploy.robot.params import PolicyNodeParams
from deploy.robot.policy_node import PolicyNode
from deploy.robot.remote import RemoteState, encode_remote
from deploy.robot.state_machine import Mode
from deploy.robot.wire import WireLayout
from deploy.sim.bridge import SimBridge
from deploy.sim.params import SimBridgeParams
from legged_envs.robots.g1 import G1_23DOF
from legged_envs.robots.go2 import GO2

from .conftest import GO2_META

TIMEOUT_S = 30.0


class RecordingPolicy:
    """A policy (controller protocol) that outputs zero actions and keeps every observation it gets."""

    def __init__(self) -> None:
        self.metadata = GO2_META
        self.observations: list[np.ndarray] = []

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        self.observations.append(obs.copy())
        return np.zeros(GO2.num_joints)

    def last_command(self) -> np.ndarray:
        layout = self.metadata.obs_layout
        return self.observations[-1][-layout.frame_dim :][layout.frame_slices()["command"]]


@pytest.fixture
def contexts(ros_env: int) -> Iterator[tuple[Context, Context]]:
    """Two rclpy contexts (two DDS participants): the node under test and its peer."""
    pair = (Context(), Context())
    for context in pair:
        rclpy.init(context=context, signal_handler_options=SignalHandlerOptions.NO)
    yield pair
    for context in pair:
        rclpy.shutdown(context=context)


def until(done: Callable[[], object], what: str, step: Callable[[], None]) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {TIMEOUT_S} s")
        step()
        time.sleep(0.002)


class FakeRobot:
    """Publishes a Go2 LowState at the default pose, level, with the given remote field."""

    def __init__(self, node: Node):
        self.layout = WireLayout(topics.message_types("unitree_go")[1])
        self.publisher = node.create_publisher(self.layout.msg_class, topics.LOWSTATE, topics.STREAM_OUT)
        self.msg = self.layout.zeros()
        self.msg["imu_state"]["quaternion"] = (1.0, 0.0, 0.0, 0.0)
        self.msg["motor_state"]["q"][list(GO2.motor_indices)] = GO2.default_joint_pos
        self.remote(RemoteState())

    def remote(self, state: RemoteState) -> None:
        self.msg["wireless_remote"] = np.frombuffer(encode_remote(state), dtype=np.uint8)

    def publish(self) -> None:
        self.msg["crc"] = self.layout.crc(self.msg)
        self.publisher.publish(self.layout.to_cdr(self.msg))


def to_policy(node: PolicyNode, robot: FakeRobot) -> Callable[[], None]:
    """Tick ``node`` (fed by ``robot``) through stand and READY into POLICY; returns the step function."""

    def step() -> None:
        robot.publish()
        node.tick(time.monotonic())

    until(lambda: node.latest_state is not None, "LowState reaching the node", step)
    node.request("stand")
    until(lambda: node.controller.mode is Mode.READY, "READY", step)
    node.request("policy")
    until(lambda: node.controller.mode is Mode.POLICY, "POLICY", step)
    return step


def test_policy_command_comes_from_the_cmd_topic_clamped_and_zero_once_stale(contexts) -> None:
    params = PolicyNodeParams(policy="-", stand_duration_s=0.05, discovery_wait_s=0.0, command_timeout_s=0.3)
    policy = RecordingPolicy()
    node = PolicyNode(GO2, policy, params, contexts[0])
    peer = rclpy.create_node("peer", context=contexts[1])
    try:
        robot = FakeRobot(peer)
        assert node.claim_lowcmd(), "claimed once the robot's /lowstate publisher is discovered"
        step = to_policy(node, robot)
        cmd = peer.create_publisher(Float32MultiArray, topics.CMD, topics.EVENTS)
        cmd.publish(Float32MultiArray(data=[0.5, -2.0, 0.25]))
        until(lambda: policy.last_command()[0] != 0, "the /cmd command reaching the policy", step)
        assert np.allclose(policy.last_command(), [0.5, -0.6, 0.25]), "vy clamped to its range"
        until(lambda: not policy.last_command().any(), "the command going stale", step)
    finally:
        node.close()
        peer.destroy_node()


def test_policy_command_comes_from_the_remote_sticks_scaled_to_the_command_ranges(contexts) -> None:
    params = PolicyNodeParams(policy="-", stand_duration_s=0.05, discovery_wait_s=0.0, command_source="remote")
    policy = RecordingPolicy()
    node = PolicyNode(GO2, policy, params, contexts[0])
    peer = rclpy.create_node("peer", context=contexts[1])
    try:
        robot = FakeRobot(peer)
        assert node.claim_lowcmd()
        step = to_policy(node, robot)
        robot.remote(RemoteState(ly=0.5, lx=1.0, rx=-1.0))  # forward, full right, full left turn
        until(lambda: policy.last_command()[0] != 0, "the stick command reaching the policy", step)
        assert np.allclose(policy.last_command(), [0.5, -0.6, 1.0])
    finally:
        node.close()
        peer.destroy_node()


def test_bridge_hooks_change_the_published_lowstate_and_see_the_applied_lowcmd(contexts) -> None:
    seen_commands: list[np.ndarray] = []

    def state_hook(msg: np.ndarray, sim_time_s: float) -> None:
        msg["reserve"][0] = 4242  # a marker the subscriber must receive, under a valid CRC

    def command_hook(msg: np.ndarray, sim_time_s: float) -> None:
        seen_commands.append(msg.copy())
        msg["motor_cmd"]["kp"], msg["motor_cmd"]["tau"] = 0.0, 1.0  # stiffness dropped, 1 N m added

    bridge = SimBridge(G1_23DOF, SimBridgeParams(start_pose="hanging"), contexts[0], state_hook, command_hook)
    peer = rclpy.create_node("peer", context=contexts[1])
    state_layout, cmd_layout = (WireLayout(t) for t in reversed(topics.message_types("unitree_hg")))
    states = peer.create_subscription(
        state_layout.msg_class, topics.LOWSTATE, topics.no_callback, topics.STREAM_IN, raw=True
    )
    lowcmd = peer.create_publisher(cmd_layout.msg_class, topics.LOWCMD, topics.STREAM_OUT)
    stop = threading.Event()
    loop = threading.Thread(target=bridge.run, args=(stop,))
    loop.start()
    try:
        received: list[np.ndarray] = []
        until(
            lambda: received,
            "LowState from the bridge",
            lambda: received.extend(state_layout.from_cdr(raw) for raw, _ in topics.take_all(states)),
        )
        assert received[-1]["reserve"][0] == 4242 and received[-1]["crc"] == state_layout.crc(received[-1])

        cmd = cmd_layout.zeros()
        cmd["mode_machine"] = G1_23DOF.mode_machine
        cmd["motor_cmd"]["mode"][:23], cmd["motor_cmd"]["kp"][:23] = 1, 50.0
        cmd["motor_cmd"]["q"][list(G1_23DOF.motor_indices)] = G1_23DOF.default_joint_pos
        cmd["crc"] = cmd_layout.crc(cmd)
        until(
            lambda: seen_commands,
            "the LowCmd reaching the command hook",
            lambda: lowcmd.publish(cmd_layout.to_cdr(cmd)),
        )
        assert (seen_commands[-1]["motor_cmd"]["kp"][:23] == 50.0).all(), "the hook sees the LowCmd as sent"
        until(lambda: np.allclose(bridge.robot.tau, 1.0), "the hooked command driving the motors", lambda: None)
    finally:
        stop.set()
        loop.join()
        bridge.close()
        peer.destroy_node()

"""LowCmd of both families crosses real DDS (rmw_fastrtps_cpp) between two rclpy participants.

The publisher and the subscriber live in separate rclpy contexts (separate DDS participants)
in this process; they find each other over loopback only, in a random domain, and the receiver
checks the CRC the sender computed. Needs the ROS environment (scripts/setup_ros_env.sh).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest
import rclpy
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rclpy.serialization import serialize_message
from unitree_go.msg import LowCmd as GoLowCmd
from unitree_hg.msg import LowCmd as HgLowCmd

from .unitree_layouts import LOWCMD_GO, LOWCMD_HG, lowcmd_crc_go, lowcmd_crc_hg, pack_lowcmd_go, pack_lowcmd_hg

DOMAIN_ID = random.SystemRandom().randint(1, 100)
"""Random per test run, so concurrent runs on one machine do not see each other."""
TIMEOUT_S = 30.0
"""Upper bound on discovery and delivery; discovery on loopback takes up to ~3 s."""


@pytest.fixture
def ros_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """Loopback-only discovery in a private domain, ROS logs under the test's tmp dir."""
    monkeypatch.setenv("ROS_DOMAIN_ID", str(DOMAIN_ID))
    monkeypatch.setenv("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    monkeypatch.delenv("ROS_STATIC_PEERS", raising=False)
    monkeypatch.setenv("ROS_LOG_DIR", str(tmp_path))
    if os.environ.get("RMW_IMPLEMENTATION", "rmw_fastrtps_cpp") != "rmw_fastrtps_cpp":
        pytest.fail(f"RMW_IMPLEMENTATION={os.environ['RMW_IMPLEMENTATION']}: tests expect rmw_fastrtps_cpp")


@pytest.fixture
def two_contexts(ros_env: None) -> Iterator[tuple[Context, Context]]:
    contexts = (Context(), Context())
    for context in contexts:
        rclpy.init(context=context)
    yield contexts
    for context in contexts:
        rclpy.shutdown(context=context)


def spin_until(executor: SingleThreadedExecutor, done: Callable[[], bool], what: str, tick: Callable[[], None]) -> None:
    """Spin until ``done()``, calling ``tick()`` each round."""
    start = time.monotonic()
    while not done():
        if time.monotonic() - start > TIMEOUT_S:
            pytest.fail(f"{what} did not happen within {TIMEOUT_S} s (domain {DOMAIN_ID})")
        tick()
        executor.spin_once(timeout_sec=0.01)


def random_hg(rng: np.random.Generator) -> HgLowCmd:
    msg = HgLowCmd(mode_pr=1, mode_machine=int(rng.integers(0, 256)))
    for motor in msg.motor_cmd:
        motor.mode, motor.reserve = int(rng.integers(0, 2)), int(rng.integers(0, 2**32))
        motor.q, motor.dq, motor.tau, motor.kp, motor.kd = (float(np.float32(x)) for x in rng.normal(size=5))
    msg.reserve = rng.integers(0, 2**32, 4, dtype=np.uint64).astype(np.uint32)
    return msg


def random_go(rng: np.random.Generator) -> GoLowCmd:
    msg = GoLowCmd(level_flag=0xFF, bandwidth=int(rng.integers(0, 2**16)), gpio=int(rng.integers(0, 256)))
    msg.head = [0xFE, 0xEF]
    msg.sn = rng.integers(0, 2**32, 2, dtype=np.uint64).astype(np.uint32)
    for motor in msg.motor_cmd:
        motor.mode, motor.reserve = 1, rng.integers(0, 2**32, 3, dtype=np.uint64).astype(np.uint32)
        motor.q, motor.dq, motor.tau, motor.kp, motor.kd = (float(np.float32(x)) for x in rng.normal(size=5))
    msg.bms_cmd.off = 0xA5
    msg.wireless_remote = rng.integers(0, 256, 40, dtype=np.uint8)
    msg.led = rng.integers(0, 256, 12, dtype=np.uint8)
    return msg


FAMILIES = {
    "unitree_hg": (HgLowCmd, random_hg, pack_lowcmd_hg, lowcmd_crc_hg, LOWCMD_HG),
    "unitree_go": (GoLowCmd, random_go, pack_lowcmd_go, lowcmd_crc_go, LOWCMD_GO),
}


def c_leaves(dtype: np.dtype, offset: int = 0) -> Iterator[tuple[int, np.dtype]]:
    """(C offset, scalar dtype) of every scalar of a struct dtype, in declaration (= CDR) order."""
    for name in dtype.names:
        field_dtype, field_offset = dtype.fields[name][:2]
        base = field_dtype.base
        for k in range(int(np.prod(field_dtype.shape))):
            start = offset + field_offset + k * base.itemsize
            yield from c_leaves(base, start) if base.names else [(start, base)]


@pytest.mark.parametrize("family", FAMILIES)
def test_cdr_wire_layout_matches_unitree_c_struct(family: str) -> None:
    """The generated type serializes the fields, types and array sizes of deploy.robot.crc's C layout."""
    _, random_msg, pack, _, dtype = FAMILIES[family]
    msg = random_msg(np.random.default_rng(3))
    c_struct, cdr = pack(msg), serialize_message(msg)
    assert cdr[:4] == b"\x00\x01\x00\x00"  # plain CDR, little-endian
    payload, pos = cdr[4:], 0
    for c_offset, base in c_leaves(dtype):
        pos = -(-pos // base.itemsize) * base.itemsize  # CDR aligns each scalar to its size
        assert payload[pos : pos + base.itemsize] == c_struct[c_offset : c_offset + base.itemsize], c_offset
        pos += base.itemsize
    assert pos == len(payload)


@pytest.mark.parametrize("family", FAMILIES)
def test_lowcmd_crosses_dds_and_crc_verifies(family: str, two_contexts: tuple[Context, Context]) -> None:
    msg_type, random_msg, pack, crc, _ = FAMILIES[family]
    pub_context, sub_context = two_contexts
    topic = f"lowcmd_test_{family}_{os.getpid()}"
    qos = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
    received: list = []

    start = time.monotonic()
    pub_node = rclpy.create_node("lowcmd_sender", context=pub_context)
    sub_node = rclpy.create_node("lowcmd_receiver", context=sub_context)
    publisher = pub_node.create_publisher(msg_type, topic, qos)
    subscription = sub_node.create_subscription(msg_type, topic, received.append, qos)
    executor = SingleThreadedExecutor(context=sub_context)
    executor.add_node(sub_node)
    try:
        spin_until(
            executor,
            lambda: publisher.get_subscription_count() > 0 and subscription.get_publisher_count() > 0,
            f"discovery of {topic}",
            tick=lambda: None,
        )
        print(f"{family}: publisher and subscriber matched {time.monotonic() - start:.3f} s after node creation")

        sent = random_msg(np.random.default_rng(7))
        sent.crc = crc(sent)
        spin_until(executor, lambda: bool(received), f"delivery on {topic}", tick=lambda: publisher.publish(sent))
    finally:
        executor.shutdown()
        pub_node.destroy_node()
        sub_node.destroy_node()

    got = received[0]
    assert type(got) is msg_type
    assert got.crc == sent.crc == crc(got)
    assert pack(got) == pack(sent)

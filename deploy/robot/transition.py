"""Command-line keyboard for the deploy nodes: request a transition, or drive the sim bridge.

::

    python -m deploy.ros.transition stand|policy|damp|reset   # to the policy node; prints its answer
    python -m deploy.ros.transition --sim stop|resume|nan|clear|release
    python -m deploy.ros.transition --remote "A"              # or "start", "L1 X", "ly=0.5"

Exit codes: 0 accepted (or delivered), 1 refused by the policy node, 2 nobody listening / no answer.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence

import rclpy
from rclpy.context import Context
from rclpy.duration import Duration
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions
from std_msgs.msg import String

from deploy.ros import topics


def _spin_until(executor: SingleThreadedExecutor, done, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            return False
        executor.spin_once(timeout_sec=0.02)
    return True


def send(node: Node, topic: str, text: str, timeout_s: float) -> int:
    """Publish ``text`` on ``topic`` once a subscriber is there; for transitions, wait for and print the answer."""
    statuses: list[dict] = []
    if topic == topics.TRANSITION:
        node.create_subscription(
            String, topics.STATUS, lambda msg: statuses.append(json.loads(msg.data)), topics.LATCHED
        )
    publisher = node.create_publisher(String, topic, topics.EVENTS)
    executor = SingleThreadedExecutor(context=node.context)
    executor.add_node(node)

    def ready() -> bool:  # a subscriber, and for transitions the policy node's (latched) status
        return publisher.get_subscription_count() > 0 and (topic != topics.TRANSITION or bool(statuses))

    if not _spin_until(executor, ready, timeout_s):
        print(f"transition: error: nothing answers on {topic} within {timeout_s:g} s", file=sys.stderr)
        return 2
    last_seq = max(status["seq"] for status in statuses) if statuses else 0
    publisher.publish(String(data=text))
    if topic != topics.TRANSITION:
        delivered = publisher.wait_for_all_acked(Duration(seconds=timeout_s))
        print(f"{topic}: {text!r} {'delivered' if delivered else 'sent (not acknowledged)'}")
        return 0 if delivered else 2

    def answer() -> dict | None:
        return next((s for s in statuses if s["seq"] > last_seq and s.get("request") == text), None)

    if not _spin_until(executor, lambda: answer() is not None, timeout_s):
        print(f"transition: error: no answer to {text!r} within {timeout_s:g} s", file=sys.stderr)
        return 2
    reply = answer()
    if reply["accepted"]:
        print(f"{text}: accepted, mode {reply['mode']}")
        return 0
    print(f"{text}: refused: {reply['reason']}")
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="transition", description=__doc__.split("\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("request", nargs="?", choices=topics.TRANSITION_WORDS, help="transition for the policy node")
    group.add_argument(
        "--sim", choices=topics.SIM_CONTROL_WORDS, help="fault injection / gantry word for the sim bridge"
    )
    group.add_argument("--remote", metavar="TOKENS", help="remote buttons / axis=value for the sim bridge")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for discovery and the answer")
    args = parser.parse_args(argv)
    topic, text = (
        (topics.TRANSITION, args.request)
        if args.request
        else (topics.SIM_CONTROL, args.sim)
        if args.sim
        else (topics.SIM_REMOTE, args.remote)
    )
    context = Context()
    rclpy.init(context=context, signal_handler_options=SignalHandlerOptions.NO)
    node = rclpy.create_node("legged_transition_cli", context=context)
    try:
        return send(node, topic, text, args.timeout)
    finally:
        node.destroy_node()
        rclpy.shutdown(context=context)


if __name__ == "__main__":
    sys.exit(main())

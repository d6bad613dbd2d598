"""Command-line keyboard for the policy node: request a transition and print its answer.

::

    python -m deploy.robot.transition stand|policy|damp|reset|standup

Exit codes: 0 accepted, 1 refused by the policy node, 2 nobody listening / no answer.
(Sim bridge words: ``python -m deploy.sim.control``.)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import rclpy
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions
from std_msgs.msg import String

from deploy.robot import topics


@contextmanager
def cli_node(name: str) -> Iterator[tuple[Node, SingleThreadedExecutor]]:
    """A short-lived node (own context) and an executor spinning it, for command-line tools."""
    context = Context()
    rclpy.init(context=context, signal_handler_options=SignalHandlerOptions.NO)
    node = rclpy.create_node(name, context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    try:
        yield node, executor
    finally:
        executor.shutdown()
        node.destroy_node()
        rclpy.shutdown(context=context)


def spin_until(executor: SingleThreadedExecutor, done: Callable[[], bool], timeout_s: float) -> bool:
    """Spin until ``done()``; False when ``timeout_s`` passed first."""
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            return False
        executor.spin_once(timeout_sec=0.02)
    return True


def request(node: Node, executor: SingleThreadedExecutor, word: str, timeout_s: float) -> int:
    """Send ``word`` on /legged/transition once the policy node is there; print its answer; the exit code."""
    statuses: list[dict] = []
    node.create_subscription(String, topics.STATUS, lambda msg: statuses.append(json.loads(msg.data)), topics.LATCHED)
    publisher = node.create_publisher(String, topics.TRANSITION, topics.EVENTS)
    if not spin_until(executor, lambda: publisher.get_subscription_count() > 0 and bool(statuses), timeout_s):
        problem = f"no policy node answers on {topics.TRANSITION} within {timeout_s:g} s"
        print(f"transition: error: {problem}", file=sys.stderr)
        return 2
    last_seq = max(status["seq"] for status in statuses)
    publisher.publish(String(data=word))

    def answer() -> dict | None:
        return next((s for s in statuses if s["seq"] > last_seq and s.get("request") == word), None)

    if not spin_until(executor, lambda: answer() is not None, timeout_s):
        print(f"transition: error: no answer to {word!r} within {timeout_s:g} s", file=sys.stderr)
        return 2
    reply = answer()
    if reply["accepted"]:
        print(f"{word}: accepted, mode {reply['mode']}")
        return 0
    print(f"{word}: refused: {reply['reason']}")
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="transition", description=__doc__.split("\n")[0])
    parser.add_argument("request", choices=topics.TRANSITION_WORDS, help="transition for the policy node")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for discovery and the answer")
    args = parser.parse_args(argv)
    with cli_node("legged_transition_cli") as (node, executor):
        return request(node, executor, args.request, args.timeout)


if __name__ == "__main__":
    sys.exit(main())

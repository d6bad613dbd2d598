"""Command-line control of the sim bridge: fault injection, the gantry and the remote's buttons.

::

    python -m deploy.sim.control stop|resume|nan|clear|release
    python -m deploy.sim.control --remote "A"          # or "start", "L1 X", "ly=0.5"

Exit codes: 0 delivered, 2 nobody listening / not acknowledged.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rclpy.duration import Duration
from std_msgs.msg import String

from deploy.robot import topics
from deploy.robot.transition import cli_node, spin_until
from deploy.sim import topics as sim_topics


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="control", description=__doc__.split("\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("word", nargs="?", choices=sim_topics.SIM_CONTROL_WORDS, help="fault injection / gantry word")
    group.add_argument("--remote", metavar="TOKENS", help="remote buttons / axis=value")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the bridge")
    args = parser.parse_args(argv)
    topic, text = (sim_topics.SIM_CONTROL, args.word) if args.word else (sim_topics.SIM_REMOTE, args.remote)
    with cli_node("legged_sim_control_cli") as (node, executor):
        publisher = node.create_publisher(String, topic, topics.EVENTS)
        if not spin_until(executor, lambda: publisher.get_subscription_count() > 0, args.timeout):
            print(f"control: error: no sim bridge listens on {topic} within {args.timeout:g} s", file=sys.stderr)
            return 2
        publisher.publish(String(data=text))
        delivered = publisher.wait_for_all_acked(Duration(seconds=args.timeout))
    print(f"{topic}: {text!r} {'delivered' if delivered else 'sent (not acknowledged)'}")
    return 0 if delivered else 2


if __name__ == "__main__":
    sys.exit(main())

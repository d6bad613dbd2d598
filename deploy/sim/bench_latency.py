"""Latency and jitter of the policy node against the sim bridge, over real DDS.

    python -m deploy.sim.bench_latency --params deploy/config/go2_sim2sim.yaml --policy POLICY.onnx [--duration 60]
        [--load N] [--realtime-priority P]

Starts the sim bridge (a subprocess: the robot) and a LowCmd listener (a subprocess: the robot's
receive side), runs the policy node in this process, requests stand then policy, and measures for
``--duration`` seconds in POLICY:

- tick compute: control-loop wake-up -> LowCmd published (the node's work per tick; goal p99 <= 1 ms),
  and the CPU time of that work (the difference is time the thread was preempted);
- LowState in -> LowCmd out: DDS reception of each LowState -> the first LowCmd computed from it is
  published (includes the wait for the next 2 ms deadline, so about 1 ms on average);
- command-stream period as published and as received (DDS reception stamps) by the listener, and its
  jitter |period - 2 ms|: the gap between LowCmds the robot sees;
- garbage-collector pauses in the node's process during the window.

``--load N`` adds N busy-looping processes at normal priority (a competing CPU load);
``--realtime-priority`` overrides the node's ``realtime_priority`` (0: normal scheduling).

Run it in a private ROS_DOMAIN_ID: the bridge must be the only /lowstate publisher.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import rclpy
from rclpy.context import Context
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rclpy.signals import SignalHandlerOptions

from deploy.robot import realtime, topics
from deploy.robot.policy_node import PolicyNode, load
from deploy.robot.state_machine import Mode

STARTUP_TIMEOUT_S = 60.0
"""Longest wait for the bridge, discovery and the stand-up, s."""
LISTENER_PRIORITY = 45
"""SCHED_FIFO priority of the listener (where permitted), so that its DDS reception stamps measure the
command stream, not the listener's own preemption (the robot's receiver is firmware)."""
LISTENER_QUEUE = 100
"""LowCmd queued by the listener between its 10 ms polls (5 expected)."""


def listen(family: str, out: Path) -> int:
    """Record the DDS reception time of every /lowcmd (on the time.monotonic() clock) until SIGINT/SIGTERM,
    then save them to ``out``. Polls every 10 ms: the reception stamps are exact without a busy executor."""
    print(f"bench: listener {realtime.use_fifo(LISTENER_PRIORITY)}", flush=True)
    context = Context()
    rclpy.init(context=context, signal_handler_options=SignalHandlerOptions.NO)
    node = rclpy.create_node("legged_bench_listener", context=context)
    qos = QoSProfile(depth=LISTENER_QUEUE, reliability=ReliabilityPolicy.BEST_EFFORT)
    lowcmd_type = topics.message_types(family)[0]
    subscription = node.create_subscription(lowcmd_type, topics.LOWCMD, topics.no_callback, qos, raw=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    wall_to_monotonic = time.monotonic() - time.time()
    stamps: list[float] = []
    while not stop.wait(0.01):
        stamps.extend(
            info["received_timestamp"] * 1e-9 + wall_to_monotonic for _, info in topics.take_all(subscription)
        )
    np.save(out, np.asarray(stamps))
    node.destroy_node()
    rclpy.shutdown(context=context)
    return 0


def _wait(what: str, done, timeout_s: float = STARTUP_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"bench: {what} did not happen within {timeout_s:g} s")
        time.sleep(0.01)


def _drive(node: PolicyNode, duration_s: float, stop: threading.Event, window: list[float]) -> None:
    """stand -> READY -> policy -> POLICY, then ``duration_s`` of measurement (``window`` gets its start
    and end); sets ``stop`` at the end."""
    try:
        _wait("the first LowState", lambda: node.latest_state is not None)
        node.request("stand")
        _wait("READY", lambda: node.controller.mode is Mode.READY)
        node.request("policy")
        _wait("POLICY", lambda: node.controller.mode is Mode.POLICY)
        window.append(time.monotonic())
        while time.monotonic() < window[0] + duration_s and node.controller.mode is Mode.POLICY:
            time.sleep(0.05)
        if node.controller.mode is Mode.POLICY:
            window.append(time.monotonic())
        else:
            print(f"bench: left POLICY during the measurement: {node.controller.fault}", file=sys.stderr)
    except TimeoutError as error:
        print(error, file=sys.stderr)
    finally:
        stop.set()


class GcPauses:
    """(start, duration) of every garbage collection in this process while installed (``gc.callbacks``), s."""

    def __init__(self) -> None:
        self.pauses: list[tuple[float, float]] = []
        self._start = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = time.monotonic()
        else:
            self.pauses.append((self._start, time.monotonic() - self._start))

    def close(self) -> None:
        gc.callbacks.remove(self._callback)


def _figures(name: str, values_ms: np.ndarray) -> str:
    p50, p99, p999 = np.percentile(values_ms, [50, 99, 99.9])
    return f"  {name:<36} p50 {p50:7.3f}  p99 {p99:7.3f}  p99.9 {p999:7.3f}  max {values_ms.max():7.3f} ms"


def report(rows: np.ndarray, arrivals: np.ndarray, period_s: float) -> list[str]:
    """Lines of figures from TickStats rows and listener arrival times (monotonic s)."""
    compute_ms = (rows[:, 1] - rows[:, 0]) * 1e3
    used = rows[np.isfinite(rows[:, 2])]
    _, first = np.unique(used[:, 2], return_index=True)  # the first tick using each LowState
    in_to_out_ms = (used[first, 1] - used[first, 2]) * 1e3
    sent_ms = np.diff(rows[:, 1]) * 1e3
    got_ms = np.diff(arrivals) * 1e3
    return [
        f"  ticks {len(rows)}, LowState used {len(first)}, LowCmd received by the listener {len(arrivals)}",
        _figures("tick compute (wake -> published)", compute_ms),
        _figures("tick CPU time", rows[:, 3] * 1e3),
        _figures("LowState in -> LowCmd out", in_to_out_ms),
        _figures("period as published", sent_ms),
        _figures("jitter as published |T - 2 ms|", np.abs(sent_ms - period_s * 1e3)),
        _figures("period as received", got_ms),
        _figures("jitter as received |T - 2 ms|", np.abs(got_ms - period_s * 1e3)),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_latency", description=__doc__.split("\n")[0])
    parser.add_argument("--params", help="parameters YAML (robot, policy node and bridge settings)")
    parser.add_argument("--policy", help="ONNX policy (overrides policy_node.policy)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds measured in POLICY (default 60)")
    parser.add_argument("--load", type=int, default=0, help="busy-looping processes competing for the CPUs")
    parser.add_argument("--realtime-priority", type=int, help="overrides policy_node.realtime_priority")
    parser.add_argument("--listen", metavar="OUT.npy", help=argparse.SUPPRESS)  # the listener subprocess
    parser.add_argument("--family", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.listen:
        return listen(args.family, Path(args.listen))
    if not args.params:
        parser.error("--params is required")
    spec, policy, params = load(args.params, args.policy)
    if args.realtime_priority is not None:
        params = dataclasses.replace(params, realtime_priority=args.realtime_priority)
    print(
        f"bench: {spec.name}, {args.duration:g} s in POLICY, {args.load} busy processes, realtime_priority "
        f"{params.realtime_priority}; load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        arrivals_file = Path(tmp) / "arrivals.npy"
        me = [sys.executable, "-m", "deploy.sim.bench_latency"]
        children = [
            subprocess.Popen([sys.executable, "-m", "deploy.sim.bridge", "--params", args.params]),
            subprocess.Popen([*me, "--listen", str(arrivals_file), "--family", spec.message_family]),
        ]
        busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.load)]
        print(f"bench: policy node {realtime.use_fifo(params.realtime_priority)}", flush=True)
        context = Context()
        rclpy.init(context=context, signal_handler_options=SignalHandlerOptions.NO)
        node = PolicyNode(spec, policy, params, context)
        stop, window = threading.Event(), []
        gc_pauses = GcPauses()
        try:
            node.claim_lowcmd()
            threading.Thread(target=_drive, args=(node, args.duration, stop, window), daemon=True).start()
            node.run(stop)
        finally:
            gc_pauses.close()
            for process in busy:
                process.kill()
                process.wait()
            node.close()
            rclpy.shutdown(context=context)
            for child in children:
                child.send_signal(signal.SIGINT)
            for child in children:
                child.wait(timeout=30)
        if len(window) != 2:
            return 1
        rows = node.stats.arrays()
        rows = rows[(rows[:, 0] >= window[0]) & (rows[:, 0] <= window[1])]
        arrivals = np.load(arrivals_file)
        arrivals = arrivals[(arrivals >= window[0]) & (arrivals <= window[1])]
    load_avg = os.getloadavg()[0]
    print(f"bench: {window[1] - window[0]:.1f} s measured; load average {load_avg:.2f} on {os.cpu_count()} CPUs")
    for line in report(rows, arrivals, node.controller.config.tick_period_s):
        print(line)
    print(f"  control loop: {node.rate.overruns} late ticks, {node.rate.skipped} skipped (whole run)")
    pauses_ms = np.array([d for start, d in gc_pauses.pauses if window[0] <= start <= window[1]]) * 1e3
    longest = f", longest {pauses_ms.max():.3f} ms, total {pauses_ms.sum():.2f} ms" if len(pauses_ms) else ""
    print(f"  GC: {len(pauses_ms)} collections in the window{longest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

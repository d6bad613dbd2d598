"""Supervising a sim2sim run: the sim bridge and the policy node as real processes, watched over DDS.

The supervisor holds one rclpy participant (its own context) that reads ``/sim/state`` and
``/legged/status`` and publishes transitions, sim control words and remote presses. Waits poll those
topics (never fixed sleeps) up to ``TIMEOUT_S``; a wait that runs out raises ``Sim2SimError`` with the
processes' log tails. Used by ``python -m deploy.sim.sim2sim`` and by the integration tests.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import rclpy
import yaml
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor
from rclpy.publisher import Publisher
from rclpy.signals import SignalHandlerOptions
from std_msgs.msg import Float32MultiArray, String

from deploy.robot import topics
from deploy.sim import topics as sim_topics

TIMEOUT_S = 40.0
"""Upper bound for anything to happen (process start, discovery, a mode change) on a loaded machine."""
COMMAND_RATE_HZ = 20.0
"""Rate of the /cmd messages of ``hold_command``, Hz (the node treats a /cmd older than its timeout as zero)."""
STOP_GRACE_S = 5.0
"""Time a process gets to exit after SIGINT before it is killed, s."""


class Sim2SimError(RuntimeError):
    """A sim2sim run did not do what was expected in time; the message carries the processes' logs."""


class Sim2SimSupervisor:
    """One sim2sim run: a parameters file, the bridge and policy-node processes, and an observer node."""

    def __init__(self, workdir: Path, domain: int, robot: str, policy: Path, bridge: dict, node: dict):
        """Write ``workdir/params.yaml`` for ``robot`` and ``policy`` with the given per-node parameters."""
        workdir.mkdir(parents=True)
        self.workdir, self.domain, self.robot = workdir, domain, robot
        self.params_file = workdir / "params.yaml"
        params = {
            "robot": robot,
            "policy_node": {"policy": str(policy), **node},
            "sim_bridge": bridge,
        }
        self.params_file.write_text(yaml.safe_dump(params))
        self.node_params, self.bridge_params = params["policy_node"], bridge
        self.processes: dict[str, subprocess.Popen] = {}
        self.sim: dict | None = None
        """The latest /sim/state report, with ``node_mode``: the policy node's mode when it arrived."""
        self.sim_log: list[dict] | None = None
        """Set it to a list to collect every /sim/state report from then on."""
        self.statuses: list[dict] = []
        """Every /legged/status message, oldest first, with ``sim_time_s``: the latest report's when it arrived."""
        self.context = Context()
        rclpy.init(context=self.context, signal_handler_options=SignalHandlerOptions.NO)
        self.node = rclpy.create_node("test_observer", context=self.context)
        self.node.create_subscription(String, sim_topics.SIM_STATE, self._on_sim, topics.EVENTS)
        self.node.create_subscription(String, topics.STATUS, self._on_status, topics.LATCHED)
        self.publishers = {
            topic: self.node.create_publisher(String, topic, topics.EVENTS)
            for topic in (topics.TRANSITION, sim_topics.SIM_CONTROL, sim_topics.SIM_REMOTE)
        }
        self.command_publisher = self.node.create_publisher(Float32MultiArray, topics.CMD, topics.EVENTS)
        self.held_command: Float32MultiArray | None = None
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)

    def _on_sim(self, msg: String) -> None:
        self.sim = json.loads(msg.data)
        self.sim["node_mode"] = self.statuses[-1]["mode"] if self.statuses else None
        if self.sim_log is not None:
            self.sim_log.append(self.sim)

    def _on_status(self, msg: String) -> None:
        status = json.loads(msg.data)
        status["sim_time_s"] = self.sim["sim_time_s"] if self.sim is not None else None
        self.statuses.append(status)

    # --- processes ------------------------------------------------------------------------------
    def start(self, name: str, module: str, *extra: str) -> subprocess.Popen:
        """Start ``python -m module --params FILE extra...`` with its output in ``workdir/name.log``."""
        log = open(self.workdir / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
        cmd = [sys.executable, "-m", module, "--params", str(self.params_file), *extra]
        self.processes[name] = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        return self.processes[name]

    def start_pair(self, bridge_args: Sequence[str] = ()) -> None:
        """Bridge (with ``bridge_args``) and policy node; returns once the node's LowCmd drives the bridge."""
        launched = time.monotonic()
        self.start("bridge", "deploy.sim.bridge", *bridge_args)
        self.start("node", "deploy.robot.policy_node")
        self.wait_sim(lambda s: s["lowcmd_count"] > 0, "LowCmd from the policy node reaching the bridge")
        first_lowcmd_s = time.monotonic() - launched
        self.wait_status(lambda s: True, "the policy node's status")
        found = re.search(r"/lowstate publisher discovered ([\d.]+) s", (self.workdir / "node.log").read_text())
        discovered = f"{found[1]} s" if found else "?"
        self.startup_report = (
            f"{self.robot}: node found /lowstate {discovered} after its start; first LowCmd at the bridge "
            f"{first_lowcmd_s:.2f} s after launch"
        )

    def log_tail(self, name: str, lines: int = 15) -> str:
        path = self.workdir / f"{name}.log"
        return "\n".join(path.read_text().splitlines()[-lines:]) if path.exists() else "(no log)"

    def close(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + STOP_GRACE_S
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.executor.shutdown()
        self.node.destroy_node()
        rclpy.shutdown(context=self.context)

    # --- waiting --------------------------------------------------------------------------------
    def spin_until(self, done: Callable[[], object], what: str, timeout_s: float = TIMEOUT_S) -> object:
        """Spin until ``done()`` returns something truthy (returned); fail with the logs after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while not (result := done()):
            if time.monotonic() > deadline:
                logs = "\n".join(f"--- {name}.log:\n{self.log_tail(name)}" for name in self.processes)
                raise Sim2SimError(f"{what}: did not happen within {timeout_s} s (domain {self.domain})\n{logs}")
            for name, process in self.processes.items():
                if name in ("bridge", "node") and process.poll() is not None:
                    raise Sim2SimError(
                        f"{name} exited with code {process.returncode} while waiting for {what}:\n{self.log_tail(name)}"
                    )
            self.executor.spin_once(timeout_sec=0.01)
        return result

    def wait_sim(self, predicate: Callable[[dict], bool], what: str) -> dict:
        """The first /sim/state report satisfying ``predicate``."""
        return self.spin_until(lambda: self.sim if self.sim is not None and predicate(self.sim) else None, what)

    def wait_sim_time(self, seconds: float) -> dict:
        """The first report ``seconds`` of simulated time after the latest one."""
        start = self.wait_sim(lambda s: True, "a sim report")["sim_time_s"]
        return self.wait_sim(lambda s: s["sim_time_s"] >= start + seconds, f"{seconds} s of simulation")

    def wait_status(
        self, predicate: Callable[[dict], bool], what: str, after_seq: int = 0, timeout_s: float = TIMEOUT_S
    ) -> dict:
        """The first policy-node status with seq > ``after_seq`` satisfying ``predicate``."""

        def find() -> dict | None:
            return next((s for s in self.statuses if s["seq"] > after_seq and predicate(s)), None)

        return self.spin_until(find, what, timeout_s)

    def wait_mode(self, mode: str) -> dict:
        return self.wait_status(lambda s: s["mode"] == mode, f"policy node in {mode}")

    # --- sending --------------------------------------------------------------------------------
    def publish(self, topic: str, text: str) -> None:
        """Publish ``text`` on ``topic`` once a subscriber has been discovered."""
        publisher: Publisher = self.publishers[topic]
        self.spin_until(lambda: publisher.get_subscription_count() > 0, f"a subscriber on {topic}")
        publisher.publish(String(data=text))

    def hold_command(self, values: Sequence[float], rate_hz: float = COMMAND_RATE_HZ) -> None:
        """Publish ``values`` on /cmd at ``rate_hz`` from now on (until the next call), while the supervisor spins."""
        first = self.held_command is None
        self.held_command = Float32MultiArray(data=[float(v) for v in values])
        if first:
            self.node.create_timer(1.0 / rate_hz, lambda: self.command_publisher.publish(self.held_command))

    def request(self, transition: str) -> dict:
        """Request a transition over /legged/transition; returns the node's answer (fails when refused)."""
        last = max((s["seq"] for s in self.statuses), default=0)
        self.publish(topics.TRANSITION, transition)
        answer = self.wait_status(lambda s: s.get("request") == transition, f"answer to {transition}", last)
        if not answer["accepted"]:
            raise Sim2SimError(f"transition {transition!r} refused: {answer}")
        return answer

"""A test robot over real DDS: its own 500 Hz LowState publisher, and a check of every LowCmd it receives.

The policy node runs as its own process (``python -m deploy.robot.policy_node``) on a parameters file
written here; this process plays the robot. Each step of its 2 ms loop takes the LowCmds that arrived
and checks every one (``LowCmdCheck``), takes the node's status messages and publishes one LowState
(default pose, level, at rest; ``mutate`` changes it, ``bad_crc`` spoils its CRC, ``publishing`` stops it).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import rclpy
import yaml
from rclpy.context import Context
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rclpy.signals import SignalHandlerOptions
from std_msgs.msg import String

from deploy.robot import topics
from deploy.robot.rate import FixedRate
from deploy.robot.wire import WireLayout
from legged_envs.robots.spec import RobotSpec

TIMEOUT_S = 40.0
"""Upper bound for anything to happen (process start, discovery, a mode change) on a loaded machine."""
TICK_S = 0.002
"""The LowState period of the robot, s."""
NODE_PARAMS = {"discovery_wait_s": 0.2, "stand_duration_s": 0.2}
"""Shorter start and stand-up than the defaults, to keep the tests short."""


class LowCmdCheck:
    """Checks every LowCmd of one robot: CRC, header, q inside the joint ranges and kp either 0 or the spec's
    value on the used motors, and no kp > 0 after the first damping command until ``rearm`` (a reset)."""

    def __init__(self, spec: RobotSpec, layout: WireLayout):
        self.spec, self.layout = spec, layout
        self.slots = np.asarray(spec.motor_indices, dtype=np.intp)
        self.lower = np.array([j.range_rad[0] for j in spec.joints])
        self.upper = np.array([j.range_rad[1] for j in spec.joints])
        self.kp = np.array([j.kp for j in spec.joints], dtype=np.float32)
        self.count = 0
        self.position_count = 0
        """Commands with kp > 0."""
        self.first_position_q: np.ndarray | None = None
        """q targets of the used motors (spec order) in the first command with kp > 0."""
        self.first_damping_s: float | None = None
        """DDS reception time (time.time() clock) of the first damping command since the last ``rearm``."""
        self.problems: list[str] = []
        self._rearming = False

    def rearm(self) -> None:
        """A reset is on its way: kp > 0 is fine again once a PASSIVE command (kp = kd = 0) has arrived."""
        self._rearming = True

    def check(self, raw: bytes, received_s: float) -> None:
        msg = self.layout.from_cdr(raw)
        self.count += 1
        m = msg["motor_cmd"][self.slots]
        q, kp, kd = m["q"].astype(np.float64), m["kp"], m["kd"]
        problems = []
        if int(msg["crc"]) != self.layout.crc(msg):
            problems.append("bad CRC")
        if self.spec.message_family == "unitree_hg" and int(msg["mode_machine"]) != self.spec.mode_machine:
            problems.append(f"mode_machine {int(msg['mode_machine'])}")
        outside = (q < self.lower) | (q > self.upper)
        if outside.any():
            i = int(outside.argmax())
            problems.append(f"q of {self.spec.joint_names[i]} = {q[i]!r} outside {self.lower[i]}..{self.upper[i]}")
        if not ((kp == 0) | (kp == self.kp)).all():
            problems.append(f"kp {kp.tolist()} neither 0 nor the spec's")
        if (kp > 0).any():
            self.position_count += 1
            if self.first_position_q is None:
                self.first_position_q = q
            if self.first_damping_s is not None:
                problems.append("kp > 0 after damping")
        elif (kd > 0).any():
            if self.first_damping_s is None:
                self.first_damping_s = received_s
        elif self._rearming:
            self.first_damping_s, self._rearming = None, False
        if problems:
            self.problems.append(f"LowCmd {self.count}: " + "; ".join(problems))

    def assert_clean(self) -> None:
        assert self.count > 0, "no LowCmd received"
        assert not self.problems, f"{len(self.problems)} bad LowCmds of {self.count}, first: {self.problems[:3]}"


class LiveRobot:
    """The robot side of a test, and the policy node process it drives (started by ``start_node``)."""

    def __init__(self, workdir: Path, spec: RobotSpec, policy: Path, node_params: dict | None = None):
        workdir.mkdir(parents=True, exist_ok=True)
        self.workdir, self.spec = workdir, spec
        self.node_params = {"policy": str(policy), **NODE_PARAMS, **(node_params or {})}
        self.params_file = workdir / "params.yaml"
        self.params_file.write_text(yaml.safe_dump({"robot": spec.name, "policy_node": self.node_params}))
        self.context = Context()
        rclpy.init(context=self.context, signal_handler_options=SignalHandlerOptions.NO)
        self.node = rclpy.create_node("test_robot", context=self.context)
        lowcmd_type, lowstate_type = topics.message_types(spec.message_family)
        self.state_layout, self.cmd_layout = WireLayout(lowstate_type), WireLayout(lowcmd_type)
        self.lowcmds = LowCmdCheck(spec, self.cmd_layout)
        every = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
        self._lowcmd_sub = self.node.create_subscription(
            lowcmd_type, topics.LOWCMD, topics.no_callback, every, raw=True
        )
        self._status_sub = self.node.create_subscription(String, topics.STATUS, topics.no_callback, topics.LATCHED)
        self._state_pub = self.node.create_publisher(lowstate_type, topics.LOWSTATE, topics.STREAM_OUT)
        self._transition_pub = self.node.create_publisher(String, topics.TRANSITION, topics.EVENTS)
        self.state = self._default_state()
        self.mutate: Callable[[np.ndarray], None] | None = None
        """Applied to a copy of each LowState before its CRC is computed."""
        self.bad_crc: Callable[[int], bool] = lambda k: False
        """Whether LowState number k goes out with its CRC off by one."""
        self.publishing = True
        self.sent = 0
        self.last_sent_s = float("nan")
        """time.time() just before the latest LowState was published."""
        self.statuses: list[dict] = []
        self.process: subprocess.Popen | None = None

    def _default_state(self) -> np.ndarray:
        msg = self.state_layout.zeros()
        msg["imu_state"]["quaternion"] = (1.0, 0.0, 0.0, 0.0)
        msg["imu_state"]["accelerometer"] = (0.0, 0.0, 9.81)
        msg["motor_state"]["q"][list(self.spec.motor_indices)] = self.spec.default_joint_pos
        if self.spec.message_family == "unitree_hg":
            msg["mode_machine"] = self.spec.mode_machine
        else:
            msg["head"], msg["level_flag"] = (0xFE, 0xEF), 0xFF
        return msg

    # --- the node process -----------------------------------------------------------------------
    def start_node(self) -> None:
        log = open(self.workdir / "node.log", "w")  # noqa: SIM115 (closed with the process)
        cmd = [sys.executable, "-m", "deploy.robot.policy_node", "--params", str(self.params_file)]
        self.process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.run_until(lambda: self.statuses and self.lowcmds.count >= 5, "the policy node's status and LowCmds")

    def log(self) -> str:
        return (self.workdir / "node.log").read_text()

    def close(self) -> None:
        """SIGINT the node, keep the robot running (and checking) until it exits, then leave DDS."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.run_until(lambda: self.process.poll() is not None, "the node exiting", 10.0)
            finally:
                if self.process.poll() is None:
                    self.process.kill()
                self.process.wait()
        self.node.destroy_node()
        rclpy.shutdown(context=self.context)

    # --- the robot loop -------------------------------------------------------------------------
    def step(self) -> None:
        """Check the LowCmds that arrived, take statuses, publish one LowState."""
        for raw, info in topics.take_all(self._lowcmd_sub):
            self.lowcmds.check(raw, info["received_timestamp"] * 1e-9)
        self.statuses.extend(json.loads(msg.data) for msg, _ in topics.take_all(self._status_sub))
        if not self.publishing:
            return
        msg = self.state_layout.zeros()
        msg.reshape(1).view(np.uint8)[:] = self.state.reshape(1).view(np.uint8)  # ndarray.copy skips padding
        if self.mutate is not None:
            self.mutate(msg)
        msg["crc"] = (self.state_layout.crc(msg) + self.bad_crc(self.sent)) & 0xFFFFFFFF
        self.last_sent_s = time.time()
        self._state_pub.publish(self.state_layout.to_cdr(msg))
        self.sent += 1

    def run_until(self, done: Callable[[], object], what: str, timeout_s: float = TIMEOUT_S) -> object:
        """Step every 2 ms until ``done()`` is truthy (returned); fail after ``timeout_s`` or if the node exits."""
        rate = FixedRate(TICK_S)
        rate.start()
        deadline = time.monotonic() + timeout_s
        while not (result := done()):
            if time.monotonic() > deadline:
                pytest.fail(f"{what}: did not happen within {timeout_s} s\n{self.log()[-3000:]}")
            if self.process is not None and self.process.poll() is not None and what != "the node exiting":
                pytest.fail(f"the node exited ({self.process.returncode}) waiting for {what}:\n{self.log()[-3000:]}")
            self.step()
            rate.wait()
        return result

    def run_for(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        self.run_until(lambda: time.monotonic() >= end, f"{seconds} s")

    # --- the node's state machine ---------------------------------------------------------------
    def wait_status(self, predicate: Callable[[dict], bool], what: str, after_seq: int = 0) -> dict:
        return self.run_until(
            lambda: next((s for s in self.statuses if s["seq"] > after_seq and predicate(s)), None), what
        )

    def wait_mode(self, mode: str, after_seq: int = 0) -> dict:
        return self.wait_status(lambda s: s["mode"] == mode, f"policy node in {mode}", after_seq)

    def request(self, word: str) -> dict:
        """Publish a transition request and return the node's answer."""
        last = max((s["seq"] for s in self.statuses), default=0)
        self.run_until(lambda: self._transition_pub.get_subscription_count() > 0, "the node subscribing")
        self._transition_pub.publish(String(data=word))
        return self.wait_status(lambda s: s.get("request") == word, f"the answer to {word}", last)

    def to_policy(self) -> None:
        """PASSIVE (or DAMPING: reset first) -> STAND -> READY -> POLICY."""
        if self.statuses[-1]["mode"] == "DAMPING":
            self.run_for(0.3)  # the node's guard sees fresh LowStates (a test may just have ended a fault)
            self.lowcmds.rearm()  # before the request: its first PASSIVE LowCmd may arrive with the answer
            assert self.request("reset")["accepted"]
        for word, mode in (("stand", "READY"), ("policy", "POLICY")):
            answer = self.request(word)
            assert answer["accepted"], answer
            self.wait_mode(mode, answer["seq"] - 1)

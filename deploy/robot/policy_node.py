"""The deploy node: LowState in, LowCmd out at 500 Hz, the policy at 50 Hz, through ``deploy.robot.controller``.

Run: ``python -m deploy.robot.policy_node --params deploy/config/go2_sim2sim.yaml [--policy FILE]``.

- Reads ``/lowstate`` (serialized, parsed by ``deploy.robot.wire``), ``/cmd`` (std_msgs/Float32MultiArray,
  the policy's command order) and ``/legged/transition`` (std_msgs/String: stand, policy, damp, reset,
  standup).
  Remote buttons (decoded from LowState.wireless_remote by the controller) request transitions too.
- Publishes ``/lowcmd`` every tick with Unitree's CRC: the spec's motor slots enabled (mode 1), for
  unitree_hg also ``mode_pr`` (a parameter) and ``mode_machine`` (the spec's); and ``/legged/status``
  (latched JSON) on every mode change and after every request.
- One thread, no rclpy executor: each tick takes the queued messages (``topics.take_all``), runs the
  Controller and publishes. Ticks are paced by ``deploy.robot.rate.FixedRate`` (deadlines ``start + k *
  period``, so the stream does not drift; measured here it had a lower period jitter than an rclpy
  timer, which also dropped ticks under load). A LowState is stamped with its DDS reception time moved
  to the ``time.monotonic()`` clock and bounded to the interval since the previous tick (so a step of
  the system clock cannot make a stale LowState look fresh, or a fresh one older than one tick).
  A LowState whose CRC is wrong (or that cannot be parsed) is ignored, counted and reported (log, status,
  exit line): it counts as missing, so a stream of them ends in the stale-state DAMPING.
- The process gets SCHED_FIFO (``realtime_priority``) before DDS starts its threads, and the start-up
  objects are frozen out of the garbage collector when the loop starts (``deploy.robot.realtime``).
- Start: waits for the robot's /lowstate publisher, then watches the ROS graph ``discovery_wait_s`` more
  and refuses (exit 1, one line) when another node publishes /lowcmd. While running, the graph is
  checked every ``graph_check_s``: another /lowcmd publisher -> DAMPING, one log line, and no standing up
  while it is there. Stop (SIGINT/SIGTERM): DAMPING commands for 0.1 s, then exit.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import rclpy
from rclpy.context import Context
from rclpy.signals import SignalHandlerOptions
from std_msgs.msg import Float32MultiArray, String

from deploy.robot import realtime, topics
from deploy.robot.controller import Controller, ControllerConfig, LowStateView, MotorCommands, Policy
from deploy.robot.guards import GuardLimits
from deploy.robot.onnx_policy import OnnxPolicy
from deploy.robot.params import ParamsError, PolicyNodeParams, read_section
from deploy.robot.policy_metadata import PolicyLoadError
from deploy.robot.process import error_line, stop_on_signals
from deploy.robot.rate import FixedRate
from deploy.robot.remote import decode_remote
from deploy.robot.standup import StandupLimits
from deploy.robot.state_machine import Mode, Transition
from deploy.robot.wire import WireLayout
from legged_envs.robots import get_robot_spec
from legged_envs.robots.spec import RobotSpec

EXIT_DAMPING_S = 0.1
"""Damping commands are sent this long before the node exits, s."""


class CommanderConflict(RuntimeError):
    """Another node already publishes /lowcmd."""


class TickStats:
    """Timing of the last ``capacity`` ticks, s: tick start, LowCmd published, DDS reception of the LowState
    the tick used (monotonic clock), and the CPU time the tick's thread spent."""

    def __init__(self, capacity: int = 1 << 16):
        self._data = np.full((capacity, 4), np.nan)
        self.count = 0

    def record(self, start_s: float, published_s: float, state_received_s: float, cpu_s: float) -> None:
        self._data[self.count % len(self._data)] = (start_s, published_s, state_received_s, cpu_s)
        self.count += 1

    def arrays(self) -> np.ndarray:
        """(n, 4) recorded rows, oldest first."""
        n, size = self.count, len(self._data)
        return self._data[:n].copy() if n <= size else np.roll(self._data, -(n % size), axis=0)


class PolicyNode:
    """One robot's controller behind ROS topics: ``claim_lowcmd()``, then ``run(stop)``, then ``close()``."""

    def __init__(self, spec: RobotSpec, policy: Policy, params: PolicyNodeParams, context: Context | None = None):
        self.spec, self.params = spec, params
        guards = GuardLimits(
            state_timeout_s=params.state_timeout_s,
            max_tilt_rad=params.max_tilt_rad,
            saturation_timeout_s=params.saturation_timeout_s,
        )
        config = ControllerConfig(
            tick_period_s=1.0 / params.tick_hz,
            stand_duration_s=params.stand_duration_s,
            damping_kd=params.damping_kd,
            guards=guards,
            standup=StandupLimits(
                timeout_s=params.standup_timeout_s,
                joint_speed_factor=params.standup_joint_speed_factor,
                hold_s=params.standup_hold_s,
            ),
        )
        self.controller = Controller(spec, policy, config)
        self.stats = TickStats()
        self.rate: FixedRate | None = None
        """The control loop's pacing (its overrun counts), once ``run`` started."""
        lowcmd_type, lowstate_type = topics.message_types(spec.message_family)
        self._hg = spec.message_family == "unitree_hg"
        self._cmd_layout, self._state_layout = WireLayout(lowcmd_type), WireLayout(lowstate_type)
        self._state_struct = self._state_layout.zeros()
        self._lowcmd = self._initial_lowcmd()
        meta = self.controller.meta
        self._command_low = np.array([r[0] for r in meta.command_ranges])
        self._command_high = np.array([r[1] for r in meta.command_ranges])
        self._stick_axes = [_stick_axis(name) for name in meta.command_names]

        self._latest: LowStateView | None = None
        self._received_s = math.nan  # DDS reception time of the latest LowState (monotonic clock, not bounded)
        self._requests: deque[str] = deque()
        self._command: tuple[np.ndarray, float] | None = None
        self._seq = 0
        self.lowstate_count = 0
        """LowState messages taken (the newest of each tick's queue), bad CRC included."""
        self.lowstate_bad_crc = 0
        """LowState messages ignored for a bad CRC (they count as missing: the state ages towards the timeout)."""
        self._graph_check_ticks = max(1, round(params.graph_check_s * params.tick_hz))
        self._ticks = 0
        self.started_s = self._last_take_s = time.monotonic()
        self.node = rclpy.create_node("legged_policy", context=context)
        self.log = self.node.get_logger()
        self._lowstate_sub = self.node.create_subscription(
            lowstate_type, topics.LOWSTATE, topics.no_callback, topics.STREAM_IN, raw=True
        )
        self._cmd_sub = self.node.create_subscription(Float32MultiArray, topics.CMD, topics.no_callback, topics.EVENTS)
        self._transition_sub = self.node.create_subscription(
            String, topics.TRANSITION, topics.no_callback, topics.EVENTS
        )
        self._status_pub = self.node.create_publisher(String, topics.STATUS, topics.LATCHED)
        self._lowcmd_pub = None

    def _initial_lowcmd(self) -> np.ndarray:
        msg = self._cmd_layout.zeros()
        if self._hg:
            msg["mode_pr"], msg["mode_machine"] = self.params.mode_pr, self.spec.mode_machine
        else:
            msg["head"], msg["level_flag"] = (0xFE, 0xEF), 0xFF
        msg["motor_cmd"]["mode"][list(self.spec.motor_indices)] = 1
        return msg

    @property
    def latest_state(self) -> LowStateView | None:
        """The newest LowState taken (None before the first)."""
        return self._latest

    def request(self, word: str) -> None:
        """Queue a transition request (any thread); the next tick applies it."""
        self._requests.append(word)

    # --- start and stop -------------------------------------------------------------------------
    def claim_lowcmd(self, stop: threading.Event | None = None) -> bool:
        """Create the /lowcmd publisher once the robot's /lowstate publisher has been discovered and no other
        /lowcmd publisher showed up in the ``discovery_wait_s`` after that; False when ``stop`` was set first.

        The window starts at the robot's discovery, not at the node's start, so a slow discovery cannot use
        it up; a commander discovered later still is caught by the graph watch of ``tick``."""
        robot_seen_s: float | None = None
        while stop is None or not stop.is_set():
            others = self.node.get_publishers_info_by_topic(topics.LOWCMD)
            if others:
                names = ", ".join(sorted({_node_name(info.node_namespace, info.node_name) for info in others}))
                raise CommanderConflict(f"another node already publishes {topics.LOWCMD} ({names}); refusing to start")
            now = time.monotonic()
            if robot_seen_s is None and self.node.count_publishers(topics.LOWSTATE):
                robot_seen_s = now
                self.log.info(f"{topics.LOWSTATE} publisher discovered {now - self.started_s:.3f} s after start")
            if robot_seen_s is not None and now - robot_seen_s >= self.params.discovery_wait_s:
                self._lowcmd_pub = self.node.create_publisher(
                    self._cmd_layout.msg_class, topics.LOWCMD, topics.STREAM_OUT
                )
                return True
            time.sleep(0.02)
        return False

    def run(self, stop: threading.Event) -> None:
        """Tick at ``tick_hz`` until ``stop`` is set, then send DAMPING for ``EXIT_DAMPING_S``."""
        if self._lowcmd_pub is None:
            raise RuntimeError("policy node: claim_lowcmd() must succeed before run()")
        self._publish_status()
        realtime.freeze_gc()
        self.rate = rate = FixedRate(self.controller.config.tick_period_s)
        rate.start()
        while not stop.is_set():
            self.tick(time.monotonic())
            rate.wait()
        self.request(Transition.DAMP.value)
        for _ in range(math.ceil(EXIT_DAMPING_S * self.params.tick_hz)):
            self.tick(time.monotonic())
            rate.wait()
        self.log.info(
            f"control loop: {rate.overruns} late ticks, {rate.skipped} skipped; LowState: {self.lowstate_count} "
            f"taken, {self.lowstate_bad_crc} with a bad CRC ignored"
        )

    def close(self) -> None:
        self.node.destroy_node()

    # --- the 500 Hz tick ------------------------------------------------------------------------
    def tick(self, now_s: float) -> MotorCommands:
        """One control tick at ``now_s`` (time.monotonic()): take messages, run the controller, publish."""
        cpu_start = time.thread_time()
        self._take_messages(now_s)
        while self._requests:
            self._handle_request(self._requests.popleft())
        mode = self.controller.mode
        self._ticks += 1
        if self._ticks % self._graph_check_ticks == 0:
            self._watch_commanders()
        state = self._latest
        out = self.controller.tick(now_s, state, self._current_command(now_s, state))
        self._publish(out)
        self.stats.record(now_s, time.monotonic(), self._received_s, time.thread_time() - cpu_start)
        if out.mode is not mode:
            self._publish_status()
        return out

    def _watch_commanders(self) -> None:
        """Damp (and say so once) while another node publishes /lowcmd; ~10 us when none does."""
        if self.node.count_publishers(topics.LOWCMD) <= 1:  # the node's own publisher
            self.controller.interlock = None
            return
        if self.controller.interlock is None:
            names = sorted(
                _node_name(i.node_namespace, i.node_name) for i in self.node.get_publishers_info_by_topic(topics.LOWCMD)
            )
            own = _node_name(self.node.get_namespace(), self.node.get_name())
            if own in names:
                names.remove(own)
            problem = f"another node publishes {topics.LOWCMD} ({', '.join(names)})"
            self.log.error(f"{problem}: DAMPING")
            self.controller.interlock = problem
            self.controller.damp(problem)

    def _take_messages(self, now_s: float) -> None:
        for msg, _ in topics.take_all(self._transition_sub):
            self.request(msg.data.strip().lower())
        for msg, _ in topics.take_all(self._cmd_sub):
            self._take_command(msg, now_s)
        states = topics.take_all(self._lowstate_sub)
        floor_s, self._last_take_s = self._last_take_s, now_s
        if states:
            raw, info = states[-1]
            received_s = now_s - max(0.0, time.time() - info["received_timestamp"] * 1e-9)
            if self._take_lowstate(raw, min(now_s, max(received_s, floor_s))):
                self._received_s = received_s

    def _take_lowstate(self, raw: bytes, stamp_s: float) -> bool:
        """Parse and check one LowState; False (the message counts as missing) when malformed or its CRC is bad."""
        self.lowstate_count += 1
        try:
            msg = self._state_layout.from_cdr(raw, self._state_struct)
        except ValueError as error:
            self.log.error(str(error), throttle_duration_sec=1.0)
            return False
        if int(msg["crc"]) != self._state_layout.crc(msg):
            self.lowstate_bad_crc += 1
            self.log.warning(
                f"LowState with a bad CRC ignored ({self.lowstate_bad_crc} of {self.lowstate_count} so far)",
                throttle_duration_sec=1.0,
            )
            return False
        imu, motors = msg["imu_state"], msg["motor_state"]
        self._latest = LowStateView(
            quat_wxyz=imu["quaternion"].astype(np.float64),
            gyro_rad_s=imu["gyroscope"].astype(np.float64),
            acc_m_s2=imu["accelerometer"].astype(np.float64),
            motor_q=motors["q"].astype(np.float64),
            motor_dq=motors["dq"].astype(np.float64),
            wireless_remote=msg["wireless_remote"].tobytes(),
            stamp_s=stamp_s,
            mode_machine=int(msg["mode_machine"]) if self._hg else None,
        )
        return True

    def _take_command(self, msg: Float32MultiArray, now_s: float) -> None:
        values = np.asarray(msg.data, dtype=np.float64)
        if values.shape != (len(self._stick_axes),):
            names = ", ".join(self.controller.meta.command_names) or "none"
            expected = len(self._stick_axes)
            self.log.warning(f"{topics.CMD}: expected {expected} values ({names}), got {len(values)}")
            return
        self._command = (values, now_s)

    def _publish(self, out: MotorCommands) -> None:
        motors = self._lowcmd["motor_cmd"]
        motors["q"], motors["dq"], motors["tau"], motors["kp"], motors["kd"] = out.q, out.dq, out.tau, out.kp, out.kd
        self._lowcmd["crc"] = self._cmd_layout.crc(self._lowcmd)
        self._lowcmd_pub.publish(self._cmd_layout.to_cdr(self._lowcmd))

    def _current_command(self, now_s: float, state: LowStateView | None) -> np.ndarray | None:
        """The policy's command: from /cmd (zeros when stale) or from the remote's sticks."""
        if not self._stick_axes:
            return None
        if self.params.command_source == "remote":
            if state is None:
                return np.zeros(len(self._stick_axes))
            remote = decode_remote(state.wireless_remote)
            sticks = np.array([getattr(remote, axis) * sign if axis else 0.0 for axis, sign in self._stick_axes])
            return np.where(sticks >= 0, sticks * self._command_high, -sticks * self._command_low)
        if self._command is None or now_s - self._command[1] > self.params.command_timeout_s:
            return np.zeros(len(self._stick_axes))
        return self._command[0]

    def _handle_request(self, word: str) -> None:
        if word not in topics.TRANSITION_WORDS:
            known = ", ".join(topics.TRANSITION_WORDS)
            self._publish_status(word, False, f"unknown transition {word!r} (known: {known})")
            return
        accepted = self.controller.request(word)
        self._publish_status(word, accepted, None if accepted else self.controller.refusal)

    def _publish_status(self, request: str | None = None, accepted: bool | None = None, reason: str | None = None):
        ctrl = self.controller
        self._seq += 1
        status = {
            "seq": self._seq,
            "mode": ctrl.mode.value,
            "fault": ctrl.fault,
            "policy_steps": ctrl.policy_steps,
            "lowstate_count": self.lowstate_count,
            "lowstate_bad_crc": self.lowstate_bad_crc,
        }
        if request is not None:
            status.update(request=request, accepted=accepted, reason=reason)
        self._status_pub.publish(String(data=json.dumps(status)))
        if request is not None and not accepted:
            self.log.warning(f"{request} refused: {reason}")
        else:
            cause = f"{request} requested" if request is not None else ctrl.fault if ctrl.mode is Mode.DAMPING else None
            self.log.info(f"mode {ctrl.mode.value}" + (f" ({cause})" if cause else ""))


def _node_name(namespace: str, name: str) -> str:
    """``/ns/name``, or a note when the ROS graph has not learnt the name yet (or the writer is not a ROS node)."""
    if name == "_NODE_NAME_UNKNOWN_":
        return "node name not known yet"
    return f"{namespace.rstrip('/')}/{name}"


def _stick_axis(command_name: str) -> tuple[str | None, float]:
    """(remote axis, sign) driving a command entry: vx <- ly, vy <- -lx, yaw rate <- -rx; others none."""
    for prefix, axis, sign in (("vx", "ly", 1.0), ("vy", "lx", -1.0), ("yaw", "rx", -1.0)):
        if command_name.startswith(prefix):
            return axis, sign
    return None, 0.0


def _check_interface(name: str) -> None:
    """Raise ValueError when network interface ``name`` does not exist on this machine."""
    net = Path("/sys/class/net")
    if not (net / name).exists():
        known = ", ".join(sorted(p.name for p in net.iterdir())) if net.is_dir() else "none found"
        raise ValueError(f"network_interface {name!r} does not exist on this machine (interfaces: {known})")


def load(params_file: str, policy: str | None = None) -> tuple[RobotSpec, OnnxPolicy, PolicyNodeParams]:
    """(spec, policy, params) from a parameters file; raises ParamsError / PolicyLoadError / KeyError."""
    robot, params = read_section(params_file, "policy_node", PolicyNodeParams, policy=policy)
    spec = get_robot_spec(robot)
    return spec, OnnxPolicy(params.policy, spec), params


def main(argv: Sequence[str] | None = None) -> int:
    """``legged deploy`` / ``python -m deploy.robot.policy_node``; returns the exit code."""
    parser = argparse.ArgumentParser(prog="policy_node", description="Run an exported policy on a Unitree robot.")
    parser.add_argument("--params", required=True, help="parameters YAML (e.g. deploy/config/go2_sim2sim.yaml)")
    parser.add_argument("--policy", help="ONNX policy file (overrides policy_node.policy)")
    args = parser.parse_args(argv)
    try:
        spec, policy, params = load(args.params, args.policy)
        _check_interface(params.network_interface)
        scheduling = realtime.use_fifo(params.realtime_priority)
        node_context = Context()
        rclpy.init(context=node_context, domain_id=params.domain_id, signal_handler_options=SignalHandlerOptions.NO)
        node = PolicyNode(spec, policy, params, node_context)
    except (ParamsError, PolicyLoadError, KeyError, ValueError) as error:
        print(f"policy_node: error: {error_line(error)}", file=sys.stderr)
        return 2
    stop = stop_on_signals()
    node.log.info(scheduling)
    try:
        node.log.info(
            f"waiting for {topics.LOWSTATE} from the robot, then {params.discovery_wait_s:g} s for other commanders"
        )
        if node.claim_lowcmd(stop):
            node.log.info(f"{spec.name}: {params.policy}, LowCmd at {params.tick_hz:g} Hz")
            node.run(stop)
    except CommanderConflict as error:
        print(f"policy_node: error: {error}", file=sys.stderr)
        return 1
    finally:
        node.close()
        rclpy.shutdown(context=node_context)
    return 0


if __name__ == "__main__":
    sys.exit(main())

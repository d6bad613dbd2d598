"""The sim2sim "robot": MuJoCo behind the same topics as a Unitree robot, in real time.

Run: ``python -m deploy.sim.bridge --params deploy/config/go2_sim2sim.yaml``.

- Takes ``/lowcmd`` (serialized). A LowCmd with a wrong CRC is ignored and counted, as the robot does;
  so is a malformed one (non-finite values; unitree_hg: mode_machine other than the spec's; unitree_go:
  head other than FE EF or level_flag other than 0xFF). The latest accepted LowCmd drives the motors
  (``deploy.sim.sim_robot``: PD at the physics rate, clipped to the effort limits) until the next.
- Publishes ``/lowstate`` at ``publish_hz`` (500): IMU quaternion (wxyz), gyroscope, accelerometer,
  rpy; q, dq, tau_est per DDS motor slot; wireless_remote; tick (simulated ms); CRC. One thread, paced
  by ``deploy.robot.rate.FixedRate``: each tick takes the queued messages (``topics.take_all``, no executor),
  steps the physics by one LowState period and publishes.
- ``/sim/remote`` (String): button names are held down for ``remote_press_s``; ``axis=value`` sets a
  stick (lx, ly, rx, ry, l2) until changed. Encoded with ``deploy.robot.remote.encode_remote``.
- ``/sim/control`` (String): ``stop`` / ``resume`` publishing LowState, ``nan`` (NaN in every following
  LowState's IMU and motor q), ``clear`` (undo stop and nan), ``release`` (drop the gantry of a hanging start),
  ``perturb`` (start the robustness scenario's clock, ``--suite``).
- ``/sim/state`` (String, JSON, ``status_hz``): base height, tilt, projected gravity, joint q, LowCmd counts
  (received, bad CRC, malformed), the kind of the last command (PASSIVE / DAMPING / POSITION), the largest
  excursion of a position target outside its joint range, after a ``stop`` the time from the last LowState
  to the first DAMPING LowCmd, and, over the LowState ticks since the previous report, the lowest and highest
  base height and the fastest joint (``base_height_range_m``, ``joint_speed_peak_rad_s`` / ``_joint``).
- Perturbations: ``SimBridge(state_hook=..., command_hook=...)`` take callables ``hook(struct, sim_time_s)``
  applied in place to the LowState C struct before it is published and to the accepted LowCmd struct
  before it drives the motors (``deploy.robot.wire`` layouts). ``--suite FILE --scenario NAME --severity S``
  applies a robustness scenario (``deploy.sim.perturb``) to the LowState, the LowCmd and the physics from
  ``perturb`` on.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import threading
import time
from collections.abc import Callable, Sequence

import numpy as np
import rclpy
from rclpy.context import Context
from rclpy.signals import SignalHandlerOptions
from std_msgs.msg import String

from deploy.robot import topics
from deploy.robot.observation import projected_gravity, tilt_rad
from deploy.robot.params import ParamsError, read_section
from deploy.robot.process import error_line, stop_on_signals
from deploy.robot.rate import FixedRate
from deploy.robot.remote import BUTTON_BITS, RemoteState, encode_remote
from deploy.robot.wire import WireLayout
from deploy.sim import topics as sim_topics
from deploy.sim.params import SimBridgeParams
from deploy.sim.perturb import BridgePerturbation, bridge_problem
from deploy.sim.sim_robot import START_POSES, SimRobot, rpy_from_quat
from legged_envs.config import ConfigError
from legged_envs.perturbations.config import load_suite
from legged_envs.robots import get_robot_spec
from legged_envs.robots.spec import RobotSpec

Hook = Callable[[np.ndarray, float], None]
"""``hook(struct, sim_time_s)``: modifies a LowState / LowCmd C struct in place."""
AXES = ("lx", "ly", "rx", "ry", "l2")


class SimBridge:
    """A SimRobot behind /lowcmd and /lowstate: ``run(stop)``, then ``close()``. One thread, no executor."""

    def __init__(
        self,
        spec: RobotSpec,
        params: SimBridgeParams,
        context: Context | None = None,
        state_hook: Hook | None = None,
        command_hook: Hook | None = None,
    ):
        period = 1.0 / params.publish_hz
        self.substeps = round(period / params.physics_dt_s)
        if self.substeps < 1 or abs(self.substeps * params.physics_dt_s - period) > 1e-9:
            raise ValueError(f"sim bridge: physics_dt_s {params.physics_dt_s} does not divide the LowState period")
        self.spec, self.params = spec, params
        self.state_hook, self.command_hook = state_hook, command_hook
        self.robot = SimRobot(
            spec, params.physics_dt_s, params.start_pose, params.platform_height_m, params.wall_distance_m
        )
        lowcmd_type, lowstate_type = topics.message_types(spec.message_family)
        self._hg = spec.message_family == "unitree_hg"
        self._cmd_layout, self._state_layout = WireLayout(lowcmd_type), WireLayout(lowstate_type)
        self._slots = np.asarray(spec.motor_indices, dtype=np.intp)
        self._lower = np.array([j.range_rad[0] for j in spec.joints])
        self._upper = np.array([j.range_rad[1] for j in spec.joints])
        self._lowstate = self._state_layout.zeros()
        if not self._hg:
            self._lowstate["head"], self._lowstate["level_flag"] = (0xFE, 0xEF), 0xFF
        else:
            self._lowstate["mode_machine"] = spec.mode_machine

        self._command: np.ndarray | None = None
        self.perturbation: BridgePerturbation | None = None
        """A robustness scenario, applied from the ``perturb`` word on."""
        self.counts = {"lowcmd": 0, "bad_crc": 0, "malformed": 0, "lowstate": 0}
        self.cmd_kind = "none"
        self.max_target_excursion_rad = 0.0
        self._stopped = self._nan = False
        self._last_state_wall_s = math.nan
        self.stop_to_damping_s: float | None = None
        self._buttons: dict[str, float] = {}
        self._axes = dict.fromkeys(AXES, 0.0)
        self._window_start()

        self.node = rclpy.create_node("legged_sim_bridge", context=context)
        self.log = self.node.get_logger()

        def subscribe(msg_type: type, topic: str, qos, take, raw: bool = False):
            return self.node.create_subscription(msg_type, topic, topics.no_callback, qos, raw=raw), take

        self._subscriptions = (
            subscribe(lowcmd_type, topics.LOWCMD, sim_topics.LOWCMD_EVERY, self._take_lowcmd, raw=True),
            subscribe(String, sim_topics.SIM_CONTROL, topics.EVENTS, self._take_control),
            subscribe(String, sim_topics.SIM_REMOTE, topics.EVENTS, self._take_remote),
        )
        self._lowstate_pub = self.node.create_publisher(lowstate_type, topics.LOWSTATE, topics.STREAM_OUT)
        self._report_pub = self.node.create_publisher(String, sim_topics.SIM_STATE, topics.EVENTS)

    def close(self) -> None:
        self.node.destroy_node()

    # --- the loop -------------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        """Simulate and publish in real time until ``stop`` is set."""
        rate = FixedRate(1.0 / self.params.publish_hz)
        rate.start()
        report_every = max(1, round(self.params.publish_hz / self.params.status_hz))
        while not stop.is_set():
            for subscription, take in self._subscriptions:
                for msg, info in topics.take_all(subscription):
                    take(msg, info)
            self._apply_command()
            self.robot.step(self.substeps)
            self._track()
            if not self._stopped:
                self._publish_state(time.monotonic())
            if rate.tick % report_every == 0:
                self._report(rate)
            rate.wait()

    def _window_start(self) -> None:
        """Start a new window of extremes (reported and restarted by ``_report``)."""
        height = self.robot.base_height_m
        self._height_range = [height, height]
        self._speed_peak = (0.0, 0)

    def _track(self) -> None:
        """Update the window's lowest and highest base height and fastest joint after a LowState tick."""
        robot = self.robot
        height, speeds = robot.base_height_m, np.abs(robot.joint_dq)
        self._height_range = [min(self._height_range[0], height), max(self._height_range[1], height)]
        joint = int(speeds.argmax())
        if speeds[joint] > self._speed_peak[0]:
            self._speed_peak = (float(speeds[joint]), joint)

    def _apply_command(self) -> None:
        command, s = self._command, self._slots
        if command is None:
            return  # no LowCmd yet: motors off
        if self.command_hook is not None or self.perturbation is not None:
            command = command.copy()
        if self.command_hook is not None:
            self.command_hook(command, self.robot.time_s)
        if self.perturbation is not None:
            self.perturbation.command(command, self.robot.time_s)
            self.perturbation.physics(self.robot.time_s)
        m = command["motor_cmd"]
        enabled = (m["mode"][s] == 1).astype(np.float64)
        self.robot.set_command(enabled, m["q"][s], m["dq"][s], m["kp"][s], m["kd"][s], m["tau"][s])

    def _publish_state(self, now_s: float) -> None:
        msg, robot, s = self._lowstate, self.robot, self._slots
        imu, motors = msg["imu_state"], msg["motor_state"]
        quat = robot.imu_quat_wxyz
        imu["quaternion"], imu["gyroscope"], imu["accelerometer"] = quat, robot.imu_gyro_rad_s, robot.imu_acc_m_s2
        imu["rpy"] = rpy_from_quat(quat)
        motors["q"][s], motors["dq"][s], motors["tau_est"][s] = robot.joint_q, robot.joint_dq, robot.tau
        command = self._command
        motors["mode"][s] = command["motor_cmd"]["mode"][s] if command is not None else 0
        msg["tick"] = round(robot.time_s * 1000.0) & 0xFFFFFFFF
        msg["wireless_remote"] = np.frombuffer(self._remote_bytes(now_s), dtype=np.uint8)
        if self._nan:
            imu["quaternion"], motors["q"][s] = math.nan, math.nan
        if self.state_hook is not None:
            self.state_hook(msg, robot.time_s)
        if self.perturbation is not None:
            self.perturbation.state(msg, robot.time_s)
        msg["crc"] = self._state_layout.crc(msg)
        self._last_state_wall_s = time.time()  # before publishing: no reader can have it earlier
        self._lowstate_pub.publish(self._state_layout.to_cdr(msg))
        self.counts["lowstate"] += 1

    def _remote_bytes(self, now_s: float) -> bytes:
        held = frozenset(name for name, until in self._buttons.items() if now_s < until)
        return encode_remote(RemoteState(held, **self._axes))

    def _report(self, rate: FixedRate) -> None:
        robot = self.robot
        report = {
            "sim_time_s": robot.time_s,
            "base_height_m": robot.base_height_m,
            "base_xy_m": robot.base_xy_m.tolist(),
            "base_rpy_rad": robot.base_rpy_rad.tolist(),
            "tilt_rad": tilt_rad(robot.imu_quat_wxyz),
            "projected_gravity": projected_gravity(robot.imu_quat_wxyz).tolist(),
            "joint_q": robot.joint_q.tolist(),
            "base_height_range_m": self._height_range,
            "joint_speed_peak_rad_s": self._speed_peak[0],
            "joint_speed_peak_joint": self.spec.joint_names[self._speed_peak[1]],
            "held": robot.held,
            **{f"{name}_count": count for name, count in self.counts.items()},
            "cmd_kind": self.cmd_kind,
            "max_target_excursion_rad": self.max_target_excursion_rad,
            "lowstate_stopped": self._stopped,
            "stop_to_damping_s": self.stop_to_damping_s,
            "late_ticks": rate.overruns,
            "skipped_ticks": rate.skipped,
        }
        self._report_pub.publish(String(data=json.dumps(report)))
        self._window_start()

    # --- messages -------------------------------------------------------------------------------
    def _take_lowcmd(self, raw: bytes, info: dict) -> None:
        self.counts["lowcmd"] += 1
        try:
            msg = self._cmd_layout.from_cdr(raw)
        except ValueError:
            self.counts["malformed"] += 1
            return
        if int(msg["crc"]) != self._cmd_layout.crc(msg):
            self.counts["bad_crc"] += 1
            return
        m = msg["motor_cmd"][self._slots]
        values = np.stack([m["q"], m["dq"], m["kp"], m["kd"], m["tau"]])
        if not np.isfinite(values).all() or not self._header_ok(msg):
            self.counts["malformed"] += 1
            return
        self.cmd_kind = "POSITION" if (m["kp"] > 0).any() else "DAMPING" if (m["kd"] > 0).any() else "PASSIVE"
        if self.cmd_kind == "POSITION":
            held = m["kp"] > 0
            excursion = np.maximum(self._lower - m["q"], m["q"] - self._upper)[held].max()
            self.max_target_excursion_rad = max(self.max_target_excursion_rad, float(excursion))
        elif self.cmd_kind == "DAMPING" and self._stopped and self.stop_to_damping_s is None:
            self.stop_to_damping_s = info["received_timestamp"] * 1e-9 - self._last_state_wall_s
        self._command = msg

    def _header_ok(self, msg: np.ndarray) -> bool:
        if self._hg:
            return int(msg["mode_machine"]) == self.spec.mode_machine
        return msg["head"].tolist() == [0xFE, 0xEF] and int(msg["level_flag"]) == 0xFF

    def _take_control(self, msg: String, _: dict) -> None:
        word = msg.data.strip().lower()
        if word not in sim_topics.SIM_CONTROL_WORDS:
            self.log.warning(
                f"{sim_topics.SIM_CONTROL}: unknown word {word!r} (known: {', '.join(sim_topics.SIM_CONTROL_WORDS)})"
            )
            return
        if word == "stop":
            self._stopped, self.stop_to_damping_s = True, None
        elif word == "resume":
            self._stopped = False
        elif word == "nan":
            self._nan = True
        elif word == "clear":
            self._stopped = self._nan = False
        elif word == "perturb":
            if self.perturbation is None:
                self.log.warning("perturb: no scenario (--suite) given")
                return
            self.perturbation.start(self.robot.time_s)
        elif not self.robot.release():
            self.log.warning("release: the robot is not held")
        self.log.info(f"sim control: {word}")

    def _take_remote(self, msg: String, _: dict) -> None:
        until = time.monotonic() + self.params.remote_press_s
        for token in msg.data.split():
            name, _, value = token.partition("=")
            if not value and name in BUTTON_BITS:
                self._buttons[name] = until
                continue
            try:
                number = float(value)
            except ValueError:
                number = math.nan
            if name not in AXES or not -1.0 <= number <= 1.0:
                expected = "a button name or axis=value in [-1, 1]"
                self.log.warning(f"{sim_topics.SIM_REMOTE}: bad token {token!r} ({expected})")
                continue
            self._axes[name] = number


def scenario_perturbation(
    args: argparse.Namespace, spec: RobotSpec, bridge: SimBridge, publish_hz: float
) -> BridgePerturbation:
    """The ``--suite`` file's ``--scenario`` at ``--severity`` on ``bridge``; ``ValueError`` names what is wrong."""
    suite = load_suite(args.suite)
    if args.scenario not in suite.scenarios:
        raise ValueError(f"{args.suite}: no scenario {args.scenario!r} (scenarios: {', '.join(suite.scenarios)})")
    model = bridge.robot.model
    problem = bridge_problem(suite, spec, tuple(model.body(i).name for i in range(model.nbody)))
    if problem:
        raise ValueError(f"{args.suite}: {problem[0]}: {problem[1]}")
    scenario = suite.scenarios[args.scenario]
    return BridgePerturbation(scenario, args.severity, args.seed, spec, bridge.robot, args.control_dt, publish_hz)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m deploy.sim.bridge``; returns the exit code."""
    parser = argparse.ArgumentParser(prog="sim_bridge", description="Simulate a Unitree robot behind its topics.")
    parser.add_argument("--params", required=True, help="parameters YAML (e.g. deploy/config/go2_sim2sim.yaml)")
    parser.add_argument("--start-pose", choices=START_POSES, help="overrides sim_bridge.start_pose")
    parser.add_argument("--suite", help="robustness suite YAML (configs/robustness/): apply --scenario from perturb on")
    parser.add_argument("--scenario", help="scenario of --suite")
    parser.add_argument("--severity", type=float, default=1.0, help="severity of --scenario, default 1")
    parser.add_argument("--seed", type=int, default=0, help="seed of the scenario's random draws, default 0")
    parser.add_argument("--control-dt", type=float, default=0.02, help="the policy's control step, s, default 0.02")
    args = parser.parse_args(argv)
    try:
        robot, params = read_section(args.params, "sim_bridge", SimBridgeParams, start_pose=args.start_pose)
        spec = get_robot_spec(robot)
        bridge_context = Context()
        rclpy.init(context=bridge_context, signal_handler_options=SignalHandlerOptions.NO)
        bridge = SimBridge(spec, params, bridge_context)
        if args.suite:
            bridge.perturbation = scenario_perturbation(args, spec, bridge, params.publish_hz)
    except (ParamsError, ConfigError, KeyError, ValueError) as error:
        print(f"sim_bridge: error: {error_line(error)}", file=sys.stderr)
        return 2
    stop = stop_on_signals()
    try:
        bridge.log.info(f"{spec.name} ({params.start_pose}): LowState at {params.publish_hz:g} Hz")
        bridge.run(stop)
    finally:
        bridge.close()
        rclpy.shutdown(context=bridge_context)
    return 0


if __name__ == "__main__":
    sys.exit(main())

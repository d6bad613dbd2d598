"""The synchronous deploy controller: LowState (+ command) in, motor commands out, at 500 Hz.

A ROS node (or a test) converts each LowState message into a ``LowStateView`` and calls
``Controller.tick(now_s, view, command)`` every 2 ms; the result is a full motor array in DDS order.
Modes and transitions are in ``deploy.robot.state_machine``, the guards (stale, malformed, non-finite
or physically impossible LowState, tilt, mode_machine, saturated policy) in ``deploy.robot.guards``;
NaN/Inf (or an exception) from the policy, or a non-finite command, also end in DAMPING, and so does
an ``interlock`` the node sets (another /lowcmd publisher), which also blocks standing up while set.
In STANDUP (stand-up policies only) the tilt guard is replaced by ``deploy.robot.standup``'s joint-speed
limit and timeout, and its stood-up rule hands over to STAND, where the tilt guard applies again.

In PASSIVE a failing guard does not switch to DAMPING (the motors are already limp) but refuses to
leave PASSIVE. Joint targets in STAND, READY, POLICY and STANDUP are clamped to the window where the torque
estimate ``kp * (q_target - q) - kd * dq`` stays within the effort limit and then to the joint ranges:
where the two disagree the range wins, so no command ever carries a target outside a joint's range
(the motor driver clips the torque itself). PASSIVE and DAMPING send the default pose with kp 0.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from deploy.robot.guards import GuardLimits, SaturationGuard, StateGuard
from deploy.robot.observation import ObservationBuilder
from deploy.robot.policy_metadata import DEFAULT_ACTION_CLIP, PolicyMetadata, check_against_spec
from deploy.robot.remote import REMOTE_BYTES, ButtonEdges, decode_remote
from deploy.robot.standup import StandupLimits, StandupMonitor
from deploy.robot.state_machine import Mode, Transition, button_transitions, next_mode
from legged_envs.robots.spec import RobotSpec


class Policy(Protocol):
    """What the controller needs from a policy (``deploy.robot.onnx_policy.OnnxPolicy`` is one)."""

    metadata: PolicyMetadata

    def __call__(self, obs: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class LowStateView:
    """The parts of a LowState message the controller reads, as plain arrays."""

    quat_wxyz: np.ndarray
    """(4,) IMU orientation quaternion, w first."""
    gyro_rad_s: np.ndarray
    """(3,) IMU angular velocity, base frame, rad/s."""
    acc_m_s2: np.ndarray
    """(3,) IMU specific force, base frame, m/s^2."""
    motor_q: np.ndarray
    """(num_motor_slots,) joint positions in DDS motor order, rad."""
    motor_dq: np.ndarray
    """(num_motor_slots,) joint velocities in DDS motor order, rad/s."""
    wireless_remote: bytes
    """The 40-byte remote field (buttons and sticks)."""
    stamp_s: float
    """Time the message was received, on the same clock as ``tick``'s ``now_s``, s."""
    mode_machine: int | None = None
    """LowState.mode_machine (unitree_hg); None where the message has none."""


@dataclass(frozen=True)
class MotorCommands:
    """One LowCmd's motor fields, every slot in DDS motor order; unused slots are all zero."""

    mode: Mode
    q: np.ndarray
    """(num_motor_slots,) position targets, rad."""
    dq: np.ndarray
    """(num_motor_slots,) velocity targets, rad/s (always 0)."""
    kp: np.ndarray
    """(num_motor_slots,) stiffness, N m / rad."""
    kd: np.ndarray
    """(num_motor_slots,) damping, N m s / rad."""
    tau: np.ndarray
    """(num_motor_slots,) feed-forward torque, N m (always 0)."""


@dataclass(frozen=True)
class ControllerConfig:
    """Timing, damping and guard settings of the controller."""

    tick_period_s: float = 0.002
    """Period of ``tick`` calls (the LowCmd stream), s; the policy runs every control_dt / tick_period_s ticks."""
    stand_duration_s: float = 2.5
    """Time STAND takes to reach the default pose, s (Unitree's deploy uses 2-3 s)."""
    damping_kd: float = 8.0
    """kd of every motor in DAMPING (kp 0), N m s / rad."""
    guards: GuardLimits = field(default_factory=GuardLimits)
    """Thresholds of the guards."""
    standup: StandupLimits = field(default_factory=StandupLimits)
    """Stand-up mode's guard and hand-over rule (used with stand-up policies only)."""

    def __post_init__(self) -> None:
        for name in ("tick_period_s", "stand_duration_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"controller config: {name} must be > 0, got {getattr(self, name)}")
        if not self.damping_kd >= 0:
            raise ValueError(f"controller config: damping_kd must be >= 0, got {self.damping_kd}")


class Controller:
    """Safety state machine + observation + policy + joint targets for one robot.

    Not thread-safe: call ``tick`` and ``request`` from the same thread. In POLICY the policy runs
    on the first tick and then every ``decimation``-th tick; its targets are held in between (the
    safety clamps are re-applied every tick with the latest measured q and dq).
    """

    def __init__(self, spec: RobotSpec, policy: Policy, config: ControllerConfig = ControllerConfig()):
        meta = policy.metadata
        check_against_spec(meta, spec, source="policy")
        self.spec, self.policy, self.meta, self.config = spec, policy, meta, config
        ratio = meta.control_dt / config.tick_period_s
        self.decimation = round(ratio)
        """Ticks per policy step (10 for a 50 Hz policy at 500 Hz)."""
        if self.decimation < 1 or abs(ratio - self.decimation) > 1e-6:
            tick = config.tick_period_s
            raise ValueError(
                f"controller: policy control_dt {meta.control_dt} s is not a multiple of the tick {tick} s"
            )
        self.motor_index = np.asarray(spec.motor_indices, dtype=np.intp)
        self.default_pos = np.asarray(spec.default_joint_pos, dtype=np.float64)
        self.kp = np.asarray([j.kp for j in spec.joints], dtype=np.float64)
        self.kd = np.asarray([j.kd for j in spec.joints], dtype=np.float64)
        self.lower, self.upper = _float32_inside(spec)
        """Joint ranges narrowed to the nearest float32 inside them (LowCmd q is float32), rad."""
        self.effort = np.asarray([j.effort_limit_nm for j in spec.joints], dtype=np.float64)
        if not (self.kp > 0).all():
            raise ValueError(f"controller: robot {spec.name} has a joint with kp <= 0; the torque clamp needs kp > 0")
        self._kd_over_kp = self.kd / self.kp
        self._effort_over_kp = self.effort / self.kp
        self.guard = StateGuard(spec, config.guards, meta.mode_machine if meta.message_family == "unitree_hg" else None)
        clip = meta.action_clip if meta.action_clip is not None else DEFAULT_ACTION_CLIP
        steps = max(1, math.ceil(config.guards.saturation_timeout_s / meta.control_dt - 1e-9))
        self.saturation = SaturationGuard(clip, steps, meta.control_dt, spec.joint_names)
        self.observations = ObservationBuilder(meta.obs_layout, spec)
        self.standup = StandupMonitor(spec, config.standup)
        self._has_command = meta.obs_layout.term("command") is not None
        self._command_low = np.asarray([r[0] for r in meta.command_ranges], dtype=np.float64)
        self._command_high = np.asarray([r[1] for r in meta.command_ranges], dtype=np.float64)
        self._edges = ButtonEdges()
        self._remote_raw = b""

        self.mode = Mode.PASSIVE
        self.fault: str | None = None
        """Why the controller went to DAMPING (None otherwise)."""
        self.refusal: str | None = None
        """Why the last refused transition was refused."""
        self.events: deque[str] = deque(maxlen=100)
        """Recent mode changes, e.g. ``"PASSIVE -> STAND (button start)"``."""
        self.policy_steps = 0
        self._state_problem: str | None = "no LowState received yet"
        self._tilt_problem: str | None = None
        self.interlock: str | None = None
        """A problem found outside the controller (another /lowcmd publisher): while set it blocks standing
        up like a bad LowState; the one who sets it also calls ``damp``."""
        self._stand_start: tuple[float, np.ndarray] | None = None
        self._phase = 0
        self._last_action = np.zeros(spec.num_joints)
        self._policy_targets = self.default_pos.copy()

    # --- transitions ---------------------------------------------------------------------------
    def request(self, transition: Transition | str) -> bool:
        """Ask for a transition (CLI, keyboard, tests); False (reason in ``refusal``) when refused."""
        return self._apply(Transition(transition), "request")

    def _apply(self, transition: Transition, cause: str) -> bool:
        target = next_mode(self.mode, transition)
        if target is None:
            self.refusal = f"{transition.value} is not allowed in {self.mode.value}"
            return False
        if self.mode is Mode.PASSIVE and target is Mode.STAND and (self._state_problem or self._tilt_problem):
            self.refusal = f"stand refused: {self._state_problem or self._tilt_problem}"
            return False
        if target is Mode.STANDUP and self.meta.beta is None:
            self.refusal = "standup refused: not a stand-up policy (its metadata beta is null)"
            return False
        if target is Mode.STANDUP and self._state_problem is not None:
            self.refusal = f"standup refused: {self._state_problem}"
            return False
        if target is self.mode:
            return True
        self.events.append(f"{self.mode.value} -> {target.value} ({cause})")
        self.mode = target
        if target is Mode.DAMPING:
            self.fault = cause
        elif target is Mode.PASSIVE:
            self.fault = None
        elif target is Mode.STAND:
            self._stand_start = None
        elif target in (Mode.POLICY, Mode.STANDUP):
            self.observations.reset()
            self.saturation.reset()
            self.standup.start()
            self._last_action[:] = 0.0
            self._phase = 0
        return True

    def damp(self, problem: str) -> None:
        """Go to DAMPING (from any mode) with ``problem`` as the fault."""
        self._apply(Transition.DAMP, problem)

    # --- the 500 Hz step -----------------------------------------------------------------------
    def tick(self, now_s: float, state: LowStateView | None, command: np.ndarray | None = None) -> MotorCommands:
        """Advance one tick at time ``now_s`` (s, same clock as ``state.stamp_s``); returns the motor commands."""
        self._state_problem = self.guard.check(now_s, state) or self.interlock
        self._tilt_problem = None if self._state_problem else self.guard.tilt_problem()
        if state is not None:
            self._read_buttons(bytes(state.wireless_remote))
        if self.mode is Mode.STANDUP:
            self._check_standup(now_s)
        elif self.mode in (Mode.STAND, Mode.READY, Mode.POLICY) and (self._state_problem or self._tilt_problem):
            self.damp(self._state_problem or self._tilt_problem)

        if self.mode is Mode.STAND:
            targets = self._stand_targets(now_s)
        elif self.mode is Mode.READY:
            targets = self.default_pos
        elif self.mode in (Mode.POLICY, Mode.STANDUP):
            targets = self._policy_step(state, command)
        else:
            targets = None
        if self.mode in (Mode.PASSIVE, Mode.DAMPING) or targets is None:
            return self._limp()
        return self._position_commands(self._safe_targets(targets))

    def _read_buttons(self, raw: bytes) -> None:
        """Apply the first allowed transition requested by newly pressed remote buttons."""
        if raw == self._remote_raw or len(raw) != REMOTE_BYTES:
            return  # unchanged bytes hold no new press
        self._remote_raw = raw
        held = decode_remote(raw).buttons
        pressed = self._edges.update(held)
        for chord, transition in button_transitions(held, pressed):
            if self._apply(transition, f"button {'+'.join(sorted(chord))}"):
                break

    def _check_standup(self, now_s: float) -> None:
        """STANDUP: the state guards (not tilt), then the stand-up guard; hand over to STAND once stood up."""
        guard = self.guard
        problem = self._state_problem or self.standup.update(now_s, guard.q, guard.dq, guard.quat)
        if problem is not None:
            self.damp(problem)
        elif self.standup.stood_up:
            self._apply(Transition.STOOD_UP, "stood up")

    def _stand_targets(self, now_s: float) -> np.ndarray:
        if self._stand_start is None:
            self._stand_start = (now_s, self.guard.q.copy())
        start_s, start_q = self._stand_start
        alpha = min(max((now_s - start_s) / self.config.stand_duration_s, 0.0), 1.0)
        if alpha >= 1.0:
            self._apply(Transition.STAND_DONE, "stand done")
            return self.default_pos
        return start_q + alpha * (self.default_pos - start_q)

    def _policy_step(self, state: LowStateView, command: np.ndarray | None) -> np.ndarray | None:
        """Joint targets held between policy steps; runs the policy on every ``decimation``-th tick."""
        run = self._phase % self.decimation == 0
        self._phase += 1
        if not run:
            return self._policy_targets
        meta = self.meta
        if self._has_command:
            command = np.zeros(len(self._command_low)) if command is None else np.asarray(command, dtype=np.float64)
            if command.shape != self._command_low.shape or not math.isfinite(float(command.sum())):
                self.damp(f"command must be {len(self._command_low)} finite values, got {command!r}"[:160])
                return None
            command = np.minimum(np.maximum(command, self._command_low), self._command_high)
        obs = self.observations.build(
            state.quat_wxyz, state.gyro_rad_s, state.motor_q, state.motor_dq, self._last_action, command, meta.beta
        )
        try:
            action = np.asarray(self.policy(obs), dtype=np.float64)
        except Exception as error:  # any failure inside the policy must end in DAMPING, not a crash
            self.damp(f"policy raised {type(error).__name__}: {error}"[:160])
            return None
        if action.shape != (meta.num_actions,):
            self.damp(f"policy output has shape {action.shape}, expected ({meta.num_actions},)")
            return None
        if not math.isfinite(float(action.sum())):  # a sum is NaN/Inf when any entry is
            self.damp("policy output has NaN/Inf")
            return None
        saturated = self.saturation.update(action)
        if saturated:
            self.damp(saturated)
            return None
        if meta.action_clip is not None:
            action = np.minimum(np.maximum(action, -meta.action_clip), meta.action_clip)
        self._last_action = action
        self.policy_steps += 1
        if meta.beta is not None:
            self._policy_targets = self.guard.q + meta.beta * action
        else:
            self._policy_targets = self.default_pos + meta.action_scale * action
        return self._policy_targets

    # --- outputs -------------------------------------------------------------------------------
    def _safe_targets(self, targets: np.ndarray) -> np.ndarray:
        """Clamp to the window keeping |kp (q_t - q) - kd dq| <= effort, then to the joint ranges (which win)."""
        centre = self.guard.q + self._kd_over_kp * self.guard.dq
        out = np.minimum(np.maximum(targets, centre - self._effort_over_kp), centre + self._effort_over_kp)
        return np.minimum(np.maximum(out, self.lower, out=out), self.upper, out=out)

    def _position_commands(self, targets: np.ndarray) -> MotorCommands:
        out = self._zeros()
        out.q[self.motor_index] = targets
        out.kp[self.motor_index] = self.kp
        out.kd[self.motor_index] = self.kd
        return out

    def _limp(self) -> MotorCommands:
        out = self._zeros()
        out.q[self.motor_index] = self.default_pos  # inside every range; kp 0 makes it inert
        if self.mode is Mode.DAMPING:
            out.kd[self.motor_index] = self.config.damping_kd
        return out

    def _zeros(self) -> MotorCommands:
        return MotorCommands(self.mode, *np.zeros((5, self.spec.num_motor_slots)))


def _float32_inside(spec: RobotSpec) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) joint ranges moved to the nearest float32 values inside them, so that a target clamped
    to a range is still inside it once written into the float32 LowCmd."""
    lower = np.array([j.range_rad[0] for j in spec.joints], dtype=np.float32)
    upper = np.array([j.range_rad[1] for j in spec.joints], dtype=np.float32)
    exact_lower, exact_upper = np.array([j.range_rad for j in spec.joints]).T
    lower = np.where(lower < exact_lower, np.nextafter(lower, np.float32(np.inf)), lower)
    upper = np.where(upper > exact_upper, np.nextafter(upper, np.float32(-np.inf)), upper)
    return lower.astype(np.float64), upper.astype(np.float64)

"""A robustness scenario (``legged_envs.perturbations``: its YAML, kinds, sizes, modes and schedules) applied by the
sim bridge to the deployed stack: to the LowState it publishes, the LowCmd it takes and the MuJoCo world.

Nothing is applied before ``start(sim_time_s)`` (the ``perturb`` word on ``/sim/control``); episode time is counted
from there. A perturbation's size is ``magnitude * severity * severity_scale * schedule(t)``, as in the envs. Random
draws are refreshed per ``mode`` in control steps of the policy (``control_dt_s``, 50 Hz: 10 LowState ticks at
500 Hz); ``step`` mode: every control step.

- Observation kinds (gaussian, uniform, bias, dropout, latency, drift) on the LowState fields the node builds the
  terms from: ``base_ang_vel`` = IMU gyroscope (rad/s), ``projected_gravity`` = the direction of gravity in the
  IMU quaternion (the quaternion turns by the least rotation that gives the perturbed direction; its length is
  lost, as the node normalises; dropout holds, never zero), ``joint_pos_rel`` = motor q (rad; a dropped-out entry
  reads the default pose), ``joint_vel`` = motor dq (rad/s). Latency: ``round(size)`` control steps = that many
  times ``control_dt_s * publish_hz`` LowStates.
- ``action_noise``: gaussian noise of std ``size`` on the joints' position targets, rad (the envs' size is in
  action units: rad / action_scale). ``action_latency``: the joints' targets ``round(size)`` control steps late
  (10 LowCmd ticks each at 500 Hz and 50 Hz).
- Motors: ``motor_strength`` scales the torque the simulated drive applies (after its effort clip),
  ``limp_motor`` the LowCmd's kp and kd, ``locked_motor`` blends the targets towards the joint position at lock time
  and stiffens kp, kd (``LOCK_STIFFNESS``), as the envs do.
  ``stiffness`` and ``damping`` scale the LowCmd's kp or kd alone.
- Dynamics: ``friction`` scales every geom's sliding friction, ``payload`` adds mass to a body, ``link_mass``
  scales the bodies' masses, ``com_shift`` moves a body's centre of mass (random direction), ``push`` adds a
  horizontal velocity to the base, ``push_force`` holds a horizontal force on a body for ``duration_s`` (random
  directions), ``gravity_tilt`` tilts gravity (random azimuth), ``restitution`` scales every geom's contact
  damping ratio (``solref[1]``), as in the envs.
- A range (``low``): the size is drawn once, the bridge's episode being one episode (per joint for joint kinds,
  per body for ``link_mass``; latency: whole control steps).

``bridge_problem`` names what the bridge cannot apply: ``obs_attack`` (needs the policy's gradient), the reward
kinds, observation terms without a LowState field, worst-case searches.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from deploy.robot.observation import projected_gravity
from deploy.sim.sim_robot import SimRobot
from legged_envs.perturbations.config import (
    FRACTION_KINDS,
    LATENCY_KINDS,
    LOCK_STIFFNESS,
    OBS_KINDS,
    PerturbationConfig,
    ScenarioConfig,
    SuiteConfig,
    schedule_factor,
)
from legged_envs.robots.spec import RobotSpec

BRIDGE_TERMS = ("base_ang_vel", "projected_gravity", "joint_pos_rel", "joint_vel")
"""Observation terms with a LowState field the bridge perturbs."""
ACTION_KINDS = ("action_noise", "action_latency", "limp_motor", "stiffness", "damping", "locked_motor")
"""Kinds applied to the LowCmd."""
PHYSICS_KINDS = (
    "motor_strength",
    "friction",
    "payload",
    "link_mass",
    "com_shift",
    "push",
    "push_force",
    "gravity_tilt",
    "restitution",
)
"""Kinds applied to the simulated robot before each physics step."""
GAINS = {"limp_motor": ("kp", "kd"), "stiffness": ("kp",), "damping": ("kd",)}
"""Gain kinds -> the LowCmd gains they scale."""
UNSUPPORTED = {
    "obs_attack": "attacks the policy's gradient, which the deployed ONNX stack does not expose",
    "reward_noise": "perturbs the reward, for training only",
    "reward_shift": "perturbs the reward, for training only",
    "reward_sparse": "perturbs the reward, for training only",
}


def bridge_problem(suite: SuiteConfig, spec: RobotSpec, body_names: tuple[str, ...]) -> tuple[str, str] | None:
    """(key, what is wrong) of the first thing in ``suite`` the bridge cannot apply to ``spec``'s model (whose bodies
    are ``body_names``), or None."""
    for name, scenario in suite.scenarios.items():
        if scenario.search != "none":
            return f"scenarios.{name}.search", f"{scenario.search!r}: sim2sim runs the sizes given, no search"
        for i, cfg in enumerate(scenario.perturbations):
            key = f"scenarios.{name}.perturbations[{i}]"
            if cfg.kind in UNSUPPORTED:
                return f"{key}.kind", f"{cfg.kind!r} {UNSUPPORTED[cfg.kind]}"
            if cfg.kind in OBS_KINDS:
                bad = [t for t in cfg.terms if t not in BRIDGE_TERMS] if cfg.terms else ["(every term)"]
                if bad:
                    return f"{key}.terms", f"{bad[0]} has no LowState field (sim2sim: {', '.join(BRIDGE_TERMS)})"
                if cfg.kind == "obs_dropout" and cfg.dropout == "zero" and "projected_gravity" in cfg.terms:
                    return f"{key}.dropout", "a zero projected_gravity cannot be sent in the IMU quaternion: use hold"
            unknown = [j for j in cfg.joints if j not in spec.joint_names]
            if unknown:
                return f"{key}.joints", f"unknown joint {unknown[0]!r} for {spec.name}"
            if cfg.kind in ("payload", "com_shift", "push_force") and _body(cfg.body, spec) not in body_names:
                return f"{key}.body", f"{spec.name} has no body {cfg.body!r}"
            missing = [body for body in cfg.bodies if body not in body_names]
            if missing:
                return f"{key}.bodies", f"{spec.name} has no body {missing[0]!r}"
    return None


def _gravity_field(imu: np.ndarray) -> tuple:
    """``projected_gravity`` read from the IMU quaternion, and written back into it: the quaternion turns by the
    least rotation that makes its gravity point along the value written (the node normalises the direction it
    computes, so a perturbation's component along gravity does not reach it)."""

    def get() -> np.ndarray:
        return projected_gravity(np.asarray(imu["quaternion"], dtype=np.float64))

    def put(values: np.ndarray) -> None:
        imu["quaternion"] = turned_to(np.asarray(imu["quaternion"], dtype=np.float64), values)

    return get, put


def turned_to(quat_wxyz: np.ndarray, gravity_b: np.ndarray) -> np.ndarray:
    """``quat_wxyz`` composed with the least body-frame rotation that makes its projected gravity point along
    ``gravity_b`` (unchanged for a zero vector)."""
    norm = float(np.linalg.norm(gravity_b))
    if norm < 1e-9:
        return quat_wxyz
    target, current = gravity_b / norm, projected_gravity(quat_wxyz)
    axis = np.cross(target, current)  # the turn takes the target direction onto the current one
    sin, cos = float(np.linalg.norm(axis)), float(np.dot(target, current))
    if sin < 1e-12:  # along or against gravity: turn about any axis across it (by 0 or pi)
        axis, sin = np.cross(current, [1.0, 0.0, 0.0] if abs(current[0]) < 0.9 else [0.0, 1.0, 0.0]), 0.0
    angle = math.atan2(sin, cos)
    delta = np.concatenate(([math.cos(angle / 2)], axis / np.linalg.norm(axis) * math.sin(angle / 2)))
    return _quat_mul(quat_wxyz, delta)


def _quat_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product of wxyz quaternions."""
    aw, ax, ay, az = a
    bw, bx, by, bz = b
    return np.array(
        [
            aw * bw - ax * bx - ay * by - az * bz,
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
        ]
    )


def _body(name: str, spec: RobotSpec) -> str:
    """The model body of a payload's ``body`` (``base``: the spec's base body)."""
    return spec.base_body if name == "base" else name


@dataclass
class _Applied:
    """One perturbation and its state over the episode."""

    cfg: PerturbationConfig
    peak: float | np.ndarray
    """Size at full schedule: one, or one per column (joint) or body drawn from a range."""
    floor: float
    """Least size of a share: 0, or a negative ``low`` (a gain) times the severity."""
    columns: np.ndarray
    """Joint indices (spec order) of action and motor kinds; entries of the stacked terms of observation kinds."""
    step: int = -1
    """Control step of the last refresh check."""
    draw: np.ndarray = field(default_factory=lambda: np.zeros(0))
    last: np.ndarray | None = None
    """Observation dropout: the values delivered last; locked_motor: the lock position."""
    line: deque = field(default_factory=deque)
    """Latency: recent values, newest first."""


class BridgePerturbation:
    """``scenario`` at ``severity`` on a sim bridge's messages and robot; random draws from ``seed``."""

    def __init__(
        self,
        scenario: ScenarioConfig,
        severity: float,
        seed: int,
        spec: RobotSpec,
        robot: SimRobot,
        control_dt_s: float,
        publish_hz: float,
    ):
        self.spec, self.robot, self.control_dt_s = spec, robot, control_dt_s
        self.ticks_per_step = max(1, round(control_dt_s * publish_hz))
        """LowState (and LowCmd) ticks per control step."""
        self.rng = np.random.default_rng(seed)
        self.start_s: float | None = None
        self.default_q = np.asarray(spec.default_joint_pos, dtype=np.float64)
        self.slots = np.asarray(spec.motor_indices, dtype=np.intp)
        model = robot.model
        self.nominal = {
            "friction": model.geom_friction[:, 0].copy(),
            "damping": model.geom_solref[:, 1].copy(),
            "gravity": model.opt.gravity.copy(),
        }
        self.items = [self._applied(cfg, severity * scenario.severity_scale) for cfg in scenario.perturbations]

    def _applied(self, cfg: PerturbationConfig, severity: float) -> _Applied:
        if cfg.kind in OBS_KINDS:
            columns = np.arange(sum(self._term_dim(t) for t in cfg.terms))
        else:
            columns = np.array([self.spec.joint_names.index(j) for j in cfg.joints or self.spec.joint_names])
        floor = min(cfg.low or 0.0, 0.0) * severity
        item = _Applied(cfg, self._peak(cfg, len(columns)) * severity, floor, columns, draw=np.zeros(len(columns)))
        model = self.robot.model
        if cfg.kind == "payload":
            self.nominal["mass"] = model.body(_body(cfg.body, self.spec)).mass[0]
        if cfg.kind == "link_mass":
            item.draw = np.array([model.body(body).mass[0] for body in cfg.bodies])  # nominal masses
        if cfg.kind == "com_shift":
            body = model.body(_body(cfg.body, self.spec))
            item.draw = np.concatenate((body.ipos, self.rng.uniform(-1.0, 1.0, 3)))  # nominal CoM, direction
        return item

    def _peak(self, cfg: PerturbationConfig, columns: int) -> float | np.ndarray:
        """Size at severity 1: the magnitude, or drawn once from [low, magnitude] (per joint for joint kinds, per body
        for ``link_mass``; latency: a whole number of steps)."""
        if cfg.low is None:
            return cfg.magnitude
        if cfg.kind in LATENCY_KINDS:
            return float(self.rng.integers(math.ceil(cfg.low), math.floor(cfg.magnitude) + 1))
        joint_kinds = ("motor_strength", "limp_motor", "stiffness", "damping")
        count = columns if cfg.kind in joint_kinds else len(cfg.bodies) if cfg.kind == "link_mass" else 1
        drawn = self.rng.uniform(cfg.low, cfg.magnitude, count)
        return drawn if count > 1 else float(drawn[0])

    def _term_dim(self, term: str) -> int:
        return 3 if term in ("base_ang_vel", "projected_gravity") else self.spec.num_joints

    def start(self, sim_time_s: float) -> None:
        """Start the scenario's episode clock at ``sim_time_s``."""
        self.start_s = sim_time_s

    # --- sizes and draws ------------------------------------------------------------------------
    def _size(self, item: _Applied, t: float) -> Any:
        """The size now: a float, or an array where the size was drawn per joint or body."""
        size = item.peak * float(schedule_factor(item.cfg.schedule, np.float64(t), np))
        if item.cfg.kind not in FRACTION_KINDS:
            return size
        return np.clip(size, item.floor, 1.0) if isinstance(size, np.ndarray) else min(max(size, item.floor), 1.0)

    def _due(self, item: _Applied, t: float) -> bool:
        """True once per control step when the item's draws refresh (``mode``); always at its first call."""
        step = int(t / self.control_dt_s + 1e-9)
        if step == item.step:
            return False
        first, item.step = item.step < 0, step
        if item.cfg.mode == "step":
            return True
        if item.cfg.mode == "interval":
            return first or step % item.cfg.interval_steps == 0
        return first

    def _delay(self, item: _Applied, values: np.ndarray, size: float) -> np.ndarray:
        """``values`` of ``round(size)`` control steps ago (the first values until then)."""
        ticks = round(size) * self.ticks_per_step
        if not item.line:
            item.line = deque(maxlen=math.ceil(item.peak) * self.ticks_per_step + 1)
            item.line.extend([values.copy()] * item.line.maxlen)
        item.line.appendleft(values.copy())
        return item.line[min(ticks, len(item.line) - 1)].copy()

    def _episode_time(self, sim_time_s: float) -> float | None:
        return None if self.start_s is None else sim_time_s - self.start_s

    # --- LowState -------------------------------------------------------------------------------
    def state(self, msg: np.ndarray, sim_time_s: float) -> None:
        """Perturb the observation terms' fields of the LowState ``msg`` in place."""
        t = self._episode_time(sim_time_s)
        if t is None:
            return
        for item in self.items:
            if item.cfg.kind in OBS_KINDS:
                fields = self._fields(msg, item.cfg.terms)
                values = np.concatenate([get() for get, _ in fields])
                out = self._observe(item, values, t)
                start = 0
                for get, put in fields:
                    size = len(get())
                    put(out[start : start + size])
                    start += size

    def _fields(self, msg: np.ndarray, terms: list[str]) -> list[tuple]:
        imu, motors, slots = msg["imu_state"], msg["motor_state"], self.slots

        def field(struct: np.ndarray, name: str, index: np.ndarray | slice) -> tuple:
            def put(values: np.ndarray) -> None:
                struct[name][index] = values

            return (lambda: np.asarray(struct[name][index], dtype=np.float64)), put

        where = {
            "base_ang_vel": (imu, "gyroscope", slice(None)),
            "joint_pos_rel": (motors, "q", slots),
            "joint_vel": (motors, "dq", slots),
        }
        return [_gravity_field(imu) if term == "projected_gravity" else field(*where[term]) for term in terms]

    def _observe(self, item: _Applied, values: np.ndarray, t: float) -> np.ndarray:
        kind, size, due = item.cfg.kind, self._size(item, t), self._due(item, t)
        if kind == "obs_gaussian":
            item.draw = self.rng.standard_normal(len(values)) if due else item.draw
            return values + size * item.draw
        if kind == "obs_uniform":
            item.draw = self.rng.uniform(-1.0, 1.0, len(values)) if due else item.draw
            return values + size * item.draw
        if kind == "obs_bias":
            return values + size
        if kind == "obs_drift":
            if due:
                item.draw = item.draw + size * self.rng.standard_normal(len(values))
            return values + item.draw
        if kind == "obs_latency":
            return self._delay(item, values, size)
        # obs_dropout
        item.draw = self.rng.uniform(size=len(values)) if due else item.draw
        if item.cfg.dropout == "zero":
            dropped_value = np.concatenate([self._zero(term) for term in item.cfg.terms])
        else:
            dropped_value = values if item.last is None else item.last
        item.last = np.where(item.draw < size, dropped_value, values)
        return item.last

    def _zero(self, term: str) -> np.ndarray:
        """What an entry of ``term`` reads when its observation is 0: the default pose for joint positions."""
        return self.default_q if term == "joint_pos_rel" else np.zeros(self._term_dim(term))

    # --- LowCmd ---------------------------------------------------------------------------------
    def command(self, msg: np.ndarray, sim_time_s: float) -> None:
        """Perturb the chosen joints' targets and gains of the LowCmd ``msg`` in place."""
        t = self._episode_time(sim_time_s)
        if t is None:
            return
        motors = msg["motor_cmd"]
        for item in self.items:
            if item.cfg.kind not in ACTION_KINDS:
                continue
            slots, size = self.slots[item.columns], self._size(item, t)
            kind, q = item.cfg.kind, motors["q"][slots].astype(np.float64)
            if kind == "action_noise":
                item.draw = self.rng.standard_normal(len(slots)) if self._due(item, t) else item.draw
                motors["q"][slots] = q + size * item.draw
            elif kind == "action_latency":
                motors["q"][slots] = self._delay(item, q, size)
            elif kind in GAINS:
                for gain in GAINS[kind]:
                    motors[gain][slots] *= 1.0 - size
            else:  # locked_motor
                if size <= 0.0 or item.last is None:
                    item.last = self.robot.joint_q[item.columns]
                motors["q"][slots] = q + size * (item.last - q)
                motors["kp"][slots] *= 1.0 + (LOCK_STIFFNESS - 1.0) * size
                motors["kd"][slots] *= 1.0 + (LOCK_STIFFNESS - 1.0) * size

    # --- physics --------------------------------------------------------------------------------
    def physics(self, sim_time_s: float) -> None:
        """Write the dynamics perturbations into the robot before a physics step."""
        t = self._episode_time(sim_time_s)
        if t is None:
            return
        model, data = self.robot.model, self.robot.data
        for item in self.items:
            kind = item.cfg.kind
            if kind not in PHYSICS_KINDS:
                continue
            size = self._size(item, t)
            if kind == "motor_strength":
                self.robot.strength[item.columns] = 1.0 - size
            elif kind == "friction":
                model.geom_friction[:, 0] = self.nominal["friction"] * (1.0 - size)
            elif kind == "restitution":  # contact damping ratio, as in the envs
                model.geom_solref[:, 1] = self.nominal["damping"] * (1.0 - size)
            elif kind == "payload":
                model.body(_body(item.cfg.body, self.spec)).mass[0] = self.nominal["mass"] + size
            elif kind == "link_mass":
                for body, mass, share in zip(
                    item.cfg.bodies, item.draw, np.broadcast_to(size, len(item.draw)), strict=True
                ):
                    model.body(body).mass[0] = mass * (1.0 + share)
            elif kind == "com_shift":
                model.body(_body(item.cfg.body, self.spec)).ipos[:] = item.draw[:3] + size * item.draw[3:]
            elif kind == "push_force":
                self._push_force(item, t, size)
            elif kind == "gravity_tilt":
                if self._due(item, t):
                    item.draw = np.array([self.rng.uniform(0.0, 2.0 * math.pi)])
                g, azimuth = float(np.linalg.norm(self.nominal["gravity"])), item.draw[0]
                model.opt.gravity[:] = g * np.array(
                    [math.cos(azimuth) * math.sin(size), math.sin(azimuth) * math.sin(size), -math.cos(size)]
                )
            elif self._push_due(item, t) and size > 0.0:
                angle = self.rng.uniform(0.0, 2.0 * math.pi)
                data.qvel[0:2] += size * np.array([math.cos(angle), math.sin(angle)])

    def _push_force(self, item: _Applied, t: float, size: float) -> None:
        """Start a force push when due (its direction random), and hold it on the body for ``duration_s``."""
        body = self.robot.model.body(_body(item.cfg.body, self.spec)).id
        if self._push_due(item, t) and size > 0.0:
            angle = self.rng.uniform(0.0, 2.0 * math.pi)
            item.last = np.array([size * math.cos(angle), size * math.sin(angle), 0.0, t + item.cfg.duration_s])
        pushing = item.last is not None and t < item.last[3]
        self.robot.data.xfrc_applied[body, :3] = item.last[:3] if pushing else 0.0

    def _push_due(self, item: _Applied, t: float) -> bool:
        """A push fires once per control step when due: every step, at step ``interval_steps`` (``episode``) or every
        ``interval_steps`` steps after the first (``interval``)."""
        step = int(t / self.control_dt_s + 1e-9)
        if step == item.step:
            return False
        item.step, k = step, item.cfg.interval_steps
        mode = item.cfg.mode
        return step == k if mode == "episode" else step % k == 0 and step > 0 if mode == "interval" else True

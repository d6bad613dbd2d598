"""Declarative perturbation scenarios and robustness suites, read from YAML (``legged_envs.config`` schema rules;
the keys that say what is perturbed have no default: a suite must name them).

A perturbation's size at severity ``s`` and episode time ``t`` is ``magnitude * s * scale * schedule(t)``
(``scale``: its scenario's ``severity_scale``); what the size means depends on its ``kind`` (``KIND_MEANINGS``).
Random draws (noise, dropout masks, push directions) are refreshed per ``mode``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Literal, TypeVar

from legged_envs.config import FieldError
from legged_envs.config.loader import display_path, load_file
from legged_envs.config.schema import validate
from legged_envs.obs_layout import TERM_NAMES

KIND_MEANINGS = {
    "obs_gaussian": "std of gaussian noise on the terms, raw units",
    "obs_uniform": "half-width of uniform noise on the terms, raw units",
    "obs_bias": "constant offset added to the terms, raw units",
    "obs_dropout": "probability that each entry of the terms drops out (zero or hold-last)",
    "obs_latency": "delay of the terms, control steps (rounded)",
    "obs_drift": "std of each step of a random-walk bias on the terms (0 at an episode's start), raw units",
    "obs_attack": "bound on each entry of the terms of an FGSM/PGD attack on the policy, raw units (x epsilon[term])",
    "action_noise": "std of gaussian noise on the actions of the joints",
    "action_latency": "delay of the actions, control steps (rounded)",
    "motor_strength": "share of the joints' torque lost, 0..1",
    "locked_motor": "blend of the joints' targets towards their position at lock time, 0..1 (1: locked)",
    "limp_motor": "share of the joints' PD gains lost, 0..1 (1: limp, zero torque)",
    "friction": "share of the friction coefficient lost, 0..1",
    "payload": "mass added to the payload body, kg",
    "push": "horizontal velocity impulse on the base, m/s, random direction",
    "push_force": "horizontal force on the body, N, random direction, for duration_s at each push",
    "com_shift": "shift of the body's centre of mass, uniform in +-size on each axis, m",
    "link_mass": "share of the bodies' mass gained (negative: lost), each body drawn apart with low",
    "stiffness": "share of the joints' PD stiffness kp lost (negative: gained)",
    "damping": "share of the joints' PD damping kd lost (negative: gained)",
    "gravity_tilt": "tilt of gravity from -z towards a random horizontal direction per env, rad (unobserved)",
    "restitution": "share of the contact damping ratio (solref[1]) lost, 0..1: MuJoCo has no restitution coefficient",
    "reward_noise": "std of gaussian noise on each reward group's reward, per second (x control_dt per step); training",
    "reward_shift": "constant added to each reward group's reward, per second (x control_dt per step); training",
    "reward_sparse": "probability that a step's reward (every group) is zeroed; training",
}
"""Perturbation kind -> what its size is."""
Kind = Literal[
    "obs_gaussian",
    "obs_uniform",
    "obs_bias",
    "obs_dropout",
    "obs_latency",
    "obs_attack",
    "obs_drift",
    "action_noise",
    "action_latency",
    "motor_strength",
    "locked_motor",
    "limp_motor",
    "friction",
    "payload",
    "push",
    "push_force",
    "com_shift",
    "link_mass",
    "stiffness",
    "damping",
    "gravity_tilt",
    "restitution",
    "reward_noise",
    "reward_shift",
    "reward_sparse",
]
OBS_KINDS = ("obs_gaussian", "obs_uniform", "obs_bias", "obs_dropout", "obs_latency", "obs_attack", "obs_drift")
REWARD_KINDS = ("reward_noise", "reward_shift", "reward_sparse")
"""Kinds that perturb the reward: training only (``train.perturbations``), never in an evaluation suite."""
WORLD_KINDS = ("friction", "payload", "push", "push_force", "com_shift", "link_mass", "gravity_tilt", "restitution")
"""Kinds of the whole world or of bodies, not of chosen joints."""
DYNAMICS_KINDS = ("motor_strength", "limp_motor", "stiffness", "damping", *WORLD_KINDS)
"""Kinds whose sizes a ``search: worst_case`` scenario searches."""
FRACTION_KINDS = (
    "obs_dropout",
    "motor_strength",
    "locked_motor",
    "limp_motor",
    "stiffness",
    "damping",
    "friction",
    "restitution",
    "reward_sparse",
)
"""Kinds whose size is a share, clamped to [0, 1] (to [low, 1] for ``SIGNED_KINDS`` drawn from a negative ``low``)."""
SIGNED_KINDS = ("motor_strength", "stiffness", "damping", "friction", "payload", "link_mass")
"""Kinds whose size may be negative (a gain) when drawn from a range: ``low`` < 0 (domain randomisation)."""
LATENCY_KINDS = ("obs_latency", "action_latency")
"""Kinds whose size is a whole number of control steps."""
LOCK_STIFFNESS = 20.0
"""PD gain multiplier of a fully locked motor: a Go2 calf then stays within 0.04 rad while the other legs swing
(0.5 rad of drift at nominal gains)."""


@dataclass
class ScheduleConfig:
    """Severity over the episode: a factor in [0, 1] of the episode time ``t``."""

    kind: Literal["constant", "step", "ramp", "sinusoid"] = "constant"
    """constant: 1; step: 0 before ``start_s``, then 1; ramp: 0 to 1 from ``start_s`` over ``duration_s``;
    sinusoid: (1 - cos(2 pi (t - start_s) / period_s)) / 2 from ``start_s``."""
    start_s: float = field(default=0.0, metadata={"ge": 0, "le": 3600})
    """When the perturbation starts, s."""
    duration_s: float = field(default=1.0, metadata={"gt": 0, "le": 3600})
    """Length of the ramp, s."""
    period_s: float = field(default=1.0, metadata={"gt": 0, "le": 3600})
    """Period of the sinusoid, s."""


Array = TypeVar("Array")


def schedule_factor(cfg: ScheduleConfig, t: Array, xp: ModuleType) -> Array:
    """Factor in [0, 1] of the schedule at episode times ``t`` (s), arrays of the array module ``xp`` (torch in the
    envs, numpy on the deploy side)."""
    since = t - cfg.start_s
    started = (since >= 0) * 1.0
    if cfg.kind == "constant":
        return xp.ones_like(t)
    if cfg.kind == "step":
        return started
    if cfg.kind == "ramp":
        return xp.clip(since / cfg.duration_s, 0.0, 1.0)
    return started * 0.5 * (1.0 - xp.cos(2.0 * math.pi * since / cfg.period_s))


@dataclass
class PerturbationConfig:
    """One perturbation of a scenario."""

    kind: Kind
    """What is perturbed (``KIND_MEANINGS``); required."""
    magnitude: float = field(metadata={"ge": -1000, "le": 1000})
    """Size at severity 1 (meaning per ``kind``); only ``obs_bias`` and ``reward_shift`` may be negative; required."""
    low: float | None = field(default=None, metadata={"ge": -1000, "le": 1000})
    """A range instead of one size (domain randomisation): at every episode start each env draws its size uniformly
    in [low, magnitude] (x severity; latency kinds: a whole number of steps), per joint for joint kinds and per body
    for ``link_mass``. Negative only for ``SIGNED_KINDS`` (more friction, strength, gains or mass than nominal)."""
    terms: list[str] = field(default_factory=list)
    """Policy observation terms an ``obs_*`` kind perturbs (empty: every term of the layout)."""
    joints: list[str] = field(default_factory=list)
    """Joints an action or motor kind perturbs, by name (empty: every joint)."""
    dropout: Literal["zero", "hold"] = "zero"
    """What a dropped-out entry reads: 0, or its last delivered value."""
    mode: Literal["step", "episode", "interval"] = "step"
    """When random draws are refreshed (and a push fires): every step, once per episode (pushes: at step
    ``interval_steps``), or every ``interval_steps`` steps."""
    interval_steps: int = field(default=50, metadata={"ge": 1, "le": 1_000_000})
    """Control steps between refreshes in ``interval`` mode (and the push step in ``episode`` mode)."""
    body: str = "base"
    """Body carrying a ``payload`` or ``com_shift``, or pushed by a ``push_force``."""
    bodies: list[str] = field(default_factory=list)
    """Bodies whose mass ``link_mass`` changes; required for it."""
    duration_s: float = field(default=0.1, metadata={"gt": 0, "le": 60})
    """``push_force``: how long each push lasts, s."""
    method: Literal["fgsm", "pgd"] = "pgd"
    """``obs_attack``: one signed-gradient step of the bound (fgsm) or ``steps`` projected steps (pgd)."""
    steps: int = field(default=10, metadata={"ge": 1, "le": 100})
    """``obs_attack`` with pgd: gradient steps per control step."""
    step_size: float = field(default=0.25, metadata={"gt": 0, "le": 1})
    """``obs_attack`` with pgd: size of a step, share of the bound."""
    epsilon: dict[str, float] = field(default_factory=dict, metadata={"gt": 0, "le": 1000})
    """``obs_attack``: term -> its bound at size 1, raw units (the bound is ``size * epsilon[term]``); its keys are the
    terms attacked, jointly. Empty: ``size`` on every entry of ``terms``."""
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    """Severity over the episode."""

    def check(self) -> None:
        if self.low is not None:
            self._check_range()
        elif self.magnitude < 0 and self.kind not in ("obs_bias", "reward_shift"):
            raise FieldError("magnitude", f"must be >= 0 for kind {self.kind!r}, got {self.magnitude:g}")
        if self.kind == "gravity_tilt" and self.magnitude > math.pi / 2:
            raise FieldError("magnitude", f"must be <= pi/2 for kind 'gravity_tilt' (rad), got {self.magnitude:g}")
        if self.kind in FRACTION_KINDS and self.magnitude > 1:
            raise FieldError("magnitude", f"must be <= 1 for kind {self.kind!r} (a share), got {self.magnitude:g}")
        if self.kind == "link_mass" and not self.bodies:
            raise FieldError("bodies", "link_mass needs the bodies whose mass it changes")
        if self.bodies and self.kind != "link_mass":
            raise FieldError("bodies", f"only for link_mass, not {self.kind!r}")
        if self.terms and self.kind not in OBS_KINDS:
            raise FieldError("terms", f"only for the observation kinds, not {self.kind!r}")
        for term in self.terms:
            if term not in TERM_NAMES:
                raise FieldError("terms", f"unknown observation term {term!r} (known: {', '.join(TERM_NAMES)})")
        if self.epsilon and self.kind != "obs_attack":
            raise FieldError("epsilon", f"only for obs_attack, not {self.kind!r}")
        if self.epsilon and self.terms:
            raise FieldError("terms", "obs_attack: give terms or epsilon (its keys are the terms), not both", "epsilon")
        for term in self.epsilon:
            if term not in TERM_NAMES:
                raise FieldError("epsilon", f"unknown observation term {term!r} (known: {', '.join(TERM_NAMES)})")
        if self.joints and (self.kind in OBS_KINDS or self.kind in REWARD_KINDS or self.kind in WORLD_KINDS):
            raise FieldError("joints", f"only for the action and motor kinds, not {self.kind!r}")

    def _check_range(self) -> None:
        low = self.low if self.low is not None else self.magnitude
        if low > self.magnitude:
            raise FieldError("low", f"{low:g} is above magnitude {self.magnitude:g}")
        if low < 0 and self.kind not in (*SIGNED_KINDS, "obs_bias", "reward_shift"):
            signed = ", ".join(SIGNED_KINDS)
            raise FieldError("low", f"must be >= 0 for kind {self.kind!r} (negative only for {signed}), got {low:g}")
        if self.kind == "obs_attack":
            raise FieldError("low", "obs_attack takes one bound (magnitude), not a range")


@dataclass
class ScenarioConfig:
    """Perturbations applied together, all scaled by the same severity."""

    perturbations: list[PerturbationConfig] = field(metadata={"min_items": 1})
    """What the scenario applies, in this order (observation kinds chain in order, as do action kinds); required."""
    severity_scale: float = field(default=1.0, metadata={"gt": 0, "le": 1000})
    """Multiplier on every severity of the suite for this scenario."""
    search: Literal["none", "worst_case"] = "none"
    """none: the perturbations at their sizes; worst_case: each ``DYNAMICS_KINDS`` perturbation's size is searched
    in [0, its size] for the combination that minimises survival, then return (``policies.worst_case``)."""
    generations: int = field(default=3, metadata={"ge": 1, "le": 100})
    """worst_case: generations of the search."""
    population: int = field(default=32, metadata={"ge": 4, "le": 65_536})
    """worst_case: candidates per generation, one env each."""

    def check(self) -> None:
        if self.search == "worst_case" and not any(p.kind in DYNAMICS_KINDS for p in self.perturbations):
            raise FieldError("search", f"worst_case needs a perturbation of kind {', '.join(DYNAMICS_KINDS)}")
        ranged = [i for i, p in enumerate(self.perturbations) if p.low is not None]
        if self.search == "worst_case" and ranged:
            raise FieldError(f"perturbations[{ranged[0]}].low", "worst_case searches the sizes: give one, not a range")


@dataclass
class SuiteConfig:
    """A robustness suite: every scenario at every severity, plus the unperturbed run."""

    scenarios: dict[str, ScenarioConfig] = field(metadata={"min_items": 1})
    """Scenario name -> scenario; required."""
    severities: list[float] = field(default_factory=lambda: [0.5, 1.0], metadata={"gt": 0, "le": 100, "min_items": 1})
    """Severities each scenario runs at (increasing; severity 0 is the shared unperturbed run)."""
    episodes: int = field(default=64, metadata={"gt": 0, "le": 1_048_576})
    """Episodes per scenario and severity (parallel envs)."""
    seed: int = field(default=0, metadata={"ge": 0, "le": 2**31 - 1})
    """Seed of the perturbations' random draws (the env keeps the run's seed)."""
    overrides: list[str] = field(default_factory=list)
    """Dotted overrides of every run's config, e.g. ``env.episode_length_s=10``."""

    def check(self) -> None:
        if any(b <= a for a, b in itertools.pairwise(self.severities)):
            raise FieldError("severities", f"must increase, got {self.severities}")
        for name, scenario in self.scenarios.items():
            for i, kind in enumerate(p.kind for p in scenario.perturbations):
                if kind in REWARD_KINDS:
                    problem = f"{kind!r} perturbs the reward, for training only (train.perturbations), not evaluation"
                    where = f"scenarios.{name}.perturbations"
                    raise FieldError(f"{where}[{i}].kind", problem, where)


def load_suite(path: str | Path) -> SuiteConfig:
    """The validated suite of a YAML file; raises ``ConfigError`` naming the file and key."""
    data, origins = load_file(path)
    return validate(data, SuiteConfig, display_path(Path(path).resolve()), origins)

"""The deploy safety state machine: modes, the transitions between them, and the remote's buttons.

::

    PASSIVE --stand--> STAND --(interpolation done)--> READY --policy--> POLICY
       ^                  |                              |                  |
       |                  +------------- damp -----------+------------------+--> DAMPING
       +----------------------------- reset -------------------------------------- DAMPING

    PASSIVE or DAMPING --standup--> STANDUP --(stood up)--> STAND --> READY     (stand-up policies)
                                       +--------- damp (or its guard) --------> DAMPING

- PASSIVE: zero torque (kp = kd = 0, tau = 0). Where the controller starts.
- STAND: joint targets move linearly from the pose measured on entry to the default pose.
- READY: hold the default pose.
- POLICY: joint targets from the policy.
- STANDUP: a stand-up policy (metadata ``beta``) drives the robot up from the ground, no interpolation
  first; once ``deploy.robot.standup`` finds it standing it hands over to STAND (then READY).
- DAMPING: kp = 0, kd = damping kd; latched: only ``reset`` (to PASSIVE) or ``standup`` leaves it.

``damp`` is accepted in every mode; the guards (stale or non-finite state, tilt, policy output)
use it too. Leaving PASSIVE needs a fresh, finite LowState (checked by the controller); ``standup``
also needs a stand-up policy, and is not refused for tilt (the robot is lying).
"""

from __future__ import annotations

from enum import Enum


class Mode(str, Enum):
    PASSIVE = "PASSIVE"
    STAND = "STAND"
    READY = "READY"
    POLICY = "POLICY"
    STANDUP = "STANDUP"
    DAMPING = "DAMPING"


class Transition(str, Enum):
    STAND = "stand"
    POLICY = "policy"
    DAMP = "damp"
    RESET = "reset"
    STANDUP = "standup"
    STAND_DONE = "stand_done"
    """Internal: the STAND interpolation reached the default pose."""
    STOOD_UP = "stood_up"
    """Internal: the stand-up rule held (``deploy.robot.standup``)."""


INTERNAL = frozenset({Transition.STAND_DONE, Transition.STOOD_UP})
"""Transitions only the controller itself makes; never requested."""


TRANSITIONS: dict[tuple[Mode, Transition], Mode] = {
    (Mode.PASSIVE, Transition.STAND): Mode.STAND,
    (Mode.STAND, Transition.STAND_DONE): Mode.READY,
    (Mode.READY, Transition.POLICY): Mode.POLICY,
    (Mode.PASSIVE, Transition.STANDUP): Mode.STANDUP,
    (Mode.DAMPING, Transition.STANDUP): Mode.STANDUP,
    (Mode.STANDUP, Transition.STOOD_UP): Mode.STAND,
    (Mode.PASSIVE, Transition.DAMP): Mode.DAMPING,
    (Mode.STAND, Transition.DAMP): Mode.DAMPING,
    (Mode.READY, Transition.DAMP): Mode.DAMPING,
    (Mode.POLICY, Transition.DAMP): Mode.DAMPING,
    (Mode.STANDUP, Transition.DAMP): Mode.DAMPING,
    (Mode.DAMPING, Transition.DAMP): Mode.DAMPING,
    (Mode.DAMPING, Transition.RESET): Mode.PASSIVE,
}
"""(from, transition) -> to. Anything not listed is refused."""

BUTTON_CHORDS: tuple[tuple[frozenset[str], Transition], ...] = (
    (frozenset({"select"}), Transition.DAMP),
    (frozenset({"B"}), Transition.DAMP),
    (frozenset({"start"}), Transition.STAND),
    (frozenset({"A"}), Transition.POLICY),
    (frozenset({"R1", "Y"}), Transition.STANDUP),
    (frozenset({"L1", "X"}), Transition.RESET),
)
"""Remote buttons -> transitions, checked in this order (damp first). A chord fires on the tick its
last button goes down while the others are held: select or B = damp, start = stand, A = policy,
R1 + Y = stand up (stand-up policies), L1 + X = reset (DAMPING -> PASSIVE)."""


def next_mode(mode: Mode, transition: Transition) -> Mode | None:
    """The mode after ``transition`` from ``mode``, or None when it is not allowed."""
    return TRANSITIONS.get((mode, transition))


def button_transitions(held: frozenset[str], pressed: frozenset[str]) -> list[tuple[frozenset[str], Transition]]:
    """(chord, transition) requested by the remote this tick, in priority order."""
    return [(chord, transition) for chord, transition in BUTTON_CHORDS if chord <= held and chord & pressed]

"""The sim2sim stand-up verdict: did the robot stand up, how fast, how violently, and what the node did.

Works on the bridge's ``/sim/state`` reports of one run, each annotated by the supervisor with the
policy node's mode when it arrived (``node_mode``). A report carries the lowest and highest base
height and the fastest joint over the LowState ticks since the previous one, so no 2 ms tick escapes.
"Stood up" is the stand-up task's: pelvis above ``STAND_HEIGHT_M`` and never below ``FALL_HEIGHT_M``
after that, to the end of the run (the hold after the hand-over included).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

STAND_HEIGHT_M = 0.7
"""Pelvis height that counts as stood up, m (the G1 stand-up task's ``standing.stand_height_m``)."""
FALL_HEIGHT_M = 0.5
"""Pelvis height that, once stood up, counts as a fall, m (``standing.fall_height_m``)."""


@dataclass(frozen=True)
class StandupRun:
    """What the sim2sim run recorded around one ``standup`` request."""

    posture: str
    rest: dict
    """The last report before engaging (the robot at rest in its posture)."""
    engaged_s: float
    """Simulated time of the engagement, s."""
    reports: list[dict]
    """Every report from the engagement to the end of the run, oldest first, each with ``node_mode``."""
    left_standup: dict | None
    """The node's first status after STANDUP (mode STAND on a hand-over, DAMPING with its fault), if any."""
    speed_limits: dict[str, float]
    """Joint name -> the node's stand-up joint-speed limit, rad/s."""


@dataclass(frozen=True)
class StandupOutcome:
    """The measurements of one ``StandupRun``."""

    stood_up: bool
    time_to_stand_s: float | None
    """From the engagement to the pelvis first above ``STAND_HEIGHT_M``, s (None: never)."""
    highest_m: float
    lowest_after_m: float | None
    """Lowest pelvis height after first standing (None: never stood), m."""
    lowest_after_mode: str | None
    """The node's mode when that lowest height was reached."""
    handed_over: bool
    """The node left STANDUP for STAND (its stood-up rule), not for DAMPING."""
    peak_speed_rad_s: float
    """Fastest joint while the node was in STANDUP, rad/s."""
    peak_joint: str
    end_mode: str


def measure_standup(run: StandupRun) -> StandupOutcome:
    """Stood up or not, time to stand, the fall check, the hand-over and the peak joint speed in STANDUP."""
    reports = run.reports
    first = next((k for k, r in enumerate(reports) if r["base_height_range_m"][1] > STAND_HEIGHT_M), None)
    after = reports[first + 1 :] if first is not None else []
    lowest = min(after, key=lambda r: r["base_height_range_m"][0], default=None)
    lowest_m = lowest["base_height_range_m"][0] if lowest else None
    in_standup = [r for r in reports if r.get("node_mode") == "STANDUP"] or reports
    peak = max(in_standup, key=lambda r: r["joint_speed_peak_rad_s"])
    left = run.left_standup
    return StandupOutcome(
        stood_up=first is not None and (lowest_m is None or lowest_m >= FALL_HEIGHT_M),
        time_to_stand_s=None if first is None else reports[first]["sim_time_s"] - run.engaged_s,
        highest_m=max(r["base_height_range_m"][1] for r in reports),
        lowest_after_m=lowest_m,
        lowest_after_mode=lowest.get("node_mode") if lowest else None,
        handed_over=left is not None and left["mode"] in ("STAND", "READY"),
        peak_speed_rad_s=peak["joint_speed_peak_rad_s"],
        peak_joint=peak["joint_speed_peak_joint"],
        end_mode=reports[-1].get("node_mode") or "?",
    )


def standup_table(run: StandupRun, out: StandupOutcome) -> list[str]:
    """Markdown lines: one row per measurement."""
    rest, end, left = run.rest, run.reports[-1], run.left_standup
    gravity = ", ".join(f"{g:+.2f}" for g in rest["projected_gravity"])
    if out.time_to_stand_s is None:
        stood = f"no: highest {out.highest_m:.3f} m"
    else:
        lowest = "-" if out.lowest_after_m is None else f"{out.lowest_after_m:.3f} m"
        stood = f"{'yes' if out.stood_up else 'no'}: lowest after {lowest}"
        stood += f" (in {out.lowest_after_mode})" if out.lowest_after_mode else ""
    if left is None:
        exit_row = "no: still in STANDUP at the end"
    else:
        when = f"+{left['sim_time_s'] - run.engaged_s:.2f} s" if left.get("sim_time_s") is not None else "?"
        exit_row = f"{'yes' if out.handed_over else 'no'}: {left['mode']} at {when}"
        exit_row += f" ({left['fault']})" if left["mode"] == "DAMPING" and left.get("fault") else ""
    limit = run.speed_limits.get(out.peak_joint, math.nan)
    rows = [
        ("start", f"{run.posture}: pelvis {rest['base_height_m']:.3f} m, gravity in base ({gravity})"),
        (f"stood up (pelvis > {STAND_HEIGHT_M:g} m, never < {FALL_HEIGHT_M:g} m after)", stood),
        ("time to stand up", "-" if out.time_to_stand_s is None else f"{out.time_to_stand_s:.2f} s"),
        ("hand-over to STAND (stood-up rule)", exit_row),
        (
            "peak joint speed in STANDUP",
            f"{out.peak_speed_rad_s:.2f} rad/s ({out.peak_joint}; node limit {limit:g} rad/s)",
        ),
        ("end", f"mode {out.end_mode}, pelvis {end['base_height_m']:.3f} m, tilt {end['tilt_rad']:.2f} rad"),
    ]
    return ["| measure | value |", "| --- | --- |", *(f"| {name} | {value} |" for name, value in rows)]


def standup_verdict(run: StandupRun) -> bool:
    """Print the table and the checks; True when the robot stood up, the node handed over and did not damp."""
    out = measure_standup(run)
    end = run.reports[-1]
    checks = {
        "stood up": out.stood_up,
        "handed over": out.handed_over,
        "not damped": out.end_mode != "DAMPING",
        "clean LowCmds": end.get("bad_crc_count", 0) == 0 and end.get("max_target_excursion_rad", 0.0) <= 0.0,
    }
    seconds = end["sim_time_s"] - run.engaged_s
    print(f"sim2sim: stand-up from {run.posture}, {seconds:.1f} s simulated after engaging:")
    print("\n".join(standup_table(run, out)))
    failed = [name for name, ok in checks.items() if not ok]
    print(f"sim2sim: {'PASS' if not failed else 'FAIL'}" + (f" (not: {', '.join(failed)})" if failed else ""))
    return not failed

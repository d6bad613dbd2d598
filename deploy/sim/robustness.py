"""``legged sim2sim --params FILE --policy FILE --suite SUITE``: a robustness suite (``configs/robustness/``) on the
deployed stack: the MuJoCo bridge applies each scenario (``deploy.sim.perturb``) while the ROS 2 policy node drives
the exported ONNX over DDS, so the node's timing and guards are measured with the policy.

Every cell (the unperturbed run, then each scenario at each severity) runs ``episodes`` episodes (default 1: each
costs its seconds in real time, plus 5-10 s to start and stand), each with a fresh bridge and node (the reset).
An episode: tracking policies are stood up (PASSIVE -> STAND -> READY -> POLICY), the scenario starts, and the
policy holds the zero command (``--command``, or a ``--commands`` script) for ``seconds``; it fell when the node
left POLICY (a guard damped), the base tilted past ``UPRIGHT_TILT_RAD`` or it ended below the standing height
share (``deploy.sim.sim2sim``).
Stand-up policies: the scenario starts in the posture, ``standup`` is requested, and the episode survives when it
stood up (``deploy.sim.standup_report``). A cell's survival is 1 - fall rate (or the stand-up rate); a scenario's
score is ``legged eval --suite``'s (``policies.robustness_score.survival_score``). The suite's ``episodes`` and
``overrides`` are the training envs' and not used; its ``seed`` seeds the draws (plus the episode index).
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import yaml

from deploy.robot.onnx_policy import OnnxPolicy
from deploy.sim import topics as sim_topics
from deploy.sim.perturb import bridge_problem
from deploy.sim.postures import STANDUP_POSTURES
from deploy.sim.sim2sim import (
    STANDING_HEIGHT_SHARE,
    UPRIGHT_TILT_RAD,
    drive_segment,
    measure_segment,
    record_standup,
    supervised,
)
from deploy.sim.sim_robot import SimRobot
from deploy.sim.standup_report import measure_standup
from deploy.sim.supervisor import Sim2SimSupervisor
from legged_envs.config.loader import display_path
from legged_envs.perturbations.config import SuiteConfig, load_suite
from legged_envs.robots import get_robot_spec
from policies.command_script import Segment
from policies.robustness_score import survival_score

NOMINAL = "nominal"
TRACKED = ("vx", "vy", "yaw_rate")
"""Commands whose tracking error is reported (mean |achieved - commanded| after each segment's settling second)."""


class SuiteError(ValueError):
    """A suite the bridge cannot run; the message names the file and the key."""


@dataclass
class Sim2SimCell:
    """One scenario at one severity over its episodes."""

    scenario: str
    severity: float
    episodes: int
    survival: float
    """1 - fall rate, or the stand-up rate."""
    damped: float
    """Share of episodes in which the node went to DAMPING."""
    max_tilt_rad: float
    """Largest base tilt seen (every report, every episode), rad."""
    travel_m: float
    """Mean distance the base moved over an episode, m."""
    tracking_error: dict[str, float] = field(default_factory=dict)
    """Command -> mean |achieved - commanded| (m/s, rad/s)."""
    time_to_stand_s: float | None = None
    """Stand-up policies: mean time to stand over the episodes that stood up, s."""
    faults: list[str] = field(default_factory=list)
    """The node's faults, one per damped episode."""


def check_suite(path: Path, robot: str) -> SuiteConfig:
    """The suite at ``path``, refused (``SuiteError``, ``ConfigError``) when the bridge cannot apply a part of it."""
    suite = load_suite(path)
    model = SimRobot(get_robot_spec(robot)).model
    problem = bridge_problem(suite, get_robot_spec(robot), tuple(model.body(i).name for i in range(model.nbody)))
    if problem:
        raise SuiteError(f"{display_path(path.resolve())}: {problem[0]}: {problem[1]}")
    return suite


def tracking_episode(supervisor: Sim2SimSupervisor, segments: list[Segment], names: tuple[str, ...]) -> dict:
    """Stand, engage the policy, start the scenario and drive the segments (commands ``names``); what happened."""
    for transition, mode in (("stand", "READY"), ("policy", "POLICY")):
        supervisor.request(transition)
        supervisor.wait_mode(mode)
    supervisor.publish(sim_topics.SIM_CONTROL, "perturb")
    supervisor.sim_log = []
    recorded = [(segment, drive_segment(supervisor, segment, bool(names))) for segment in segments]
    reports, supervisor.sim_log = supervisor.sim_log, None
    status = supervisor.statuses[-1]
    standing = get_robot_spec(supervisor.robot).default_base_height_m
    tilt = max(r["tilt_rad"] for r in reports)
    fell = status["mode"] != "POLICY" or tilt >= UPRIGHT_TILT_RAD
    fell |= reports[-1]["base_height_m"] < STANDING_HEIGHT_SHARE * standing
    errors: dict[str, list[float]] = {}
    for segment, samples in recorded:
        achieved = measure_segment(samples, standing)
        for name, commanded in zip(names, segment.command, strict=True):
            if name in TRACKED:
                errors.setdefault(name, []).append(abs(achieved[name] - commanded))
    return {
        "survived": not fell,
        "damped": status["mode"] == "DAMPING",
        "fault": status.get("fault") or "",
        "max_tilt_rad": tilt,
        "travel_m": float(np.linalg.norm(np.subtract(reports[-1]["base_xy_m"], reports[0]["base_xy_m"]))),
        "tracking_error": {name: float(np.mean(values)) for name, values in errors.items()},
    }


def standup_episode(supervisor: Sim2SimSupervisor, seconds: float) -> dict:
    """Start the scenario in the posture, stand up and hold ``seconds``; what happened."""
    supervisor.publish(sim_topics.SIM_CONTROL, "perturb")
    run = record_standup(supervisor, seconds)
    out = measure_standup(run)
    status = supervisor.statuses[-1]
    return {
        "survived": out.stood_up,
        "damped": status["mode"] == "DAMPING",
        "fault": status.get("fault") or "",
        "max_tilt_rad": max(r["tilt_rad"] for r in run.reports),
        "travel_m": float(np.linalg.norm(np.subtract(run.reports[-1]["base_xy_m"], run.reports[0]["base_xy_m"]))),
        "time_to_stand_s": out.time_to_stand_s if out.stood_up else None,
    }


def summarize(scenario: str, severity: float, episodes: list[dict]) -> Sim2SimCell:
    """A cell from its episodes' records."""
    names = sorted({name for e in episodes for name in e.get("tracking_error", {})})
    stood = [e["time_to_stand_s"] for e in episodes if e.get("time_to_stand_s") is not None]
    return Sim2SimCell(
        scenario,
        severity,
        len(episodes),
        survival=float(np.mean([e["survived"] for e in episodes])),
        damped=float(np.mean([e["damped"] for e in episodes])),
        max_tilt_rad=max(e["max_tilt_rad"] for e in episodes),
        travel_m=float(np.mean([e["travel_m"] for e in episodes])),
        tracking_error={n: float(np.mean([e["tracking_error"][n] for e in episodes])) for n in names},
        time_to_stand_s=float(np.mean(stood)) if stood else None,
        faults=[e["fault"] for e in episodes if e["damped"]],
    )


def run_suite(
    params_file: Path,
    policy: Path,
    suite_file: Path,
    seconds: float = 10.0,
    episodes: int = 1,
    segments: list[Segment] | None = None,
    out_dir: Path | None = None,
) -> dict[str, float]:
    """Every cell of the suite on the deployed stack; prints progress and the table, writes the results folder
    (default ``sim2sim_robustness/`` next to the policy) and returns the score per scenario."""
    params = yaml.safe_load(params_file.read_text())
    spec = get_robot_spec(params["robot"])
    suite = check_suite(suite_file, params["robot"])
    meta = OnnxPolicy(policy, spec).metadata
    standup = meta.beta is not None
    if standup and params["sim_bridge"].get("start_pose") not in STANDUP_POSTURES:
        params["sim_bridge"] = {**params["sim_bridge"], "start_pose": "supine"}
    segments = segments or [Segment(seconds, (0.0,) * len(meta.command_names))]
    grid = [(NOMINAL, None, 0.0)] + [(n, n, s) for n in suite.scenarios for s in suite.severities]
    suite_path = display_path(suite_file.resolve())
    cells = []
    for index, (name, scenario, severity) in enumerate(grid):
        records = []
        for episode in range(episodes):
            bridge_args = [] if scenario is None else ["--suite", str(suite_file.resolve()), "--scenario", scenario]
            if scenario is not None:
                bridge_args += ["--severity", str(severity), "--seed", str(suite.seed + episode)]
                bridge_args += ["--control-dt", str(meta.control_dt)]
            with supervised(params, policy) as supervisor:
                supervisor.start_pair(bridge_args)
                if standup:
                    records.append(standup_episode(supervisor, seconds))
                else:
                    records.append(tracking_episode(supervisor, segments, meta.command_names))
            record = records[-1]
            verdict = (
                "survived" if record["survived"] else "FELL" + (f" ({record['fault']})" if record["fault"] else "")
            )
            print(
                f"sim2sim suite: [{index + 1}/{len(grid)}] {name} @ {severity:g}, episode {episode + 1}/{episodes}: "
                f"{verdict}, max tilt {record['max_tilt_rad']:.2f} rad, travel {record['travel_m']:.2f} m",
                flush=True,
            )
        cells.append(summarize(name, severity, records))
    scores = {
        name: survival_score(cells[0].survival, [(c.severity, c.survival) for c in cells if c.scenario == name])
        for name in suite.scenarios
    }
    text = markdown(cells, scores, suite_path, suite, episodes, segments, standup)
    print(text, end="", flush=True)
    out = out_dir or policy.parent / "sim2sim_robustness"
    report = {
        "suite": suite_path,
        "policy": str(policy),
        "episodes": episodes,
        "seconds": sum(s.duration_s for s in segments),
        "scores": scores,
        "cells": [asdict(cell) for cell in cells],
    }
    out.mkdir(parents=True, exist_ok=True)
    written = {
        "robustness.md": text,
        "robustness.csv": csv_text(cells),
        "robustness.json": json.dumps(report, indent=2) + "\n",
    }
    for file_name, content in written.items():
        (out / file_name).write_text(content)
    print(f"sim2sim suite: wrote {', '.join(display_path((out / n).absolute()) for n in written)}", flush=True)
    return scores


def markdown(
    cells: list[Sim2SimCell],
    scores: dict[str, float],
    suite_path: str,
    suite: SuiteConfig,
    episodes: int,
    segments: list[Segment],
    standup: bool,
) -> str:
    """The scores, then one row per cell."""
    names = list(scores)
    mean = sum(scores.values()) / len(scores)
    seconds = sum(s.duration_s for s in segments)
    survival = "stood up" if standup else "survival"
    lines = [
        f"# sim2sim robustness suite {suite_path}",
        "",
        f"{episodes} episode(s) of {seconds:g} s per cell over DDS (MuJoCo bridge + ROS 2 policy node), severities "
        f"{', '.join(f'{s:g}' for s in suite.severities)}. Score: area under {survival} vs severity, normalised to "
        "the unperturbed run.",
        "",
        "| robustness score | " + " | ".join(names) + " |",
        "|" + " --- |" * (1 + len(names)),
        f"| {mean:.3f} | " + " | ".join(f"{scores[n]:.3f}" for n in names) + " |",
        "",
    ]
    errors = sorted({n for c in cells for n in c.tracking_error})
    extra = ["time to stand"] if standup else [f"error {n}" for n in errors]
    lines += [
        f"| scenario | severity | {survival} | damped | max tilt | travel | " + " | ".join(extra) + " |",
        "|" + " --- |" * (6 + len(extra)),
    ]
    for c in cells:
        if standup:
            values = ["-" if c.time_to_stand_s is None else f"{c.time_to_stand_s:.2f} s"]
        else:
            values = [f"{c.tracking_error.get(n, math.nan):.3f}" for n in errors]
        lines.append(
            f"| {c.scenario} | {c.severity:g} | {c.survival:.0%} | {c.damped:.0%} | {c.max_tilt_rad:.2f} rad | "
            f"{c.travel_m:.2f} m | " + " | ".join(values) + " |"
        )
    return "\n".join(lines) + "\n"


def csv_text(cells: list[Sim2SimCell]) -> str:
    """One row per cell."""
    errors = sorted({n for c in cells for n in c.tracking_error})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["scenario", "severity", "episodes", "survival", "damped", "max_tilt_rad", "travel_m", "time_to_stand_s"]
        + [f"error_{n}" for n in errors]
    )
    for c in cells:
        fixed = [c.scenario, c.severity, c.episodes, c.survival, c.damped, c.max_tilt_rad, c.travel_m]
        writer.writerow([*fixed, c.time_to_stand_s, *(c.tracking_error.get(n, math.nan) for n in errors)])
    return out.getvalue()

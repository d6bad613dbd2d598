"""``python -m deploy.sim.sim2sim``: prove a policy in sim2sim before it meets a robot.

Starts the MuJoCo bridge and the policy node on the robot's sim2sim parameters, walks the safety
state machine PASSIVE -> STAND -> READY -> POLICY over ``/legged/transition`` as an operator would,
lets the policy drive for a few seconds of simulated time (holding ``--command vx=0.5`` and the
like, or each segment of a ``--commands`` script in turn) and prints, per segment, commanded vs
achieved: mean base velocity (heading frame), height above standing, pitch and roll after a
settling second. It passes when the robot stayed upright in POLICY, ended at standing height and
followed every command within ``TOLERANCE``. Exit code 0: pass; 1: not, or something failed on
the way.

A stand-up policy (metadata ``beta`` non-null) is run as on the robot instead: spawned in a stand-up
posture (``--start-pose``, default supine), left to settle, engaged with ``standup`` straight from
PASSIVE, watched until the node leaves STANDUP (hand-over or DAMPING) and ``--seconds`` more; the
report (``deploy.sim.standup_report``) says whether it stood up, how long it took, the peak joint speed
and what the node did.

``--suite FILE`` runs a robustness suite on the deployed stack instead (``deploy.sim.robustness``); exit code 2
when the suite cannot run on the bridge (one line naming the file and key, nothing started).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from deploy.robot.onnx_policy import OnnxPolicy
from deploy.robot.params import PolicyNodeParams
from deploy.robot.policy_metadata import PolicyLoadError
from deploy.sim.postures import STANDUP_POSTURES
from deploy.sim.sim_robot import START_POSES
from deploy.sim.standup_report import StandupRun, standup_verdict
from deploy.sim.supervisor import TIMEOUT_S, Sim2SimError, Sim2SimSupervisor
from legged_envs.config import ConfigError
from legged_envs.robots import get_robot_spec
from policies.command_script import Segment, load_command_script, segment_table

MAX_SECONDS = 3600.0
"""Longest ``--seconds``."""
UPRIGHT_TILT_RAD = 0.5
"""Largest base tilt that counts as upright at the end of the run."""
STANDING_HEIGHT_SHARE = 0.75
"""Lowest base height that counts as standing, as a share of the robot's standing height (a crouch fails)."""
SETTLE_S = 1.0
"""Time in POLICY before the motion is measured, s."""
SAMPLE_S = 0.25
"""Spacing of the samples of the base pose while measuring, s."""
TOLERANCE = {
    "vx": (0.5, 0.05),
    "vy": (0.5, 0.05),
    "yaw_rate": (0.5, 0.05),
    "height": (0.0, 0.03),
    "pitch": (0.5, 0.05),
    "roll": (0.5, 0.05),
}
"""Command name -> (share, floor): a segment follows it when |achieved - commanded| <= share |commanded| + floor."""


@dataclass
class Motion:
    """Mean base velocity over the measured window: heading frame at its start, m/s and rad/s."""

    vx: float
    vy: float
    yaw_rate: float


def measure_motion(samples: list[dict]) -> Motion:
    """Mean velocity over ``/sim/state`` reports: each step between two reports in the heading frame of its midpoint
    (so turning does not show as sideways motion), yaw unwrapped across the samples."""
    seconds = samples[-1]["sim_time_s"] - samples[0]["sim_time_s"]
    yaw = np.unwrap([s["base_rpy_rad"][2] for s in samples])
    steps = np.diff([s["base_xy_m"] for s in samples], axis=0)
    heading = (yaw[1:] + yaw[:-1]) / 2
    forward = np.sum(np.cos(heading) * steps[:, 0] + np.sin(heading) * steps[:, 1])
    left = np.sum(-np.sin(heading) * steps[:, 0] + np.cos(heading) * steps[:, 1])
    return Motion(float(forward / seconds), float(left / seconds), float((yaw[-1] - yaw[0]) / seconds))


def measure_segment(samples: list[dict], standing_height_m: float) -> dict[str, float]:
    """What the robot did over ``samples``, in the units of the Go2 posture commands: mean velocities, mean base
    height above the standing height (m), mean pitch (+ nose down) and roll (+ left side up), rad."""
    motion = measure_motion(samples)
    return {
        "vx": motion.vx,
        "vy": motion.vy,
        "yaw_rate": motion.yaw_rate,
        "height": float(np.mean([s["base_height_m"] for s in samples])) - standing_height_m,
        "pitch": float(np.mean([s["base_rpy_rad"][1] for s in samples])),
        "roll": float(np.mean([s["base_rpy_rad"][0] for s in samples])),
    }


def parse_commands(items: Sequence[str], names: Sequence[str]) -> list[float]:
    """``NAME=VALUE`` items -> the policy's command vector (unnamed entries 0); ``ValueError`` names a bad item."""
    values = dict.fromkeys(names, 0.0)
    for item in items:
        name, _, text = item.partition("=")
        if name not in values:
            raise ValueError(f"--command {item}: the policy's commands are {', '.join(names) or 'none'}")
        try:
            values[name] = float(text)
        except ValueError:
            raise ValueError(f"--command {item}: expected NAME=NUMBER") from None
    return list(values.values())


def run(
    params_file: Path,
    policy: Path,
    seconds: float,
    commands: Sequence[str] = (),
    script: Path | None = None,
    bridge_overrides: dict | None = None,
    judged: Sequence[str] | None = None,
) -> bool:
    """One supervised run holding ``commands`` (``NAME=VALUE``) for ``seconds``, or the segments of a command
    ``script``; True when the robot stays upright at standing height and follows every segment's command (only
    the ``judged`` ones when given). A stand-up policy goes to ``run_standup`` instead. ``bridge_overrides``
    replace ``sim_bridge`` entries."""
    params = yaml.safe_load(params_file.read_text())
    params["sim_bridge"] = {**(params.get("sim_bridge") or {}), **(bridge_overrides or {})}
    spec = get_robot_spec(params["robot"])
    meta = OnnxPolicy(policy, spec).metadata
    if meta.beta is not None:
        return run_standup(params, policy, seconds, (bridge_overrides or {}).get("start_pose"))
    names = meta.command_names
    unknown = sorted(set(judged or ()) - set(names))
    if unknown:
        raise ValueError(f"--judge {','.join(unknown)}: the policy's commands are {', '.join(names) or 'none'}")
    if script is not None:
        segments = load_command_script(script, names)
    else:
        segments = [Segment(seconds, tuple(parse_commands(commands, names)))]
    with supervised(params, policy) as supervisor:
        supervisor.start_pair()
        print(f"sim2sim: {supervisor.startup_report}", flush=True)
        for transition, mode in (("stand", "READY"), ("policy", "POLICY")):
            supervisor.request(transition)
            supervisor.wait_mode(mode)
            print(f"sim2sim: {mode}", flush=True)
        recorded = [(segment, drive_segment(supervisor, segment, bool(names))) for segment in segments]
        mode = supervisor.statuses[-1]["mode"]
    return verdict(recorded, mode, spec.default_base_height_m, names, judged)


@contextmanager
def supervised(params: dict, policy: Path) -> Iterator[Sim2SimSupervisor]:
    """A supervisor for ``params`` (a parameters file's mapping) and ``policy`` in a private DDS setting."""
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    domain = int(os.environ.setdefault("ROS_DOMAIN_ID", str(random.randint(100, 200))))
    with tempfile.TemporaryDirectory(prefix="sim2sim_") as workdir:
        supervisor = Sim2SimSupervisor(
            Path(workdir) / "run",
            domain,
            params["robot"],
            policy.resolve(),
            params.get("sim_bridge") or {},
            {key: value for key, value in (params.get("policy_node") or {}).items() if key != "policy"},
        )
        try:
            yield supervisor
        finally:
            supervisor.close()


def run_standup(params: dict, policy: Path, seconds: float, start_pose: str | None = None) -> bool:
    """Stand up from ``start_pose`` (default: the file's if a stand-up posture, else supine) and print the verdict;
    True when the robot stood up, the node handed over to STAND and nothing damped."""
    pose = start_pose or params["sim_bridge"].get("start_pose")
    params["sim_bridge"]["start_pose"] = pose if start_pose or pose in STANDUP_POSTURES else "supine"
    with supervised(params, policy) as supervisor:
        supervisor.start_pair()
        print(f"sim2sim: {supervisor.startup_report}", flush=True)
        recorded = record_standup(supervisor, seconds)
    return standup_verdict(recorded)


def record_standup(supervisor: Sim2SimSupervisor, seconds: float) -> StandupRun:
    """Let the robot settle, request ``standup``, watch until the node leaves STANDUP and ``seconds`` more."""
    spec = get_robot_spec(supervisor.robot)
    node = PolicyNodeParams(**supervisor.node_params)
    limits = {j.name: node.standup_joint_speed_factor * j.velocity_limit_rad_s for j in spec.joints}
    rest = supervisor.wait_sim_time(SETTLE_S)
    supervisor.sim_log = []
    answer = supervisor.request("standup")
    print("sim2sim: STANDUP", flush=True)
    what, timeout_s = "the node leaving STANDUP", node.standup_timeout_s + TIMEOUT_S
    left = supervisor.wait_status(lambda s: s["mode"] != "STANDUP", what, answer["seq"], timeout_s)
    print(f"sim2sim: {left['mode']}" + (f" ({left['fault']})" if left["mode"] == "DAMPING" else ""), flush=True)
    supervisor.wait_sim_time(seconds)
    engaged = answer["sim_time_s"] if answer["sim_time_s"] is not None else rest["sim_time_s"]
    pose = supervisor.bridge_params.get("start_pose", "standing")
    reports, supervisor.sim_log = supervisor.sim_log, None
    return StandupRun(pose, rest, engaged, reports, left, limits)


def drive_segment(supervisor: Sim2SimSupervisor, segment: Segment, has_command: bool) -> list[dict]:
    """Hold the segment's command for its duration; the ``/sim/state`` reports after its settling time."""
    if has_command:
        supervisor.hold_command(segment.command)
    settle = min(SETTLE_S, segment.duration_s / 2)
    first = supervisor.wait_sim_time(settle)
    samples = [first]
    while samples[-1]["sim_time_s"] < first["sim_time_s"] + segment.duration_s - settle - 1e-6:
        samples.append(supervisor.wait_sim_time(SAMPLE_S))
    return samples


def verdict(
    recorded: list[tuple[Segment, list[dict]]],
    mode: str,
    standing_height_m: float,
    names: Sequence[str],
    judged: Sequence[str] | None = None,
) -> bool:
    """Print commanded vs achieved per segment and the checks (tracking of the ``judged`` commands, default every
    one); True when every check passed."""
    rows = [(segment, measure_segment(samples, standing_height_m)) for segment, samples in recorded]
    every = [sample for _, samples in recorded for sample in samples]
    last = every[-1]
    checks = {
        "in POLICY": mode == "POLICY",
        "upright": max(s["tilt_rad"] for s in every) < UPRIGHT_TILT_RAD,
        "standing height": last["base_height_m"] >= STANDING_HEIGHT_SHARE * standing_height_m,
    }
    for index, (segment, achieved) in enumerate(rows):
        for name, commanded in zip(names, segment.command, strict=True):
            if name in TOLERANCE and (judged is None or name in judged):
                share, floor = TOLERANCE[name]
                checks[f"segment {index + 1} {name}"] = (
                    abs(achieved[name] - commanded) <= share * abs(commanded) + floor
                )
    print(
        f"sim2sim: {sum(s.duration_s for s, _ in recorded):g} s in POLICY: mode {mode}, base height "
        f"{last['base_height_m']:.3f} m (standing {standing_height_m:.3f}), tilt {last['tilt_rad']:.3f} rad, "
        f"bad-CRC LowCmds {last.get('bad_crc_count', 0)}"
    )
    if names:
        print(f"sim2sim: commanded vs achieved (after {SETTLE_S:g} s of each segment):")
        print("\n".join(segment_table(names, rows)))
    failed = [name for name, ok in checks.items() if not ok]
    print(f"sim2sim: {'PASS' if not failed else 'FAIL'}" + (f" (not: {', '.join(failed)})" if failed else ""))
    return not failed


def run_suite_command(args: argparse.Namespace) -> int:
    """``--suite``: 2 when the suite cannot run (nothing started), 1 when a run failed on the way, else 0."""
    from deploy.sim.robustness import SuiteError, check_suite, run_suite

    if not 0 < args.episodes <= 1000:
        print(f"sim2sim: error: --episodes: expected an int in (0, 1000], got {args.episodes}", file=sys.stderr)
        return 2
    try:
        robot = yaml.safe_load(args.params.read_text())["robot"]
        check_suite(args.suite, robot)
        names = OnnxPolicy(args.policy, get_robot_spec(robot)).metadata.command_names
        if args.commands is not None:
            segments = load_command_script(args.commands, names)
        else:
            segments = [Segment(args.seconds, tuple(parse_commands(args.command, names)))]
    except (SuiteError, ConfigError, PolicyLoadError, ValueError) as error:
        print(f"sim2sim: error: {error}", file=sys.stderr)
        return 2
    try:
        run_suite(args.params, args.policy, args.suite, args.seconds, args.episodes, segments, args.out)
    except (Sim2SimError, ValueError) as error:
        print(f"sim2sim: error: {error}", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.sim.sim2sim", description=__doc__.splitlines()[0])
    parser.add_argument("--params", required=True, type=Path, help="sim2sim parameters YAML (deploy/config/)")
    parser.add_argument("--policy", required=True, type=Path, help="exported ONNX policy")
    parser.add_argument(
        "--seconds",
        type=float,
        help="simulated seconds in POLICY (stand-up policies: after leaving STANDUP), default 5 (--suite: 10)",
    )
    parser.add_argument(
        "--command", action="append", default=[], metavar="NAME=VALUE", help="hold a command, e.g. vx=0.5 (repeat)"
    )
    parser.add_argument(
        "--commands", type=Path, metavar="SCRIPT", help="command script YAML (configs/commands/); replaces --seconds"
    )
    parser.add_argument(
        "--judge",
        metavar="NAME[,NAME]",
        help="commands whose tracking the verdict checks (default: all; upright and height are always checked)",
    )
    parser.add_argument(
        "--start-pose",
        choices=START_POSES,
        help="overrides sim_bridge.start_pose (stand-up policies: default supine unless the file names a posture)",
    )
    parser.add_argument("--platform-height", type=float, metavar="M", help="seated: platform height, m")
    parser.add_argument("--wall-distance", type=float, metavar="M", help="leaning: pelvis to wall, m")
    parser.add_argument("--suite", type=Path, help="robustness suite YAML (configs/robustness/) run over DDS")
    parser.add_argument("--episodes", type=int, default=1, help="--suite: episodes per cell, default 1")
    parser.add_argument("--out", type=Path, help="--suite: results folder (default: sim2sim_robustness/ by the policy)")
    args = parser.parse_args(argv)
    if args.seconds is None:
        args.seconds = 10.0 if args.suite else 5.0
    if not 0 < args.seconds <= MAX_SECONDS:
        parser.error(f"--seconds: expected a number in (0, {MAX_SECONDS:g}], got {args.seconds}")
    for name in ("platform_height", "wall_distance"):
        if getattr(args, name) is not None and not 0 < getattr(args, name) <= 10:
            parser.error(f"--{name.replace('_', '-')}: expected metres in (0, 10], got {getattr(args, name)}")
    overrides = {
        key: value
        for key, value in (
            ("start_pose", args.start_pose),
            ("platform_height_m", args.platform_height),
            ("wall_distance_m", args.wall_distance),
        )
        if value is not None
    }
    if args.suite is not None:
        return run_suite_command(args)
    try:
        judged = args.judge.split(",") if args.judge else None
        passed = run(args.params, args.policy, args.seconds, args.command, args.commands, overrides, judged)
        return 0 if passed else 1
    except (Sim2SimError, PolicyLoadError, ConfigError, ValueError) as error:
        print(f"sim2sim: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

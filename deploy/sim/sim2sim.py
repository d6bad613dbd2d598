"""``python -m deploy.sim.sim2sim``: prove a policy in sim2sim before it meets a robot.

Starts the MuJoCo bridge and the policy node on the robot's sim2sim parameters, walks the safety
state machine PASSIVE -> STAND -> READY -> POLICY over ``/legged/transition`` as an operator would,
lets the policy drive for a few seconds of simulated time and reports whether the robot ended
upright at standing height and, with ``--command vx=0.5`` and the like, moving as commanded (mean
velocity of the base after a settling second). Exit code 0: all of that; 1: not, or something failed
on the way.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from deploy.robot.onnx_policy import OnnxPolicy
from deploy.robot.policy_metadata import PolicyLoadError
from deploy.sim.supervisor import Sim2SimError, Sim2SimSupervisor
from legged_envs.robots import get_robot_spec

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
MOTION_TOLERANCE = (0.5, 0.05)
"""A commanded velocity counts as followed when |achieved - command| <= 0.5 |command| + 0.05 (m/s or rad/s)."""
MOTION_COMMANDS = ("vx", "vy", "yaw_rate")


@dataclass
class Motion:
    """Mean base velocity over the measured window: heading frame at its start, m/s and rad/s."""

    vx: float
    vy: float
    yaw_rate: float


def measure_motion(samples: list[dict]) -> Motion:
    """Mean velocity between the first and last ``/sim/state`` reports (yaw unwrapped across the samples)."""
    first, last = samples[0], samples[-1]
    seconds = last["sim_time_s"] - first["sim_time_s"]
    yaw = np.unwrap([s["base_yaw_rad"] for s in samples])
    dx, dy = np.subtract(last["base_xy_m"], first["base_xy_m"])
    cos, sin = math.cos(yaw[0]), math.sin(yaw[0])
    return Motion((cos * dx + sin * dy) / seconds, (-sin * dx + cos * dy) / seconds, (yaw[-1] - yaw[0]) / seconds)


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


def run(params_file: Path, policy: Path, seconds: float, commands: Sequence[str] = ()) -> bool:
    """One supervised run holding ``commands`` (``NAME=VALUE``); True when the robot ends upright at standing
    height and follows the commanded velocities."""
    params = yaml.safe_load(params_file.read_text())
    spec = get_robot_spec(params["robot"])
    meta = OnnxPolicy(policy, spec).metadata
    command = parse_commands(commands, meta.command_names)
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    domain = int(os.environ.setdefault("ROS_DOMAIN_ID", str(random.randint(100, 200))))
    with tempfile.TemporaryDirectory(prefix="sim2sim_") as workdir:
        supervisor = Sim2SimSupervisor(
            Path(workdir) / "run",
            domain,
            params["robot"],
            policy.resolve(),
            params.get("sim_bridge", {}),
            {key: value for key, value in params.get("policy_node", {}).items() if key != "policy"},
        )
        try:
            supervisor.start_pair()
            print(f"sim2sim: {supervisor.startup_report}", flush=True)
            for transition, mode in (("stand", "READY"), ("policy", "POLICY")):
                supervisor.request(transition)
                supervisor.wait_mode(mode)
                print(f"sim2sim: {mode}", flush=True)
            if meta.command_names:
                supervisor.hold_command(command)
            state = supervisor.wait_sim_time(min(SETTLE_S, seconds / 2))
            samples = [state]
            while samples[-1]["sim_time_s"] < state["sim_time_s"] + seconds - min(SETTLE_S, seconds / 2):
                samples.append(supervisor.wait_sim_time(SAMPLE_S))
            mode = supervisor.statuses[-1]["mode"]
        finally:
            supervisor.close()
    return verdict(samples, mode, spec.default_base_height_m, dict(zip(meta.command_names, command, strict=True)))


def verdict(samples: list[dict], mode: str, standing_height_m: float, command: dict[str, float]) -> bool:
    """Print the run's figures and whether it passed; True when it did."""
    last = samples[-1]
    upright = mode == "POLICY" and last["tilt_rad"] < UPRIGHT_TILT_RAD
    standing = last["base_height_m"] >= STANDING_HEIGHT_SHARE * standing_height_m
    motion = measure_motion(samples)
    share, floor = MOTION_TOLERANCE
    followed = all(
        abs(getattr(motion, name) - command.get(name, 0.0)) <= share * abs(command.get(name, 0.0)) + floor
        for name in MOTION_COMMANDS
        if name in command
    )
    asked = ", ".join(f"{name} {value:+.2f}" for name, value in command.items() if value) or "none"
    print(
        f"sim2sim: after {last['sim_time_s'] - samples[0]['sim_time_s'] + SETTLE_S:.1f} s in POLICY: mode {mode}, "
        f"base height {last['base_height_m']:.3f} m (standing {standing_height_m:.3f}), "
        f"tilt {last['tilt_rad']:.3f} rad, bad-CRC LowCmds {last.get('bad_crc_count', 0)}"
    )
    print(
        f"sim2sim: command {asked}; measured vx {motion.vx:+.3f} m/s, vy {motion.vy:+.3f} m/s, "
        f"yaw rate {motion.yaw_rate:+.3f} rad/s"
    )
    checks = {"upright": upright, "standing height": standing, "follows the command": followed}
    failed = [name for name, ok in checks.items() if not ok]
    print(f"sim2sim: {'PASS' if not failed else 'FAIL'}" + (f" (not: {', '.join(failed)})" if failed else ""))
    return not failed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.sim.sim2sim", description=__doc__.splitlines()[0])
    parser.add_argument("--params", required=True, type=Path, help="sim2sim parameters YAML (deploy/config/)")
    parser.add_argument("--policy", required=True, type=Path, help="exported ONNX policy")
    parser.add_argument("--seconds", type=float, default=5.0, help="simulated seconds in POLICY (default 5)")
    parser.add_argument(
        "--command", action="append", default=[], metavar="NAME=VALUE", help="hold a command, e.g. vx=0.5 (repeat)"
    )
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= MAX_SECONDS:
        parser.error(f"--seconds: expected a number in (0, {MAX_SECONDS:g}], got {args.seconds}")
    try:
        return 0 if run(args.params, args.policy, args.seconds, args.command) else 1
    except (Sim2SimError, PolicyLoadError, ValueError) as error:
        print(f"sim2sim: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

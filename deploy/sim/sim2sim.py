"""``python -m deploy.sim.sim2sim``: prove a policy in sim2sim before it meets a robot.

Starts the MuJoCo bridge and the policy node on the robot's sim2sim parameters, walks the safety
state machine PASSIVE -> STAND -> READY -> POLICY over ``/legged/transition`` as an operator would,
lets the policy drive for a few seconds of simulated time and reports whether the robot ended
upright. Exit code 0: upright; 1: it fell or something failed on the way.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import yaml

from deploy.sim.supervisor import Sim2SimError, Sim2SimSupervisor

UPRIGHT_TILT_RAD = 0.5
"""Largest base tilt that counts as upright at the end of the run."""


def run(params_file: Path, policy: Path, seconds: float) -> bool:
    """One supervised run; True when the robot ends upright."""
    params = yaml.safe_load(params_file.read_text())
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
            state = supervisor.wait_sim_time(seconds)
            mode = supervisor.statuses[-1]["mode"]
        finally:
            supervisor.close()
    upright = mode == "POLICY" and state["tilt_rad"] < UPRIGHT_TILT_RAD
    print(
        f"sim2sim: after {seconds:g} s in POLICY: mode {mode}, base height {state['base_height_m']:.3f} m, "
        f"tilt {state['tilt_rad']:.3f} rad, bad-CRC LowCmds {state.get('bad_crc_count', 0)} -> "
        f"{'upright' if upright else 'NOT upright'}"
    )
    return upright


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.sim.sim2sim", description=__doc__.splitlines()[0])
    parser.add_argument("--params", required=True, type=Path, help="sim2sim parameters YAML (deploy/config/)")
    parser.add_argument("--policy", required=True, type=Path, help="exported ONNX policy")
    parser.add_argument("--seconds", type=float, default=5.0, help="simulated seconds in POLICY (default 5)")
    args = parser.parse_args(argv)
    try:
        return 0 if run(args.params, args.policy, args.seconds) else 1
    except Sim2SimError as error:
        print(f"sim2sim: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""``legged sim2sim --suite``: robustness scenarios applied by the MuJoCo bridge while the policy node drives the
ONNX over real DDS; a suite the bridge cannot apply is refused before anything starts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from deploy.sim.robustness import run_suite

from .sim2sim_support import REPO, TEST_NODE_PARAMS

SUITE = {
    "severities": [1.0],
    "scenarios": {
        "push": {"perturbations": [{"kind": "push", "magnitude": 2.5, "mode": "episode", "interval_steps": 25}]},
        "joint_vel_bias": {"perturbations": [{"kind": "obs_bias", "terms": ["joint_vel"], "magnitude": 2.0}]},
    },
}


def write_params(tmp_path: Path) -> Path:
    params = yaml.safe_load((REPO / "deploy/config/go2_sim2sim.yaml").read_text())
    params["policy_node"].update(TEST_NODE_PARAMS)
    path = tmp_path / "go2_sim2sim.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


def test_a_strong_push_moves_and_tilts_the_standing_go2_where_the_nominal_run_does_not(
    ros_env: int, tmp_path: Path, go2_policy: Path
) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text(yaml.safe_dump(SUITE))
    out = tmp_path / "results"
    scores = run_suite(write_params(tmp_path), go2_policy, suite, seconds=2.0, out_dir=out)
    cells = {cell["scenario"]: cell for cell in json.loads((out / "robustness.json").read_text())["cells"]}
    nominal, push = cells["nominal"], cells["push"]
    assert nominal["survival"] == 1.0 and nominal["travel_m"] < 0.05, nominal
    assert push["travel_m"] > nominal["travel_m"] + 0.1 or push["survival"] == 0.0, push
    assert push["max_tilt_rad"] > nominal["max_tilt_rad"], push
    assert set(scores) == {"push", "joint_vel_bias"}
    assert (out / "robustness.md").read_text().count("| joint_vel_bias | 1 |") == 1
    assert len((out / "robustness.csv").read_text().splitlines()) == 4  # header, nominal, two cells


def test_a_suite_the_bridge_cannot_apply_is_one_line_naming_file_and_key_and_nothing_starts(
    ros_env: int, tmp_path: Path, go2_policy: Path
) -> None:
    bad = {"scenarios": {"attack": {"perturbations": [{"kind": "obs_attack", "magnitude": 1.0}]}}}
    suite = tmp_path / "bad.yaml"
    suite.write_text(yaml.safe_dump(bad))
    cli = [sys.executable, "-m", "legged_envs.cli", "sim2sim", "--params", str(write_params(tmp_path))]
    cli += ["--policy", str(go2_policy), "--suite", str(suite), "--out", str(tmp_path / "out")]
    result = subprocess.run(cli, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == "" and not (tmp_path / "out").exists()
    (line,) = result.stderr.splitlines()
    assert str(suite) in line and "scenarios.attack.perturbations[0].kind" in line and "obs_attack" in line, line

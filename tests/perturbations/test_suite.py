"""Robustness suites: suite files (good and bad), the runner's results folder (tables and plots) and CLI, and the
score."""

from __future__ import annotations

import csv
import json
import math
import typing
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from matplotlib.image import imread

from legged_envs.cli import main
from legged_envs.config import ConfigError
from legged_envs.envs.legged_env import LeggedEnv
from legged_envs.perturbations.config import KIND_MEANINGS, Kind, load_suite
from legged_envs.perturbations.kinds import PHYSICS_KINDS, REWARD_SIGNAL_KINDS, SIGNAL_KINDS
from legged_envs.perturbations.wrapper import PerturbedEnv
from legged_envs.tasks.registry import load_task_config
from policies.env_setup import make_env as make_config_env
from policies.robustness import NOMINAL, Cell, PolicyResult, evaluate_suite, survival_score, write_results
from policies.robustness_plots import survival_matrix
from policies.run_dir import load_run

from .support import GO2_DEMO, STILL, make_env

REPO = Path(__file__).resolve().parents[2]

SHIPPED_SUITE = REPO / "configs" / "robustness" / "go2.yaml"
TINY = """\
episodes: 3
severities: [0.5, 1.0]
overrides: [env.episode_length_s=1, sim.num_threads=1]
scenarios:
  pushes: {perturbations: [{kind: push, magnitude: 2.0, mode: episode, interval_steps: 10}]}
  noise: {perturbations: [{kind: obs_gaussian, terms: [joint_vel], magnitude: 1.0}]}
"""
PLOTS = ("robustness_survival.png", "robustness_heatmap.png", "robustness_scores.png")


def test_every_kind_has_a_meaning_and_an_implementation() -> None:
    implemented = set(SIGNAL_KINDS) | set(PHYSICS_KINDS) | set(REWARD_SIGNAL_KINDS)
    assert set(typing.get_args(Kind)) == set(KIND_MEANINGS) == implemented


def test_the_shipped_suite_loads() -> None:
    suite = load_suite(SHIPPED_SUITE)
    assert len(suite.scenarios) >= 7 and 3 <= len(suite.severities) <= 4
    assert {"pushes", "payload", "low_friction", "locked_knee", "combined"} <= set(suite.scenarios)


def one(perturbation: str) -> str:
    """A suite of one scenario with one perturbation (YAML flow mapping)."""
    return f"scenarios: {{a: {{perturbations: [{perturbation}]}}}}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (one("{kind: shove, magnitude: 1}"), "scenarios.a.perturbations[0].kind: expected one of"),
        (one("{kind: push, magnitude: -1}"), "perturbations[0].magnitude: must be >= 0"),
        (one("{kind: friction, magnitude: 2}"), "magnitude: must be <= 1"),
        (one("{kind: obs_bias, magnitude: 1, terms: [gyro]}"), "terms: unknown observation term"),
        (one("{kind: push, magnitude: 1, joints: [x]}"), "joints: only for the action and motor"),
        (one("{kind: push}"), "perturbations[0].magnitude: missing required key"),
        (one("{kind: push, magnitude: 1}") + "\nseverities: [1, 0.5]", "severities: must increase"),
        ("severities: [1]", "scenarios: missing required key"),
        ("scenarios: {a: {perturbations: []}}", "perturbations: expected list"),
        ("scenarios: {a: {perturbation: []}}", "scenarios.a.perturbation: unknown key"),
        ("episodes: 0", "episodes: expected int in (0, 1048576]"),
        (one("{kind: push, magnitude: 1}, {kind: reward_noise, magnitude: 1}"), "a.perturbations[1].kind: 'reward_"),
        (one("{kind: reward_sparse, magnitude: 0.5}"), "perturbations[0].kind: 'reward_sparse' perturbs the reward"),
        (one("{kind: gravity_tilt, magnitude: 2}"), "magnitude: must be <= pi/2 for kind 'gravity_tilt'"),
        (one("{kind: restitution, magnitude: 1.5}"), "magnitude: must be <= 1 for kind 'restitution'"),
        (one("{kind: reward_noise, magnitude: 1, joints: [x]}"), "joints: only for the action and motor"),
    ],
)
def test_a_bad_suite_file_is_one_line_naming_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_suite(path)
    assert str(error.value).startswith(str(path)) and message in str(error.value) and "\n" not in str(error.value)


def test_the_runner_writes_its_table_csv_json_and_plots_for_two_runs(tmp_path: Path, capsys) -> None:
    suite = tmp_path / "tiny.yaml"
    suite.write_text(TINY)
    out = tmp_path / "results"
    assert main(["eval", str(GO2_DEMO), str(GO2_DEMO), *STILL, "--suite", str(suite), "--out", str(out)]) == 0
    report = json.loads((out / "robustness.json").read_text())
    assert len(report["policies"]) == 2
    policy = report["policies"][0]
    assert [(c["scenario"], c["severity"]) for c in policy["cells"]] == [
        ("nominal", 0.0),
        ("pushes", 0.5),
        ("pushes", 1.0),
        ("noise", 0.5),
        ("noise", 1.0),
    ]
    assert set(policy["scores"]) == {"pushes", "noise"} and 0.0 <= policy["robustness_score"] <= 1.0
    assert set(policy["cells"][0]["tracking_rmse"]) == {"vx", "vy", "yaw_rate", "height", "pitch", "roll"}
    rows = list(csv.DictReader((out / "robustness.csv").open()))
    assert len(rows) == 10 and float(rows[1]["fall_rate"]) == policy["cells"][1]["fall_rate"]
    table = (out / "robustness.md").read_text()
    assert "| policy | robustness score | pushes | noise |" in table
    assert all((out / name).stat().st_size > 0 for name in PLOTS)
    assert "legged eval: wrote" in capsys.readouterr().out


def result(run_dir: str, falls: list[float], success: list[float] | None = None) -> PolicyResult:
    """A tiny suite's result: the nominal cell, then pushes and noise at severities 0.5 and 1 (``falls`` in that
    order), each stand-up cell succeeding at ``success``; scores from the cells."""
    grid = [(NOMINAL, 0.0), ("pushes", 0.5), ("pushes", 1.0), ("noise", 0.5), ("noise", 1.0)]
    cells = [
        Cell(name, severity, fall, 0.0, 1.0, success_rate=None if success is None else success[i])
        for i, ((name, severity), fall) in enumerate(zip(grid, falls, strict=True))
    ]
    scores = {
        name: survival_score(cells[0].survival, [(c.severity, c.survival) for c in cells if c.scenario == name])
        for name in ("pushes", "noise")
    }
    return PolicyResult(run_dir, "model_1.pt", 1, cells, scores, sum(scores.values()) / len(scores))


def test_the_results_folder_holds_three_pngs_that_plot_the_cells_survival(tmp_path: Path) -> None:
    suite_file = tmp_path / "tiny.yaml"
    suite_file.write_text(TINY)
    results = [result("runs/a", [0.0, 0.1, 0.4, 0.2, 0.3]), result("runs/b", [0.05, 0.5, 0.9, 0.0, 0.6])]
    paths = write_results(results, "tiny.yaml", load_suite(suite_file), tmp_path / "out")
    assert [p.name for p in paths[3:]] == list(PLOTS)
    for path in paths[3:]:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        height, width, _ = imread(path).shape
        assert 200 <= height <= 2000 and 400 <= width <= 3000
    assert survival_matrix(results[1]) == pytest.approx(np.array([[0.95, 0.5, 0.1], [0.95, 1.0, 0.4]]))
    for res in results:  # rows pushes, noise; columns severity 0 (nominal), 0.5, 1
        cells = np.array([c.survival for c in res.cells])
        assert np.array_equal(survival_matrix(res), cells[[[0, 1, 2], [0, 3, 4]]])


def test_stand_up_cells_plot_their_success_rate() -> None:
    standup = result("runs/s", [0.0] * 5, success=[0.9, 0.8, 0.5, 0.9, 0.7])
    assert survival_matrix(standup) == pytest.approx(np.array([[0.9, 0.8, 0.5], [0.9, 0.9, 0.7]]))


def test_a_bad_suite_file_fails_the_cli_with_one_line(tmp_path: Path, capsys) -> None:
    suite = tmp_path / "bad.yaml"
    suite.write_text("scenarios: {a: {perturbations: [{kind: push, magnitud: 1}]}}")
    assert main(["eval", str(GO2_DEMO), "--suite", str(suite)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("legged eval: error: ") and "perturbations[0].magnitud: unknown key" in err


def test_large_pushes_score_worse_than_no_pushes_for_a_standing_robot(tmp_path: Path) -> None:
    suite_file = tmp_path / "pushes.yaml"
    push = "{kind: push, magnitude: 3.0, mode: episode, interval_steps: 25}"
    suite_file.write_text(f"episodes: 8\nseverities: [0.1, 1.0]\nscenarios: {{pushes: {{perturbations: [{push}]}}}}")
    suite = load_suite(suite_file)
    run = load_run(GO2_DEMO, [*STILL, "env.episode_length_s=2"])
    result = evaluate_suite(run, suite, policy=lambda obs: torch.zeros(obs.batch_size[0], 12))
    nominal, weak, strong = (cell.fall_rate for cell in result.cells)
    assert nominal == 0.0 and strong > weak and strong >= 0.5
    assert result.scores["pushes"] < 1.0


def test_the_score_is_the_normalised_area_under_survival() -> None:
    assert survival_score(1.0, [(1.0, 1.0), (2.0, 1.0)]) == 1.0
    assert survival_score(1.0, [(1.0, 0.0)]) == 0.5
    assert survival_score(0.5, [(1.0, 0.5), (2.0, 0.0)]) == pytest.approx((0.5 + 0.25) / 1.0)
    assert math.isnan(survival_score(0.0, [(1.0, 0.0)]))


def _g1_env(num_envs: int) -> LeggedEnv:
    config = REPO / "configs" / "g1_standup.yaml"
    _, cfg, task_cls = load_task_config(config, [f"env.num_envs={num_envs}", "sim.num_threads=1"])
    return make_config_env(cfg, task_cls, config, [])


@pytest.mark.parametrize(("suite_name", "build"), [("go2.yaml", make_env), ("g1_standup.yaml", _g1_env)])
def test_every_scenario_of_the_standard_suites_applies_to_its_task(suite_name: str, build: Any) -> None:
    suite = load_suite(REPO / "configs" / "robustness" / suite_name)
    env = build(4)
    obs_dim = env.get_observations()["policy"].shape[1]
    policy = torch.nn.Linear(obs_dim, env.num_actions)  # differentiable: what an obs_attack needs
    for name, scenario_cfg in suite.scenarios.items():
        env.reset_all()
        perturbed = PerturbedEnv(env, scenario_cfg, max(suite.severities), policy=lambda obs: policy(obs["policy"]))
        for _ in range(5):
            obs, rewards, _, _ = perturbed.step(torch.zeros(env.num_envs, env.num_actions))
        assert torch.isfinite(obs["policy"]).all() and torch.isfinite(rewards).all(), name
    env.close()

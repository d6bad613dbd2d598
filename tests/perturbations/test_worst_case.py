"""Worst-case dynamics search (``search: worst_case``) with the shipped walking policy on real physics: each env
gets its own sizes, the search stays in its box and finds sizes at least as bad as the unperturbed run, the suite
reports them, the same seed gives the same search; bad search configs are one-line errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pytest
import torch

from legged_envs.config.schema import validate
from legged_envs.perturbations.config import ScenarioConfig, load_suite
from legged_envs.perturbations.wrapper import PerturbedEnv
from policies.robustness import evaluate_suite, markdown
from policies.run_dir import load_policy, load_run, make_trained_env, mean_action
from policies.worst_case import apply_shares, worst_case_shares

from .support import make_env, scenario, suite_error, zeros

GO2_WALK = Path(__file__).resolve().parents[2] / "assets" / "policies" / "go2_walk"
FLAT = ["terrain.kind=flat", "sim.num_threads=1"]
DYNAMICS = [
    {"kind": "friction", "magnitude": 0.8},
    {"kind": "payload", "magnitude": 8.0},
    {"kind": "push", "magnitude": 1.5, "mode": "episode", "interval_steps": 50},
]
SUITE = f"""\
episodes: 8
severities: [1.0]
overrides: [env.episode_length_s=2]
scenarios:
  worst: {{search: worst_case, generations: 2, population: 8, perturbations: {json.dumps(DYNAMICS)}}}
"""


@pytest.fixture(autouse=True)
def one_torch_thread() -> Iterator[None]:
    """The actor is tiny: threads only add contention on a busy 2-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_each_env_gets_its_own_searched_size() -> None:
    penv = PerturbedEnv(make_env(2), scenario({"kind": "payload", "magnitude": 6.0}), 1.0)
    assert apply_shares(penv, torch.tensor([[0.0], [1.0]])) == {"payload": 3.0}  # mean over the envs
    for _ in range(50):
        penv.step(zeros(penv))
    load = penv.sim.contact_forces()[:, :, 2].sum(1)
    assert load[1] - load[0] == pytest.approx(6.0 * 9.81, rel=0.1)


def test_the_search_finds_sizes_in_its_box_at_least_as_bad_as_no_perturbation(tmp_path: Path) -> None:
    (tmp_path / "suite.yaml").write_text(SUITE)
    suite = load_suite(tmp_path / "suite.yaml")
    result = evaluate_suite(load_run(GO2_WALK, [*suite.overrides, *FLAT]), suite)
    nominal, worst = result.cells
    assert set(worst.worst_case) == {"friction", "payload", "push"}
    for perturbation in DYNAMICS:
        assert 0.0 <= worst.worst_case[perturbation["kind"]] <= perturbation["magnitude"]
    assert worst.survival <= nominal.survival and worst.mean_return < nominal.mean_return
    assert "| worst (worst: friction " in markdown([result], "suite.yaml", suite)
    assert json.loads(json.dumps(asdict(result)))["cells"][1]["worst_case"] == worst.worst_case


def test_the_same_seed_gives_the_same_search() -> None:
    run = load_run(GO2_WALK, [*FLAT, "env.episode_length_s=1"])
    env = make_trained_env(run, 1)
    actor = load_policy(run, env.get_observations(), env.num_actions)
    search_cfg = {"search": "worst_case", "generations": 2, "population": 4, "perturbations": DYNAMICS}
    cfg = validate(search_cfg, ScenarioConfig, "test")

    def search(seed: int) -> torch.Tensor:
        return worst_case_shares(run, lambda obs: mean_action(actor, obs), cfg, 1.0, seed)

    first = search(0)
    assert first.shape == (3,) and torch.all((first >= 0) & (first <= 1))
    assert torch.equal(first, search(0)) and not torch.equal(first, search(1))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{search: worst_case, perturbations: [{kind: obs_gaussian, magnitude: 1}]}", "a.search: worst_case needs"),
        ("{search: best, perturbations: [{kind: push, magnitude: 1}]}", "a.search: expected one of"),
        ("{search: worst_case, population: 2, perturbations: [{kind: push, magnitude: 1}]}", "a.population: expected"),
        ("{generations: 0, perturbations: [{kind: push, magnitude: 1}]}", "a.generations: expected int in [1, 100]"),
    ],
)
def test_a_bad_search_is_one_line_naming_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "suite.yaml"
    error = suite_error(path, f"{{a: {text}}}")
    assert error.startswith(f"{path}: scenarios.") and message in error

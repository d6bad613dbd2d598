"""``legged eval RUN [RUN ...] --suite FILE``: trained policies under every scenario x severity of a robustness
suite (``legged_envs.perturbations``), and a robustness score per policy.

Each cell runs ``episodes`` parallel envs for one episode each in a fresh env of the run's config, the
perturbations seeded by the suite's ``seed``. Tracking tasks measure fall rate and tracking RMSE
(``policies.evaluate.run_episodes``); stand-up tasks success rate and time to stand (HoST's protocol,
``policies.standup_eval``: no pull force, 5 s episodes). A cell's survival is 1 - fall rate, or the success
rate. A scenario's score is the area under its survival vs severity curve from the unperturbed run (severity 0)
to the largest severity, divided by the area the unperturbed survival would give: 1 means no loss, 0 fails at
once (nan when the unperturbed policy never survives). A policy's score is the mean over scenarios.

An ``obs_attack`` attacks the run's own deterministic actor. A ``search: worst_case`` scenario's cell first searches
the sizes of its dynamics perturbations the policy does worst under (``policies.worst_case``), then runs and reports
them.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import torch
from tensordict import TensorDict
from tqdm import tqdm

from legged_envs.config.loader import display_path
from legged_envs.perturbations.config import ScenarioConfig, SuiteConfig, load_suite
from legged_envs.perturbations.wrapper import PerturbedEnv
from policies.evaluate import run_episodes
from policies.rng import seed_everything
from policies.robustness_plots import write_plots
from policies.robustness_score import survival_score
from policies.run_dir import RunDirError, TrainedRun, load_policy, load_run, make_trained_env, mean_action
from policies.standup_eval import EPISODE_S, run_rounds, summarize
from policies.worst_case import apply_shares, worst_case_shares

Policy = Callable[[TensorDict], torch.Tensor]
NOMINAL = "nominal"
"""Scenario name of the unperturbed run."""


@dataclass
class Cell:
    """One scenario at one severity: ``run_episodes``' measures."""

    scenario: str
    severity: float
    fall_rate: float
    mean_return: float
    mean_episode_length_s: float
    tracking_rmse: dict[str, float] = field(default_factory=dict)
    success_rate: float | None = None
    """Stand-up tasks: share of episodes that stood up and stayed up."""
    time_to_stand_s: float | None = None
    """Stand-up tasks: mean time from the motors switching on to standing, over successes, s."""
    mean_head_height_m: float | None = None
    """Stand-up tasks: mean head height over the actuated steps, m (progress before any success)."""
    worst_case: dict[str, float] | None = None
    """``search: worst_case`` scenarios: the size found for each searched perturbation (``policies.worst_case``)."""

    @property
    def survival(self) -> float:
        """What the score integrates: the success rate (stand-up) or 1 - fall rate."""
        return self.success_rate if self.success_rate is not None else 1.0 - self.fall_rate


@dataclass
class PolicyResult:
    """A run's cells, its score per scenario and its robustness score."""

    run_dir: str
    checkpoint: str
    iteration: int
    cells: list[Cell] = field(default_factory=list)
    """The nominal run first, then each scenario at each severity."""
    scores: dict[str, float] = field(default_factory=dict)
    """Scenario -> normalised area under its survival-vs-severity curve."""
    robustness_score: float = math.nan
    """Mean of ``scores``."""


def run_cell(
    run: TrainedRun,
    policy: Policy,
    episodes: int,
    scenario: ScenarioConfig | None,
    severity: float,
    seed: int,
    actor: Policy | None = None,
) -> dict:
    """``run_episodes``' measures of ``policy`` in a fresh env of ``run``, perturbed by ``scenario`` at
    ``severity`` (None: unperturbed); ``actor``: the differentiable policy an ``obs_attack`` attacks. A
    ``search: worst_case`` scenario first searches its worst sizes, then runs and reports them."""
    search = scenario is not None and scenario.search == "worst_case"
    shares = worst_case_shares(run, policy, scenario, severity, seed, actor) if search else None
    seed_everything(run.cfg.seed)
    standup = run.task_cls.eval_protocol == "standup"
    cfg = replace(run.cfg, env=replace(run.cfg.env, episode_length_s=EPISODE_S)) if standup else None
    env = make_trained_env(run, episodes, cfg)
    try:
        stepped = env if scenario is None else PerturbedEnv(env, scenario, severity, seed, actor)
        if shares is not None:
            return {"worst_case": apply_shares(stepped, shares), **run_episodes(stepped, policy)}
        if not standup:
            return run_episodes(stepped, policy)
        env.task.pull_enabled = False
        episode = run_rounds(stepped, policy, rounds=1)
        stats = summarize(episode, env.terrain.tile_kinds)["all"]
        return {
            "fall_rate": 0.0,  # stand-up episodes end only on blow-ups: success is the measure
            "mean_return": math.nan,
            "mean_episode_length_s": EPISODE_S,
            "success_rate": stats.success_rate,
            "time_to_stand_s": stats.time_to_stand_s,
            "mean_head_height_m": stats.mean_head_height_m,
        }
    finally:
        env.close()


def evaluate_suite(
    run: TrainedRun, suite: SuiteConfig, policy: Policy | None = None, progress: tqdm | None = None
) -> PolicyResult:
    """Every cell of ``suite`` for ``run``'s deterministic policy (or ``policy``: then no ``obs_attack``)."""
    actor = None
    if policy is None:
        env = make_trained_env(run, 1)
        actor = load_policy(run, env.get_observations(), env.num_actions)
        env.close()
        policy = lambda obs: mean_action(actor, obs)  # noqa: E731
    result = PolicyResult(str(run.run_dir), run.checkpoint.name, run.iteration)
    grid: list[tuple[str, ScenarioConfig | None, float]] = [(NOMINAL, None, 0.0)]
    grid += [(name, scenario, s) for name, scenario in suite.scenarios.items() for s in suite.severities]
    for name, scenario, severity in grid:
        if progress is not None:
            progress.set_postfix_str(f"{display_path(run.run_dir)}: {name} @ {severity:g}")
        stats = run_cell(run, policy, suite.episodes, scenario, severity, suite.seed, actor)
        result.cells.append(Cell(name, severity, **stats))
        if progress is not None:
            progress.update()
    nominal = result.cells[0].survival
    for name in suite.scenarios:
        curve = [(c.severity, c.survival) for c in result.cells if c.scenario == name]
        result.scores[name] = survival_score(nominal, curve)
    result.robustness_score = sum(result.scores.values()) / len(result.scores)
    return result


def markdown(results: list[PolicyResult], suite_path: str, suite: SuiteConfig) -> str:
    """``robustness.md``: the scores, then every cell of each policy."""
    names = list(suite.scenarios)
    lines = [
        f"# Robustness suite {suite_path}",
        "",
        f"{suite.episodes} episodes per cell, severities {', '.join(f'{s:g}' for s in suite.severities)}, "
        f"perturbation seed {suite.seed}. Score: area under survival (1 - fall rate; stand-up: success rate) vs "
        "severity, normalised to the unperturbed run (1: no loss; nan: the unperturbed run never survives).",
        "",
        "| policy | robustness score | " + " | ".join(names) + " |",
        "|" + " --- |" * (2 + len(names)),
    ]
    for result in results:
        scores = " | ".join(f"{result.scores[name]:.3f}" for name in names)
        lines.append(f"| {result.run_dir} | {result.robustness_score:.3f} | {scores} |")
    for result in results:
        lines += ["", f"## {result.run_dir} (`{result.checkpoint}`, {result.iteration} iterations)", ""]
        lines += _standup_rows(result) if result.cells[0].success_rate is not None else _tracking_rows(result)
    return "\n".join(lines) + "\n"


def _tracking_rows(result: PolicyResult) -> list[str]:
    commands = list(result.cells[0].tracking_rmse)
    header = " | ".join(f"RMSE {c}" for c in commands)
    lines = [f"| scenario | severity | fall rate | episode length | {header} |", "|" + " --- |" * (4 + len(commands))]
    for cell in result.cells:
        rmse = " | ".join(f"{cell.tracking_rmse.get(c, math.nan):.4f}" for c in commands)
        worst = ", ".join(f"{name} {size:.3g}" for name, size in (cell.worst_case or {}).items())
        scenario = f"{cell.scenario} (worst: {worst})" if worst else cell.scenario
        row = f"| {scenario} | {cell.severity:g} | {cell.fall_rate:.1%} | {cell.mean_episode_length_s:.2f} s |"
        lines.append(f"{row} {rmse} |")
    return lines


def _standup_rows(result: PolicyResult) -> list[str]:
    lines = ["| scenario | severity | success | time to stand | mean head height |", "|" + " --- |" * 5]
    for cell in result.cells:
        time = "-" if cell.time_to_stand_s is None else f"{cell.time_to_stand_s:.2f} s"
        lines.append(
            f"| {cell.scenario} | {cell.severity:g} | {cell.survival:.1%} | {time} | {cell.mean_head_height_m:.2f} m |"
        )
    return lines


def csv_text(results: list[PolicyResult]) -> str:
    """``robustness.csv``: one row per policy and cell."""
    commands = sorted({name for result in results for cell in result.cells for name in cell.tracking_rmse})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["run_dir", "scenario", "severity", "fall_rate", "mean_return", "mean_episode_length_s"]
        + ["success_rate", "time_to_stand_s", "mean_head_height_m"]
        + [f"rmse_{name}" for name in commands]
    )
    for result in results:
        for cell in result.cells:
            rmse = [cell.tracking_rmse.get(name, math.nan) for name in commands]
            fixed = [cell.fall_rate, cell.mean_return, cell.mean_episode_length_s]
            fixed += [cell.success_rate, cell.time_to_stand_s, cell.mean_head_height_m]
            writer.writerow([result.run_dir, cell.scenario, cell.severity, *fixed, *rmse])
    return out.getvalue()


def write_results(results: list[PolicyResult], suite_path: str, suite: SuiteConfig, out_dir: Path) -> list[Path]:
    """Write ``robustness.json``, ``robustness.csv``, ``robustness.md`` and the PNG plots
    (``policies.robustness_plots``) into ``out_dir``."""
    report = {"suite": suite_path, "config": asdict(suite), "policies": [asdict(result) for result in results]}
    texts = {
        "robustness.json": json.dumps(report, indent=2) + "\n",
        "robustness.csv": csv_text(results),
        "robustness.md": markdown(results, suite_path, suite),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in texts.items():
        (out_dir / name).write_text(text)
        paths.append(out_dir / name)
    return paths + write_plots(results, out_dir)


def robustness_runs(
    run_dirs: Sequence[str],
    suite_file: str,
    overrides: Sequence[str] = (),
    out_dir: str | None = None,
    episodes: int | None = None,
    checkpoint: str | None = None,
) -> list[PolicyResult]:
    """``legged eval RUN [RUN ...] --suite FILE``: run the suite on each run directory and write the results
    (default folder: ``RUN/robustness`` for one run, ``./robustness`` for several)."""
    suite = load_suite(suite_file)
    if episodes is not None:
        suite.episodes = episodes
    if checkpoint is not None and len(run_dirs) > 1:
        raise RunDirError("--checkpoint: only with one RUN")
    runs = [
        load_run(Path(d), [*suite.overrides, *overrides], Path(checkpoint) if checkpoint else None) for d in run_dirs
    ]
    cells = len(runs) * (1 + len(suite.scenarios) * len(suite.severities))
    print(f"legged eval: suite {suite_file}: {cells} cells of {suite.episodes} episodes", flush=True)
    with tqdm(total=cells, desc="robustness", unit="cell") as progress:
        results = [evaluate_suite(run, suite, progress=progress) for run in runs]
    suite_path = display_path(Path(suite_file).resolve())
    text = markdown(results, suite_path, suite)
    print(text, end="", flush=True)
    out = Path(out_dir) if out_dir else (runs[0].run_dir / "robustness" if len(runs) == 1 else Path("robustness"))
    paths = write_results(results, suite_path, suite, out)
    print(f"legged eval: wrote {', '.join(display_path(p.absolute()) for p in paths)}")
    return results

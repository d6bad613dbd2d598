"""``legged eval``: N episodes of the deterministic policy, tracking RMSE per command dimension, fall rate.

Each of the N parallel envs runs exactly one full episode from a fresh reset (no early-ending
bias). A step's tracking errors (``task.eval_step_errors()``) count while its episode is alive;
a fall is an episode that ended by termination rather than by the time limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from legged_envs.config.loader import display_path
from legged_envs.envs.legged_env import LeggedEnv
from policies.command_sweep import CommandPoint, command_sweep, sweep_rmse
from policies.report_files import EvalHeader, write_report
from policies.rng import seed_everything
from policies.run_dir import RunDirError, TrainedRun, load_policy, load_run, make_trained_env, mean_action
from policies.standup_eval import STANDUP_EPISODES, StandupEvalResult, evaluate_standup_run

COMMAND_TEST_S, SETTLE_S = 6.0, 2.0
"""Length of each fixed-command test and the settling time before it is measured, s."""
UNITS = {"vx": "m/s", "vy": "m/s", "yaw_rate": "rad/s", "height": "m", "pitch": "rad", "roll": "rad"}
"""Units of the command dimensions the tasks track (others are shown without a unit)."""


@dataclass
class EvalResult(EvalHeader):
    """What ``eval.json`` holds for a tracking task."""

    fall_rate: float
    """Share of episodes that ended by termination (not time-out), 0..1."""
    mean_return: float
    """Mean undiscounted episode return."""
    mean_episode_length_s: float
    tracking_rmse: dict[str, float] = field(default_factory=dict)
    """Root mean square tracking error per command dimension over every alive step, random commands resampled as
    in training (units: ``UNITS``)."""
    command_tests: list[CommandPoint] = field(default_factory=list)
    """Fixed-command tests: each dimension held at values across its trained range (``policies.command_sweep``)."""
    command_test_rmse: dict[str, float] = field(default_factory=dict)
    """RMSE per dimension over its fixed-command tests."""
    zero_action_rmse: dict[str, float] = field(default_factory=dict)
    """The same tests' RMSE for a policy that always outputs 0 (holds the default pose): the do-nothing baseline."""
    targets: dict[str, float] = field(default_factory=dict)
    """The task's RMSE target per dimension (``Task.tracking_targets``); a policy meets it when
    ``command_test_rmse`` is at most this and the fall rates at most ``max_fall_rate``."""
    max_fall_rate: float = 0.01
    meets_target: dict[str, bool] = field(default_factory=dict)
    """Per dimension with moving fixed-command tests: RMSE and every fall rate within target (``meets_targets``)."""


@dataclass
class Episodes:
    """One episode per env, (n,) per env."""

    returns: torch.Tensor
    """Undiscounted return, summed over reward groups."""
    lengths: torch.Tensor
    """Length, control steps."""
    fell: torch.Tensor
    """Whether it ended by termination rather than by the time limit (bool)."""
    squared_errors: dict[str, torch.Tensor]
    """Command dimension -> sum of the squared tracking errors of the alive steps."""
    alive_steps: torch.Tensor
    """Steps whose tracking errors count."""


def rollout(env: LeggedEnv, policy: Any, progress: bool = False) -> Episodes:
    """One episode per env with ``policy(obs) -> actions``, from the env's current state."""
    n = env.num_envs
    active = torch.ones(n, dtype=torch.bool, device=env.device)
    fell = torch.zeros_like(active)
    returns = torch.zeros(n, device=env.device)
    lengths = torch.zeros(n, device=env.device)
    squared: dict[str, torch.Tensor] = {}
    counted = torch.zeros(n, device=env.device)
    errors_of = getattr(env.task, "eval_step_errors", None)
    obs = env.get_observations()
    for _ in tqdm(
        range(env.max_episode_length), desc="eval", unit="step", disable=None if progress else True, leave=False
    ):
        obs, rewards, dones, extras = env.step(policy(obs))
        returns += rewards.view(n, -1).sum(dim=1) * active  # summed over reward groups
        lengths += active.float()
        alive = (active & ~dones).float()
        if errors_of is not None:
            for name, error in errors_of().items():
                squared[name] = squared.get(name, torch.zeros(n, device=env.device)) + alive * error.square()
            counted += alive
        fell |= active & dones & ~extras["time_outs"].to(env.device)
        active &= ~dones
        if not active.any():
            break
    return Episodes(returns, lengths, fell, squared, counted)


def run_episodes(env: LeggedEnv, policy: Any, progress: bool = False) -> dict[str, Any]:
    """One episode per env with ``policy(obs) -> actions``: returns, lengths (steps), falls, RMSE per dimension."""
    episodes = rollout(env, policy, progress)
    steps = episodes.alive_steps.sum().clamp(min=1.0)
    return {
        "fall_rate": episodes.fell.float().mean().item(),
        "mean_return": episodes.returns.mean().item(),
        "mean_episode_length_s": episodes.lengths.mean().item() * env.control_dt,
        "tracking_rmse": {name: math.sqrt((sq.sum() / steps).item()) for name, sq in episodes.squared_errors.items()},
    }


def evaluate(run: TrainedRun, episodes: int, progress: bool = False, command_tests: bool = True) -> EvalResult:
    """Run ``episodes`` episodes of ``run``'s policy in its training config (``episodes`` parallel envs), then,
    with ``command_tests`` and a task that has commands, the fixed-command tests on the same envs."""
    seed_everything(run.cfg.seed)
    env = make_trained_env(run, episodes)
    actor = load_policy(run, env.get_observations(), env.num_actions)
    policy = lambda obs: mean_action(actor, obs)  # noqa: E731
    stats = run_episodes(env, policy, progress=progress)
    points, baseline = [], []
    if command_tests and getattr(env.task, "command_names", ()):
        seconds = min(COMMAND_TEST_S, run.cfg.env.episode_length_s)
        settle_s = min(SETTLE_S, seconds / 2)
        points = command_sweep(env, policy, settle_s=settle_s, seconds=seconds, progress=progress)
        zero = torch.zeros(env.num_envs, env.num_actions, device=env.device)
        baseline = command_sweep(env, lambda obs: zero, settle_s=settle_s, seconds=seconds, progress=progress)
    targets = dict(env.task.tracking_targets)
    env.close()
    result = EvalResult(
        task=run.task_name,
        run_dir=str(run.run_dir),
        checkpoint=run.checkpoint.name,
        iteration=run.iteration,
        episodes=episodes,
        episode_length_s=run.cfg.env.episode_length_s,
        **stats,
        command_tests=points,
        command_test_rmse=sweep_rmse(points),
        zero_action_rmse=sweep_rmse(baseline),
        targets=targets,
    )
    result.meets_target = meets_targets(result)
    return result


def markdown(result: EvalResult) -> str:
    """``eval.md``: a summary table and the tracking errors."""
    lines = [
        f"# Evaluation of {result.run_dir}",
        "",
        f"Checkpoint `{result.checkpoint}` ({result.iteration} iterations), task `{result.task}`, "
        f"{result.episodes} episodes of {result.episode_length_s:g} s, deterministic policy (mean action).",
        "",
        "| metric | value |",
        "| --- | --- |",
        f"| fall rate | {result.fall_rate:.1%} |",
        f"| mean return | {result.mean_return:.3f} |",
        f"| mean episode length | {result.mean_episode_length_s:.2f} s |",
    ]
    if result.tracking_rmse:
        lines += ["", "Random commands, resampled as in training:", ""]
        lines += ["| command | tracking RMSE | unit |", "| --- | --- | --- |"]
        lines += [f"| {name} | {value:.4f} | {UNITS.get(name, '')} |" for name, value in result.tracking_rmse.items()]
    if result.command_tests:
        lines += ["", *command_test_lines(result)]
    return "\n".join(lines) + "\n"


def meets_targets(result: EvalResult) -> dict[str, bool]:
    """Command name -> whether its fixed-command RMSE and every fall rate of its tests are within target; a
    dimension trained only at 0 is left out (standing still would pass it)."""
    falls: dict[str, float] = {}
    for point in result.command_tests:
        falls[point.command] = max(falls.get(point.command, 0.0), point.fall_rate)
    moving = {point.command for point in result.command_tests if point.value != 0.0}
    return {
        name: rmse <= result.targets[name] and falls[name] <= result.max_fall_rate
        for name, rmse in result.command_test_rmse.items()
        if name in result.targets and name in moving
    }


def command_test_lines(result: EvalResult) -> list[str]:
    """Markdown: the verdict per dimension, then every fixed-command test."""
    verdict = result.meets_target
    lines = [
        f"Fixed commands (one dimension at a time, others 0; settled {SETTLE_S:g} s, then measured):",
        "",
        f"| command | RMSE | zero-action RMSE | target | worst falls (<= {result.max_fall_rate:.0%}) | meets target |",
        "|" + " --- |" * 6,
    ]
    for name, rmse in result.command_test_rmse.items():
        worst = max(p.fall_rate for p in result.command_tests if p.command == name)
        target = result.targets.get(name)
        target_text = f"{target:g} {UNITS.get(name, '')}" if target is not None else "-"
        met = "untested (trained at 0 only)" if name not in verdict else "yes" if verdict[name] else "**no**"
        zero = result.zero_action_rmse.get(name, math.nan)
        lines.append(f"| {name} | {rmse:.4f} | {zero:.4f} | {target_text} | {worst:.1%} | {met} |")
    lines += [
        "",
        "| command | value | achieved (mean) | RMSE | falls | envs |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {p.command} | {p.value:+.3f} | {p.achieved:+.4f} | {p.rmse:.4f} | {p.fall_rate:.1%} | {p.envs} |"
        for p in result.command_tests
    ]
    return lines


def write_results(result: EvalResult, out_dir: Path) -> tuple[Path, Path]:
    """Write ``eval.json`` and ``eval.md`` into ``out_dir`` atomically (``report_files.write_report``)."""
    return write_report(result, markdown(result), out_dir)


def evaluate_run(
    run_dir: str,
    overrides: list[str] | tuple[str, ...] = (),
    episodes: int | None = None,
    out_dir: str | None = None,
    checkpoint: str | None = None,
) -> EvalResult | StandupEvalResult:
    """``legged eval``: evaluate a run directory with its task's protocol and write the results; ``episodes``
    None: the protocol's default (64 for tracking, HoST's 500 for stand-up)."""
    run = load_run(Path(run_dir), overrides, Path(checkpoint) if checkpoint else None)
    if run.task_cls.eval_protocol == "standup":
        return evaluate_standup_run(run, episodes or STANDUP_EPISODES, out_dir)
    episodes = episodes or 64
    print(f"legged eval: {display_path(run.checkpoint)} ({run.iteration} iterations), {episodes} episodes", flush=True)
    result = evaluate(run, episodes, progress=True)
    print(markdown(result), end="", flush=True)  # first: a folder that cannot be written loses no result
    out = Path(out_dir) if out_dir else run.run_dir
    try:
        json_path, md_path = write_results(result, out)
    except OSError as error:
        where = display_path(Path(error.filename).absolute())
        raise RunDirError(f"{where}: cannot write ({error.strerror}); the results are printed above") from None
    print(f"legged eval: wrote {display_path(json_path)} and {display_path(md_path)}")
    return result

"""``legged eval``: N episodes of the deterministic policy, tracking RMSE per command dimension, fall rate.

Each of the N parallel envs runs exactly one full episode from a fresh reset (no early-ending
bias). A step's tracking errors (``task.eval_step_errors()``) count while its episode is alive;
a fall is an episode that ended by termination rather than by the time limit.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from legged_envs.config.loader import display_path
from legged_envs.envs.legged_env import LeggedEnv
from policies.rng import seed_everything
from policies.run_dir import TrainedRun, load_policy, load_run, mean_action

UNITS = {"vx": "m/s", "vy": "m/s", "yaw_rate": "rad/s", "height": "m", "pitch": "rad", "roll": "rad"}
"""Units of the command dimensions the tasks track (others are shown without a unit)."""


@dataclass
class EvalResult:
    """What ``eval.json`` holds."""

    task: str
    run_dir: str
    checkpoint: str
    iteration: int
    """Completed training iterations of the checkpoint."""
    episodes: int
    episode_length_s: float
    """Time limit of one episode, s."""
    fall_rate: float
    """Share of episodes that ended by termination (not time-out), 0..1."""
    mean_return: float
    """Mean undiscounted episode return."""
    mean_episode_length_s: float
    tracking_rmse: dict[str, float] = field(default_factory=dict)
    """Root mean square tracking error per command dimension over every alive step (units: ``UNITS``)."""


def run_episodes(env: LeggedEnv, policy: Any, progress: bool = False) -> dict[str, Any]:
    """One episode per env with ``policy(obs) -> actions``: returns, lengths (steps), falls, RMSE per dimension."""
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
        returns += rewards * active
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
    steps = counted.sum().clamp(min=1.0)
    return {
        "fall_rate": fell.float().mean().item(),
        "mean_return": returns.mean().item(),
        "mean_episode_length_s": lengths.mean().item() * env.control_dt,
        "tracking_rmse": {name: math.sqrt((sq.sum() / steps).item()) for name, sq in squared.items()},
    }


def evaluate(run: TrainedRun, episodes: int, progress: bool = False) -> EvalResult:
    """Run ``episodes`` episodes of ``run``'s policy in its training config (``episodes`` parallel envs)."""
    cfg = replace(run.cfg, env=replace(run.cfg.env, num_envs=episodes))
    seed_everything(cfg.seed)
    env = LeggedEnv(cfg, run.task_cls)
    actor = load_policy(run, env.get_observations(), env.num_actions)
    stats = run_episodes(env, lambda obs: mean_action(actor, obs), progress=progress)
    env.close()
    return EvalResult(
        task=run.task_name,
        run_dir=str(run.run_dir),
        checkpoint=run.checkpoint.name,
        iteration=run.iteration,
        episodes=episodes,
        episode_length_s=cfg.env.episode_length_s,
        **stats,
    )


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
        lines += ["", "| command | tracking RMSE | unit |", "| --- | --- | --- |"]
        lines += [f"| {name} | {value:.4f} | {UNITS.get(name, '')} |" for name, value in result.tracking_rmse.items()]
    return "\n".join(lines) + "\n"


def write_results(result: EvalResult, out_dir: Path) -> tuple[Path, Path]:
    """Write ``eval.json`` and ``eval.md`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / "eval.json", out_dir / "eval.md"
    for path, text in ((json_path, json.dumps(asdict(result), indent=2) + "\n"), (md_path, markdown(result))):
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text)
        tmp.replace(path)
    return json_path, md_path


def evaluate_run(
    run_dir: str,
    overrides: list[str] | tuple[str, ...] = (),
    episodes: int = 64,
    out_dir: str | None = None,
    checkpoint: str | None = None,
) -> EvalResult:
    """``legged eval``: evaluate a run directory and write its results."""
    run = load_run(Path(run_dir), overrides, Path(checkpoint) if checkpoint else None)
    print(f"legged eval: {display_path(run.checkpoint)} ({run.iteration} iterations), {episodes} episodes", flush=True)
    result = evaluate(run, episodes, progress=True)
    json_path, md_path = write_results(result, Path(out_dir) if out_dir else run.run_dir)
    print(markdown(result), end="")
    print(f"legged eval: wrote {display_path(json_path)} and {display_path(md_path)}")
    return result

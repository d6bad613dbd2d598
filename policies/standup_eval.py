"""``legged eval`` of a stand-up run: HoST's protocol, with do-nothing and random baselines in the same table.

Protocol (HoST): 100 envs x 5 episodes of 5 s, domain randomisation as trained, no pull force, the
beta training reached. An episode succeeds when the pelvis rises above ``standing.stand_height_m``
(0.7 m) and never drops below ``standing.fall_height_m`` (0.5 m) afterwards. Reported per terrain and
posture: success rate, time to stand (from the motors switching on), the highest head height, feet
travel after standing, smoothness (mean squared second difference of the joint positions per step)
and energy (motor work per episode), all counted from the motors switching on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from legged_envs.config.loader import display_path
from legged_envs.envs.legged_env import LeggedEnv
from legged_envs.tasks.standup_postures import POSTURE_NAMES
from policies.report_files import EvalHeader, write_report
from policies.rng import seed_everything
from policies.run_dir import RunDirError, TrainedRun, load_policy, make_trained_env, mean_action

EPISODE_S = 5.0
"""Length of one evaluation episode, s (HoST)."""
MAX_ENVS = 100
"""Parallel envs; more episodes run in rounds of fresh resets."""
STANDUP_EPISODES = 500
"""Default episode count (HoST: 100 envs x 5 episodes)."""
SUCCESS_TARGET = 0.95
"""The success rate the product aims for on every terrain and posture."""
BASELINES = ("zero_action", "random")


@dataclass
class StandupStats:
    """Outcome of the episodes of one terrain/posture group under one policy."""

    episodes: int
    success_rate: float
    """Share that stood up and stayed up, 0..1."""
    stood_rate: float
    """Share whose pelvis rose above the stand height at some point, 0..1."""
    max_head_height_m: float
    """Mean over episodes of the highest head height above the ground, m."""
    mean_head_height_m: float
    """Mean head height above the ground over the actuated steps, m (progress before any success)."""
    time_to_stand_s: float | None
    """Mean time from the motors switching on to the pelvis passing the stand height, over successes, s."""
    feet_travel_m: float | None
    """Mean horizontal distance the feet moved after standing, over successes (both feet summed), m."""
    smoothness: float
    """Mean per step of sum over joints of the squared second difference of q, rad^2."""
    energy_j: float
    """Mean motor work per episode, sum |tau dq| dt, J."""


@dataclass
class StandupEvalResult(EvalHeader):
    """What ``eval.json`` holds for a stand-up run."""

    beta: float
    """Action rescaler the policy ran with (what training reached)."""
    randomization: bool
    stand_height_m: float
    fall_height_m: float
    success_target: float = SUCCESS_TARGET
    results: dict[str, dict[str, StandupStats]] = field(default_factory=dict)
    """Policy (``policy``, ``zero_action``, ``random``) -> group (``all``, ``<terrain>/<posture>``) -> stats."""
    meets_target: bool = False
    """The trained policy's success rate reaches ``success_target`` in every group."""


class _Tally:
    """Per-env episode measurements of one round."""

    def __init__(self, env: LeggedEnv):
        n, device = env.num_envs, env.device
        self.env = env
        self.alive = torch.ones(n, dtype=torch.bool, device=device)
        self.stood = torch.zeros(n, dtype=torch.bool, device=device)
        self.fell_after = torch.zeros_like(self.stood)
        self.stand_step = torch.full((n,), -1, dtype=torch.long, device=device)
        self.max_head = torch.zeros(n, device=device)
        self.head_sum = torch.zeros(n, device=device)
        self.counted = torch.zeros(n, device=device)
        self.feet_travel = torch.zeros(n, device=device)
        self.second_diff_sq = torch.zeros(n, device=device)
        self.energy = torch.zeros(n, device=device)
        self.q = [env.state.joint_pos.clone(), env.state.joint_pos.clone()]
        self.feet_xy = env.state.body_pos[:, env.task.foot_ids, :2].clone()

    def record(self, step: int, dones: torch.Tensor) -> None:
        """Add control step ``step`` (1-based); heights count once the motors are on."""
        env, task = self.env, self.env.task
        self.alive &= ~dones  # a blow-up ends the episode as a failure
        alive = self.alive & (step > task.cfg.unactuated_steps)
        standing = task.pelvis_height > task.cfg.standing.stand_height_m
        first = alive & standing & ~self.stood
        self.stand_step[first] = step
        self.stood |= first
        self.fell_after |= alive & self.stood & (task.pelvis_height < task.cfg.standing.fall_height_m)
        self.max_head = torch.where(alive, torch.maximum(self.max_head, task.head_height), self.max_head)
        self.head_sum += alive * task.head_height
        self.counted += alive
        state = env.state
        feet_xy = state.body_pos[:, task.foot_ids, :2]
        moved = torch.linalg.vector_norm(feet_xy - self.feet_xy, dim=2).sum(dim=1)
        self.feet_travel += (alive & self.stood & ~first) * moved
        self.feet_xy = feet_xy.clone()
        q = state.joint_pos
        self.second_diff_sq += alive * torch.sum(torch.square(q - 2 * self.q[1] + self.q[0]), dim=1)
        self.q = [self.q[1], q.clone()]
        self.energy += alive * torch.sum(torch.abs(state.joint_torque * state.joint_vel), dim=1) * env.control_dt


def run_rounds(env: LeggedEnv, policy: Any, rounds: int, progress: str | None = None) -> dict[str, torch.Tensor]:
    """``rounds`` x num_envs episodes, the first from the envs' current (freshly reset) state, the others from
    fresh resets; per episode: success, stood, time to stand, max head
    height, feet travel, smoothness, energy, terrain kind and posture (tensors of length rounds x num_envs)."""
    task, steps = env.task, env.max_episode_length - 1  # stop before the time-out resets the worlds
    unactuated = task.cfg.unactuated_steps
    columns: dict[str, list[torch.Tensor]] = {}
    bar = tqdm(total=rounds * steps, desc=progress, unit="step", disable=None if progress else True, leave=False)
    for round_index in range(rounds):
        obs = env.reset_all() if round_index > 0 else env.get_observations()  # the first round: envs as given
        tally = _Tally(env)
        kind = torch.tensor([env.terrain.tile_kinds.index(k) for k in _kinds(env)], device=env.device)
        for step in range(1, steps + 1):
            obs, _, dones, _ = env.step(policy(obs))
            tally.record(step, dones)
            bar.update()
        success = tally.stood & ~tally.fell_after & tally.alive
        for name, value in {
            "success": success.float(),
            "stood": tally.stood.float(),
            "time_to_stand_s": (tally.stand_step - unactuated).clamp(min=0).float() * env.control_dt,
            "max_head_height_m": tally.max_head,
            "mean_head_height_m": tally.head_sum / tally.counted.clamp(min=1),
            "feet_travel_m": tally.feet_travel,
            "smoothness": tally.second_diff_sq / max(1, steps - unactuated),
            "energy_j": tally.energy,
            "kind": kind,
            "posture": task.posture.clone(),
        }.items():
            columns.setdefault(name, []).append(value)
    bar.close()
    return {name: torch.cat(parts) for name, parts in columns.items()}


def _kinds(env: LeggedEnv) -> list[str]:
    return [env.terrain.tile_kinds[t] for t in env.task.tiles.tolist()]


def summarize(episodes: dict[str, torch.Tensor], kinds: tuple[str, ...]) -> dict[str, StandupStats]:
    """Stats of ``run_rounds``' episodes: over all, and per ``<terrain>/<posture>`` group present."""
    groups = {"all": torch.ones_like(episodes["success"], dtype=torch.bool)}
    for k, kind in enumerate(kinds):
        for p, posture in enumerate(POSTURE_NAMES):
            mask = (episodes["kind"] == k) & (episodes["posture"] == p)
            if mask.any() and f"{kind}/{posture}" not in groups:
                groups[f"{kind}/{posture}"] = mask
    return {name: _stats(episodes, mask) for name, mask in groups.items()}


def _stats(episodes: dict[str, torch.Tensor], mask: torch.Tensor) -> StandupStats:
    def mean(name: str, where: torch.Tensor) -> float | None:
        return round(episodes[name][where].mean().item(), 4) if where.any() else None

    success = mask & (episodes["success"] > 0)
    return StandupStats(
        episodes=int(mask.sum()),
        success_rate=round(episodes["success"][mask].mean().item(), 4),
        stood_rate=round(episodes["stood"][mask].mean().item(), 4),
        max_head_height_m=round(episodes["max_head_height_m"][mask].mean().item(), 4),
        mean_head_height_m=round(episodes["mean_head_height_m"][mask].mean().item(), 4),
        time_to_stand_s=mean("time_to_stand_s", success),
        feet_travel_m=mean("feet_travel_m", success),
        smoothness=round(episodes["smoothness"][mask].mean().item(), 6),
        energy_j=round(episodes["energy_j"][mask].mean().item(), 1),
    )


def evaluate_standup(run: TrainedRun, episodes: int, progress: bool = False) -> StandupEvalResult:
    """HoST's protocol on ``run``'s latest checkpoint, then the zero-action and random baselines on the same envs."""
    seed_everything(run.cfg.seed)
    cfg = run.cfg
    num_envs = min(episodes, MAX_ENVS)
    rounds = math.ceil(episodes / num_envs)
    eval_cfg = replace(cfg, env=replace(cfg.env, episode_length_s=EPISODE_S))
    env = make_trained_env(run, num_envs, eval_cfg)
    env.task.pull_enabled = False
    actor = load_policy(run, env.get_observations(), env.num_actions)
    generator = torch.Generator(device=env.device).manual_seed(cfg.seed)

    def random_policy(obs: Any) -> torch.Tensor:
        return torch.randn(num_envs, env.num_actions, generator=generator, device=env.device)

    zeros = torch.zeros(num_envs, env.num_actions, device=env.device)
    policies = {"policy": lambda obs: mean_action(actor, obs), "zero_action": lambda obs: zeros}
    policies["random"] = random_policy
    results = {}
    for name, policy in policies.items():
        env.reset_all()
        runs = run_rounds(env, policy, rounds, progress=name if progress else None)
        results[name] = summarize(runs, env.terrain.tile_kinds)
    standing = env.task.cfg.standing
    result = StandupEvalResult(
        task=run.task_name,
        run_dir=str(run.run_dir),
        checkpoint=run.checkpoint.name,
        iteration=run.iteration,
        episodes=rounds * num_envs,
        episode_length_s=EPISODE_S,
        beta=env.task.beta,
        randomization=env.task.cfg.randomization.enabled,
        stand_height_m=standing.stand_height_m,
        fall_height_m=standing.fall_height_m,
        results=results,
    )
    result.meets_target = all(s.success_rate >= SUCCESS_TARGET for s in results["policy"].values())
    env.close()
    return result


def markdown(result: StandupEvalResult) -> str:
    """The report: success per group for the policy and the baselines, then the policy's motion figures."""

    def pct(value: float) -> str:
        return f"{100 * value:.0f}%"

    def opt(value: float | None, digits: int) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    names = ("policy", *BASELINES)
    lines = [
        f"# Stand-up evaluation: {result.task}, {result.checkpoint} ({result.iteration} iterations)",
        "",
        f"{result.episodes} episodes of {result.episode_length_s:g} s, beta {result.beta:g}, no pull force, "
        f"randomisation {'on' if result.randomization else 'off'}. Success: pelvis above {result.stand_height_m:g} m "
        f"and never back below {result.fall_height_m:g} m. Target: {pct(result.success_target)} in every group "
        f"({'met' if result.meets_target else 'not met'}).",
        "",
        "| group | episodes | " + " | ".join(f"{n} success / stood / head mean, max" for n in names) + " |",
        "|---|---|" + "---|" * len(names),
    ]
    for group, stats in result.results["policy"].items():
        cells = [
            f"{pct(result.results[n][group].success_rate)} / {pct(result.results[n][group].stood_rate)} / "
            f"{result.results[n][group].mean_head_height_m:.2f}, {result.results[n][group].max_head_height_m:.2f} m"
            for n in names
        ]
        lines.append(f"| {group} | {stats.episodes} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Trained policy: time to stand from motors on, feet travel after standing (successes), smoothness "
        "(mean squared 2nd difference of q per step), energy per episode.",
        "",
        "| group | time to stand s | feet travel m | smoothness rad^2 | energy J |",
        "|---|---|---|---|---|",
    ]
    for group, s in result.results["policy"].items():
        lines.append(
            f"| {group} | {opt(s.time_to_stand_s, 2)} | {opt(s.feet_travel_m, 3)} | {s.smoothness:.5f} | "
            f"{s.energy_j:.0f} |"
        )
    return "\n".join(lines) + "\n"


def evaluate_standup_run(run: TrainedRun, episodes: int, out_dir: str | None) -> StandupEvalResult:
    """``legged eval`` of a stand-up run: evaluate, print the report, write ``eval.json`` and ``eval.md``."""
    print(f"legged eval: {display_path(run.checkpoint)} ({run.iteration} iterations), {episodes} episodes", flush=True)
    result = evaluate_standup(run, episodes, progress=True)
    text = markdown(result)
    print(text, end="", flush=True)  # first: a folder that cannot be written loses no result
    out = Path(out_dir) if out_dir else run.run_dir
    try:
        json_path, md_path = write_report(result, text, out)
    except OSError as error:
        where = display_path(Path(error.filename).absolute())
        raise RunDirError(f"{where}: cannot write ({error.strerror}); the results are printed above") from None
    print(f"legged eval: wrote {display_path(json_path)} and {display_path(md_path)}")
    return result

"""Fixed-command tests: each command dimension held at a few values across its trained range, the others at 0.

For each dimension the envs are split evenly over ``values_per_dim`` values spread from the low
to the high end of the range training reached; commands are not resampled. After ``settle_s`` (the
robot gets up to speed or into the posture), every alive step adds the measured value of the
dimension to a mean and its error to an RMSE. A fall is an episode that ended by termination.
A policy that ignores the command achieves 0 whatever is asked: its RMSE is the commands' RMS.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import torch
from tensordict import TensorDict
from tqdm import tqdm

from legged_envs.envs.legged_env import LeggedEnv

Policy = Callable[[TensorDict], torch.Tensor]
"""``policy(obs) -> (n, A) actions``."""


@dataclass
class CommandPoint:
    """One dimension held at one value: what the robot achieved."""

    command: str
    """Name of the command dimension."""
    value: float
    """Commanded value (the other dimensions are 0)."""
    achieved: float
    """Mean measured value over the settled, alive steps (nan when none lived past settling)."""
    rmse: float
    """Root mean square of measured minus commanded over the same steps."""
    fall_rate: float
    """Share of the envs at this value whose episode ended by termination, 0..1."""
    envs: int


class SweepAccumulator:
    """Per env: the sum of the measured value and of the squared error over counted steps, and falls.

    A step counts when the env's episode is still alive and ``settle_steps`` steps have passed."""

    def __init__(self, num_envs: int, settle_steps: int, device: torch.device | str = "cpu"):
        self.settle_steps = settle_steps
        self.steps = 0
        self.measured_sum = torch.zeros(num_envs, dtype=torch.float64, device=device)
        self.error_sq_sum = torch.zeros_like(self.measured_sum)
        self.counted = torch.zeros_like(self.measured_sum)
        self.fell = torch.zeros(num_envs, dtype=torch.bool, device=device)

    def add(self, measured: torch.Tensor, commanded: torch.Tensor, alive: torch.Tensor, fell: torch.Tensor) -> None:
        """One step: (n,) measured and commanded values, (n,) bool still alive, (n,) bool fell this step."""
        self.steps += 1
        self.fell |= fell
        if self.steps <= self.settle_steps:
            return
        weight = alive.double()
        self.measured_sum += weight * measured.double()
        self.error_sq_sum += weight * (measured.double() - commanded.double()).square()
        self.counted += weight

    def summary(self, env_ids: torch.Tensor) -> tuple[float, float, float]:
        """(mean achieved, RMSE, fall rate) over ``env_ids``; nan means when no step counted."""
        counted = self.counted[env_ids].sum().item()
        fall_rate = self.fell[env_ids].float().mean().item()
        if counted == 0:
            return math.nan, math.nan, fall_rate
        achieved = self.measured_sum[env_ids].sum().item() / counted
        return achieved, math.sqrt(self.error_sq_sum[env_ids].sum().item() / counted), fall_rate


def sweep_values(low: float, high: float, count: int) -> list[float]:
    """``count`` values evenly from ``low`` to ``high`` (one when the range is a point), rounded to 6 decimals."""
    if high <= low or count == 1:
        return [round(low, 6)]
    return [round(low + (high - low) * i / (count - 1), 6) for i in range(count)]


def command_sweep(
    env: LeggedEnv,
    policy: Policy,
    values_per_dim: int = 5,
    settle_s: float = 2.0,
    seconds: float = 6.0,
    dims: tuple[str, ...] | None = None,
    progress: bool = False,
    values: Mapping[str, Sequence[float]] | None = None,
) -> list[CommandPoint]:
    """Hold each of ``dims`` (default: every command dimension) at ``values_per_dim`` values across its trained
    range, or at ``values[dim]`` where given; see the module doc.

    The env's episodes must last at least ``seconds``; commands stay as set (resampling is switched off)."""
    task = env.task
    names = tuple(task.command_names)
    if seconds > env.cfg.env.episode_length_s:
        raise ValueError(f"command sweep: {seconds} s do not fit in {env.cfg.env.episode_length_s} s episodes")
    task.resample_commands = False
    steps, settle_steps = round(seconds / env.control_dt), round(settle_s / env.control_dt)
    all_ids = torch.arange(env.num_envs, device=env.device)
    points = []
    for name in dims or names:
        dim = names.index(name)
        held = list((values or {}).get(name) or sweep_values(*task.command_ranges[dim], values_per_dim))
        value_of_env = torch.tensor(held, device=env.device)[all_ids % len(held)]
        command = torch.zeros(env.num_envs, len(names), device=env.device)
        command[:, dim] = value_of_env
        env.reset_all()
        task.set_command(all_ids, command)
        obs = env.get_observations()
        accumulator = SweepAccumulator(env.num_envs, settle_steps, env.device)
        active = torch.ones(env.num_envs, dtype=torch.bool, device=env.device)
        for _ in tqdm(
            range(steps), desc=f"command {name}", unit="step", leave=False, disable=None if progress else True
        ):
            obs, _, dones, extras = env.step(policy(obs))
            error = task.eval_step_errors()[name]
            fell = active & dones & ~extras["time_outs"].to(env.device)
            accumulator.add(error + value_of_env, value_of_env, active & ~dones, fell)
            active &= ~dones
        for i, value in enumerate(held):
            ids = all_ids[all_ids % len(held) == i]
            achieved, rmse, fall_rate = accumulator.summary(ids)
            points.append(CommandPoint(name, value, achieved, rmse, fall_rate, len(ids)))
    task.resample_commands = True
    return points


def sweep_rmse(points: list[CommandPoint]) -> dict[str, float]:
    """Command name -> RMSE over all of its values (each value weighted equally; falls before settling ignored)."""
    by_name: dict[str, list[float]] = {}
    for point in points:
        if not math.isnan(point.rmse):
            by_name.setdefault(point.command, []).append(point.rmse**2)
    return {name: math.sqrt(sum(squares) / len(squares)) for name, squares in by_name.items()}

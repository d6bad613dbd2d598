"""``legged bench CONFIG``: raw MuJoCo vs the env loop with the config's task vs training, side by side.

Every side steps the same compiled model (robot and terrain of the config), number of worlds,
thread count, decimation and initial states:

- raw: MuJoCo alone, one call per control step, no env logic (``mujoco.batch.Batch`` in its default
  and in the backend's persistent mode, and ``mujoco.rollout``); the fastest is the reference;
- env loop: ``LeggedEnv`` with the config's task (observations, rewards, curricula, randomisation),
  zero actions;
- training: whole PPO iterations as ``legged train`` runs them (policy inference, env steps,
  returns, the update), counted as env-steps collected per second of iteration.

Sides take turns in ``bench.rounds`` rounds and each reports its median, so background load on the
machine affects all of them alike; ratios are to the fastest raw side.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import mujoco
import mujoco.batch
import mujoco.rollout
import numpy as np
import torch

from legged_envs.envs.legged_env import LeggedEnv
from legged_envs.tasks.base import Task

Stepper = Callable[[int], int]
"""Advances the worlds by a number of control steps (training: one iteration); returns the env-steps made."""

RAW_SIDES = ("raw_batch", "raw_batch_persistent", "raw_rollout")
"""Names of the raw MuJoCo sides."""


@dataclass(frozen=True)
class BenchResult:
    """Median env-steps per second of each side (one env-step = one control step of one world)."""

    rates: dict[str, float]
    """Side name -> env-steps/s: ``RAW_SIDES``, ``env_loop`` and (if measured) ``training``."""

    @property
    def raw_best(self) -> float:
        return max(self.rates[name] for name in RAW_SIDES)

    def ratio(self, side: str) -> float:
        """A side's rate over the fastest raw side."""
        return self.rates[side] / self.raw_best


def _env_stepper(env: LeggedEnv) -> Stepper:
    actions = torch.zeros(env.num_envs, env.num_actions, device=env.device)

    def step(steps: int) -> int:
        for _ in range(steps):
            env.step(actions)
        if env.device.type == "cuda":
            torch.cuda.synchronize(env.device)
        return steps * env.num_envs

    return step


def _batch_stepper(model: mujoco.MjModel, state: dict[str, np.ndarray], cfg: Any, persistent: bool) -> Stepper:
    num_worlds = len(state["qpos"])
    batch = mujoco.batch.Batch(model, nsim=num_worlds, nthread=cfg.sim.num_threads, persistent=persistent)
    for name, value in state.items():
        batch.bind(name)[:] = value
    stage = mujoco.mjtStage.mjSTAGE_VEL if persistent else mujoco.mjtStage.mjSTAGE_NONE

    def step(steps: int) -> int:
        for _ in range(steps):
            batch.step(nstep=cfg.sim.decimation, stage=stage)
        return steps * num_worlds

    return step


def _rollout_stepper(model: mujoco.MjModel, state: dict[str, np.ndarray], cfg: Any, roller: Any) -> Stepper:
    num_worlds, decimation = len(state["qpos"]), cfg.sim.decimation
    datas = [mujoco.MjData(model) for _ in range(cfg.sim.num_threads or os.cpu_count() or 1)]
    spec = mujoco.mjtState.mjSTATE_FULLPHYSICS
    full_state = np.zeros((num_worlds, mujoco.mj_stateSize(model, spec)))
    scratch = mujoco.MjData(model)
    for world in range(num_worlds):
        scratch.qpos[:], scratch.qvel[:] = state["qpos"][world], state["qvel"][world]
        mujoco.mj_getState(model, scratch, full_state[world], spec)
    control = np.repeat(state["ctrl"][:, None, :], decimation, axis=1)
    out = np.zeros((num_worlds, decimation, full_state.shape[1]))

    def step(steps: int) -> int:
        for _ in range(steps):
            roller.rollout(model, datas, full_state, control, nstep=decimation, state=out)
            np.copyto(full_state, out[:, -1])
        return steps * num_worlds

    return step


def _training_stepper(env: LeggedEnv, cfg: Any) -> Stepper:
    """One PPO iteration of ``legged train`` per call (no run directory, nothing written)."""
    from policies.distributed import Ranks
    from policies.run_dir import resolve_obs_groups
    from policies.runner import LeggedRunner
    from policies.train_config import to_rsl_rl

    train_cfg = to_rsl_rl(cfg.train, resolve_obs_groups(cfg.train, env.get_observations()), env.reward_groups)
    runner = LeggedRunner(env, train_cfg, None, str(env.device), Ranks())
    runner.alg.train_mode()
    obs = env.get_observations()

    def step(steps: int) -> int:
        nonlocal obs
        obs, _ = runner.collect(obs)
        runner.alg.update()
        return cfg.train.num_steps_per_env * env.num_envs

    return step


def interleaved_rates(steppers: dict[str, Stepper], bench: Any) -> dict[str, float]:
    """Median env-steps/s of each stepper over ``bench.rounds`` rounds taken in turns, after a warm-up."""
    for step in steppers.values():
        step(bench.warmup_steps)
    steps = max(1, bench.num_steps // bench.rounds)
    rates: dict[str, list[float]] = {name: [] for name in steppers}
    for _ in range(bench.rounds):
        for name, step in steppers.items():
            start = time.perf_counter()
            made = step(steps)
            rates[name].append(made / (time.perf_counter() - start))
    return {name: statistics.median(values) for name, values in rates.items()}


def run_cpu_bench(cfg: Any, task_cls: type[Task], training: bool = True) -> BenchResult:
    """Side-by-side CPU figures for ``cfg.bench.num_worlds`` worlds of the config's task."""
    bench = cfg.bench
    env = LeggedEnv(replace(cfg, env=replace(cfg.env, num_envs=bench.num_worlds)), task_cls)
    world_state = env.sim.get_state()
    ctrl = env.sim.kp * env.default_joint_pos.double()  # what PD towards the default pose writes
    state = {"qpos": world_state.qpos.numpy(), "qvel": world_state.qvel.numpy(), "ctrl": ctrl.numpy()}
    model = env.sim.model
    with contextlib.ExitStack() as stack:
        roller = stack.enter_context(mujoco.rollout.Rollout(nthread=cfg.sim.num_threads or os.cpu_count() or 1))
        steppers = {
            "raw_batch": _batch_stepper(model, state, cfg, persistent=False),
            "raw_batch_persistent": _batch_stepper(model, state, cfg, persistent=True),
            "raw_rollout": _rollout_stepper(model, state, cfg, roller),
            "env_loop": _env_stepper(env),
        }
        if training:
            steppers["training"] = _training_stepper(env, cfg)
        return BenchResult(interleaved_rates(steppers, bench))


def run_gpu_bench(cfg: Any, task_cls: type[Task]) -> dict[int, float]:
    """Env-steps/s of the env loop on ``sim.backend=mujoco_warp`` at each configured world count."""
    rates = {}
    bench = cfg.bench
    for num_worlds in bench.warp_world_counts:
        env = LeggedEnv(replace(cfg, env=replace(cfg.env, num_envs=num_worlds)), task_cls)
        rates[num_worlds] = interleaved_rates({"env_loop": _env_stepper(env)}, bench)["env_loop"]
        print(f"  {num_worlds:6d} worlds: {rates[num_worlds]:12,.0f} env-steps/s", flush=True)
        env.close()
    return rates

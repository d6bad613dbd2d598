"""``legged bench``: our backend + env loop versus raw MuJoCo stepping of the same worlds.

Every side steps the same compiled model, number of worlds, thread count, decimation and initial
states; the raw sides run no env logic at all, one call per control step. The env side runs
``LeggedEnv`` with the ``stand`` task and zero actions (PD holding the default pose). Sides take
turns in ``bench.rounds`` rounds and each reports its median, so background load on the machine
affects all of them alike.
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
from legged_envs.tasks.stand import StandTask

Stepper = Callable[[], None]
"""Advances every world by one control step."""


@dataclass(frozen=True)
class BenchResult:
    """Env-steps per second of each side (one env-step = one control step of one world)."""

    env_loop: float
    """LeggedEnv + MujocoCpuBackend (a persistent Batch with kinematics kept current)."""
    raw_batch: float
    """``mujoco.batch.Batch``, MuJoCo's defaults (non-persistent), no stages after the step."""
    raw_batch_persistent: float
    """``mujoco.batch.Batch`` in the backend's own mode (persistent, velocity stage after the step)."""
    raw_rollout: float
    """``mujoco.rollout`` from the last state, one call per control step."""

    @property
    def raw_best(self) -> float:
        return max(self.raw_batch, self.raw_batch_persistent, self.raw_rollout)

    @property
    def ratio(self) -> float:
        """Env loop over the fastest raw stepper (goal: >= 0.9)."""
        return self.env_loop / self.raw_best


def _env_stepper(env: LeggedEnv) -> Stepper:
    actions = torch.zeros(env.num_envs, env.num_actions, device=env.device)

    def step() -> None:
        env.step(actions)
        if env.device.type == "cuda":
            torch.cuda.synchronize(env.device)

    return step


def _batch_stepper(model: mujoco.MjModel, state: dict[str, np.ndarray], cfg: Any, persistent: bool) -> Stepper:
    batch = mujoco.batch.Batch(model, nsim=len(state["qpos"]), nthread=cfg.sim.num_threads, persistent=persistent)
    for name, value in state.items():
        batch.bind(name)[:] = value
    stage = mujoco.mjtStage.mjSTAGE_VEL if persistent else mujoco.mjtStage.mjSTAGE_NONE
    return lambda: batch.step(nstep=cfg.sim.decimation, stage=stage)


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

    def step() -> None:
        roller.rollout(model, datas, full_state, control, nstep=decimation, state=out)
        np.copyto(full_state, out[:, -1])

    return step


def interleaved_rates(steppers: dict[str, Stepper], num_worlds: int, bench: Any) -> dict[str, float]:
    """Median env-steps/s of each stepper over ``bench.rounds`` rounds taken in turns."""
    for step in steppers.values():
        for _ in range(bench.warmup_steps):
            step()
    steps_per_round = max(1, bench.num_steps // bench.rounds)
    rates: dict[str, list[float]] = {name: [] for name in steppers}
    for _ in range(bench.rounds):
        for name, step in steppers.items():
            start = time.perf_counter()
            for _ in range(steps_per_round):
                step()
            rates[name].append(num_worlds * steps_per_round / (time.perf_counter() - start))
    return {name: statistics.median(values) for name, values in rates.items()}


def run_cpu_bench(cfg: Any) -> BenchResult:
    """Side-by-side CPU figures for ``cfg.bench.num_worlds`` worlds."""
    num_worlds = cfg.bench.num_worlds
    env = LeggedEnv(replace(cfg, env=replace(cfg.env, num_envs=num_worlds, episode_length_s=1e6)), StandTask)
    world_state = env.sim.get_state()
    ctrl = env.sim.kp * env.default_joint_pos.double()  # what PD towards the default pose writes
    state = {"qpos": world_state.qpos.numpy(), "qvel": world_state.qvel.numpy(), "ctrl": ctrl.numpy()}
    model = env.sim.model
    with contextlib.ExitStack() as stack:
        roller = stack.enter_context(mujoco.rollout.Rollout(nthread=cfg.sim.num_threads or os.cpu_count() or 1))
        steppers = {
            "env_loop": _env_stepper(env),
            "raw_batch": _batch_stepper(model, state, cfg, persistent=False),
            "raw_batch_persistent": _batch_stepper(model, state, cfg, persistent=True),
            "raw_rollout": _rollout_stepper(model, state, cfg, roller),
        }
        return BenchResult(**interleaved_rates(steppers, num_worlds, cfg.bench))


def run_gpu_bench(cfg: Any) -> dict[int, float]:
    """Env-steps/s of the env loop on ``sim.backend=mujoco_warp`` at each configured world count."""
    rates = {}
    for num_worlds in cfg.bench.warp_world_counts:
        env = LeggedEnv(replace(cfg, env=replace(cfg.env, num_envs=num_worlds, episode_length_s=1e6)), StandTask)
        rates[num_worlds] = interleaved_rates({"env_loop": _env_stepper(env)}, num_worlds, cfg.bench)["env_loop"]
        print(f"  {num_worlds:6d} worlds: {rates[num_worlds]:12,.0f} env-steps/s", flush=True)
        env.close()
    return rates

"""``legged bench``: our backend + env loop versus raw MuJoCo stepping of the same worlds.

Both sides use the same compiled model, number of worlds, thread count, decimation and initial
states; the raw side runs no env logic at all (the faster of ``mujoco.batch.Batch`` and
``mujoco.rollout``, one call per control step). The env side runs ``LeggedEnv`` with the
``stand`` task and zero actions (PD holding the default pose).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from typing import Any

import mujoco
import mujoco.batch
import mujoco.rollout
import numpy as np
import torch

from legged_envs.envs.legged_env import LeggedEnv
from legged_envs.tasks.stand import StandTask


@dataclass(frozen=True)
class BenchResult:
    """Env-steps per second of each side (one env-step = one control step of one world)."""

    env_loop: float
    raw_batch: float
    raw_rollout: float

    @property
    def raw_best(self) -> float:
        return max(self.raw_batch, self.raw_rollout)

    @property
    def ratio(self) -> float:
        """Env loop over the faster raw stepper (goal: >= 0.9)."""
        return self.env_loop / self.raw_best


def _time_env_loop(env: LeggedEnv, num_steps: int, warmup_steps: int) -> float:
    actions = torch.zeros(env.num_envs, env.num_actions, device=env.device)
    for _ in range(warmup_steps):
        env.step(actions)
    _synchronize(env.device)
    start = time.perf_counter()
    for _ in range(num_steps):
        env.step(actions)
    _synchronize(env.device)
    return env.num_envs * num_steps / (time.perf_counter() - start)


def _time_raw_batch(model: mujoco.MjModel, qpos: np.ndarray, qvel: np.ndarray, ctrl: np.ndarray, cfg: Any) -> float:
    batch = mujoco.batch.Batch(model, nsim=qpos.shape[0], nthread=cfg.sim.num_threads)
    batch.bind("qpos")[:] = qpos
    batch.bind("qvel")[:] = qvel
    batch.bind("ctrl")[:] = ctrl
    for _ in range(cfg.bench.warmup_steps):
        batch.step(nstep=cfg.sim.decimation)
    start = time.perf_counter()
    for _ in range(cfg.bench.num_steps):
        batch.step(nstep=cfg.sim.decimation)
    return qpos.shape[0] * cfg.bench.num_steps / (time.perf_counter() - start)


def _time_raw_rollout(model: mujoco.MjModel, qpos: np.ndarray, qvel: np.ndarray, ctrl: np.ndarray, cfg: Any) -> float:
    num_worlds, decimation = qpos.shape[0], cfg.sim.decimation
    num_threads = cfg.sim.num_threads or os.cpu_count() or 1
    datas = [mujoco.MjData(model) for _ in range(num_threads)]
    spec = mujoco.mjtState.mjSTATE_FULLPHYSICS
    state = np.zeros((num_worlds, mujoco.mj_stateSize(model, spec)))
    scratch = mujoco.MjData(model)
    for world in range(num_worlds):
        scratch.qpos[:], scratch.qvel[:] = qpos[world], qvel[world]
        mujoco.mj_getState(model, scratch, state[world], spec)
    control = np.repeat(ctrl[:, None, :], decimation, axis=1)
    out = np.zeros((num_worlds, decimation, state.shape[1]))
    with mujoco.rollout.Rollout(nthread=len(datas)) as roller:
        for step in range(cfg.bench.warmup_steps + cfg.bench.num_steps):
            if step == cfg.bench.warmup_steps:
                start = time.perf_counter()
            roller.rollout(model, datas, state, control, nstep=decimation, state=out)
            np.copyto(state, out[:, -1])
    return num_worlds * cfg.bench.num_steps / (time.perf_counter() - start)


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run_cpu_bench(cfg: Any) -> BenchResult:
    """Side-by-side CPU figures for ``cfg.bench.num_worlds`` worlds."""
    env_cfg = replace(cfg, env=replace(cfg.env, num_envs=cfg.bench.num_worlds, episode_length_s=1e6))
    env = LeggedEnv(env_cfg, StandTask)
    state = env.sim.get_state()
    qpos, qvel = state.qpos.numpy().copy(), state.qvel.numpy().copy()
    env_rate = _time_env_loop(env, cfg.bench.num_steps, cfg.bench.warmup_steps)
    ctrl = (env.sim.kp * env.default_joint_pos.double()).numpy()
    model = env.sim.model
    batch_rate = _time_raw_batch(model, qpos, qvel, ctrl, cfg)
    rollout_rate = _time_raw_rollout(model, qpos, qvel, ctrl, cfg)
    return BenchResult(env_loop=env_rate, raw_batch=batch_rate, raw_rollout=rollout_rate)


def run_gpu_bench(cfg: Any) -> dict[int, float]:
    """Env-steps/s of the env loop on ``sim.backend=mujoco_warp`` at each configured world count."""
    rates = {}
    for num_worlds in cfg.bench.warp_world_counts:
        env_cfg = replace(cfg, env=replace(cfg.env, num_envs=num_worlds, episode_length_s=1e6))
        env = LeggedEnv(env_cfg, StandTask)
        rates[num_worlds] = _time_env_loop(env, cfg.bench.num_steps, cfg.bench.warmup_steps)
        print(f"  {num_worlds:6d} worlds: {rates[num_worlds]:12,.0f} env-steps/s", flush=True)
        env.close()
    return rates

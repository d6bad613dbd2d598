"""``legged train``: build the env of a config's task and run PPO in a run directory.

A fresh run gets ``<train.runs_dir>/<task>/<date>_<time>_<name>`` (or ``--run-dir``) with the
fully resolved ``config.yaml``, TensorBoard event files and ``model_<iteration>.pt``
checkpoints. ``--resume RUN`` reloads ``RUN/config.yaml`` and its latest checkpoint and goes on
to ``train.max_iterations`` in total. Under ``torchrun`` every rank builds its own envs with
seed ``seed + rank``; only rank 0 writes the run directory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from legged_envs.config import ConfigError, save_config
from legged_envs.config.loader import display_path
from legged_envs.envs.legged_env import LeggedEnv
from legged_envs.tasks.registry import load_task_config
from policies.checkpoint import latest_checkpoint, load_checkpoint
from policies.distributed import Ranks, gather, init_distributed, rank_device, shutdown
from policies.rng import seed_everything
from policies.run_dir import CONFIG_NAME, new_run_dir, resolve_obs_groups, run_config_path
from policies.runner import LeggedRunner
from policies.train_config import to_rsl_rl


@dataclass(frozen=True)
class TrainResult:
    """How a ``train`` call ended."""

    run_dir: Path | None
    """The run directory (None on ranks > 0)."""
    iterations: int
    """Completed iterations (all sessions of the run)."""
    stopped_by: int = 0
    """Signal number that stopped the run before ``train.max_iterations`` (0: it finished)."""


def train(
    config: str | None,
    overrides: Sequence[str] = (),
    run_dir: str | None = None,
    resume: str | None = None,
) -> TrainResult:
    """Train from ``config`` (or go on with run ``resume``) until ``train.max_iterations`` or a stop signal."""
    if (config is None) == (resume is None):
        raise ConfigError("legged train: give a CONFIG file, or --resume RUN (not both)")
    if resume is not None and run_dir is not None:
        raise ConfigError("--run-dir and --resume cannot be combined: a resumed run stays in its directory")
    source = run_config_path(Path(resume)) if resume is not None else Path(config)  # type: ignore[arg-type]
    task_name, cfg, task_cls = load_task_config(source, overrides)
    ranks = init_distributed(cfg.sim.device)
    try:
        return _train(cfg, task_name, task_cls, ranks, source, run_dir, resume)
    finally:
        shutdown(ranks)


def _train(
    cfg, task_name: str, task_cls, ranks: Ranks, source: Path, run_dir: str | None, resume: str | None
) -> TrainResult:
    checkpoint = latest_checkpoint(Path(resume)) if resume is not None else None
    if checkpoint is not None:
        load_checkpoint(checkpoint)  # fail fast on an unreadable file, before building the envs
    if ranks.main:
        run = Path(resume) if resume is not None else _fresh_run_dir(cfg, task_name, source, run_dir)
        save_config(cfg, run / CONFIG_NAME)
        print(f"legged train: task {task_name}, {ranks.world_size} process(es) x {cfg.env.num_envs} envs -> {run}")
    else:
        run = None
    gather(None, ranks)  # ranks > 0 wait until rank 0 has checked and made the run directory

    device = rank_device(cfg.sim.device, ranks)
    seed = cfg.seed + ranks.rank
    seed_everything(seed)
    env = LeggedEnv(replace(cfg, seed=seed, sim=replace(cfg.sim, device=device)), task_cls)
    train_cfg = to_rsl_rl(cfg.train, resolve_obs_groups(cfg.train, env.get_observations()))
    runner = LeggedRunner(env, train_cfg, run, device, ranks)
    if checkpoint is not None:
        runner.load(str(checkpoint))
        done, total = runner.current_learning_iteration, cfg.train.max_iterations
        if ranks.main and done >= total:
            print(f"legged train: {run} already has {done} iterations; to go on: --resume {run} train.max_iterations=N")
        elif ranks.main:
            print(f"legged train: resuming from {display_path(checkpoint)} ({done} of {total} iterations done)")
    stopped_by = runner.train_until(
        cfg.train.max_iterations, init_at_random_ep_len=cfg.train.randomize_initial_episode_length
    )
    env.close()
    return TrainResult(run, runner.current_learning_iteration, stopped_by)


def _fresh_run_dir(cfg, task_name: str, source: Path, run_dir: str | None) -> Path:
    if run_dir is None:
        return new_run_dir(cfg.train.runs_dir, task_name, cfg.train.run_name or source.stem)
    path = Path(run_dir)
    if (path / CONFIG_NAME).exists():
        raise ConfigError(f"--run-dir {display_path(path)}: already holds a run (continue it with --resume)")
    path.mkdir(parents=True, exist_ok=True)
    return path

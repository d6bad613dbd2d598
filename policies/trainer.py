"""``legged train``: build the env of a config's task and run PPO in a run directory.

A fresh run gets ``<train.runs_dir>/<task>/<date>_<time>_<name>`` (or ``--run-dir``) with the
fully resolved ``config.yaml``, TensorBoard event files and ``model_<iteration>.pt``
checkpoints. ``--resume RUN`` reloads ``RUN/config.yaml`` and its latest checkpoint and goes on
to ``train.max_iterations`` in total; ``--init RUN`` starts a new run of a config from the networks
and command ranges of RUN's latest checkpoint (fine-tuning), counting its own iterations from 0. With
``train.perturbations`` the env is a ``PerturbedEnv`` at each iteration's severity. Under
``torchrun`` every rank builds its own envs with seed ``seed + rank``; only rank 0 writes the run
directory.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from legged_envs.config import ConfigError, FieldError, key_error, save_config
from legged_envs.config.loader import display_path
from legged_envs.tasks.registry import load_task_config
from policies.checkpoint import CheckpointError, checkpoint_iteration, find_latest_checkpoint, load_checkpoint
from policies.distributed import Ranks, gather, init_distributed, rank_device, shutdown
from policies.env_setup import make_env, perturb_for_training
from policies.rng import seed_everything
from policies.run_dir import (
    CONFIG_NAME,
    check_new_run_dir,
    check_writable,
    new_run_dir,
    remove_stale_temp_files,
    resolve_obs_groups,
    run_config_path,
    run_lock,
)
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


@dataclass(frozen=True)
class _Request:
    """What ``legged train`` was asked to do."""

    source: Path
    """The config file (``RUN/config.yaml`` on resume)."""
    overrides: tuple[str, ...]
    run_dir: Path | None
    """``--run-dir``."""
    resume: Path | None
    """``--resume RUN``."""
    init: Path | None = None
    """``--init RUN``: the checkpoint a new run starts from."""


def train(
    config: str | None,
    overrides: Sequence[str] = (),
    run_dir: str | None = None,
    resume: str | None = None,
    init: str | None = None,
) -> TrainResult:
    """Train from ``config`` (or go on with run ``resume``) until ``train.max_iterations`` or a stop signal;
    ``init``: a run directory (its latest checkpoint) or checkpoint file whose networks and command ranges a new
    run starts from.

    Nothing is written before the config, the env, the networks and the checkpoint to resume from have
    all been checked: a failed start leaves the user's files as they were.
    """
    if (config is None) == (resume is None):
        raise ConfigError("legged train: give a CONFIG file, or --resume RUN (not both)")
    if resume is not None and run_dir is not None:
        raise ConfigError("--run-dir and --resume cannot be combined: a resumed run stays in its directory")
    if resume is not None and init is not None:
        raise ConfigError("--init and --resume cannot be combined: --init starts a new run, --resume goes on with one")
    source = run_config_path(Path(resume)) if resume is not None else Path(config)  # type: ignore[arg-type]
    request = _Request(
        source,
        tuple(overrides),
        Path(run_dir) if run_dir else None,
        Path(resume) if resume is not None else None,
        _init_checkpoint(Path(init)) if init is not None else None,
    )
    task_name, cfg, task_cls = load_task_config(source, overrides)
    if request.run_dir is not None:
        check_new_run_dir(request.run_dir)
    ranks = init_distributed(cfg.sim.device)
    try:
        with contextlib.ExitStack() as held:
            if ranks.main and request.resume is not None:
                held.enter_context(run_lock(request.resume))
                check_writable(request.resume)
                remove_stale_temp_files(request.resume)
            return _train(cfg, task_name, task_cls, ranks, request, held)
    finally:
        shutdown(ranks)


def _train(cfg, task_name: str, task_cls, ranks: Ranks, request: _Request, held: contextlib.ExitStack) -> TrainResult:
    checkpoint = find_latest_checkpoint(request.resume) if request.resume is not None else None
    if checkpoint is not None:
        _check_resumable(checkpoint)
    device = rank_device(cfg.sim.device, ranks)
    seed = cfg.seed + ranks.rank
    seed_everything(seed)
    rank_cfg = replace(cfg, seed=seed, sim=replace(cfg.sim, device=device))
    env = make_env(rank_cfg, task_cls, request.source, request.overrides)
    env = perturb_for_training(env, rank_cfg, request.source, request.overrides)
    perturbations = cfg.train.perturbations
    try:
        groups = resolve_obs_groups(cfg.train, env.get_observations())
    except FieldError as error:
        raise key_error(request.source, request.overrides, error.key, error.problem) from None
    train_cfg = to_rsl_rl(cfg.train, groups, env.reward_groups)
    if request.resume is None:
        run, created = _make_run_dir(cfg, task_name, request, held, ranks)
    else:
        run, created = (request.resume if ranks.main else None), False
    with _undone_on_failure(run if request.resume is None else None, created):
        runner = LeggedRunner(
            env, train_cfg, run, device, ranks, perturbations.severity_at if perturbations.apply else None
        )
        if checkpoint is not None:
            _load(runner, checkpoint)
        if request.init is not None:
            _load(runner, request.init, initialize=True)
        if run is not None and (request.resume is None or request.overrides):
            save_config(cfg, run / CONFIG_NAME)
    if ranks.main:
        print(f"legged train: task {task_name}, {ranks.world_size} process(es) x {cfg.env.num_envs} envs -> {run}")
        _report_start(run, checkpoint, runner.current_learning_iteration, cfg.train.max_iterations, request)
    gather(None, ranks)  # every rank starts once rank 0 has made (or reopened) the run directory
    stopped_by = runner.train_until(
        cfg.train.max_iterations, init_at_random_ep_len=cfg.train.randomize_initial_episode_length
    )
    env.close()
    return TrainResult(run, runner.current_learning_iteration, stopped_by)


def _check_resumable(checkpoint: Path) -> None:
    """Refuse a checkpoint that cannot be read or whose ``iter`` lies below its file's name: resuming from it
    would write over the run's later checkpoints."""
    iteration = load_checkpoint(checkpoint)["iter"]
    named = checkpoint_iteration(checkpoint)
    if named is not None and iteration < named:
        raise CheckpointError(
            f"{display_path(checkpoint)}: iter: {iteration} is below the file's {named}; resuming would write over "
            "the run's later checkpoints"
        )


def _init_checkpoint(path: Path) -> Path:
    """The checkpoint ``--init PATH`` names: the file, or a run directory's latest; one-line errors."""
    if path.is_dir():
        checkpoint = find_latest_checkpoint(path)
        if checkpoint is None:
            raise CheckpointError(f"{display_path(path)}: --init: the run directory has no checkpoint (model_*.pt)")
        return checkpoint
    if not path.is_file():
        raise CheckpointError(f"{display_path(path)}: --init: no such run directory or checkpoint file")
    return path


def _load(runner: LeggedRunner, checkpoint: Path, initialize: bool = False) -> None:
    """``runner.load`` (``initialize``: ``runner.initialize_from``) with any error from the file's contents as one
    line naming it."""
    try:
        if initialize:
            runner.initialize_from(str(checkpoint))
        else:
            runner.load(str(checkpoint))
    except CheckpointError:
        raise
    except (ValueError, KeyError, TypeError, IndexError, AttributeError, RuntimeError) as error:
        reason = " ".join(str(error).split())[:200] or type(error).__name__
        raise CheckpointError(f"{display_path(checkpoint)}: cannot resume from it ({reason})") from None


def _make_run_dir(
    cfg, task_name: str, request: _Request, held: contextlib.ExitStack, ranks: Ranks
) -> tuple[Path | None, bool]:
    """On rank 0: the new run's folder (a new one, or the empty ``--run-dir``) with its lock held, and whether
    this call created it. Other ranks write no run: (None, False)."""
    if not ranks.main:
        return None, False
    if request.run_dir is None:
        path, created = new_run_dir(cfg.train.runs_dir, task_name, cfg.train.run_name or request.source.stem), True
    else:
        path, created = request.run_dir, not request.run_dir.exists()
        path.mkdir(parents=True, exist_ok=True)
    held.enter_context(run_lock(path))
    if not created:
        check_new_run_dir(path)  # again, under the lock: another run may have started in it meanwhile
    return path, created


@contextlib.contextmanager
def _undone_on_failure(new_run: Path | None, created: bool) -> Iterator[None]:
    """Take back what a new run wrote (its config; its folder if this start created it) when the start fails."""
    try:
        yield
    except BaseException:
        if new_run is not None:
            for name in (CONFIG_NAME, CONFIG_NAME + ".tmp"):
                (new_run / name).unlink(missing_ok=True)
            if created:
                with contextlib.suppress(OSError):
                    new_run.rmdir()
        raise


def _report_start(run: Path, checkpoint: Path | None, done: int, total: int, request: _Request) -> None:
    if request.init is not None:
        print(f"legged train: starting from the networks and command ranges of {display_path(request.init)}")
    if request.resume is None:
        return
    if checkpoint is None:
        print(f"legged train: {display_path(run)} has no checkpoint yet: starting it from iteration 0")
    elif done >= total:
        print(f"legged train: {run} already has {done} iterations; to go on: --resume {run} train.max_iterations=N")
    else:
        print(f"legged train: resuming from {display_path(checkpoint)} ({done} of {total} iterations done)")

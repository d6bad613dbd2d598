"""``LeggedRunner``: rsl-rl's ``OnPolicyRunner`` with the guarantees a long CPU run needs.

Added to rsl-rl: checkpoints written atomically and read with ``weights_only=True``; the
iteration counter counts completed iterations (a resumed run neither repeats nor skips one);
RNG and task (curriculum) states of every rank and the logger's totals in the checkpoint;
Ctrl-C / SIGTERM stop the run cleanly after saving; gloo process groups on CPU as well as nccl
on GPUs; a one-line progress display instead of rsl-rl's console block (TensorBoard logging is
rsl-rl's own); the severity of training perturbations set before each iteration; a new run started
from another run's networks (``initialize_from``).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import signal
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import cast

import torch
import torch.distributed as tdist
from rsl_rl.runners import OnPolicyRunner
from rsl_rl.utils import check_nan
from tensordict import TensorDict

from legged_envs.config.loader import display_path
from legged_envs.envs.legged_env import LeggedEnv
from legged_envs.perturbations.wrapper import PerturbedEnv
from policies.checkpoint import CheckpointError, check_state_dict, checkpoint_path, load_checkpoint, save_checkpoint
from policies.distributed import Ranks, any_rank, gather
from policies.progress import IterationStats, TrainProgress
from policies.rng import rng_state, set_rng_state


def state_digest(state: dict[str, torch.Tensor]) -> str:
    """SHA-256 of a state dict's keys and tensor bytes (equal digests: bit-identical networks)."""
    digest = hashlib.sha256()
    for key, tensor in state.items():
        digest.update(key.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


class StopRequest:
    """Turns the first SIGINT/SIGTERM into a flag the training loop polls; a second one stops at once."""

    def __init__(self) -> None:
        self.requested = False
        self.signum = 0
        """The first signal received (0: none)."""
        self._previous: dict[int, object] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        self.signum = signum

    @contextlib.contextmanager
    def installed(self) -> Iterator[StopRequest]:
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._handle)
        try:
            yield self
        finally:
            for signum, handler in self._previous.items():
                signal.signal(signum, handler)  # type: ignore[arg-type]


class LeggedRunner(OnPolicyRunner):
    """On-policy PPO training of a ``LeggedEnv`` that writes its run directory only on rank 0."""

    env: LeggedEnv

    def __init__(
        self,
        env: LeggedEnv | PerturbedEnv,
        train_cfg: dict,
        run_dir: Path | None,
        device: str,
        ranks: Ranks,
        severity_at: Callable[[int], float] | None = None,
    ):
        self.ranks = ranks
        self.severity_at = severity_at
        """Severity of the ``PerturbedEnv``'s training perturbations after a number of completed iterations (None:
        the env is not perturbed)."""
        self.run_dir = run_dir if ranks.main else None
        with contextlib.redirect_stdout(io.StringIO()):  # rsl-rl prints the networks and obs sets
            super().__init__(env, train_cfg, log_dir=str(self.run_dir) if self.run_dir else None, device=device)
        self.logger.git_status_repos = []

    # --- rsl-rl hooks ------------------------------------------------------------------------
    def _configure_multi_gpu(self) -> None:
        """Use the process group the trainer created (gloo on CPU, nccl on GPU) instead of rsl-rl's nccl-only one."""
        ranks = self.ranks
        self.gpu_world_size = ranks.world_size
        self.is_distributed = ranks.distributed
        self.gpu_global_rank = ranks.rank
        self.gpu_local_rank = ranks.local_rank
        if ranks.distributed and not tdist.is_initialized():
            raise RuntimeError("WORLD_SIZE > 1 but no process group: call policies.distributed.init_distributed first")
        self.cfg["multi_gpu"] = (
            {"global_rank": ranks.rank, "local_rank": ranks.local_rank, "world_size": ranks.world_size}
            if ranks.distributed
            else None
        )

    # --- training ----------------------------------------------------------------------------
    def learn(self, num_learning_iterations: int, init_at_random_ep_len: bool = False) -> None:
        """Train until ``num_learning_iterations`` iterations are COMPLETED in total (not this many more)."""
        self.train_until(num_learning_iterations, init_at_random_ep_len)

    def train_until(self, total: int, init_at_random_ep_len: bool = False) -> int:
        """Run iterations until ``total`` are completed; returns the signal number that stopped it short, or 0.

        Rank 0 saves every ``save_interval`` completed iterations, at the end, and when stopped.
        """
        env, alg, logger = self.env, self.alg, self.logger
        if init_at_random_ep_len:
            env.episode_length_buf = torch.randint_like(env.episode_length_buf, high=int(env.max_episode_length))
        obs = env.get_observations().to(self.device)
        alg.train_mode()
        if self.is_distributed:
            alg.broadcast_parameters()
        with contextlib.redirect_stdout(io.StringIO()):
            logger.init_logging_writer()
        if self.run_dir is not None:
            with contextlib.suppress(OSError):
                (self.run_dir / "git").rmdir()  # rsl-rl's code-state folder, left empty (git_status_repos is empty)
        start = self.current_learning_iteration
        progress = TrainProgress(start, total) if self.ranks.main else None
        self._session_seconds = 0.0
        saved_at = -1
        stop = StopRequest()
        with stop.installed():
            for it in range(start, total):
                if self.severity_at is not None:
                    cast(PerturbedEnv, env).set_severity(self.severity_at(it))
                started = time.time()
                obs, complete = self.collect(obs, stop)
                if not complete:
                    break
                collect_time = time.time() - started
                learn_started = time.time()
                losses = alg.update()
                learn_time = time.time() - learn_started
                self.current_learning_iteration = it + 1
                self._log(it, start, total, collect_time, learn_time, losses, progress)
                stopping = any_rank(stop.requested, self.ranks)
                if (it + 1) % self.cfg["save_interval"] == 0 or it + 1 == total or stopping:
                    self.save_iteration()
                    saved_at = it + 1
                if stopping:
                    break
            if stop.requested and self.current_learning_iteration != saved_at:
                self.save_iteration()
        stopped_by = stop.signum if self.current_learning_iteration < total else 0
        if progress is not None:
            progress.close()
            if stopped_by:
                name, done = signal.Signals(stopped_by).name, self.current_learning_iteration
                print(f"legged train: stopped by {name} after {done} iterations (saved); continue with:")
                print(f"  legged train --resume {self.run_dir}", flush=True)
        if logger.writer is not None:
            logger.writer.close()  # type: ignore[union-attr]
        return stopped_by

    def collect(self, obs: TensorDict, stop: StopRequest | None = None) -> tuple[TensorDict, bool]:
        """One rollout of ``num_steps_per_env`` steps into the algorithm's storage, returns computed.

        Returns the last observations and whether the rollout completed: a stop request (single process)
        drops the partial rollout, so the last completed iteration is what gets saved.
        """
        env, alg, logger = self.env, self.alg, self.logger
        with torch.inference_mode():
            for _ in range(self.cfg["num_steps_per_env"]):
                actions = alg.act(obs)
                obs, rewards, dones, extras = env.step(actions.to(env.device))
                check_nan(obs, rewards, dones)
                obs, rewards, dones = obs.to(self.device), rewards.to(self.device), dones.to(self.device)
                alg.process_env_step(obs, rewards, dones, extras)
                logger.process_env_step(rewards.view(env.num_envs, -1).sum(dim=1), dones, extras, None)
                if stop is not None and stop.requested and not self.is_distributed:
                    alg.storage.clear()
                    return obs, False
            alg.compute_returns(obs)
        return obs, True

    def _log(
        self,
        it: int,
        start: int,
        total: int,
        collect_time: float,
        learn_time: float,
        losses: dict,
        progress: TrainProgress | None,
    ) -> None:
        logger = self.logger
        with contextlib.redirect_stdout(io.StringIO()):  # keep rsl-rl's TensorBoard writes, not its console block
            logger.log(
                it=it,
                start_it=start,
                total_it=total,
                collect_time=collect_time,
                learn_time=learn_time,
                loss_dict=losses,
                learning_rate=self.alg.learning_rate,
                action_std=self.alg.get_policy().output_std,
                rnd_weight=None,
            )
        metrics = dict(self.env.task.metrics())
        if self.severity_at is not None:
            metrics["perturbation_severity"] = self.severity_at(it)
            if logger.writer is not None:
                logger.writer.add_scalar("Perturbations/severity", metrics["perturbation_severity"], it)
        if progress is None:
            return
        seconds = collect_time + learn_time
        self._session_seconds += seconds
        steps = self.cfg["num_steps_per_env"] * self.env.num_envs * self.gpu_world_size
        stats = IterationStats(
            iteration=it + 1,
            total=total,
            steps_per_s=steps / max(seconds, 1e-9),
            eta_s=self._session_seconds / (it + 1 - start) * (total - it - 1),
            mean_reward=statistics.mean(logger.rewbuffer) if logger.rewbuffer else None,
            mean_episode_length=statistics.mean(logger.lenbuffer) if logger.lenbuffer else None,
            metrics=metrics,
        )
        progress.update(stats)

    # --- checkpoints -------------------------------------------------------------------------
    def save_iteration(self) -> None:
        """Save ``model_<completed>.pt`` in the run directory (rank 0 writes; every rank must call this).

        ``infos["actor_sha256"]`` holds each rank's actor digest: equal digests prove the ranks are in sync.
        """
        states = gather(rng_state(self.env.generator), self.ranks)
        task_states = gather(self._task_state(), self.ranks)
        digests = gather(state_digest(self.alg.get_policy().state_dict()), self.ranks)
        if self.run_dir is not None:
            path = checkpoint_path(self.run_dir, self.current_learning_iteration)
            self.save(str(path), infos={"actor_sha256": digests}, rng_states=states, task_states=task_states)

    def save(
        self, path: str, infos: dict | None = None, rng_states: list | None = None, task_states: list | None = None
    ) -> None:
        """Write the learner, the completed-iteration count, RNG and task states and logger totals atomically."""
        state = self.alg.save()
        state["iter"] = self.current_learning_iteration
        state["infos"] = infos
        state["rng"] = rng_states if rng_states is not None else [rng_state(self.env.generator)]
        state["task_state"] = task_states if task_states is not None else [self._task_state()]
        state["logger"] = {"tot_timesteps": self.logger.tot_timesteps, "tot_time": self.logger.tot_time}
        save_checkpoint(state, Path(path))

    def load(
        self, path: str, load_cfg: dict | None = None, strict: bool = True, map_location: str | None = None
    ) -> dict:
        """Resume from a checkpoint: networks, normalisers, optimizer, iteration count, task (curriculum) state,
        RNG states, logger totals.

        The file is read with ``weights_only=True``; shape mismatches are one-line ``CheckpointError``s.
        Checkpoints without ``task_state`` (older runs) load with the task's fresh curricula.
        """
        file = Path(path)
        state = self._load_learner(file, load_cfg, strict)
        self.current_learning_iteration = int(state["iter"])
        self._load_task_state(file, state.get("task_state") or [])
        rng = state.get("rng") or []
        if len(rng) == self.gpu_world_size:
            set_rng_state(rng[self.gpu_global_rank], self.env.generator)
        totals = state.get("logger") or {}
        self.logger.tot_timesteps = totals.get("tot_timesteps", 0)
        self.logger.tot_time = totals.get("tot_time", 0.0)
        return state.get("infos") or {}

    def initialize_from(self, path: str) -> None:
        """Start this run from another run's checkpoint: networks (normalisers included) and the command ranges its
        curriculum reached (any env count: per-env curricula such as terrain levels start afresh), then reset every
        env. The optimizer (this config's learning rate), iteration count, RNG states and logger totals stay this
        run's: it counts its iterations from 0."""
        file = Path(path)
        state = self._load_learner(file, {"actor": True, "critic": True}, strict=True)
        task_states = state.get("task_state") or []
        if task_states and task_states[0]:
            try:
                self.env.task.load_trained_commands(task_states[0])
            except ValueError as error:
                raise CheckpointError(f"{display_path(file)}: task_state: {error}") from None
            self.env.reset_all()

    def _load_learner(self, file: Path, load_cfg: dict | None, strict: bool) -> dict:
        """Load the networks and optimizer (per rsl-rl's ``load_cfg``) of checkpoint ``file`` (checked: shape
        mismatches are one-line ``CheckpointError``s); returns the checkpoint."""
        state = load_checkpoint(file)
        check_state_dict(file, "actor_state_dict", self.alg.get_policy(), state["actor_state_dict"])
        check_state_dict(file, "critic_state_dict", self.alg._raw_critic, state["critic_state_dict"])
        self.alg.load(state, load_cfg, strict)
        return state

    def _task_state(self) -> dict[str, torch.Tensor]:
        """This rank's task state on the CPU (plain tensors: loadable with ``weights_only=True``)."""
        return {key: tensor.detach().cpu() for key, tensor in self.env.task.state_dict().items()}

    def _load_task_state(self, file: Path, task_states: list) -> None:
        """Restore this rank's task state and reset every env so it spawns where the restored curricula put it.

        Runs before the RNG states are restored: the resets' draws do not shift the saved random streams.
        """
        if len(task_states) != self.gpu_world_size or not task_states[self.gpu_global_rank]:
            return
        env = self.env
        try:
            env.task.load_state_dict(task_states[self.gpu_global_rank])
        except ValueError as error:
            raise CheckpointError(f"{display_path(file)}: task_state: {error}") from None
        env.reset_all()

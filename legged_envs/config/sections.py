"""The root config schema and its sections (defaults mirror configs/base.yaml).

Tasks extend ``RootConfig`` by subclassing it and adding their own ``task`` section, then
register the subclass (see legged_envs.config.schema for the convention).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from legged_envs.config.schema import FieldError
from legged_envs.terrains.config import TerrainConfig
from policies.train_config import TrainConfig

DEVICE_PATTERN = r"cpu|cuda(:[0-9]+)?"
"""Torch devices a config may name (regex, matched in full)."""
MAX_WORLDS = 2**20
"""Most simulated worlds one process may ask for."""


@dataclass
class SimConfig:
    """Physics backend and time stepping."""

    backend: Literal["mujoco", "mujoco_warp"] = "mujoco"
    """Physics engine: ``mujoco`` (C MuJoCo on CPU threads) or ``mujoco_warp`` (MuJoCo Warp, GPU)."""
    device: str = field(default="cpu", metadata={"pattern": DEVICE_PATTERN, "expected": "'cpu', 'cuda' or 'cuda:N'"})
    """Torch device of the batched state and action tensors: ``cpu``, ``cuda`` or ``cuda:N``."""
    physics_dt: float = field(default=0.005, metadata={"gt": 0, "le": 0.05})
    """Physics substep, s."""
    decimation: int = field(default=4, metadata={"ge": 1, "le": 100})
    """Physics substeps per control step (control period = decimation * physics_dt, s)."""
    num_threads: int = field(default=0, metadata={"ge": 0, "le": 1024})
    """CPU threads stepping the worlds (``mujoco`` backend); 0 = all cores."""
    warp_njmax: int | None = field(default=None, metadata={"gt": 0, "le": 100_000})
    """Constraint rows allocated per world (``mujoco_warp``); None = sized from the model's geoms."""
    warp_nconmax: int | None = field(default=None, metadata={"gt": 0, "le": 100_000})
    """Contacts allocated per world (``mujoco_warp``); None = sized from the model's geoms."""

    def check(self) -> None:
        if self.backend == "mujoco" and self.device != "cpu":
            raise FieldError("device", f"sim.backend=mujoco runs on the CPU, got {self.device!r}", "backend")


@dataclass
class EnvConfig:
    """Batch size and episode length."""

    num_envs: int = field(default=64, metadata={"gt": 0, "le": MAX_WORLDS})
    """Number of parallel environments (simulated worlds)."""
    episode_length_s: float = field(default=20.0, metadata={"gt": 0, "le": 3600})
    """Episode time limit, s."""


@dataclass
class BenchConfig:
    """Throughput benchmark settings."""

    num_worlds: int = field(default=1024, metadata={"gt": 0, "le": MAX_WORLDS})
    """Worlds stepped in parallel."""
    num_steps: int = field(default=200, metadata={"gt": 0, "le": 1_000_000})
    """Timed control steps (each ``sim.decimation`` physics substeps)."""
    warmup_steps: int = field(default=20, metadata={"ge": 0, "le": 1_000_000})
    """Untimed control steps before timing (kernel compilation, caches)."""
    rounds: int = field(default=3, metadata={"ge": 1, "le": 100})
    """Rounds in which the compared steppers take turns; each reports its median round."""
    warp_world_counts: list[int] = field(
        default_factory=lambda: [1024, 4096, 8192],
        metadata={"gt": 0, "le": MAX_WORLDS, "min_items": 1, "max_items": 32},
    )
    """World counts swept on the ``mujoco_warp`` backend."""


@dataclass
class RootConfig:
    """Everything a run needs; tasks subclass it to add a ``task`` section."""

    seed: int = field(default=0, metadata={"ge": 0, "le": 2**32 - 1})
    """Seed of every random number generator."""
    robot: Literal["go2", "g1_23dof"] = "go2"
    """Robot spec name (legged_envs.robots)."""
    sim: SimConfig = field(default_factory=SimConfig)
    """Physics backend and time stepping."""
    env: EnvConfig = field(default_factory=EnvConfig)
    """Batch size and episode length."""
    terrain: TerrainConfig = field(default_factory=TerrainConfig)
    """Terrain the robots stand on."""
    bench: BenchConfig = field(default_factory=BenchConfig)
    """Throughput benchmark settings."""
    train: TrainConfig = field(default_factory=TrainConfig)
    """PPO training: rollout length, iterations, checkpoints, networks (policies/train_config.py)."""

    def check(self) -> None:
        control_dt = self.sim.physics_dt * self.sim.decimation
        if self.env.episode_length_s < control_dt:
            problem = f"{self.env.episode_length_s:g} s is shorter than one control step ({control_dt:g} s)"
            raise FieldError("env.episode_length_s", problem, "sim.physics_dt", "sim.decimation")
        batch = self.env.num_envs * self.train.num_steps_per_env
        if self.train.ppo.num_mini_batches > batch:
            problem = (
                f"{self.train.ppo.num_mini_batches} mini-batches of a rollout of {batch} samples "
                "(env.num_envs x train.num_steps_per_env): at most one per sample"
            )
            raise FieldError("train.ppo.num_mini_batches", problem, "env.num_envs", "train.num_steps_per_env")

"""``LeggedEnv``: the batched RL loop shared by every task (rsl-rl ``VecEnv``).

One control step: actions -> joint targets (task) -> ``decimation`` physics substeps with PD at
the physics rate (backend) -> one read of the simulator (``SimState``) -> rewards, terminations,
resets, observations (task). Rewards come in groups (``legged_envs.envs.rewards``): ``step``
returns (n,) rewards for a task with one group and (n, G) for several (one critic per group).
"""

from __future__ import annotations

from typing import Any

import torch
from rsl_rl.env import VecEnv
from tensordict import TensorDict

from legged_envs.config import ConfigError
from legged_envs.envs.rewards import Rewards, parse_reward_groups
from legged_envs.envs.sim_state import SimState
from legged_envs.robots import get_robot_spec
from legged_envs.sim.backend import PhysicsBackend
from legged_envs.sim.factory import make_backend
from legged_envs.tasks.base import Task


class LeggedEnv(VecEnv):
    """A task running on ``cfg.env.num_envs`` worlds of the configured backend."""

    def __init__(self, cfg: Any, task_cls: type[Task]):
        self.cfg = cfg
        self.robot = get_robot_spec(cfg.robot)
        self.num_envs = cfg.env.num_envs
        self.num_actions = self.robot.num_joints
        self.decimation = cfg.sim.decimation
        self.control_dt = cfg.sim.physics_dt * cfg.sim.decimation
        self.max_episode_length = round(cfg.env.episode_length_s / self.control_dt)
        self.device = torch.device(cfg.sim.device)
        self.generator = torch.Generator(device=self.device).manual_seed(cfg.seed)
        tracked = tuple(self.robot.named_bodies.get(name, name) for name in task_cls.tracked_bodies)
        self.sim: PhysicsBackend
        self.sim, self.terrain = make_backend(
            self.robot,
            cfg.terrain,
            self.num_envs,
            tracked,
            backend=cfg.sim.backend,
            device=cfg.sim.device,
            physics_dt=cfg.sim.physics_dt,
            num_threads=cfg.sim.num_threads,
            seed=cfg.seed,
            warp_nconmax=cfg.sim.warp_nconmax,
            warp_njmax=cfg.sim.warp_njmax,
        )
        self.terrain = self.terrain.to(self.device)
        self.body_index = {name: i for i, name in enumerate(task_cls.tracked_bodies)}
        """Role or name -> index into the backend's tracked bodies."""
        self.default_joint_pos = torch.tensor(self.robot.default_joint_pos, device=self.device).expand(
            self.num_envs, -1
        )
        self.joint_range = torch.tensor([joint.range_rad for joint in self.robot.joints], device=self.device)
        """(J, 2) lower and upper limit of each joint, rad."""
        self.actions = torch.zeros(self.num_envs, self.num_actions, device=self.device)
        self.last_actions = torch.zeros_like(self.actions)
        self.episode_length_buf = torch.zeros(self.num_envs, dtype=torch.long, device=self.device)
        self.reset_buf = torch.zeros(self.num_envs, dtype=torch.bool, device=self.device)
        self.time_out_buf = torch.zeros_like(self.reset_buf)
        self.state = SimState(self.sim, self.terrain, self.device)
        """The simulator's state after the last physics step or reset, read once; every term reads this."""
        self.task = task_cls(self)
        groups = cfg.task.rewards
        self.rewards = Rewards(
            parse_reward_groups(groups, task_cls.reward_functions),
            tuple(groups),
            self.num_envs,
            self.control_dt,
            self.device,
        )
        unknown = sorted(set(cfg.task.reward_group_weights) - set(groups))
        if unknown:
            raise ConfigError(f"task.reward_group_weights.{unknown[0]}: no such reward group in task.rewards")
        self.reward_groups = {group: cfg.task.reward_group_weights.get(group, 1.0) for group in groups}
        """Reward group -> weight of its advantages (``task.reward_group_weights``), in reward column order."""
        self._reset(torch.arange(self.num_envs, device=self.device))
        self._observations = self._observe()

    # --- rsl-rl VecEnv ---------------------------------------------------------------------
    def get_observations(self) -> TensorDict:
        return self._observations

    def step(self, actions: torch.Tensor) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict]:
        self.last_actions.copy_(self.actions)
        self.actions.copy_(self.task.bound_actions(actions))
        self.sim.set_joint_targets(self.task.joint_targets(self.actions))
        self.task.before_physics()
        self.sim.step(self.decimation)
        self.state = SimState(self.sim, self.terrain, self.device)
        self.episode_length_buf += 1
        self.task.after_physics()
        rewards = self.rewards.compute(self)
        terminated = self.task.terminated()
        self.time_out_buf = self.episode_length_buf >= self.max_episode_length
        self.reset_buf = terminated | self.time_out_buf
        extras: dict[str, Any] = {"time_outs": self.time_out_buf.clone(), "log": {}}
        reset_ids = self.reset_buf.nonzero(as_tuple=False).flatten()
        if len(reset_ids) > 0:
            extras["log"].update(self._episode_log(reset_ids))
            self._reset(reset_ids)
        extras["log"].update({f"/task/{k}": v for k, v in self.task.metrics().items()})
        self._observations = self._observe()
        return (
            self._observations,
            rewards.squeeze(1) if rewards.shape[1] == 1 else rewards,
            self.reset_buf.clone(),
            extras,
        )

    def reset_all(self) -> TensorDict:
        """Start a fresh episode in every env (e.g. after restoring a task's curriculum state)."""
        self._reset(torch.arange(self.num_envs, device=self.device))
        self._observations = self._observe()
        return self._observations

    # --- internals -----------------------------------------------------------------------------
    def _episode_log(self, env_ids: torch.Tensor) -> dict[str, float]:
        seconds = self.cfg.env.episode_length_s
        log = {
            f"/episode_reward/{name}": (sums[env_ids].mean() / seconds).item()
            for name, sums in self.rewards.episode_sums.items()
        }
        log["/episode/length_s"] = (self.episode_length_buf[env_ids].float().mean() * self.control_dt).item()
        return log

    def _reset(self, env_ids: torch.Tensor) -> None:
        self.task.on_reset(env_ids)
        state = self.task.reset_state(env_ids)
        self.sim.reset_worlds(env_ids, state)
        self.state = SimState(self.sim, self.terrain, self.device)
        self.actions[env_ids] = 0.0
        self.last_actions[env_ids] = 0.0
        self.episode_length_buf[env_ids] = 0
        self.rewards.reset(env_ids)

    def _observe(self) -> TensorDict:
        groups = self.task.observations()
        return TensorDict(groups, batch_size=[self.num_envs], device=self.device)

    def close(self) -> None:
        """Release the backend."""
        self.sim = None  # type: ignore[assignment]

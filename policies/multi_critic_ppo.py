"""``MultiCriticPPO``: rsl-rl's PPO with one value head per reward group (HoST) and an optional L2C2 loss.

The critic is rsl-rl's ``MLPModel`` with G outputs (one per group): checkpoints, normalisers, gradient
clipping and ``--resume`` stay rsl-rl's, and one batched forward gives every group's value. GAE and
returns run per group; each group's advantages are normalised over the rollout, then summed with the
group weights; the value loss is the sum of the groups' losses. With one group and L2C2 off an update
equals rsl-rl's ``PPO.update`` bit for bit. Feedforward models only (no RND, symmetry or mixed precision).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn as nn
from rsl_rl.algorithms import PPO
from rsl_rl.env import VecEnv
from rsl_rl.models import MLPModel
from rsl_rl.storage import RolloutStorage
from rsl_rl.utils import resolve_class, resolve_obs_groups
from tensordict import TensorDict

from policies.l2c2 import l2c2_loss
from policies.multi_critic_storage import NEXT, MultiCriticStorage


def weighted_advantages(raw: torch.Tensor, weights: Sequence[float], normalize: bool) -> torch.Tensor:
    """(T, n, 1) sum of ``weights[g] *`` group g's (T, n, G) advantages, each first normalised over the rollout."""
    columns = raw.split(1, dim=-1)
    if normalize:
        columns = tuple((a - a.mean()) / (a.std() + 1e-8) for a in columns)
    return sum((weight * a for weight, a in zip(weights, columns, strict=True)), torch.zeros_like(columns[0]))


class MultiCriticPPO(PPO):
    """PPO with G critics (the G outputs of one critic model) and the L2C2 smoothness loss."""

    storage: MultiCriticStorage

    def __init__(
        self,
        actor: MLPModel,
        critic: MLPModel,
        storage: MultiCriticStorage,
        reward_groups: Sequence[str] = ("main",),
        reward_group_weights: Sequence[float] = (1.0,),
        l2c2_policy_coef: float = 0.0,
        l2c2_value_coef: float = 0.0,
        **ppo_cfg: Any,
    ) -> None:
        super().__init__(actor, critic, storage, **ppo_cfg)
        if self.rnd or self.symmetry or self.use_mixed_precision or actor.is_recurrent or critic.is_recurrent:
            raise ValueError("multi-critic PPO supports feedforward models without RND, symmetry or mixed precision")
        if len(reward_group_weights) != len(reward_groups):
            raise ValueError(f"{len(reward_groups)} reward groups but {len(reward_group_weights)} group weights")
        self.reward_groups = tuple(reward_groups)
        self.reward_group_weights = tuple(reward_group_weights)
        self.l2c2_policy_coef = l2c2_policy_coef
        self.l2c2_value_coef = l2c2_value_coef
        self.transition = MultiCriticStorage.Transition()

    @property
    def uses_l2c2(self) -> bool:
        """Whether the L2C2 loss is on."""
        return self.l2c2_policy_coef > 0 or self.l2c2_value_coef > 0

    def process_env_step(
        self, obs: TensorDict, rewards: torch.Tensor, dones: torch.Tensor, extras: dict[str, torch.Tensor]
    ) -> None:
        """rsl-rl's step bookkeeping (per group: (n, G) rewards), keeping the next observations."""
        self.transition.next_observations = obs  # type: ignore[attr-defined]
        super().process_env_step(obs, rewards, dones, extras)

    def compute_returns(self, obs: TensorDict) -> None:
        """Per-group GAE and returns (rsl-rl's recursion on G columns), then the weighted group advantages."""
        super().compute_returns(obs)
        st = self.storage
        normalize = not self.normalize_advantage_per_mini_batch
        st.advantages = weighted_advantages(st.returns - st.values, self.reward_group_weights, normalize)

    def update(self) -> dict[str, float]:
        """PPO epochs over the rollout; returns the mean losses, with each group's value loss."""
        sums: dict[str, float] = defaultdict(float)
        for batch in self.storage.mini_batch_generator(self.num_mini_batches, self.num_learning_epochs):
            losses = self._losses(batch)
            self.optimizer.zero_grad()
            losses["total"].backward()
            if self.is_multi_gpu:
                self.reduce_parameters()
            nn.utils.clip_grad_norm_(self.actor.parameters(), self.max_grad_norm)
            nn.utils.clip_grad_norm_(self.critic.parameters(), self.max_grad_norm)
            self.optimizer.step()
            for name, value in losses.items():
                if name != "total":
                    sums[name] += value.item()
        obs = self.storage.observations.flatten(0, 1)
        self.actor.update_normalization(obs)
        self.critic.update_normalization(obs)
        self.storage.clear()
        num_updates = self.num_learning_epochs * self.num_mini_batches
        return {name: total / num_updates for name, total in sums.items()}

    def _losses(self, batch: RolloutStorage.Batch) -> dict[str, torch.Tensor]:
        """The mini-batch's loss terms and their weighted ``total`` (adapting the learning rate on the way)."""
        if self.normalize_advantage_per_mini_batch:
            with torch.no_grad():
                batch.advantages = (batch.advantages - batch.advantages.mean()) / (batch.advantages.std() + 1e-8)  # type: ignore[operator]
        self.actor(batch.observations, stochastic_output=True)
        log_prob = self.actor.get_output_log_prob(batch.actions)  # type: ignore[arg-type]
        values = self.critic(batch.observations)
        entropy = self.actor.output_entropy.mean()
        self._adapt_learning_rate(batch.old_distribution_params, self.actor.output_distribution_params)  # type: ignore[arg-type]
        ratio = torch.exp(log_prob - torch.squeeze(batch.old_actions_log_prob))  # type: ignore[arg-type]
        advantages = torch.squeeze(batch.advantages)  # type: ignore[arg-type]
        clipped_ratio = torch.clamp(ratio, 1.0 - self.clip_param, 1.0 + self.clip_param)
        surrogate = torch.max(-advantages * ratio, -advantages * clipped_ratio).mean()
        group_losses = self._value_losses(values, batch.values, batch.returns)  # type: ignore[arg-type]
        value = torch.stack(group_losses).sum()
        total = surrogate + self.value_loss_coef * value - self.entropy_coef * entropy
        losses = {"value": value, "surrogate": surrogate, "entropy": entropy}
        if len(group_losses) > 1:
            losses |= {f"value/{group}": loss for group, loss in zip(self.reward_groups, group_losses, strict=True)}
        if self.uses_l2c2:
            obs = batch.observations
            smooth = l2c2_loss(
                self.actor,
                self.critic,
                obs,
                obs[NEXT],  # type: ignore[index]
                self.l2c2_policy_coef,
                self.l2c2_value_coef,
                mean=self.actor.output_mean,
                values=values,
            )
            total = total + smooth
            losses["l2c2"] = smooth
        losses["total"] = total
        return losses

    def _value_losses(self, values: torch.Tensor, old: torch.Tensor, returns: torch.Tensor) -> list[torch.Tensor]:
        """Each group's (clipped) squared value error, mean over the mini-batch."""
        errors = (values - returns).pow(2)
        if self.use_clipped_value_loss:
            clipped = old + (values - old).clamp(-self.clip_param, self.clip_param)
            errors = torch.max(errors, (clipped - returns).pow(2))
        return [column.mean() for column in errors.unbind(dim=-1)]

    def _adapt_learning_rate(self, old: tuple[torch.Tensor, ...], new: tuple[torch.Tensor, ...]) -> None:
        """rsl-rl's adaptive schedule: scale the step size by 1.5 to keep the KL near ``desired_kl``."""
        if self.desired_kl is None or self.schedule != "adaptive":
            return
        with torch.inference_mode():
            kl = torch.mean(self.actor.get_kl_divergence(old, new))
            if self.is_multi_gpu:
                torch.distributed.all_reduce(kl, op=torch.distributed.ReduceOp.SUM)
                kl /= self.gpu_world_size
            if self.gpu_global_rank == 0:
                if kl > self.desired_kl * 2.0:
                    self.learning_rate = max(1e-5, self.learning_rate / 1.5)
                elif self.desired_kl / 2.0 > kl > 0.0:
                    self.learning_rate = min(1e-2, self.learning_rate * 1.5)
            if self.is_multi_gpu:
                rate = torch.tensor(self.learning_rate, device=self.device)
                torch.distributed.broadcast(rate, src=0)
                self.learning_rate = rate.item()
            for group in self.optimizer.param_groups:
                group["lr"] = self.learning_rate

    @staticmethod
    def construct_algorithm(obs: TensorDict, env: VecEnv, cfg: dict, device: str) -> MultiCriticPPO:
        """Actor, G-output critic, storage and algorithm from rsl-rl's runner config."""
        alg_class, alg_cfg = resolve_class(cfg["algorithm"])
        actor_class, actor_cfg = resolve_class(cfg["actor"])
        critic_class, critic_cfg = resolve_class(cfg["critic"])
        cfg["obs_groups"] = resolve_obs_groups(obs, cfg["obs_groups"], ["actor", "critic"])
        num_groups = len(alg_cfg["reward_groups"])
        actor = actor_class(obs, cfg["obs_groups"], "actor", env.num_actions, **actor_cfg).to(device)
        critic = critic_class(obs, cfg["obs_groups"], "critic", num_groups, **critic_cfg).to(device)
        keep_next = alg_cfg.get("l2c2_policy_coef", 0.0) > 0 or alg_cfg.get("l2c2_value_coef", 0.0) > 0
        storage = MultiCriticStorage(
            env.num_envs, cfg["num_steps_per_env"], obs, [env.num_actions], num_groups, keep_next, device
        )
        return alg_class(actor, critic, storage, device=device, multi_gpu_cfg=cfg["multi_gpu"], **alg_cfg)

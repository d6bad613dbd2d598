"""Multi-critic PPO and L2C2: rsl-rl's update with one group, per-group GAE and advantages, L2C2, training."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest
import torch
from rsl_rl.algorithms import PPO
from rsl_rl.models import MLPModel
from rsl_rl.storage import RolloutStorage
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensordict import TensorDict

from policies.l2c2 import l2c2_loss
from policies.multi_critic_ppo import MultiCriticPPO, weighted_advantages
from policies.multi_critic_storage import NEXT, MultiCriticStorage
from policies.train_config import MULTI_CRITIC_PPO, TrainConfig, to_rsl_rl
from policies.trainer import train

from .train_support import BASE, tiny

ENVS, STEPS, OBS, ACTIONS = 8, 6, 5, 3
OBS_GROUPS = {"actor": ["policy"], "critic": ["policy", "privileged"]}
PPO_CFG = {"num_learning_epochs": 2, "num_mini_batches": 2, "learning_rate": 1e-3}
Rollout = list[tuple[TensorDict, torch.Tensor, torch.Tensor, torch.Tensor]]


def observations(generator: torch.Generator) -> TensorDict:
    return TensorDict(
        {
            "policy": torch.randn(ENVS, OBS, generator=generator),
            "privileged": torch.randn(ENVS, 2, generator=generator),
        },
        batch_size=[ENVS],
    )


def rollout(num_groups: int, seed: int = 0) -> tuple[TensorDict, Rollout]:
    """First observations and STEPS of (next observations, (n, G) rewards, dones, time-outs)."""
    generator = torch.Generator().manual_seed(seed)
    steps = []
    for _ in range(STEPS):
        dones = torch.rand(ENVS, generator=generator) < 0.2
        time_outs = dones & (torch.rand(ENVS, generator=generator) < 0.5)
        rewards = torch.randn(ENVS, num_groups, generator=generator) * torch.tensor([1.0, 30.0, 0.1][:num_groups])
        steps.append((observations(generator), rewards, dones, time_outs))
    return observations(generator), steps


def models(obs: TensorDict, num_groups: int, seed: int = 3) -> tuple[MLPModel, MLPModel]:
    torch.manual_seed(seed)
    noise = {"class_name": "GaussianDistribution", "init_std": 1.0, "std_type": "scalar"}
    actor = MLPModel(obs, OBS_GROUPS, "actor", ACTIONS, [16, 16], obs_normalization=True, distribution_cfg=noise)
    critic = MLPModel(obs, OBS_GROUPS, "critic", num_groups, [16, 16], obs_normalization=True)
    return actor, critic


def multi_critic(obs: TensorDict, groups: dict[str, float], l2c2: float = 0.0, **cfg: object) -> MultiCriticPPO:
    actor, critic = models(obs, len(groups))
    storage = MultiCriticStorage(ENVS, STEPS, obs, [ACTIONS], len(groups), l2c2 > 0)
    return MultiCriticPPO(
        actor,
        critic,
        storage,
        reward_groups=list(groups),
        reward_group_weights=list(groups.values()),
        l2c2_policy_coef=l2c2,
        l2c2_value_coef=l2c2,
        **PPO_CFG,
        **cfg,  # type: ignore[arg-type]
    )


def collect(alg: PPO, first: TensorDict, steps: Rollout, seed: int = 5) -> None:
    """Feed a rollout to ``alg`` as ``LeggedRunner.collect`` does (same action draws for the same seed)."""
    torch.manual_seed(seed)
    obs = first
    with torch.inference_mode():
        for next_obs, rewards, dones, time_outs in steps:
            alg.act(obs)
            alg.process_env_step(next_obs, rewards.squeeze(1), dones, {"time_outs": time_outs})
            obs = next_obs
        alg.compute_returns(obs)


def parameters(alg: PPO) -> list[torch.Tensor]:
    return [*alg.actor.state_dict().values(), *alg.critic.state_dict().values()]


@pytest.mark.parametrize("per_mini_batch", [False, True])
@pytest.mark.parametrize("clipped", [True, False])
def test_one_group_updates_exactly_as_rsl_rl_ppo(per_mini_batch: bool, clipped: bool) -> None:
    first, steps = rollout(1)
    cfg = {"normalize_advantage_per_mini_batch": per_mini_batch, "use_clipped_value_loss": clipped}
    actor, critic = models(first, 1)
    reference = PPO(actor, critic, RolloutStorage("rl", ENVS, STEPS, first, [ACTIONS]), **PPO_CFG, **cfg)  # type: ignore[arg-type]
    ours = multi_critic(first, {"main": 1.0}, **cfg)
    initial = [tensor.clone() for tensor in parameters(ours)]
    losses = []
    for alg in (reference, ours):
        for iteration in range(2):
            collect(alg, first, steps, seed=iteration)
            torch.manual_seed(10 + iteration)
            losses.append(alg.update())
    assert all(torch.equal(a, b) for a, b in zip(parameters(reference), parameters(ours), strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(initial, parameters(ours), strict=True))
    assert losses[:2] == losses[2:]
    assert reference.learning_rate == ours.learning_rate


def test_per_group_gae_equals_single_group_gae_on_each_reward_stream() -> None:
    first, steps = rollout(2)
    ours = multi_critic(first, {"a": 1.0, "b": 1.0})
    collect(ours, first, steps)
    last = f"mlp.{len(ours.critic.mlp) - 1}."
    for group in range(2):
        actor, critic = models(first, 1)
        actor.load_state_dict(ours.actor.state_dict())
        state = ours.critic.state_dict()
        critic.load_state_dict({k: v[group : group + 1] if k.startswith(last) else v for k, v in state.items()})
        single = PPO(actor, critic, RolloutStorage("rl", ENVS, STEPS, first, [ACTIONS]), **PPO_CFG)  # type: ignore[arg-type]
        stream = [(obs, rewards[:, group : group + 1], dones, outs) for obs, rewards, dones, outs in steps]
        collect(single, first, stream)
        torch.testing.assert_close(ours.storage.values[..., group : group + 1], single.storage.values)
        torch.testing.assert_close(ours.storage.returns[..., group : group + 1], single.storage.returns)


def test_each_group_is_normalised_alone_then_weighted() -> None:
    raw = torch.tensor([[1.0, 10.0], [2.0, 10.0], [3.0, 10.0], [4.0, 14.0]]).view(4, 1, 2)
    combined = weighted_advantages(raw, (1.0, 0.5), normalize=True)
    by_hand = []
    for a, b in ([1.0, 10.0], [2.0, 10.0], [3.0, 10.0], [4.0, 14.0]):
        a_hat = (a - 2.5) / (statistics.stdev([1.0, 2.0, 3.0, 4.0]) + 1e-8)
        b_hat = (b - 11.0) / (2.0 + 1e-8)  # stdev of 10, 10, 10, 14 is 2
        by_hand.append(1.0 * a_hat + 0.5 * b_hat)
    assert combined.shape == (4, 1, 1)
    torch.testing.assert_close(combined.flatten(), torch.tensor(by_hand))
    unnormalised = weighted_advantages(raw, (1.0, 0.5), normalize=False)
    torch.testing.assert_close(unnormalised.flatten(), torch.tensor([6.0, 7.0, 8.0, 11.0]))


def test_compute_returns_stores_the_weighted_group_advantages() -> None:
    first, steps = rollout(2)
    ours = multi_critic(first, {"a": 2.0, "b": 0.5})
    collect(ours, first, steps)
    st = ours.storage
    torch.testing.assert_close(st.advantages, weighted_advantages(st.returns - st.values, (2.0, 0.5), True))
    assert st.rewards.shape == st.values.shape == st.returns.shape == (STEPS, ENVS, 2)
    torch.testing.assert_close(st.rewards[0], steps[0][1] + 0.99 * st.values[0] * steps[0][3].unsqueeze(1))


def test_storage_keeps_next_observations_except_where_an_episode_ended() -> None:
    first, steps = rollout(1)
    ours = multi_critic(first, {"main": 1.0}, l2c2=0.1)
    collect(ours, first, steps)
    kept = ours.storage.observations[NEXT]
    for step, (next_obs, _, dones, _) in enumerate(steps):
        own = ours.storage.observations["policy"][step]
        expected = torch.where(dones.view(-1, 1), own, next_obs["policy"])
        assert torch.equal(kept["policy"][step], expected)


def test_l2c2_is_zero_for_equal_states_positive_otherwise_and_its_gradient_smooths_the_policy() -> None:
    generator = torch.Generator().manual_seed(1)
    obs, other = observations(generator), observations(generator)
    actor, critic = models(obs, 2)
    assert l2c2_loss(actor, critic, obs, obs.clone(), 1.0, 1.0).item() == 0.0
    assert l2c2_loss(actor, critic, obs, other, 1.0, 0.0).item() > 0.0
    assert l2c2_loss(actor, critic, obs, other, 0.0, 1.0).item() > 0.0

    def difference() -> float:
        with torch.no_grad():
            return (actor(obs) - actor(other)).pow(2).sum(dim=-1).mean().item()

    before = difference()
    optimizer = torch.optim.Adam(actor.parameters(), lr=1e-2)
    for _ in range(20):
        optimizer.zero_grad()
        l2c2_loss(actor, critic, obs, other, 1.0, 0.0).backward()
        optimizer.step()
    assert difference() < 0.5 * before


def test_only_several_groups_or_l2c2_select_multi_critic_ppo() -> None:
    groups = {"actor": ["policy"], "critic": ["policy"]}
    assert to_rsl_rl(TrainConfig(), groups, {"main": 1.0})["algorithm"]["class_name"] == "PPO"
    several = to_rsl_rl(TrainConfig(), groups, {"main": 1.0, "height": 0.5})["algorithm"]
    assert several["class_name"] == MULTI_CRITIC_PPO and several["reward_group_weights"] == [1.0, 0.5]
    smooth = TrainConfig()
    smooth.l2c2.policy_coef = 0.1
    assert to_rsl_rl(smooth, groups)["algorithm"]["class_name"] == MULTI_CRITIC_PPO


TWO_GROUPS = (
    "task.rewards={main: {upright: 1.0, action_rate: -0.01, torque: -1e-5}, height: {base_height: -50.0}}",
    "task.reward_group_weights={height: 0.5}",
    "train.l2c2.policy_coef=0.1",
    "train.l2c2.value_coef=0.01",
)


def test_two_groups_with_l2c2_train_log_a_value_loss_per_group_and_resume(tmp_path: Path) -> None:
    run = train(BASE, tiny(tmp_path, *TWO_GROUPS, "train.max_iterations=6", "train.save_interval=3")).run_dir
    events = EventAccumulator(str(run)).Reload()
    tags = set(events.Tags()["scalars"])
    assert {"Loss/value/main", "Loss/value/height", "Loss/l2c2"} <= tags
    assert len(events.Scalars("Loss/value/height")) == 6
    resumed = train(None, ["train.max_iterations=10"], resume=str(run))
    assert resumed.iterations == 10
    before, after = (torch.load(run / f"model_{n}.pt", weights_only=True) for n in (6, 10))
    assert after["critic_state_dict"]["mlp.4.bias"].shape == (2,)
    steps = [float(state["optimizer_state_dict"]["state"][0]["step"]) for state in (before, after)]
    assert steps[1] == steps[0] + 4 * 2 * 2  # iterations x epochs x mini-batches: the optimizer went on

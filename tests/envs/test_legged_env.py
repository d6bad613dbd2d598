"""The generic env loop: stepping, observations, time-outs, failures and resets on real physics."""

from __future__ import annotations

import torch

from legged_envs.envs.legged_env import LeggedEnv
from legged_envs.tasks.registry import load_task_config


def make_env(num_envs: int = 4, episode_length_s: float = 20.0) -> LeggedEnv:
    overrides = [f"env.num_envs={num_envs}", f"env.episode_length_s={episode_length_s}", "sim.num_threads=1"]
    _, cfg, task_cls = load_task_config("configs/base.yaml", overrides)
    return LeggedEnv(cfg, task_cls)


def test_zero_actions_keep_the_go2_standing_without_resets() -> None:
    env = make_env()
    obs = env.get_observations()
    assert obs["policy"].shape == (4, 3 + 3 + 3 * env.num_actions)
    actions = torch.zeros(4, env.num_actions)
    for _ in range(100):  # 2 s
        obs, rewards, dones, _ = env.step(actions)
        assert not dones.any()
        assert torch.isfinite(rewards).all()
    height = env.sim.base_pos()[:, 2]
    assert torch.allclose(height, torch.full((4,), env.robot.default_base_height_m), atol=0.03)
    # upright, level: projected gravity observed as (0, 0, -1)
    assert torch.allclose(obs["policy"][:, 3:6], torch.tensor([0.0, 0.0, -1.0]), atol=0.05)


def test_time_out_ends_every_episode_and_is_flagged() -> None:
    env = make_env(episode_length_s=0.2)  # 10 control steps
    actions = torch.zeros(4, env.num_actions)
    for step in range(1, 11):
        _, _, dones, extras = env.step(actions)
        assert bool(dones.all()) == (step == 10)
    assert extras["time_outs"].all()
    assert "/episode/length_s" in extras["log"]
    assert (env.episode_length_buf == 0).all()


def test_a_toppled_robot_terminates_and_is_reset_upright() -> None:
    env = make_env(num_envs=2)
    actions = torch.zeros(2, env.num_actions)
    push = torch.zeros(2, 3)
    push[1, 1] = 400.0  # a hard sideways shove on world 1 only
    env.sim.set_external_force("base", push)
    failed = torch.zeros(2, dtype=torch.bool)
    for _ in range(50):
        _, _, dones, extras = env.step(actions)
        failed |= dones & ~extras["time_outs"]
        if failed[1]:
            break
    assert failed.tolist() == [False, True]
    assert env.episode_length_buf[1] == 0
    # the reset put world 1 back upright at the standing height
    gravity = env.get_observations()["policy"][1, 3:6]
    assert torch.allclose(gravity, torch.tensor([0.0, 0.0, -1.0]), atol=0.2)

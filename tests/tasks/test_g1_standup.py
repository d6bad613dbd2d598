"""The g1_standup task on real MuJoCo physics: postures per terrain, the unactuated start, the q + beta * a rule,
the pull force and its curriculum, blow-up-only terminations, HoST's reward groups and the success criterion."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from legged_envs.envs.legged_env import LeggedEnv
from legged_envs.math_utils import yaw_quat
from legged_envs.sim.backend import WorldState
from legged_envs.tasks.g1_standup import G1StandupTask
from legged_envs.tasks.g1_standup_config import ActionRescalerConfig, PullForceConfig, StandupCurriculumConfig
from legged_envs.tasks.registry import load_task_config
from legged_envs.tasks.standup_curriculum import StandupCurriculum
from legged_envs.tasks.standup_postures import POSTURE_NAMES
from policies.standup_eval import run_rounds, summarize

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
FAST = ("sim.num_threads=1", "task.randomization.enabled=false")
LYING = "task.postures.weights={supine: 1.0, prone: 1.0, sitting: 0.0}"


def make_env(config: str = "g1_standup.yaml", num_envs: int = 8, *overrides: str, task_cls=None) -> LeggedEnv:
    _, cfg, cls = load_task_config(CONFIGS / config, [f"env.num_envs={num_envs}", *FAST, *overrides])
    return LeggedEnv(cfg, task_cls or cls)


def settle(env: LeggedEnv, steps: int | None = None) -> None:
    zeros = torch.zeros(env.num_envs, env.num_actions)
    for _ in range(steps if steps is not None else env.task.cfg.unactuated_steps):
        env.step(zeros)


def make_standing(num_envs: int, *overrides: str) -> LeggedEnv:
    """Envs whose episodes start standing, motors on from the first step."""
    return make_env("g1_standup.yaml", num_envs, "task.unactuated_steps=0", *overrides, task_cls=StandingStart)


class StandingStart(G1StandupTask):
    """Every episode starts standing in the default pose on flat ground (to check the success criterion)."""

    def reset_state(self, env_ids: torch.Tensor) -> WorldState:
        env, n = self.env, len(env_ids)
        base = torch.tensor([0.0, 0.0, env.robot.default_base_height_m + 0.01]).expand(n, 3)
        return env.sim.compose_state(base, yaw_quat(torch.zeros(n)), env.default_joint_pos[env_ids])


@pytest.mark.parametrize(
    ("config", "postures"),
    [
        ("g1_standup.yaml", {"supine", "prone", "sitting"}),
        ("g1_standup_platform.yaml", {"seated"}),
        ("g1_standup_wall.yaml", {"leaning"}),
        ("g1_standup_slope.yaml", {"supine", "prone", "sitting"}),
        ("g1_standup_mixed.yaml", {"supine", "prone", "sitting", "seated", "leaning"}),
    ],
)
def test_each_terrain_config_spawns_its_postures_and_host_observation(config: str, postures: set[str]) -> None:
    env = make_env(config, 48)
    drawn = {POSTURE_NAMES[p] for p in env.task.posture.tolist()}
    assert drawn == postures
    assert env.get_observations()["policy"].shape == (48, 6 * 76)  # HoST: 76 per frame, history 6
    zeros, rising = torch.zeros(48, env.num_actions), torch.zeros(48)
    for _ in range(env.task.cfg.unactuated_steps):
        env.step(zeros)
        rising = torch.maximum(rising, env.state.base_lin_vel_w[:, 2])
    assert rising.max() < 1.0  # no start intersects the ground or a wall (which would launch the robot)
    assert (env.task.pelvis_height < env.task.cfg.standing.stand_height_m).all()  # nobody starts stood up
    assert torch.isfinite(env.state.base_pos).all()


def test_supine_and_prone_lie_on_back_and_front_after_settling() -> None:
    env = make_env("g1_standup.yaml", 32, LYING)
    settle(env)
    gravity_x = env.state.projected_gravity[:, 0]
    supine = env.task.posture == POSTURE_NAMES.index("supine")
    assert supine.any() and (~supine).any()
    assert (env.task.pelvis_height < 0.4).all()
    # chest (base x) up: gravity along -x; a limp drop with noisy joints rarely rolls a robot over
    assert (gravity_x[supine] < -0.7).float().mean() >= 0.9
    assert (gravity_x[~supine] > 0.7).float().mean() >= 0.9


def test_motors_are_off_for_the_unactuated_steps_then_follow_q_plus_beta_a() -> None:
    env = make_env("g1_standup.yaml", 4)
    push = torch.full((4, env.num_actions), 0.5)
    for _ in range(env.task.cfg.unactuated_steps):
        env.step(push)
        assert env.state.joint_torque.abs().max() < 1e-9
    q = env.state.joint_pos.clone()
    env.step(push)
    expected = q + env.task.beta * math.tanh(0.5)
    lower, upper = env.joint_range.unbind(dim=1)
    assert torch.allclose(env.task.applied_targets, torch.minimum(torch.maximum(expected, lower), upper), atol=1e-5)
    assert env.state.joint_torque.abs().max() > 1.0
    assert torch.allclose(env.actions, torch.tanh(push))  # the task uses (and observes) tanh-bounded actions


def test_pull_force_lifts_only_an_upright_actuated_robot() -> None:
    lifted = make_standing(2)
    settle(lifted)
    free = make_standing(2)
    free.task.pull_enabled = False
    settle(free)
    zeros = torch.zeros(2, lifted.num_actions)
    lifted.step(zeros)
    free.step(zeros)
    assert torch.allclose(lifted.task.pull_force, torch.tensor([200.0, 200.0]))
    assert (free.task.pull_force == 0).all()
    # 200 N on ~35 kg for one 20 ms step: about 0.1 m/s more upward velocity
    dv = lifted.state.base_lin_vel_w[:, 2] - free.state.base_lin_vel_w[:, 2]
    assert (dv > 0.05).all()
    lying = make_env("g1_standup.yaml", 4, LYING)
    settle(lying, lying.task.cfg.unactuated_steps + 1)
    assert (lying.task.pull_force == 0).all()  # trunk far from upright: no help


def test_curriculum_steps_beta_and_force_down_to_their_floors() -> None:
    curriculum = StandupCurriculum(StandupCurriculumConfig(min_episodes=2), ActionRescalerConfig(), PullForceConfig())
    assert not curriculum.update(torch.tensor([1.2]))  # one episode: not judged yet
    assert not curriculum.update(torch.tensor([0.5]))  # mean of the two 0.85 <= 0.9: a new window starts
    assert not curriculum.update(torch.tensor([0.95, 0.5]))  # mean 0.725
    assert curriculum.update(torch.tensor([1.0, 0.95]))
    assert curriculum.beta == pytest.approx(0.98) and curriculum.force_n == pytest.approx(180.0)
    for _ in range(100):
        curriculum.update(torch.tensor([1.0]))
    assert curriculum.beta == pytest.approx(0.25) and curriculum.force_n == 0.0
    restored = StandupCurriculum(StandupCurriculumConfig(), ActionRescalerConfig(), PullForceConfig())
    restored.load_state_dict(curriculum.state_dict())
    assert (restored.beta, restored.force_n, restored.steps) == (curriculum.beta, curriculum.force_n, curriculum.steps)
    off = StandupCurriculum(StandupCurriculumConfig(enabled=False), ActionRescalerConfig(), PullForceConfig())
    assert not off.update(torch.tensor([1.5]))
    with pytest.raises(ValueError, match="missing 'beta'"):
        restored.load_state_dict({})


def test_curriculum_steps_when_standing_episodes_end_in_the_env() -> None:
    env = make_standing(2, "env.episode_length_s=0.8", "task.curriculum.min_episodes=2")
    zeros = torch.zeros(2, env.num_actions)
    for _ in range(env.max_episode_length):
        env.step(zeros)  # standing robots hold still: head ~1.2 m when the episodes time out
    assert env.task.curriculum.steps == 1
    assert env.task.beta == pytest.approx(0.98)


def test_only_blow_ups_terminate() -> None:
    env = make_env("g1_standup.yaml", 4, "env.episode_length_s=2.0")
    zeros = torch.zeros(4, env.num_actions)
    for _ in range(env.max_episode_length - 1):
        _, _, dones, _ = env.step(zeros)
        assert not dones.any()  # lying on the ground is not a failure
    state = env.sim.get_state()
    state.qvel[0, 6] = 500.0  # the first joint (after the free joint's 6 velocities)
    env.sim.reset_worlds(torch.arange(4), state)
    env.state = type(env.state)(env.sim, env.terrain, env.device)
    assert env.task.terminated().tolist() == [True, False, False, False]


def test_four_reward_groups_and_standing_earns_the_task_reward() -> None:
    standing = make_standing(2)
    lying = make_env("g1_standup.yaml", 2, LYING)
    assert standing.reward_groups == {"task": 2.5, "regularization": 0.1, "style": 1.0, "post_task": 1.0}
    zeros = torch.zeros(2, standing.num_actions)
    settle(standing)
    settle(lying)
    _, up, _, _ = standing.step(zeros)
    _, down, _, _ = lying.step(zeros)
    assert up.shape == (2, 4)
    assert (up[:, 0] > 10 * down[:, 0]).all()  # task group: head up and trunk upright
    assert (up[:, 3] > 0).all() and (down[:, 3] == 0).all()  # post-task rewards only once stood up


def hold_default_pose(env: LeggedEnv):
    """A policy whose targets q + beta * tanh(a) are the default pose (zero actions would let the robot sag)."""

    def policy(obs: object) -> torch.Tensor:
        step = (env.default_joint_pos - env.state.joint_pos) / env.task.beta
        return torch.atanh(step.clamp(-0.999, 0.999))

    return policy


def test_success_needs_standing_up_and_staying_up() -> None:
    # a G1 held stiffly in its default pose stands for about a second, then topples (it does not balance)
    brief, toppling = make_standing(3, "env.episode_length_s=0.6"), make_standing(3, "env.episode_length_s=2.0")
    lying = make_env("g1_standup.yaml", 3, "env.episode_length_s=1.0", LYING)
    for env, stood, success in ((brief, 1.0, 1.0), (toppling, 1.0, 0.0), (lying, 0.0, 0.0)):
        env.task.pull_enabled = False
        episodes = run_rounds(env, hold_default_pose(env), rounds=2)
        stats = summarize(episodes, env.terrain.tile_kinds)["all"]
        assert stats.episodes == 6
        assert (stats.stood_rate, stats.success_rate) == (stood, success)
    brief.reset_all()
    first_step = summarize(run_rounds(brief, hold_default_pose(brief), 1), ("flat",))["all"]
    assert first_step.time_to_stand_s == pytest.approx(brief.control_dt)
    assert first_step.feet_travel_m < 0.05

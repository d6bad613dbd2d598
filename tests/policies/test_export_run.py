"""``legged export RUN``: a trained run becomes an ONNX policy the robot side loads and that acts alike."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from deploy.robot.onnx_policy import OnnxPolicy
from deploy.robot.policy_metadata import PolicyMismatchError
from legged_envs.envs.legged_env import LeggedEnv
from legged_envs.robots import get_robot_spec
from policies.export_run import export_run
from policies.run_dir import load_policy, load_run, mean_action
from policies.trainer import train

from .train_support import BASE, tiny


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    runs = tmp_path_factory.mktemp("runs")
    run_dir = runs / "stand_run"
    train(BASE, tiny(runs, "train.max_iterations=2"), run_dir=str(run_dir))
    return run_dir


def test_exported_policy_acts_like_the_trained_actor_on_real_observations(trained_run: Path) -> None:
    path = export_run(trained_run)
    assert path == trained_run / "policy.onnx"
    run = load_run(trained_run)
    env = LeggedEnv(replace(run.cfg, env=replace(run.cfg.env, num_envs=4)), run.task_cls)
    actor = load_policy(run, env.get_observations(), env.num_actions)
    policy = OnnxPolicy(path, env.robot)
    obs = env.get_observations()
    for _ in range(20):  # observations the policy really meets, normaliser statistics included
        actions = mean_action(actor, obs)
        for world in range(env.num_envs):
            onnx_action = policy(obs["policy"][world].numpy())
            assert np.max(np.abs(onnx_action - actions[world].numpy())) <= 1e-5
        obs, *_ = env.step(actions)
    assert policy.metadata.robot == "go2"
    assert policy.metadata.obs_layout == env.task.policy_obs_layout


def test_the_exported_policy_is_refused_for_another_robot(trained_run: Path, tmp_path: Path) -> None:
    path = export_run(trained_run, out=tmp_path / "go2.onnx")
    with pytest.raises(PolicyMismatchError) as error:
        OnnxPolicy(path, get_robot_spec("g1_23dof"))
    assert "\n" not in str(error.value) and "go2" in str(error.value)

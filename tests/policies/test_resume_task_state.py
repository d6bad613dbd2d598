"""``legged train --resume`` of a go2_posture run goes on with its command and terrain curricula."""

from __future__ import annotations

from pathlib import Path

import torch

from legged_envs.envs.legged_env import LeggedEnv
from legged_envs.tasks.registry import load_task_config
from policies.checkpoint import save_checkpoint
from policies.distributed import Ranks
from policies.run_dir import resolve_obs_groups, run_config_path
from policies.runner import LeggedRunner
from policies.train_config import to_rsl_rl
from policies.trainer import train

from .train_support import REPO, tiny

GO2 = str(REPO / "configs" / "go2_posture.yaml")
FAST_CURRICULA = (
    "env.episode_length_s=0.1",  # 5 control steps: several episodes end in each 8-step iteration
    "terrain.num_levels=4",
    "terrain.num_tiles_per_level=2",
    "task.terrain_curriculum.max_start_level=3",
    "task.terrain_curriculum.min_commanded_m=0.0",
    "task.terrain_curriculum.promote_ratio=0.3",
    "task.terrain_curriculum.demote_ratio=0.1",
    "task.command_curriculum.settle_s=0.0",
    "task.command_curriculum.window_samples=4",
    "task.command_curriculum.threshold=-1.0",  # every dimension widens at every judgement
    "task.command_curriculum.step=0.01",
)


def resumed_runner(run: Path, checkpoint: Path) -> tuple[LeggedRunner, dict[str, torch.Tensor]]:
    """The env and runner ``legged train --resume RUN`` builds, loaded from ``checkpoint``; and the task
    state the fresh env had before loading."""
    _, cfg, task_cls = load_task_config(run_config_path(run), [])
    env = LeggedEnv(cfg, task_cls)
    fresh = env.task.state_dict()
    obs_groups = resolve_obs_groups(cfg.train, env.get_observations())
    runner = LeggedRunner(env, to_rsl_rl(cfg.train, obs_groups), None, "cpu", Ranks())
    runner.load(str(checkpoint))
    return runner, fresh


def test_resume_restores_the_curricula_and_respawns_every_env_on_its_level(tmp_path: Path) -> None:
    run = tmp_path / "run"
    train(GO2, tiny(tmp_path, *FAST_CURRICULA, "train.max_iterations=2"), run_dir=str(run))
    saved = torch.load(run / "model_2.pt", weights_only=True)["task_state"]
    assert len(saved) == 1 and set(saved[0]) == {"command_progress", "terrain_levels", "terrain_tiles"}
    state = saved[0]

    runner, fresh = resumed_runner(run, run / "model_2.pt")
    assert (state["command_progress"] > fresh["command_progress"]).all()  # the curricula moved in 2 iterations
    assert not torch.equal(state["terrain_levels"], fresh["terrain_levels"])
    env, task = runner.env, runner.env.task
    restored = task.state_dict()
    assert all(torch.equal(restored[key], state[key]) for key in state)
    start, limit = task.commands.start, task.commands.limit
    torch.testing.assert_close(task.commands.ranges, start + state["command_progress"][:, None] * (limit - start))
    level, tile = env.terrain.tile_of(env.sim.base_pos()[:, :2])  # re-placed on the restored tiles
    assert torch.equal(level, state["terrain_levels"]) and torch.equal(tile, state["terrain_tiles"])

    result = train(None, ["train.max_iterations=3"], resume=str(run))
    assert result.iterations == 3
    after = torch.load(run / "model_3.pt", weights_only=True)["task_state"][0]
    assert (after["command_progress"] > state["command_progress"]).all()  # went on widening, not from 0


def test_a_checkpoint_without_task_state_still_resumes(tmp_path: Path) -> None:
    run = tmp_path / "run"
    train(GO2, tiny(tmp_path, *FAST_CURRICULA, "train.max_iterations=1"), run_dir=str(run))
    old = torch.load(run / "model_1.pt", weights_only=True)
    del old["task_state"]
    save_checkpoint(old, run / "model_1.pt")
    runner, _ = resumed_runner(run, run / "model_1.pt")
    assert runner.current_learning_iteration == 1
    assert torch.equal(runner.env.task.commands.progress, torch.zeros(6))  # fresh curricula

"""Task registry (config ``schema:`` -> task) and the one-line training progress display."""

from __future__ import annotations

import io

import pytest

from legged_envs.config import ConfigError
from legged_envs.tasks import registry
from legged_envs.tasks.registry import TaskEntry, get_task, load_task_config
from legged_envs.tasks.stand import StandConfig, StandTask
from policies.progress import IterationStats, TrainProgress

from .train_support import BASE, REPO


def test_a_config_without_schema_runs_stand_and_schema_picks_the_task() -> None:
    assert load_task_config(BASE)[0::2] == ("stand", StandTask)
    name, cfg, task_cls = load_task_config(BASE, ["schema=stand"])
    assert (name, type(cfg), task_cls) == ("stand", StandConfig, StandTask)
    name, cfg, task_cls = load_task_config(REPO / "configs" / "go2_posture.yaml")
    assert name == "go2_posture" and task_cls.__name__ == "Go2PostureTask" and cfg.train.max_iterations > 0


def test_unknown_and_missing_tasks_are_one_line_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match=r"^override schema=walk: schema: unknown task 'walk' \(known: 'stand'"):
        load_task_config(BASE, ["schema=walk"])
    monkeypatch.setitem(registry.TASKS, "ghost", TaskEntry("legged_envs.tasks.ghost", "GhostConfig", "GhostTask"))
    with pytest.raises(ConfigError, match=r"task .ghost. is not available: module legged_envs\.tasks\.ghost not found"):
        get_task("ghost")


def test_progress_prints_one_line_per_iteration_off_a_terminal() -> None:
    stream = io.StringIO()
    progress = TrainProgress(start=2, total=10, stream=stream)
    metrics = {"terrain_level": 1.25, "tracking_rmse/vx": 0.31, "tracking_rmse/height": 0.042}
    progress.update(IterationStats(3, 10, 5321.0, 95.0, 4.312, 812.0, metrics))
    progress.close()
    line = stream.getvalue()
    assert line.count("\n") == 1
    assert line.startswith("it 3/10 | 5,321 steps/s | ETA 0:01:35 | reward 4.31 | ep len 812 | terrain_level 1.25")
    assert line.rstrip().endswith("tracking_rmse vx 0.31 height 0.042")

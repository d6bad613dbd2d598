"""``legged eval`` and ``legged play`` on a trained run, and one-line errors for bad checkpoints."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import imageio.v2 as imageio
import pytest
import torch

from legged_envs.cli import main
from policies.trainer import train

from .train_support import BASE, REPO, legged, tiny


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run of the stand task trained for 2 iterations (1 s episodes)."""
    root = tmp_path_factory.mktemp("runs")
    return train(BASE, tiny(root, "train.max_iterations=2", "env.episode_length_s=1.0")).run_dir


def test_eval_writes_json_and_markdown_with_fall_rate_and_return(run: Path, tmp_path: Path) -> None:
    assert main(["eval", str(run), "--episodes", "4", "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "eval.json").read_text())
    assert result["task"] == "stand" and result["checkpoint"] == "model_2.pt" and result["iteration"] == 2
    assert result["episodes"] == 4 and result["episode_length_s"] == 1.0
    assert 0.0 <= result["fall_rate"] <= 1.0
    assert 0.0 < result["mean_episode_length_s"] <= 1.0
    assert isinstance(result["mean_return"], float) and result["tracking_rmse"] == {}  # stand tracks no command
    markdown = (tmp_path / "eval.md").read_text()
    assert "| fall rate |" in markdown and "model_2.pt" in markdown


def test_play_writes_an_mp4_with_the_expected_frame_count(run: Path, tmp_path: Path) -> None:
    mp4 = tmp_path / "play.mp4"
    result = legged("play", str(run), "--seconds", "1", "--fps", "25", "--size", "160x120", "--out", str(mp4))
    assert result.returncode == 0, result.stderr
    reader = imageio.get_reader(mp4)
    assert reader.count_frames() == 25 and reader.get_meta_data()["fps"] == 25
    frame = reader.get_data(0)
    assert frame.shape == (120, 160, 3) and frame.std() > 5  # a picture, not a blank frame
    assert not list(tmp_path.glob(".*tmp*"))


def test_play_rejects_a_command_script_for_a_task_without_commands(run: Path, tmp_path: Path, capsys) -> None:
    script = tmp_path / "commands.yaml"
    script.write_text("- {duration_s: 1, vx: 0.5}\n")
    assert main(["play", str(run), "--commands", str(script), "--out", str(tmp_path / "x.mp4")]) == 2
    assert "takes no commands" in capsys.readouterr().err
    assert not (tmp_path / "x.mp4").exists()


def _bad_run(run: Path, tmp_path: Path, content: bytes) -> tuple[Path, Path]:
    """A copy of ``run`` whose latest checkpoint holds ``content``."""
    bad = tmp_path / "bad_run"
    shutil.copytree(run, bad)
    checkpoint = bad / "model_2.pt"
    checkpoint.write_bytes(content)
    return bad, checkpoint


class _RunsCode:
    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


@pytest.mark.parametrize("kind", ["truncated", "not_a_checkpoint", "code", "wrong_shapes"])
def test_bad_checkpoints_are_one_line_errors_naming_the_file(run: Path, tmp_path: Path, capsys, kind: str) -> None:
    good = (run / "model_2.pt").read_bytes()
    marker = tmp_path / "code_ran"
    if kind == "truncated":
        content = good[: len(good) // 2]
    elif kind == "not_a_checkpoint":
        content = b"iteration: 9\n"
    elif kind == "code":  # a pickle that would create a file if loaded with weights_only=False
        payload = _RunsCode()
        payload.marker = str(marker)
        content = pickle.dumps({"actor_state_dict": payload}, protocol=2)
    else:
        state = torch.load(run / "model_2.pt", weights_only=True)
        state["actor_state_dict"]["mlp.0.weight"] = torch.zeros(64, 3)
        path = tmp_path / "shapes.pt"
        torch.save(state, path)
        content = path.read_bytes()
    bad, checkpoint = _bad_run(run, tmp_path, content)
    for command in (["eval", str(bad), "--episodes", "2"], ["train", "--resume", str(bad)]):
        assert main(command) == 2
        error = capsys.readouterr().err.strip()
        assert "\n" not in error and f"{checkpoint.name}:" in error, error
    assert not marker.exists()
    expected = {
        "truncated": "not a readable checkpoint",
        "not_a_checkpoint": "not a readable checkpoint",
        "code": "not a plain-tensor checkpoint",
        "wrong_shapes": "mlp.0.weight has shape [64, 3]",
    }[kind]
    assert expected in error


GO2_TINY = (
    "env.num_envs=4",
    "env.episode_length_s=1.0",
    "terrain.kind=flat",
    "terrain.num_levels=1",
    "terrain.num_tiles_per_level=1",
    "task.randomization.enabled=false",
    "sim.num_threads=1",
    "train.max_iterations=1",
    "train.num_steps_per_env=8",
    "train.policy.actor_hidden_dims=[32]",
    "train.policy.critic_hidden_dims=[32]",
)


@pytest.fixture(scope="module")
def go2_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A go2_posture run trained for 1 iteration on flat ground."""
    root = tmp_path_factory.mktemp("go2_runs")
    return train(str(REPO / "configs" / "go2_posture.yaml"), [*GO2_TINY, f"train.runs_dir={root}"]).run_dir


def test_eval_of_go2_posture_reports_tracking_rmse_per_command_dimension(go2_run: Path, tmp_path: Path) -> None:
    assert main(["eval", str(go2_run), "--episodes", "3", "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "eval.json").read_text())
    rmse = result["tracking_rmse"]
    assert list(rmse) == ["vx", "vy", "yaw_rate", "height", "pitch", "roll"]
    assert all(0.0 <= value < 10.0 for value in rmse.values())
    markdown = (tmp_path / "eval.md").read_text()
    assert "| yaw_rate |" in markdown and "rad/s" in markdown


def test_play_follows_a_command_script_for_its_length(go2_run: Path, tmp_path: Path) -> None:
    script = tmp_path / "commands.yaml"
    script.write_text("- {duration_s: 0.2, vx: 0.5}\n- {duration_s: 0.2, height: -0.05, pitch: 0.1}\n")
    out = tmp_path / "tour.gif"
    options = ["--commands", str(script), "--fps", "10", "--size", "80x60", "--out", str(out)]
    result = legged("play", str(go2_run), *options)
    assert result.returncode == 0, result.stderr
    frames = imageio.mimread(out)
    assert len(frames) == 4 and frames[0].shape[:2] == (60, 80)  # 0.4 s at 10 fps


def test_a_bad_command_script_is_a_one_line_error_naming_the_entry(go2_run: Path, tmp_path: Path, capsys) -> None:
    script = tmp_path / "commands.yaml"
    script.write_text("- {duration_s: 1, vx: 0.5}\n- {duration_s: 1, speed: 2}\n")
    assert main(["play", str(go2_run), "--commands", str(script), "--out", str(tmp_path / "x.gif")]) == 2
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and "commands.yaml: [1].speed: unknown command" in error

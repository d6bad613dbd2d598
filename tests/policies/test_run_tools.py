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

from .train_support import BASE, legged, tiny


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


def test_play_writes_an_mp4_and_a_gif_with_the_expected_frame_counts(run: Path, tmp_path: Path) -> None:
    mp4, gif = tmp_path / "play.mp4", tmp_path / "play.gif"
    result = legged("play", str(run), "--seconds", "1", "--fps", "25", "--size", "160x120", "--out", str(mp4))
    assert result.returncode == 0, result.stderr
    reader = imageio.get_reader(mp4)
    assert reader.count_frames() == 25 and reader.get_meta_data()["fps"] == 25
    frame = reader.get_data(0)
    assert frame.shape == (120, 160, 3) and frame.std() > 5  # a picture, not a blank frame
    result = legged("play", str(run), "--seconds", "0.4", "--fps", "10", "--size", "80x60", "--out", str(gif))
    assert result.returncode == 0, result.stderr
    frames = imageio.mimread(gif)
    assert len(frames) == 4 and frames[0].shape[:2] == (60, 80)


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
    checkpoint = bad / "model_9.pt"
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
        "code": "not a readable checkpoint",
        "wrong_shapes": "mlp.0.weight has shape [64, 3]",
    }[kind]
    assert expected in error

"""Bad run folders under ``eval``, ``export``, ``train --resume`` and ``train --run-dir``, a run another process
holds, and read-only folders: one line naming the folder (and the file), a non-zero exit, nothing of the user's
changed; what eval computed is printed even when it cannot be written."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from policies.run_dir import run_lock

from .support import BASE, TINY, assert_refused, legged, read_only, snapshot

READERS = {
    "eval": lambda run: ["eval", run, "--episodes", "1"],
    "export": lambda run: ["export", run],
    "resume": lambda run: ["train", "--resume", run],
}


def _copy(trained: Path, tmp: Path) -> Path:
    return Path(shutil.copytree(trained, tmp / "run"))


def _without(name: str) -> Callable[[Path, Path], Path]:
    def make(trained: Path, tmp: Path) -> Path:
        run = _copy(trained, tmp)
        (run / name).unlink()
        return run

    return make


def _with(name: str, content: bytes | None) -> Callable[[Path, Path], Path]:
    """A copy of the run whose ``name`` holds ``content`` (None: is a folder)."""

    def make(trained: Path, tmp: Path) -> Path:
        run = _copy(trained, tmp)
        path = run / name
        path.unlink(missing_ok=True)
        path.mkdir() if content is None else path.write_bytes(content)
        return run

    return make


def _file(trained: Path, tmp: Path) -> Path:
    (tmp / "notes.txt").write_text("mine\n")
    return tmp / "notes.txt"


def _empty(trained: Path, tmp: Path) -> Path:
    (tmp / "empty").mkdir()
    return tmp / "empty"


BAD_RUNS: dict[str, tuple[Callable[[Path, Path], Path], str, tuple[str, ...]]] = {
    "missing": (lambda trained, tmp: tmp / "nowhere", "nowhere: ", ()),
    "a file": (_file, "notes.txt: is a file", ()),
    "an empty folder": (_empty, "empty: ", ()),
    "no config.yaml": (_without("config.yaml"), "run: ", ()),
    "config.yaml a folder": (_with("config.yaml", None), "config.yaml: is a directory", ()),
    "config.yaml not UTF-8": (_with("config.yaml", b"seed: \xff\n"), "config.yaml: ", ()),
    "config.yaml with a bad value": (_with("config.yaml", b"env: {num_envs: -1}\n"), "config.yaml: env.num_envs: ", ()),
    "config.yaml of an unknown task": (_with("config.yaml", b"schema: walking\n"), "config.yaml: schema: ", ()),
    "latest checkpoint a folder": (_with("model_3.pt", None), "model_3.pt: ", ()),
    "no checkpoint": (_without("model_2.pt"), "run: no checkpoint", ("resume",)),
}
"""name -> (makes the folder from the trained run, what the error names, commands for which it is no error)."""


@pytest.mark.parametrize(
    ("name", "command"),
    [(name, command) for name, case in BAD_RUNS.items() for command in READERS if command not in case[2]],
)
def test_a_bad_run_folder_is_refused_naming_it(
    name: str, command: str, trained_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    make, names, _ = BAD_RUNS[name]
    run = make(trained_run, tmp_path)
    before = snapshot(tmp_path)
    assert_refused(legged(*READERS[command](run)), names)
    assert snapshot(tmp_path) == before


def _full(tmp: Path) -> Path:
    (tmp / "mine").mkdir()
    (tmp / "mine" / "model_1.pt").write_text("the user's own file\n")
    return tmp / "mine"


BAD_RUN_DIRS: dict[str, tuple[Callable[[Path], Path], str]] = {
    "a file": (lambda tmp: _file(Path(), tmp), "--run-dir notes.txt: is a file"),
    "a folder of the user's files": (_full, "--run-dir mine: folder is not empty"),
    "below a file": (lambda tmp: _file(Path(), tmp) / "run", "notes.txt/run"),
}


@pytest.mark.parametrize("name", BAD_RUN_DIRS)
def test_a_new_run_never_writes_among_the_users_files(name: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    make, names = BAD_RUN_DIRS[name]
    target = make(tmp_path)
    before = snapshot(tmp_path)
    assert_refused(legged("train", BASE, *TINY, "--run-dir", target), names)
    assert snapshot(tmp_path) == before


def test_a_run_folder_holding_a_run_is_not_reused(trained_run: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = _copy(trained_run, tmp_path)
    before = snapshot(tmp_path)
    assert_refused(legged("train", BASE, *TINY, "--run-dir", run), "--run-dir run: already holds a run")
    assert snapshot(tmp_path) == before


def test_a_failed_resume_with_overrides_keeps_the_runs_config(trained_run: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = _copy(trained_run, tmp_path)
    before = snapshot(tmp_path)
    outcome = legged("train", "--resume", run, "train.max_iterations=4", "train.policy.actor_hidden_dims=[16]")
    assert_refused(outcome, "model_2.pt: actor_state_dict: ")
    assert snapshot(tmp_path) == before
    assert legged("train", "--resume", run, "train.max_iterations=3").code == 0  # the run goes on as it was


def test_a_run_that_another_process_trains_is_refused(trained_run: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = _copy(trained_run, tmp_path)
    empty = _empty(trained_run, tmp_path)
    before = snapshot(tmp_path)
    with run_lock(run), run_lock(empty):  # what a training process holds (flock: per open file)
        assert_refused(legged("train", "--resume", run, "train.max_iterations=3"), "run: another process")
        assert_refused(legged("train", BASE, *TINY, "--run-dir", empty), "empty: another process")
    assert snapshot(tmp_path) == before


def test_resume_removes_what_killed_writes_left_and_goes_on(trained_run: Path, tmp_path: Path) -> None:
    run = _copy(trained_run, tmp_path)
    leftovers = [run / ".model_3.pt.4242.tmp", run / "config.yaml.tmp"]
    for path in leftovers:
        path.write_bytes(b"half a file")
    assert legged("train", "--resume", run, "train.max_iterations=3").code == 0
    assert (run / "model_3.pt").is_file()
    assert not [path for path in leftovers if path.exists()]


def test_eval_into_a_read_only_folder_prints_the_results_and_one_line(trained_run: Path, tmp_path: Path) -> None:
    run = _copy(trained_run, tmp_path)
    before = snapshot(tmp_path)
    with read_only(run):
        outcome = legged("eval", run, "--episodes", "1")
    assert_refused(outcome, "eval.json: cannot write", "printed above")
    assert "| fall rate |" in outcome.stdout
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("command", "names"),
    [
        (lambda run: ["export", run], "policy.onnx"),
        (lambda run: ["train", "--resume", run], "run: "),
        (lambda run: ["train", "--resume", run, "train.max_iterations=3"], "run: "),
        (lambda run: ["train", BASE, *TINY, f"train.runs_dir={run}/runs"], "run/runs: "),
        (lambda run: ["train", BASE, *TINY, "--run-dir", run / "new"], "run/new: "),
    ],
)
def test_a_read_only_folder_is_one_line_before_any_work(
    command: Callable[[Path], list], names: str, trained_run: Path, tmp_path: Path
) -> None:
    run = _copy(trained_run, tmp_path)
    before = snapshot(tmp_path)
    with read_only(run):
        assert_refused(legged(*command(run)), names)
    assert snapshot(tmp_path) == before

"""Shared by the bad-input corpus tests: run ``legged`` in-process, snapshot folders, read-only folders."""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from legged_envs.cli import main

REPO = Path(__file__).resolve().parents[2]
BASE = REPO / "configs" / "base.yaml"
GO2 = REPO / "configs" / "go2_posture.yaml"
TINY = (
    "env.num_envs=8",
    "env.episode_length_s=1.0",
    "sim.num_threads=1",
    "train.num_steps_per_env=8",
    "train.ppo.num_mini_batches=2",
    "train.ppo.num_learning_epochs=1",
    "train.policy.actor_hidden_dims=[32]",
    "train.policy.critic_hidden_dims=[32]",
)
"""Overrides of configs/base.yaml (the ``stand`` task) for a run of a second or two."""


class Accepted(Exception):
    """A bad input got as far as what the test replaced with ``accepted`` (the env, the learner, the node)."""


def accepted(*args: object, **kwargs: object) -> NoReturn:
    """Stands in for what a refused input must never reach."""
    raise Accepted("the bad input was accepted")


@dataclass(frozen=True)
class Outcome:
    """How one ``legged`` command ended."""

    code: int
    stderr: str
    stdout: str


def legged(*argv: str | Path) -> Outcome:
    """``legged ARGV`` in this process (an exception out of ``main`` is a traceback, and fails the test)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(arg) for arg in argv])
    return Outcome(code, err.getvalue(), out.getvalue())


def assert_refused(outcome: Outcome, *names: str) -> str:
    """Exit code non-zero, exactly one line on stderr, holding every one of ``names``; returns the line."""
    lines = outcome.stderr.splitlines()
    assert outcome.code != 0, f"accepted: {outcome.stdout[-300:]}"
    assert len(lines) == 1, outcome.stderr
    assert "Traceback" not in outcome.stderr
    for name in names:
        assert name in lines[0], f"{name!r} not in: {lines[0]}"
    return lines[0]


def snapshot(*roots: Path) -> dict[str, str]:
    """Relative path -> content digest (folders: ``dir``) of everything under ``roots``."""
    found = {}
    for root in roots:
        for path in sorted(root.rglob("*")):
            found[str(path)] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return found


_CAP_DAC_OVERRIDE = 1
_CAPABILITY_VERSION_3 = 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """``folder`` made read-only (mode 0o555) for this thread, also under root: root's ``CAP_DAC_OVERRIDE``,
    which lets it write anywhere, is dropped from this thread's effective capabilities meanwhile."""
    mode = folder.stat().st_mode
    folder.chmod(0o555)
    with contextlib.ExitStack() as undo:
        undo.callback(folder.chmod, mode)
        if os.geteuid() == 0:
            undo.enter_context(_without_capability(_CAP_DAC_OVERRIDE))
        yield


@contextlib.contextmanager
def _without_capability(bit: int) -> Iterator[None]:
    libc = ctypes.CDLL(None, use_errno=True)
    header, data = _CapHeader(_CAPABILITY_VERSION_3, 0), (_CapData * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capget")
    saved = data[0].effective
    data[0].effective = saved & ~(1 << bit)
    if libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset")
    try:
        yield
    finally:
        data[0].effective = saved
        libc.capset(ctypes.byref(header), data)

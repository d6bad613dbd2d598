"""``legged play``: render a trained policy (one env, deterministic) following a command script to MP4 or GIF.

Rendering is offscreen with ``mujoco.Renderer``; on a headless machine MuJoCo needs an
offscreen OpenGL: ``MUJOCO_GL=egl`` (the ``legged`` command's default) or ``osmesa`` (see
docs/RENDERING.md). Frames are taken every ``stride`` control steps so that the video plays in
real time: ``fps = 1 / (stride * control_dt)``.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import imageio.v2 as imageio
import mujoco
import numpy as np
import torch
from tqdm import tqdm

from legged_envs.config import ConfigError
from legged_envs.config.loader import display_path
from legged_envs.envs.legged_env import LeggedEnv
from policies.command_script import Segment, command_at, load_command_script, script_duration, segment_table
from policies.rng import seed_everything
from policies.run_dir import load_policy, load_run, make_trained_env, mean_action

DEFAULT_SECONDS = 10.0
"""Video length without a command script, s."""
CAMERA = "track"
"""The model's camera that follows the robot (added by the model builder)."""


def frame_plan(seconds: float, fps: int, control_dt: float) -> tuple[int, int, float]:
    """(frames, control steps per frame, actual fps) for a ``seconds``-long video at about ``fps``."""
    stride = max(1, round(1.0 / (fps * control_dt)))
    actual_fps = 1.0 / (stride * control_dt)
    return max(1, round(seconds * actual_fps)), stride, actual_fps


class VideoWriter:
    """Frames to ``path`` (.mp4 via ffmpeg/libx264, .gif via Pillow), written to a temp file, then renamed."""

    def __init__(self, path: Path, fps: float):
        suffix = path.suffix.lower()
        if suffix not in (".mp4", ".gif"):
            raise ConfigError(f"--out {path}: expected a .mp4 or .gif file name")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.tmp = path.with_name(f".{path.stem}.tmp{suffix}")
        if suffix == ".mp4":
            self.writer = imageio.get_writer(
                self.tmp, format="FFMPEG", fps=fps, codec="libx264", quality=8, macro_block_size=2
            )
        else:
            self.writer = imageio.get_writer(self.tmp, format="GIF", mode="I", duration=1000.0 / fps, loop=0)
        self.frames = 0

    def append(self, frame: np.ndarray) -> None:
        self.writer.append_data(frame)
        self.frames += 1

    def close(self) -> None:
        self.writer.close()
        self.tmp.replace(self.path)

    def abort(self) -> None:
        self.writer.close()
        self.tmp.unlink(missing_ok=True)


class WorldRenderer:
    """Offscreen images of world 0 of a CPU-backend env, seen from the robot-tracking camera."""

    def __init__(self, env: LeggedEnv, width: int, height: int):
        model = env.sim.model
        model.vis.global_.offwidth = max(model.vis.global_.offwidth, width)
        model.vis.global_.offheight = max(model.vis.global_.offheight, height)
        self.env = env
        self.model = model
        self.data = mujoco.MjData(model)
        try:
            self.renderer = mujoco.Renderer(model, height=height, width=width)
        except Exception as error:  # MuJoCo raises plain Exceptions for GL set-up failures
            message = " ".join(str(error).split())[:160]
            raise RuntimeError(
                f"offscreen rendering failed ({message}); set MUJOCO_GL=egl or MUJOCO_GL=osmesa (docs/RENDERING.md)"
            ) from None
        self.camera = CAMERA if mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_CAMERA, CAMERA) >= 0 else -1

    def render(self) -> np.ndarray:
        """(height, width, 3) uint8 image of world 0 now."""
        state = self.env.sim.get_state(torch.tensor([0]))
        self.data.qpos[:] = state.qpos[0].numpy()
        self.data.qvel[:] = state.qvel[0].numpy()
        mujoco.mj_forward(self.model, self.data)
        self.renderer.update_scene(self.data, camera=self.camera)
        return self.renderer.render()

    def close(self) -> None:
        self.renderer.close()


def play_run(
    run_dir: str,
    overrides: list[str] | tuple[str, ...] = (),
    commands: str | None = None,
    out: str | None = None,
    seconds: float | None = None,
    fps: int = 25,
    size: tuple[int, int] = (640, 480),
) -> Path:
    """``legged play``: write a video of run ``run_dir``'s policy; returns its path."""
    run = load_run(Path(run_dir), overrides)
    cfg = replace(run.cfg, sim=replace(run.cfg.sim, backend="mujoco", device="cpu"))
    seed_everything(cfg.seed)
    env = make_trained_env(run, 1, cfg)
    segments = _script(env, commands)
    seconds = seconds or (script_duration(segments) if segments else DEFAULT_SECONDS)
    frames, stride, actual_fps = frame_plan(seconds, fps, env.control_dt)
    actor = load_policy(run, env.get_observations(), env.num_actions)
    path = Path(out) if out else run.run_dir / "play.mp4"
    renderer = WorldRenderer(env, *size)
    writer = VideoWriter(path, actual_fps)
    print(f"legged play: {display_path(run.checkpoint)}, {frames} frames at {actual_fps:g} fps -> {path}", flush=True)
    try:
        obs = env.get_observations()
        world0 = torch.tensor([0], device=env.device)
        measured: list[tuple[float, dict[str, float]]] = []
        for frame in tqdm(range(frames), desc="play", unit="frame", leave=False, disable=None):
            for sub in range(stride):
                if segments:
                    step_time = (frame * stride + sub) * env.control_dt
                    command = torch.tensor([command_at(segments, step_time)], device=env.device)
                    env.task.set_command(world0, command)  # type: ignore[attr-defined]
                obs, _, _, _ = env.step(mean_action(actor, obs))
                if segments:
                    measured.append((step_time, _achieved(env)))
            writer.append(renderer.render())
        writer.close()
    except BaseException:
        writer.abort()
        raise
    finally:
        renderer.close()
        env.close()
    print(f"legged play: wrote {display_path(path)} ({writer.frames} frames, {math.ceil(frames / actual_fps)} s)")
    if segments:
        print(f"legged play: commanded vs achieved (after {SEGMENT_SETTLE_S:g} s of each segment):")
        print("\n".join(segment_table(env.task.command_names, segment_means(segments, measured))))  # type: ignore[attr-defined]
    return path


SEGMENT_SETTLE_S = 1.0
"""Time at the start of each command segment left out of its achieved values, s (as ``legged sim2sim``)."""


def _achieved(env: LeggedEnv) -> dict[str, float]:
    """World 0's measured value of each command dimension this step (the task's error plus the command)."""
    errors = env.task.eval_step_errors()  # type: ignore[attr-defined]
    command = env.task.command[0].tolist()  # type: ignore[attr-defined]
    return {name: errors[name][0].item() + command[i] for i, name in enumerate(env.task.command_names)}  # type: ignore[attr-defined]


def segment_means(
    segments: list[Segment], measured: list[tuple[float, dict[str, float]]]
) -> list[tuple[Segment, dict[str, float]]]:
    """Each segment with the mean of ``measured`` (time, values) over its steps after ``SEGMENT_SETTLE_S``."""
    rows, start = [], 0.0
    for segment in segments:
        begin, end = start + min(SEGMENT_SETTLE_S, segment.duration_s / 2), start + segment.duration_s
        window = [values for time_s, values in measured if begin <= time_s < end]
        rows.append(
            (segment, {name: sum(v[name] for v in window) / len(window) for name in window[0]} if window else {})
        )
        start = end
    return rows


def _script(env: LeggedEnv, commands: str | None) -> list[Segment]:
    if commands is None:
        return []
    task = env.task
    names = getattr(task, "command_names", None)
    if names is None or not hasattr(task, "set_command"):
        raise ConfigError(f"--commands {commands}: the task {type(task).__name__} takes no commands")
    segments = load_command_script(commands, names)
    if hasattr(task, "resample_commands"):
        task.resample_commands = False  # type: ignore[attr-defined]  # the script alone sets the command
    return segments

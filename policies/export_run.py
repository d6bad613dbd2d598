"""``legged export RUN``: a run's latest (or chosen) checkpoint as ``policy.onnx`` with robot metadata."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from torch import nn

from deploy.robot.onnx_policy import OnnxPolicy
from deploy.robot.policy_metadata import PolicyMetadata
from legged_envs.config.loader import display_path
from legged_envs.obs_layout import TERM_MEANINGS, ObsLayout
from policies.export import export_policy, rsl_rl_actor_parts
from policies.run_dir import load_policy, load_run, make_trained_env

POLICY_FILE = "policy.onnx"
"""Name of the exported policy inside a run directory."""


def conventions(
    layout: ObsLayout, command_meanings: Mapping[str, str], beta: float | None, action_bound: str | None = None
) -> dict[str, str]:
    """The metadata's plain-language ``conventions``: how the input is built, what each term and command means,
    and how an action becomes joint targets."""
    notes = {
        "observation": "input = history_length frames, OLDEST FIRST; frame = concatenation of scale * term over "
        "obs_layout's terms; after a reset every frame of the history is the first frame",
        **{f"obs.{term.name}": TERM_MEANINGS[term.name] for term in layout.terms},
        **{f"command.{name}": meaning for name, meaning in command_meanings.items()},
    }
    if beta is None:
        notes["action"] = "joint target = default_joint_pos + action_scale * clip(action, +-action_clip), rad"
    else:
        notes["action"] = "joint target = measured q + beta * clip(action, +-action_clip), rad"
    if action_bound == "tanh":
        notes["action_bound"] = "the graph ends in tanh: actions are already in [-1, 1] (training applied tanh too)"
    notes["control"] = "targets held for control_dt; torque = kp (target - q) - kd dq per joint, joint_names order"
    return notes


def export_run(run_dir: str | Path, out: str | Path | None = None, checkpoint: str | Path | None = None) -> Path:
    """Export the run's actor (with its observation normaliser) and check the file loads for the robot."""
    run = load_run(Path(run_dir), checkpoint=Path(checkpoint) if checkpoint else None)
    env = make_trained_env(run, 1)
    actor, normalizer = rsl_rl_actor_parts(load_policy(run, env.get_observations(), env.num_actions))
    task = env.task
    action_bound = getattr(task, "action_bound", None)
    if action_bound == "tanh":
        actor = nn.Sequential(actor, nn.Tanh())
    metadata = PolicyMetadata.from_spec(
        env.robot,
        task.policy_obs_layout,
        env.control_dt,
        beta=getattr(task, "beta", None),
        command_names=tuple(task.command_names),
        command_ranges=tuple(task.command_ranges),
        conventions=conventions(
            task.policy_obs_layout, task.command_meanings(), getattr(task, "beta", None), action_bound
        ),
    )
    env.close()
    path = export_policy(actor, normalizer, metadata, Path(out) if out else run.run_dir / POLICY_FILE)
    OnnxPolicy(path, env.robot)  # refuse to hand over a file the robot side would not load
    print(f"legged export: {display_path(run.checkpoint)} ({run.iteration} iterations) -> {display_path(path)}")
    return path

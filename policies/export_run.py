"""``legged export RUN``: a run's latest (or chosen) checkpoint as ``policy.onnx`` with robot metadata."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from deploy.robot.onnx_policy import OnnxPolicy
from deploy.robot.policy_metadata import PolicyMetadata
from legged_envs.config.loader import display_path
from legged_envs.envs.legged_env import LeggedEnv
from policies.export import export_policy, rsl_rl_actor_parts
from policies.run_dir import load_policy, load_run

POLICY_FILE = "policy.onnx"
"""Name of the exported policy inside a run directory."""


def export_run(run_dir: str | Path, out: str | Path | None = None, checkpoint: str | Path | None = None) -> Path:
    """Export the run's actor (with its observation normaliser) and check the file loads for the robot."""
    run = load_run(Path(run_dir), checkpoint=Path(checkpoint) if checkpoint else None)
    env = LeggedEnv(replace(run.cfg, env=replace(run.cfg.env, num_envs=1)), run.task_cls)
    actor, normalizer = rsl_rl_actor_parts(load_policy(run, env.get_observations(), env.num_actions))
    task = env.task
    metadata = PolicyMetadata.from_spec(
        env.robot,
        task.policy_obs_layout,
        env.control_dt,
        beta=getattr(task, "beta", None),
        command_names=tuple(task.command_names),
        command_ranges=tuple(task.command_ranges),
    )
    env.close()
    path = export_policy(actor, normalizer, metadata, Path(out) if out else run.run_dir / POLICY_FILE)
    OnnxPolicy(path, env.robot)  # refuse to hand over a file the robot side would not load
    print(f"legged export: {display_path(run.checkpoint)} ({run.iteration} iterations) -> {display_path(path)}")
    return path

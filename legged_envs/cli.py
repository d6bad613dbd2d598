"""The ``legged`` command: one entry point for training, evaluation, export, play, deploy, bench."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from legged_envs.config import ConfigError, load_config

NOT_YET = {
    "train": "training with rsl-rl PPO",
    "eval": "policy evaluation and robustness suites",
    "export": "ONNX export",
    "play": "rendering a policy to video",
    "deploy": "the ROS 2 deployment node",
}


def _bench(args: argparse.Namespace) -> int:
    from legged_envs.bench import run_cpu_bench, run_gpu_bench

    cfg = load_config(args.config, args.overrides)
    print(f"legged bench: robot={cfg.robot} backend={cfg.sim.backend} device={cfg.sim.device}", flush=True)
    if cfg.sim.backend == "mujoco_warp":
        print("env loop on MuJoCo Warp (env-steps/s):", flush=True)
        run_gpu_bench(cfg)
        return 0
    threads = cfg.sim.num_threads or "all"
    print(
        f"{cfg.bench.num_worlds} worlds, {threads} threads, decimation {cfg.sim.decimation}, "
        f"{cfg.bench.num_steps} control steps after {cfg.bench.warmup_steps} warm-up",
        flush=True,
    )
    result = run_cpu_bench(cfg)
    print(f"  env loop (LeggedEnv + MujocoCpuBackend): {result.env_loop:10,.0f} env-steps/s")
    print(f"  raw mujoco.batch.Batch:                  {result.raw_batch:10,.0f} env-steps/s")
    print(f"  raw mujoco.rollout:                      {result.raw_rollout:10,.0f} env-steps/s")
    print(f"  ratio env loop / faster raw:             {result.ratio:10.3f}  (goal >= 0.9)")
    return 0


def _not_available(command: str) -> Callable[[argparse.Namespace], int]:
    def run(_: argparse.Namespace) -> int:
        print(f"legged {command}: {NOT_YET[command]} is not available yet", file=sys.stderr)
        return 2

    return run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="legged", description="Sim-to-real RL for Unitree legged robots.")
    commands = parser.add_subparsers(dest="command", required=True)
    bench = commands.add_parser("bench", help="env loop vs raw MuJoCo throughput")
    bench.add_argument("config", nargs="?", default="configs/bench.yaml", help="YAML config (default: %(default)s)")
    bench.add_argument("overrides", nargs="*", help="dotted overrides, e.g. bench.num_worlds=256")
    bench.set_defaults(run=_bench)
    for command, what in NOT_YET.items():
        sub = commands.add_parser(command, help=f"{what} (not available yet)")
        sub.add_argument("args", nargs="*")
        sub.set_defaults(run=_not_available(command))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ConfigError, FileNotFoundError, KeyError, ValueError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"legged {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

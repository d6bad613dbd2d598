"""The ``legged`` command: one entry point for training, evaluation, export, play, deploy, bench."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from legged_envs.config import ConfigError, load_config

# Idle OpenMP threads of torch otherwise spin between ops and steal the cores MuJoCo's thread pool
# steps the worlds on (measured: env loop 12.0k -> 13.2k env-steps/s, 1024 Go2 worlds, 2 cores).
# Set before anything imports torch; an explicit setting in the environment wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


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
        f"{cfg.bench.num_steps} control steps after {cfg.bench.warmup_steps} warm-up, "
        f"median of {cfg.bench.rounds} interleaved rounds",
        flush=True,
    )
    result = run_cpu_bench(cfg)
    print(f"  env loop (LeggedEnv + MujocoCpuBackend):   {result.env_loop:10,.0f} env-steps/s")
    print(f"  raw mujoco.batch.Batch:                    {result.raw_batch:10,.0f} env-steps/s")
    print(f"  raw mujoco.batch.Batch (persistent, VEL):  {result.raw_batch_persistent:10,.0f} env-steps/s")
    print(f"  raw mujoco.rollout:                        {result.raw_rollout:10,.0f} env-steps/s")
    print(f"  ratio env loop / fastest raw:              {result.ratio:10.3f}  (goal >= 0.9)")
    return 0


def _train(args: argparse.Namespace) -> int:
    from policies.trainer import train

    config, overrides = args.config, list(args.overrides)
    if config is not None and "=" in config and not os.path.isfile(config):
        config, overrides = None, [config, *overrides]  # `legged train --resume RUN key=value`
    result = train(config, overrides, run_dir=args.run_dir, resume=args.resume)
    return 128 + result.stopped_by if result.stopped_by else 0


def _eval(args: argparse.Namespace) -> int:
    from policies.evaluate import evaluate_run

    evaluate_run(args.run_dir, args.overrides, episodes=args.episodes, out_dir=args.out, checkpoint=args.checkpoint)
    return 0


def _play(args: argparse.Namespace) -> int:
    os.environ.setdefault("MUJOCO_GL", "egl")  # offscreen OpenGL without a display (docs/RENDERING.md)
    from policies.play import play_run

    play_run(
        args.run_dir,
        args.overrides,
        commands=args.commands,
        out=args.out,
        seconds=args.seconds,
        fps=args.fps,
        size=args.size,
    )
    return 0


def _export(args: argparse.Namespace) -> int:
    from policies.export_run import export_run

    export_run(args.run_dir, out=args.out, checkpoint=args.checkpoint)
    return 0


def _deploy(argv: list[str]) -> int:
    from deploy.robot.policy_node import main as policy_node_main

    return policy_node_main(argv)


def _sim2sim(argv: list[str]) -> int:
    from deploy.sim.sim2sim import main as sim2sim_main

    return sim2sim_main(argv)


PASS_THROUGH = {"deploy": _deploy, "sim2sim": _sim2sim}
"""Subcommands that hand their arguments to the deploy side's own parser."""


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected an integer > 0, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text}")
    return value


def _size(text: str) -> tuple[int, int]:
    width, sep, height = text.lower().partition("x")
    if not (sep and width.isdigit() and height.isdigit() and int(width) > 0 and int(height) > 0):
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, e.g. 640x480, got {text}")
    return int(width), int(height)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="legged", description="Sim-to-real RL for Unitree legged robots.")
    commands = parser.add_subparsers(dest="command", required=True)
    bench = commands.add_parser("bench", help="env loop vs raw MuJoCo throughput")
    bench.add_argument("config", nargs="?", default="configs/bench.yaml", help="YAML config (default: %(default)s)")
    bench.add_argument("overrides", nargs="*", help="dotted overrides, e.g. bench.num_worlds=256")
    bench.set_defaults(run=_bench)

    train = commands.add_parser("train", help="train a policy with rsl-rl PPO (torchrun for several processes)")
    train.add_argument("config", nargs="?", help="YAML config (omit with --resume)")
    train.add_argument("overrides", nargs="*", help="dotted overrides, e.g. env.num_envs=256 train.max_iterations=100")
    train.add_argument("--run-dir", help="write the run here instead of <train.runs_dir>/<task>/<date>_<time>_<name>")
    train.add_argument("--resume", metavar="RUN", help="continue a stopped run from its latest checkpoint")
    train.set_defaults(run=_train)

    evaluate = commands.add_parser("eval", help="tracking errors and fall rate of a trained policy")
    evaluate.add_argument("run_dir", metavar="RUN", help="run directory")
    evaluate.add_argument("overrides", nargs="*", help="dotted overrides of the run's config")
    evaluate.add_argument("--episodes", type=_positive_int, default=64, help="episodes (parallel envs), default 64")
    evaluate.add_argument("--out", help="directory for eval.json and eval.md (default: the run directory)")
    evaluate.add_argument("--checkpoint", help="checkpoint file (default: the run's latest)")
    evaluate.set_defaults(run=_eval)

    play = commands.add_parser("play", help="render a trained policy following a command script to MP4 or GIF")
    play.add_argument("run_dir", metavar="RUN", help="run directory")
    play.add_argument("overrides", nargs="*", help="dotted overrides of the run's config")
    play.add_argument("--commands", help="YAML command script (a list of {duration_s, <command>: value})")
    play.add_argument("--out", help="video file, .mp4 or .gif (default: RUN/play.mp4)")
    play.add_argument("--seconds", type=_positive_float, help="length (default: the command script's, else 10)")
    play.add_argument("--fps", type=_positive_int, default=25, help="frames per second, default 25")
    play.add_argument("--size", type=_size, default=(640, 480), help="WIDTHxHEIGHT in pixels, default 640x480")
    play.set_defaults(run=_play)

    export = commands.add_parser("export", help="write a trained policy as ONNX with the robot's metadata")
    export.add_argument("run_dir", metavar="RUN", help="run directory")
    export.add_argument("--out", help="ONNX file (default: RUN/policy.onnx)")
    export.add_argument("--checkpoint", help="checkpoint file (default: the run's latest)")
    export.set_defaults(run=_export)

    commands.add_parser("deploy", help="run an exported policy on a Unitree robot: --params FILE [--policy FILE]")
    commands.add_parser("sim2sim", help="prove a policy on the MuJoCo robot: --params FILE --policy FILE [--seconds S]")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in PASS_THROUGH:
        return PASS_THROUGH[argv[0]](argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ConfigError, FileNotFoundError, KeyError, ValueError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"legged {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""The ``legged`` command: one entry point for training, evaluation, export, play, deploy, bench."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from legged_envs.config import ConfigError
from legged_envs.config.loader import display_path

# Idle OpenMP threads of torch otherwise spin between ops and steal the cores MuJoCo's thread pool
# steps the worlds on (measured: env loop 12.0k -> 13.2k env-steps/s, 1024 Go2 worlds, 2 cores).
# Set before anything imports torch; an explicit setting in the environment wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _bench(args: argparse.Namespace) -> int:
    from legged_envs.bench import RAW_SIDES, run_cpu_bench, run_gpu_bench
    from legged_envs.tasks.registry import load_task_config

    task, cfg, task_cls = load_task_config(args.config, args.overrides)
    print(f"legged bench: task={task} robot={cfg.robot} backend={cfg.sim.backend} device={cfg.sim.device}", flush=True)
    if cfg.sim.backend == "mujoco_warp":
        print("env loop on MuJoCo Warp (env-steps/s):", flush=True)
        run_gpu_bench(cfg, task_cls)
        return 0
    bench, threads = cfg.bench, cfg.sim.num_threads or "all"
    print(
        f"{bench.num_worlds} worlds, {threads} threads, decimation {cfg.sim.decimation}, "
        f"{bench.num_steps} control steps (training: one iteration of {cfg.train.num_steps_per_env} steps) per side, "
        f"median of {bench.rounds} interleaved rounds",
        flush=True,
    )
    result = run_cpu_bench(cfg, task_cls, training=not args.no_training)
    labels = {
        "raw_batch": "raw mujoco.batch.Batch",
        "raw_batch_persistent": "raw mujoco.batch.Batch (persistent, VEL)",
        "raw_rollout": "raw mujoco.rollout",
        "env_loop": f"env loop (LeggedEnv + {task} task)",
        "training": "training (env + PPO update)",
    }
    for side, rate in result.rates.items():
        ratio = "" if side in RAW_SIDES else f"   {result.ratio(side):.3f} x fastest raw"
        print(f"  {labels[side]:<42} {rate:10,.0f} env-steps/s{ratio}")
    return 0


def _train(args: argparse.Namespace) -> int:
    from policies.trainer import train

    config, overrides = args.config, list(args.overrides)
    if config is not None and "=" in config and not os.path.isfile(config):
        config, overrides = None, [config, *overrides]  # `legged train --resume RUN key=value`
    result = train(config, overrides, run_dir=args.run_dir, resume=args.resume, init=args.init)
    return 128 + result.stopped_by if result.stopped_by else 0


def _eval(args: argparse.Namespace) -> int:
    if args.suite is not None:  # several RUNs: every argument without '=' is one
        from policies.robustness import robustness_runs

        runs = [args.run_dir, *(arg for arg in args.overrides if "=" not in arg)]
        overrides = [arg for arg in args.overrides if "=" in arg]
        robustness_runs(runs, args.suite, overrides, args.out, args.episodes, args.checkpoint)
        return 0
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

    return _checked_params("deploy", argv) or policy_node_main(argv)


def _sim2sim(argv: list[str]) -> int:
    from deploy.sim.sim2sim import main as sim2sim_main

    return _checked_params("sim2sim", argv) or sim2sim_main(argv)


def _checked_params(command: str, argv: list[str]) -> int:
    """Read the ``--params`` file before the deploy side starts anything: 0 when it is usable, else one line and 2."""
    from deploy.robot.params import ParamsError, PolicyNodeParams, read_section
    from deploy.sim.params import SimBridgeParams

    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--params")
    parser.add_argument("--policy")
    known, _ = parser.parse_known_args(argv)
    if known.params is None:
        return 0  # the deploy side's own parser says what is missing
    try:
        read_section(known.params, "policy_node", PolicyNodeParams, policy=known.policy)
        if command == "sim2sim":
            read_section(known.params, "sim_bridge", SimBridgeParams)
    except ParamsError as error:
        message = str(error)
    except UnicodeDecodeError:
        message = f"{known.params}: not UTF-8 text"
    except RecursionError:
        message = f"{known.params}: not valid YAML: nested too deeply"
    else:
        return 0
    print(f"legged {command}: error: {message}", file=sys.stderr)
    return 2


MAX_EPISODES = 1_048_576
"""Most episodes ``legged eval`` runs (one parallel env each, the env count's bound)."""
PASS_THROUGH = {"deploy": _deploy, "sim2sim": _sim2sim}
"""Subcommands that hand their arguments to the deploy side's own parser."""


def _number_up_to(kind: type[int] | type[float], limit: float) -> Callable[[str], float]:
    """An argparse type: a ``kind`` number in (0, ``limit``]."""

    def number(text: str) -> float:
        value = kind(text)
        if not 0 < value <= limit:
            raise argparse.ArgumentTypeError(f"expected {kind.__name__} in (0, {kind(limit)}], got {text}")
        return value

    return number


def _size(text: str) -> tuple[int, int]:
    width, sep, height = text.lower().partition("x")
    if not (sep and width.isdigit() and height.isdigit() and int(width) > 0 and int(height) > 0):
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, e.g. 640x480, got {text}")
    return int(width), int(height)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="legged", description="Sim-to-real RL for Unitree legged robots.")
    commands = parser.add_subparsers(dest="command", required=True)
    bench = commands.add_parser("bench", help="raw MuJoCo vs env loop vs training throughput of a task config")
    bench.add_argument("config", nargs="?", default="configs/bench.yaml", help="YAML config (default: %(default)s)")
    bench.add_argument("overrides", nargs="*", help="dotted overrides, e.g. bench.num_worlds=256")
    bench.add_argument("--no-training", action="store_true", help="leave out the training side")
    bench.set_defaults(run=_bench)

    train = commands.add_parser("train", help="train a policy with rsl-rl PPO (torchrun for several processes)")
    train.add_argument("config", nargs="?", help="YAML config (omit with --resume)")
    train.add_argument("overrides", nargs="*", help="dotted overrides, e.g. env.num_envs=256 train.max_iterations=100")
    train.add_argument("--run-dir", help="write the run here instead of <train.runs_dir>/<task>/<date>_<time>_<name>")
    train.add_argument("--resume", metavar="RUN", help="continue a stopped run from its latest checkpoint")
    train.add_argument(
        "--init",
        metavar="RUN",
        help="start a new run from the networks and command ranges of RUN's latest checkpoint (or a .pt file)",
    )
    train.set_defaults(run=_train)

    evaluate = commands.add_parser("eval", help="tracking errors and fall rate of a trained policy")
    evaluate.add_argument("run_dir", metavar="RUN", help="run directory")
    evaluate.add_argument("overrides", nargs="*", help="dotted overrides of the run's config (with --suite: more RUNs)")
    episodes = _number_up_to(int, MAX_EPISODES)
    evaluate.add_argument(
        "--episodes",
        type=episodes,
        help="episodes (parallel envs), default 64; stand-up tasks: 500 in rounds of 100 (--suite: its own)",
    )
    evaluate.add_argument("--suite", help="robustness suite YAML (configs/robustness/): every scenario x severity")
    evaluate.add_argument(
        "--out", help="directory for the results (default: the run directory; --suite: RUN/robustness)"
    )
    evaluate.add_argument("--checkpoint", help="checkpoint file (default: the run's latest)")
    evaluate.set_defaults(run=_eval)

    play = commands.add_parser("play", help="render a trained policy following a command script to MP4 or GIF")
    play.add_argument("run_dir", metavar="RUN", help="run directory")
    play.add_argument("overrides", nargs="*", help="dotted overrides of the run's config")
    play.add_argument("--commands", help="YAML command script (a list of {duration_s, <command>: value})")
    play.add_argument("--out", help="video file, .mp4 or .gif (default: RUN/play.mp4)")
    seconds = _number_up_to(float, 86400.0)
    play.add_argument("--seconds", type=seconds, help="length (default: the command script's, else 10)")
    play.add_argument("--fps", type=_number_up_to(int, 240), default=25, help="frames per second, default 25")
    play.add_argument("--size", type=_size, default=(640, 480), help="WIDTHxHEIGHT in pixels, default 640x480")
    play.set_defaults(run=_play)

    export = commands.add_parser("export", help="write a trained policy as ONNX with the robot's metadata")
    export.add_argument("run_dir", metavar="RUN", help="run directory")
    export.add_argument("--out", help="ONNX file (default: RUN/policy.onnx)")
    export.add_argument("--checkpoint", help="checkpoint file (default: the run's latest)")
    export.set_defaults(run=_export)

    commands.add_parser("deploy", help="run an exported policy on a Unitree robot: --params FILE [--policy FILE]")
    commands.add_parser(
        "sim2sim",
        help="prove a policy on the MuJoCo robot: --params FILE --policy FILE [--commands SCRIPT] [--suite FILE]",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in PASS_THROUGH:
        return PASS_THROUGH[argv[0]](argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except OSError as error:  # a folder that cannot be written, a full disk: the file and the reason
        where = f"{display_path(Path(os.fsdecode(error.filename)).absolute())}: " if error.filename else ""
        print(f"legged {args.command}: error: {where}{error.strerror or error}", file=sys.stderr)
        return 2
    except (ConfigError, KeyError, ValueError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"legged {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

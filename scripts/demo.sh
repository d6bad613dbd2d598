#!/usr/bin/env bash
# The main job on the CPU default, from a fresh machine: set up, then build the Go2 env, step it
# and print throughput against raw MuJoCo.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup_env.sh
.venv/bin/legged bench configs/bench.yaml bench.num_worlds=256 bench.num_steps=100 "$@"

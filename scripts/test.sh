#!/usr/bin/env bash
# The project's test command: sets up everything it needs on a fresh machine, then runs the tests.
#   ./scripts/test.sh            all tests
#   ./scripts/test.sh -k parity  extra pytest arguments are passed on
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup_env.sh
./scripts/setup_ros_env.sh   # ROS 2 Jazzy wheels + the unitree_hg/unitree_go message packages
echo "[test] ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "[test] pytest"
.venv/bin/python -m pytest -q "$@"

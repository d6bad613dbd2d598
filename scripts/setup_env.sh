#!/usr/bin/env bash
# Create or refresh the training environment (.venv): torch==2.13.0 first, so no CUDA build is
# pulled on CPU machines, then this package with its train, gpu, deploy and dev extras.
# Idempotent: a re-run with unchanged setup.py does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${LEGGED_VENV:-.venv}"
python="${PYTHON:-python3}"
stamp="$venv/.legged-setup-stamp"
want="$(cat setup.py scripts/constraints.txt | sha256sum | cut -d' ' -f1)"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "[setup] $venv is up to date"
  exit 0
fi
if [ ! -x "$venv/bin/python" ]; then
  echo "[setup] creating $venv"
  "$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip install --disable-pip-version-check -q)
echo "[setup] installing torch==2.13.0"
"${pip[@]}" torch==2.13.0
echo "[setup] installing the package with extras train, gpu, deploy, dev"
"${pip[@]}" -c scripts/constraints.txt -e ".[train,gpu,deploy,dev]"
echo "$want" > "$stamp"
echo "[setup] done: $venv"

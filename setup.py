"""Installs legged_envs, policies, deploy and the ``legged`` command."""

from setuptools import find_packages, setup

TRAIN = [
    "torch==2.13.0",
    "rsl-rl-lib==5.5.1",
    "mujoco>=4.0,<5",
    "tensorboard",
    "pyyaml",
    "tqdm",
    "imageio",
    "imageio-ffmpeg",
    "matplotlib",
]
GPU = ["mujoco-warp>=4.0,<5", "warp-lang>=1.19"]
DEPLOY = ["numpy", "onnxruntime", "pyyaml"]
DEV = ["pytest", "ruff", "onnx"]

setup(
    name="unitree-legged-rl",
    version="0.1.0",
    description="Sim-to-real RL for Unitree legged robots: MuJoCo training, ONNX export, ROS 2 deploy",
    python_requires=">=3.10",
    packages=find_packages(include=["legged_envs*", "policies*", "deploy*", "assets*"]),
    package_data={"assets": ["*.xml"], "deploy": ["msgs/**/*", "launch/*", "config/*"]},
    include_package_data=True,
    install_requires=["numpy", "pyyaml"],
    extras_require={"train": TRAIN, "gpu": GPU, "deploy": DEPLOY, "dev": DEV, "all": TRAIN + GPU + DEPLOY + DEV},
    entry_points={"console_scripts": ["legged=legged_envs.cli:main"]},
)

"""Build a physics backend from the validated config."""

from __future__ import annotations

from legged_envs.robots.spec import RobotSpec
from legged_envs.sim.backend import PhysicsBackend
from legged_envs.sim.model_builder import SolverSettings, build_model
from legged_envs.terrains.config import TerrainConfig
from legged_envs.terrains.generator import TerrainLayout


def make_backend(
    robot: RobotSpec,
    terrain: TerrainConfig,
    num_worlds: int,
    body_names: tuple[str, ...],
    backend: str = "mujoco",
    device: str = "cpu",
    physics_dt: float = 0.005,
    num_threads: int = 0,
    seed: int = 0,
    warp_nconmax: int | None = None,
    warp_njmax: int | None = None,
) -> tuple[PhysicsBackend, TerrainLayout]:
    """The chosen backend simulating ``num_worlds`` copies of ``robot`` on ``terrain``."""
    model, layout = build_model(robot, terrain, seed=seed, solver=SolverSettings(physics_dt=physics_dt))
    if backend == "mujoco":
        if device != "cpu":
            raise ValueError(
                f"sim.backend=mujoco runs on the CPU; got sim.device={device!r} (use sim.backend=mujoco_warp)"
            )
        from legged_envs.sim.mujoco_cpu import MujocoCpuBackend

        return MujocoCpuBackend(model, robot, num_worlds, body_names, num_threads=num_threads), layout
    if backend == "mujoco_warp":
        from legged_envs.sim.mujoco_warp import MujocoWarpBackend

        sim = MujocoWarpBackend(
            model, robot, num_worlds, body_names, device=device, nconmax=warp_nconmax, njmax=warp_njmax
        )
        return sim, layout
    raise ValueError(f"unknown physics backend {backend!r}; choose 'mujoco' or 'mujoco_warp'")

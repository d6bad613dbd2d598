"""CPU backend: MuJoCo's C engine, all worlds stepped by ``mujoco.batch.Batch`` on a thread pool.

State lives in the batch's rows; ``bind`` gives live numpy views that are wrapped as torch tensors
without copies. Per-world physical parameters are model fields expanded when first set.
"""

from __future__ import annotations

import warnings

import mujoco
import mujoco.batch
import numpy as np
import torch

from legged_envs.robots.spec import RobotSpec
from legged_envs.sim.backend import PhysicsBackend, WorldState
from legged_envs.sim.model_layout import ModelLayout


def _tensor(array: np.ndarray) -> torch.Tensor:
    """Zero-copy torch view of a batch array (read-only outputs included)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch warns on non-writable arrays
        return torch.from_numpy(array)


class MujocoCpuBackend(PhysicsBackend):
    """Batched worlds on MuJoCo's C engine."""

    def __init__(
        self,
        model: mujoco.MjModel,
        robot: RobotSpec,
        num_worlds: int,
        body_names: tuple[str, ...],
        num_threads: int = 0,
    ):
        self.model = model
        self.num_worlds = num_worlds
        self.device = torch.device("cpu")
        self.physics_dt = float(model.opt.timestep)
        self.layout = ModelLayout(model, robot, body_names)
        self.joint_names = robot.joint_names
        self.body_names = body_names
        self.batch = mujoco.batch.Batch(model, nsim=num_worlds, nthread=num_threads, persistent=True)
        self._qpos = _tensor(self.batch.bind("qpos"))
        self._qvel = _tensor(self.batch.bind("qvel"))
        self._ctrl = _tensor(self.batch.bind("ctrl"))
        self._warmstart = _tensor(self.batch.bind("qacc_warmstart"))
        self._xfrc = _tensor(self.batch.bind("xfrc_applied"))
        self._xpos = _tensor(self.batch.bind("xpos"))
        self._xquat = _tensor(self.batch.bind("xquat"))
        self._cfrc_ext = _tensor(self.batch.bind("cfrc_ext"))
        self._actuator_force = _tensor(self.batch.bind("actuator_force"))
        self._expanded: dict[str, torch.Tensor] = {}
        self._nominal_mass = torch.as_tensor(model.body_mass.copy())
        self._nominal_inertia = torch.as_tensor(model.body_inertia.copy())
        self._nominal_ipos = torch.as_tensor(model.body_ipos.copy())
        self._nominal_solref = torch.as_tensor(model.geom_solref.copy())
        num_joints = robot.num_joints
        self.kp = torch.tensor([j.kp for j in robot.joints], dtype=torch.float64).repeat(num_worlds, 1)
        self.kd = torch.tensor([j.kd for j in robot.joints], dtype=torch.float64).repeat(num_worlds, 1)
        self.strength = torch.ones(num_worlds, num_joints, dtype=torch.float64)
        self._stale_constants = torch.zeros(num_worlds, dtype=torch.bool)
        """Worlds whose body masses or CoMs changed since MuJoCo last derived constants from them."""
        self.batch.reset()
        self.batch.forward()

    # --- state -------------------------------------------------------------------------------
    def base_pos(self) -> torch.Tensor:
        return self._qpos[:, 0:3].float()

    def base_quat(self) -> torch.Tensor:
        return self._qpos[:, 3:7].float()

    def base_lin_vel(self) -> torch.Tensor:
        return self._qvel[:, 0:3].float()

    def base_ang_vel(self) -> torch.Tensor:
        return self._qvel[:, 3:6].float()

    def joint_pos(self) -> torch.Tensor:
        return self._qpos[:, self.layout.joint_qpos].float()

    def joint_vel(self) -> torch.Tensor:
        return self._qvel[:, self.layout.joint_dof].float()

    def joint_torque(self) -> torch.Tensor:
        return self._actuator_force.float()

    def body_pos(self) -> torch.Tensor:
        return self._xpos[:, self.layout.body_ids].float()

    def body_quat(self) -> torch.Tensor:
        return self._xquat[:, self.layout.body_ids].float()

    def contact_forces(self) -> torch.Tensor:
        # cfrc_ext holds contact forces plus the applied perturbation: remove the latter.
        ids = self.layout.body_ids
        return (self._cfrc_ext[:, ids, 3:6] - self._xfrc[:, ids, 0:3]).float()

    def get_state(self, world_ids: torch.Tensor | None = None) -> WorldState:
        rows = slice(None) if world_ids is None else world_ids.cpu()
        return WorldState(qpos=self._qpos[rows].clone(), qvel=self._qvel[rows].clone())

    # --- commands ------------------------------------------------------------------------------
    def set_joint_targets(
        self, q_target: torch.Tensor, dq_target: torch.Tensor | None = None, tau_ff: torch.Tensor | None = None
    ) -> None:
        ctrl = self.kp * q_target.to(torch.float64)
        if dq_target is not None:
            ctrl += self.kd * dq_target.to(torch.float64)
        if tau_ff is not None:
            ctrl += tau_ff.to(torch.float64)
        self._ctrl[:] = ctrl

    def step(self, num_substeps: int) -> None:
        self._refresh_constants()
        self.batch.step(nstep=num_substeps, stage=mujoco.mjtStage.mjSTAGE_VEL)

    def reset_worlds(self, world_ids: torch.Tensor, state: WorldState) -> None:
        rows = world_ids.cpu()
        self._qpos[rows] = state.qpos.to(torch.float64).cpu()
        self._qvel[rows] = state.qvel.to(torch.float64).cpu()
        self._warmstart[rows] = 0.0
        self._refresh_constants()
        self.batch.forward(rows.numpy())

    def set_external_force(self, body_name: str, force: torch.Tensor, torque: torch.Tensor | None = None) -> None:
        body = self.layout.model_body_id(body_name)
        self._xfrc[:, body, 0:3] = force.to(torch.float64).cpu()
        self._xfrc[:, body, 3:6] = 0.0 if torque is None else torque.to(torch.float64).cpu()

    # --- per-world parameters -------------------------------------------------------------------
    def set_pd_gains(self, world_ids: torch.Tensor, kp: torch.Tensor, kd: torch.Tensor) -> None:
        ids = world_ids.cpu()
        self.kp[ids] = kp.to(torch.float64).cpu()
        self.kd[ids] = kd.to(torch.float64).cpu()
        self._write_actuator_params(ids)

    def set_motor_strength(self, world_ids: torch.Tensor, strength: torch.Tensor) -> None:
        ids = world_ids.cpu()
        self.strength[ids] = strength.to(torch.float64).cpu()
        self._write_actuator_params(ids)

    def set_torque_limits(self, world_ids: torch.Tensor, limits: torch.Tensor) -> None:
        limits = limits.to(torch.float64).cpu()
        self._per_world("actuator_forcerange")[world_ids.cpu()] = torch.stack((-limits, limits), dim=-1)

    def set_friction(self, world_ids: torch.Tensor, friction: torch.Tensor) -> None:
        self._per_world("geom_friction")[world_ids.cpu(), :, 0] = friction.to(torch.float64).cpu()[:, None]

    def set_body_mass(self, world_ids: torch.Tensor, body_name: str, mass_kg: torch.Tensor) -> None:
        ids, body = world_ids.cpu(), self.layout.model_body_id(body_name)
        if self._nominal_mass[body] <= 0:
            raise ValueError(f"body {body_name!r} is massless: its mass cannot be scaled")
        mass = mass_kg.to(torch.float64).cpu()
        self._per_world("body_mass")[ids, body] = mass
        scale = (mass / self._nominal_mass[body])[:, None]
        self._per_world("body_inertia")[ids, body] = self._nominal_inertia[body] * scale
        self._stale_constants[ids] = True

    def set_com_offset(self, world_ids: torch.Tensor, body_name: str, offset_m: torch.Tensor) -> None:
        ids, body = world_ids.cpu(), self.layout.model_body_id(body_name)
        self._per_world("body_ipos")[ids, body] = self._nominal_ipos[body] + offset_m.to(torch.float64).cpu()
        self._stale_constants[ids] = True

    def set_gravity(self, world_ids: torch.Tensor, gravity: torch.Tensor) -> None:
        self._per_world("opt.gravity")[world_ids.cpu()] = gravity.to(torch.float64).cpu()

    def set_contact_damping(self, world_ids: torch.Tensor, scale: torch.Tensor) -> None:
        nominal = self._nominal_solref[:, 1]
        self._per_world("geom_solref")[world_ids.cpu(), :, 1] = nominal * scale.to(torch.float64).cpu()[:, None]

    def _refresh_constants(self) -> None:
        """Recompute mass-derived constants once for every world whose masses or CoMs changed."""
        if self._stale_constants.any():
            self.batch.set_const(self._stale_constants.nonzero().flatten().numpy())
            self._stale_constants[:] = False

    def _per_world(self, field: str) -> torch.Tensor:
        """Live (n, ...) per-world values of a model field, expanded on first use: the batch copies every
        expanded field into the model before each world's step, so fields nobody randomises stay shared."""
        if field not in self._expanded:
            self._expanded[field] = _tensor(self.batch.expand(field))
        return self._expanded[field]

    def _write_actuator_params(self, ids: torch.Tensor) -> None:
        strength = self.strength[ids]
        self._per_world("actuator_gainprm")[ids, :, 0] = strength
        self._per_world("actuator_biasprm")[ids, :, 1] = -self.kp[ids] * strength
        self._per_world("actuator_biasprm")[ids, :, 2] = -self.kd[ids] * strength

"""The narrow physics-backend interface that every task sees.

A backend simulates ``num_worlds`` copies of one robot on one terrain. Everything it returns is
a torch tensor of shape ``(num_worlds, ...)`` on ``backend.device``; tasks never touch MuJoCo.

Joint control is PD computed at the physics rate (every substep), as the motor drivers do::

    tau = clip(strength * (kp * (q_target - q) + kd * (dq_target - dq) + tau_ff), -limit, limit)

Pure torque control is the special case ``kp = kd = 0`` with ``tau_ff`` the torque.
Quaternions are ``(w, x, y, z)``; positions in metres; the base angular velocity is in the
base frame, the base linear velocity in the world frame.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import torch

from legged_envs.sim.model_layout import ModelLayout


@dataclass
class WorldState:
    """Full simulator state of some worlds, enough to restore them exactly."""

    qpos: torch.Tensor
    """(n, nq) generalised positions (free joint first: xyz, quat wxyz, then joints)."""
    qvel: torch.Tensor
    """(n, nv) generalised velocities (free joint: world linear, local angular, then joints)."""


class PhysicsBackend(ABC):
    """Batched worlds of one robot on one terrain; torch tensors in and out."""

    num_worlds: int
    device: torch.device
    physics_dt: float
    """Seconds per physics substep."""
    joint_names: tuple[str, ...]
    """Actuated joints, in the robot spec's order."""
    body_names: tuple[str, ...]
    """Bodies whose pose and contact force are tracked, in this order."""
    layout: ModelLayout
    """Where the spec's joints and the tracked bodies sit in the model's arrays."""

    def compose_state(
        self,
        base_pos: torch.Tensor,
        base_quat: torch.Tensor,
        joint_pos: torch.Tensor,
        base_vel: torch.Tensor | None = None,
        joint_vel: torch.Tensor | None = None,
    ) -> WorldState:
        """WorldState from (n, 3) position, (n, 4) wxyz quaternion, (n, J) joints and optional
        (n, 6) base velocity (world linear, base angular) and (n, J) joint velocities."""
        n = base_pos.shape[0]
        qpos = torch.zeros(n, self.layout.nq, dtype=torch.float64)
        qvel = torch.zeros(n, self.layout.nv, dtype=torch.float64)
        qpos[:, 0:3] = base_pos.detach().cpu().double()
        qpos[:, 3:7] = base_quat.detach().cpu().double()
        qpos[:, self.layout.joint_qpos] = joint_pos.detach().cpu().double()
        if base_vel is not None:
            qvel[:, 0:6] = base_vel.detach().cpu().double()
        if joint_vel is not None:
            qvel[:, self.layout.joint_dof] = joint_vel.detach().cpu().double()
        return WorldState(qpos=qpos, qvel=qvel)

    # --- state (read) ---------------------------------------------------------------------
    @abstractmethod
    def base_pos(self) -> torch.Tensor:
        """(n, 3) base position, world frame, m."""

    @abstractmethod
    def base_quat(self) -> torch.Tensor:
        """(n, 4) base orientation, wxyz."""

    @abstractmethod
    def base_lin_vel(self) -> torch.Tensor:
        """(n, 3) base linear velocity, world frame, m/s."""

    @abstractmethod
    def base_ang_vel(self) -> torch.Tensor:
        """(n, 3) base angular velocity, base frame, rad/s."""

    @abstractmethod
    def joint_pos(self) -> torch.Tensor:
        """(n, J) joint positions, rad."""

    @abstractmethod
    def joint_vel(self) -> torch.Tensor:
        """(n, J) joint velocities, rad/s."""

    @abstractmethod
    def joint_torque(self) -> torch.Tensor:
        """(n, J) torques the actuators applied in the last substep, N m."""

    @abstractmethod
    def body_pos(self) -> torch.Tensor:
        """(n, B, 3) world positions of ``body_names``."""

    @abstractmethod
    def body_quat(self) -> torch.Tensor:
        """(n, B, 4) world orientations of ``body_names``, wxyz."""

    @abstractmethod
    def contact_forces(self) -> torch.Tensor:
        """(n, B, 3) net contact force on each of ``body_names``, world frame, N."""

    @abstractmethod
    def get_state(self, world_ids: torch.Tensor | None = None) -> WorldState:
        """Copy of the full state of the given worlds (all if None)."""

    # --- commands (write) -----------------------------------------------------------------
    @abstractmethod
    def set_joint_targets(
        self,
        q_target: torch.Tensor,
        dq_target: torch.Tensor | None = None,
        tau_ff: torch.Tensor | None = None,
    ) -> None:
        """(n, J) PD targets (and optional velocity targets / feed-forward torques)."""

    @abstractmethod
    def step(self, num_substeps: int) -> None:
        """Advance every world by ``num_substeps`` physics steps, PD at each."""

    @abstractmethod
    def reset_worlds(self, world_ids: torch.Tensor, state: WorldState) -> None:
        """Set the given worlds to ``state`` (rows aligned with ``world_ids``); joint targets and external
        forces are kept, the solver warm-start is cleared."""

    @abstractmethod
    def set_external_force(self, body_name: str, force: torch.Tensor, torque: torch.Tensor | None = None) -> None:
        """(n, 3) world-frame force (N) and torque (N m) on a body, held until changed."""

    # --- per-world physical parameters (domain randomisation) -----------------------------
    @abstractmethod
    def set_pd_gains(self, world_ids: torch.Tensor, kp: torch.Tensor, kd: torch.Tensor) -> None:
        """(len(ids), J) stiffness and damping per world."""

    @abstractmethod
    def set_torque_limits(self, world_ids: torch.Tensor, limits: torch.Tensor) -> None:
        """(len(ids), J) symmetric torque limits per world, N m."""

    @abstractmethod
    def set_motor_strength(self, world_ids: torch.Tensor, strength: torch.Tensor) -> None:
        """(len(ids), J) multiplier on each motor's output before clipping."""

    @abstractmethod
    def set_friction(self, world_ids: torch.Tensor, friction: torch.Tensor) -> None:
        """(len(ids),) sliding friction coefficient of every geom in each world."""

    @abstractmethod
    def set_body_mass(self, world_ids: torch.Tensor, body_name: str, mass_kg: torch.Tensor) -> None:
        """(len(ids),) mass of one body per world (inertia scaled with it)."""

    @abstractmethod
    def set_com_offset(self, world_ids: torch.Tensor, body_name: str, offset_m: torch.Tensor) -> None:
        """(len(ids), 3) shift of one body's centre of mass from its nominal place, body frame."""

    @abstractmethod
    def set_gravity(self, world_ids: torch.Tensor, gravity: torch.Tensor) -> None:
        """(len(ids), 3) gravitational acceleration per world, world frame, m/s^2."""

    @abstractmethod
    def set_contact_damping(self, world_ids: torch.Tensor, scale: torch.Tensor) -> None:
        """(len(ids),) multiplier on every geom's nominal contact damping ratio (``solref[1]``) per world: MuJoCo's
        soft contacts have no restitution coefficient; below a ratio of 1 a contact rebounds."""

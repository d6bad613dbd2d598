"""``SimState``: one read of the simulator per control step, shared by every term of a task.

The env reads the backend once after the physics substeps (and again after resets), so
observations, rewards, terminations and curricula all see the same numbers and no term copies a
backend array again. Quantities derived from the raw reads (gravity in the base frame, heading-frame
velocity, height above the terrain) are computed on first use and kept for the rest of the step.
Shapes are ``(num_envs, ...)`` on the env's device; quaternions are wxyz.
"""

from __future__ import annotations

from functools import cached_property

import torch

from legged_envs.math_utils import quat_rotate, quat_rotate_inverse
from legged_envs.sim.backend import PhysicsBackend
from legged_envs.terrains.layout import TerrainLayout


class SimState:
    """The simulator's state at one instant, read once from the backend."""

    def __init__(self, sim: PhysicsBackend, terrain: TerrainLayout, device: torch.device):
        self.terrain = terrain
        self.base_pos = sim.base_pos().to(device)
        """(n, 3) base position, world frame, m."""
        self.base_quat = sim.base_quat().to(device)
        """(n, 4) base orientation, wxyz."""
        self.base_lin_vel_w = sim.base_lin_vel().to(device)
        """(n, 3) base linear velocity, world frame, m/s."""
        self.base_ang_vel_b = sim.base_ang_vel().to(device)
        """(n, 3) base angular velocity, base frame, rad/s (what the IMU gyro measures)."""
        self.joint_pos = sim.joint_pos().to(device)
        """(n, J) joint positions, rad."""
        self.joint_vel = sim.joint_vel().to(device)
        """(n, J) joint velocities, rad/s."""
        self.joint_torque = sim.joint_torque().to(device)
        """(n, J) joint torques of the last substep, N m."""
        self.body_pos = sim.body_pos().to(device)
        """(n, B, 3) world positions of the tracked bodies, m."""
        self.body_quat = sim.body_quat().to(device)
        """(n, B, 4) world orientations of the tracked bodies, wxyz."""
        self.contact_forces = sim.contact_forces().to(device)
        """(n, B, 3) net contact force on each tracked body, world frame, N."""

    @cached_property
    def projected_gravity(self) -> torch.Tensor:
        """(n, 3) unit gravity direction in the base frame ((0, 0, -1) when upright)."""
        down = self.base_pos.new_tensor([0.0, 0.0, -1.0]).expand_as(self.base_pos)
        return quat_rotate_inverse(self.base_quat, down)

    @cached_property
    def base_lin_vel_b(self) -> torch.Tensor:
        """(n, 3) base linear velocity in the base frame, m/s."""
        return quat_rotate_inverse(self.base_quat, self.base_lin_vel_w)

    @cached_property
    def base_ang_vel_w(self) -> torch.Tensor:
        """(n, 3) base angular velocity in the world frame, rad/s."""
        return quat_rotate(self.base_quat, self.base_ang_vel_b)

    @cached_property
    def yaw(self) -> torch.Tensor:
        """(n,) heading of the base about world z, rad."""
        w, x, y, z = self.base_quat.unbind(-1)
        return torch.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))

    @cached_property
    def heading_lin_vel(self) -> torch.Tensor:
        """(n, 3) base linear velocity in the heading frame (world frame turned by the base yaw), m/s."""
        cos, sin, vel = torch.cos(self.yaw), torch.sin(self.yaw), self.base_lin_vel_w
        return torch.stack((cos * vel[:, 0] + sin * vel[:, 1], -sin * vel[:, 0] + cos * vel[:, 1], vel[:, 2]), dim=1)

    @cached_property
    def roll_pitch(self) -> torch.Tensor:
        """(n, 2) base roll and pitch relative to gravity (intrinsic z-y-x Euler angles), rad."""
        gravity = self.projected_gravity
        pitch = torch.asin(gravity[:, 0].clamp(-1.0, 1.0))
        roll = torch.atan2(-gravity[:, 1], -gravity[:, 2])
        return torch.stack((roll, pitch), dim=1)

    @cached_property
    def ground_height(self) -> torch.Tensor:
        """(n,) terrain height under the base, m."""
        return self.terrain.height_at(self.base_pos[:, :2])

    @cached_property
    def base_height(self) -> torch.Tensor:
        """(n,) base height above the terrain directly below it, m."""
        return self.base_pos[:, 2] - self.ground_height

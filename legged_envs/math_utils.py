"""Batched quaternion helpers (wxyz), torch."""

from __future__ import annotations

import torch


def quat_rotate_inverse(quat_wxyz: torch.Tensor, vec: torch.Tensor) -> torch.Tensor:
    """Rotate world-frame ``vec`` (..., 3) into the frame of ``quat_wxyz`` (..., 4)."""
    w, xyz = quat_wxyz[..., :1], quat_wxyz[..., 1:]
    t = 2.0 * torch.cross(xyz, vec, dim=-1)
    return vec - w * t + torch.cross(xyz, t, dim=-1)


def quat_rotate(quat_wxyz: torch.Tensor, vec: torch.Tensor) -> torch.Tensor:
    """Rotate frame-``quat_wxyz`` ``vec`` (..., 3) into the world frame."""
    w, xyz = quat_wxyz[..., :1], quat_wxyz[..., 1:]
    t = 2.0 * torch.cross(xyz, vec, dim=-1)
    return vec + w * t + torch.cross(xyz, t, dim=-1)


def yaw_quat(yaw_rad: torch.Tensor) -> torch.Tensor:
    """(...,) yaw angles -> (..., 4) wxyz quaternions about world z."""
    half = 0.5 * yaw_rad
    zeros = torch.zeros_like(half)
    return torch.stack((torch.cos(half), zeros, zeros, torch.sin(half)), dim=-1)


def quat_to_roll_pitch_yaw(quat_wxyz: torch.Tensor) -> torch.Tensor:
    """(..., 4) wxyz -> (..., 3) intrinsic z-y-x Euler angles (roll, pitch, yaw), rad."""
    w, x, y, z = quat_wxyz.unbind(-1)
    roll = torch.atan2(2.0 * (w * x + y * z), 1.0 - 2.0 * (x * x + y * y))
    pitch = torch.asin(torch.clamp(2.0 * (w * y - z * x), -1.0, 1.0))
    yaw = torch.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))
    return torch.stack((roll, pitch, yaw), dim=-1)


def quat_mul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Hamilton product of (..., 4) wxyz quaternions."""
    aw, ax, ay, az = a.unbind(-1)
    bw, bx, by, bz = b.unbind(-1)
    return torch.stack(
        (
            aw * bw - ax * bx - ay * by - az * bz,
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
        ),
        dim=-1,
    )

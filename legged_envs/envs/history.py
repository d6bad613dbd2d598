"""Batched observation history of an ``ObsLayout``, in torch: what the deploy side rebuilds from LowState.

A frame is the layout's terms, each times its scale, concatenated in layout order; the history
stacks ``history_length`` frames OLDEST FIRST. The first frame pushed after ``reset`` fills the
whole history of that env (the convention of ``legged_envs.obs_layout``).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

from legged_envs.obs_layout import ObsLayout


class ObsHistory:
    """(n, history_length * frame_dim) stacked policy frames for ``num_envs`` envs."""

    def __init__(self, layout: ObsLayout, num_envs: int, device: torch.device | str = "cpu"):
        self.layout = layout
        self.buffer = torch.zeros(num_envs, layout.history_length, layout.frame_dim, device=device)
        """(n, H, frame_dim) frames, oldest first."""
        self._empty = torch.ones(num_envs, dtype=torch.bool, device=device)
        """(n,) envs whose next frame fills their whole history."""

    def frame(self, values: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """(n, frame_dim) frame from unscaled term values ``{name: (n, dim)}`` (extra names are ignored)."""
        parts = []
        for term in self.layout.terms:
            if term.name not in values:
                raise KeyError(f"observation term {term.name!r}: no value given")
            value = values[term.name]
            if value.shape != (self.buffer.shape[0], term.dim):
                raise ValueError(
                    f"observation term {term.name!r}: expected shape ({self.buffer.shape[0]}, {term.dim}), "
                    f"got {tuple(value.shape)}"
                )
            parts.append(value * term.scale if term.scale != 1.0 else value)
        return torch.cat(parts, dim=1)

    def push(self, frame: torch.Tensor) -> torch.Tensor:
        """Append (n, frame_dim) ``frame`` as the newest; returns the (n, obs_dim) stacked history."""
        stacked = self.stacked_with(frame)
        self.buffer = stacked.view(self.buffer.shape)
        self._empty[:] = False
        return stacked

    def stacked_with(self, frame: torch.Tensor) -> torch.Tensor:
        """(n, obs_dim) stacked history ``push(frame)`` would return, the history unchanged (differentiable in
        ``frame``)."""
        newest = frame.unsqueeze(1)
        frames = torch.where(self._empty[:, None, None], newest, torch.cat((self.buffer[:, 1:], newest), dim=1))
        return frames.reshape(frames.shape[0], -1)

    def reset(self, env_ids: torch.Tensor) -> None:
        """Forget the history of ``env_ids``; their next pushed frame fills all of it."""
        self._empty[env_ids] = True

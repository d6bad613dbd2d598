"""Perturbations of a signal's chosen columns, for observations (named policy terms, sizes in the terms' raw
units as ``task.randomization.obs_noise``) and actions (chosen joints): every entry independently, per env."""

from __future__ import annotations

import math

import torch

from legged_envs.perturbations.base import ColumnPerturbation, DelayLine


class GaussianNoise(ColumnPerturbation):
    """Zero-mean gaussian noise of std ``size``."""

    def perturb(self, values: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
        self.redraw(steps, self.normal(tuple(values.shape)))
        return values + self.scale * self.size(steps)[:, None] * self.draw


class UniformNoise(ColumnPerturbation):
    """Uniform noise in +-``size``."""

    def perturb(self, values: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
        self.redraw(steps, 2.0 * self.uniform(tuple(values.shape)) - 1.0)
        return values + self.scale * self.size(steps)[:, None] * self.draw


class Bias(ColumnPerturbation):
    """A constant offset of ``size`` on every chosen entry."""

    def perturb(self, values: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
        return values + self.scale * self.size(steps)[:, None]


class Dropout(ColumnPerturbation):
    """Each entry drops out with probability ``size``: it reads 0 or its last delivered value."""

    def setup(self) -> None:
        self.last = torch.zeros_like(self.draw)
        """(n, C) values delivered at the previous step."""

    def perturb(self, values: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
        self.last[self.fresh] = values[self.fresh]
        self.redraw(steps, self.uniform(tuple(values.shape)))
        dropped = self.draw < self.size(steps)[:, None]
        out = torch.where(dropped, 0.0 if self.cfg.dropout == "zero" else self.last, values)
        self.last = out
        return out


class Latency(ColumnPerturbation):
    """The entries arrive ``round(size)`` control steps late (an episode's first value until then)."""

    def setup(self) -> None:
        self.line = DelayLine(math.ceil(self.peak), self.env.num_envs, len(self.columns), self.env.device)

    def perturb(self, values: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
        return self.line.push(values, self.size(steps).round().long(), self.take_fresh())

"""Perturbations of a signal's chosen columns, for observations (named policy terms, sizes in the terms' raw
units as ``task.randomization.obs_noise``), actions (chosen joints) and rewards (every reward group, noise and
shift per second): every entry independently, per env (``StepDropout``: a whole step at once)."""

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


class Drift(ColumnPerturbation):
    """A bias that random-walks over the episode (IMU drift): 0 at an episode's start, then a gaussian step of std
    ``size`` whenever the draws refresh (every step by default), before the bias is added."""

    def perturb(self, values: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
        self.draw[self.fresh] = 0.0
        walk = self.size(steps)[:, None] * self.normal(tuple(values.shape))
        self.draw += torch.where(self.due(steps)[:, None], walk, 0.0)
        return values + self.scale * self.draw


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


class StepDropout(ColumnPerturbation):
    """A whole step drops out with probability ``size``: every chosen entry of the env reads 0 together."""

    def perturb(self, values: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
        self.redraw(steps, self.uniform((values.shape[0], 1)).expand_as(values))
        return torch.where(self.draw < self.size(steps)[:, None], 0.0, values)


class Latency(ColumnPerturbation):
    """The entries arrive ``round(size)`` control steps late (an episode's first value until then)."""

    def setup(self) -> None:
        self.line = DelayLine(
            math.ceil(self.cfg.magnitude * self.severity), self.env.num_envs, len(self.columns), self.env.device
        )

    def perturb(self, values: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
        return self.line.push(values, self.size(steps).round().long(), self.take_fresh())

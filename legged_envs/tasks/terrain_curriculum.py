"""Terrain curriculum: each env lives on one tile column and moves between difficulty levels.

At the end of an episode an env is promoted one level when it made at least ``promote_ratio`` of
the progress it was commanded to make, and demoted one level when it made less than
``demote_ratio`` of it or fell. Episodes with less than ``min_commanded_m`` of commanded travel
only count their falls. An env promoted past the top level goes to a random level (so the
hardest tiles never hoard the batch).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class TerrainCurriculumConfig:
    """When envs move between terrain levels."""

    enabled: bool = True
    """Move envs between levels at resets; off: every env stays on its starting level."""
    max_start_level: int = field(default=0, metadata={"ge": 0, "le": 1000})
    """Envs start on a random level from 0 to this one (capped at the terrain's top level)."""
    promote_ratio: float = field(default=0.8, metadata={"gt": 0, "le": 10})
    """Promote when progress along the commanded direction >= this share of the commanded travel."""
    demote_ratio: float = field(default=0.4, metadata={"ge": 0, "le": 10})
    """Demote when progress < this share of the commanded travel."""
    min_commanded_m: float = field(default=2.0, metadata={"ge": 0, "le": 10000})
    """Episodes with less commanded travel than this only count falls, m."""


class TerrainCurriculum:
    """(n,) terrain level and tile column of each env, updated at episode ends."""

    def __init__(
        self,
        cfg: TerrainCurriculumConfig,
        num_levels: int,
        num_tiles: int,
        num_envs: int,
        generator: torch.Generator,
        device: torch.device | str = "cpu",
    ):
        if cfg.demote_ratio >= cfg.promote_ratio:
            raise ValueError(
                f"task.terrain_curriculum.demote_ratio: {cfg.demote_ratio} must be < promote_ratio {cfg.promote_ratio}"
            )
        self.cfg = cfg
        self.num_levels = num_levels
        self.num_tiles = num_tiles
        self.generator = generator
        top = min(cfg.max_start_level, num_levels - 1)
        self.levels = torch.randint(0, top + 1, (num_envs,), generator=generator, device=device)
        """(n,) difficulty level (terrain row) of each env."""
        self.tiles = torch.arange(num_envs, device=device) % num_tiles
        """(n,) tile column (terrain kind) of each env, fixed."""

    def update(
        self, env_ids: torch.Tensor, progress_m: torch.Tensor, commanded_m: torch.Tensor, fell: torch.Tensor
    ) -> None:
        """Promote / demote ``env_ids`` from their episode's (len(ids),) progress, commanded travel and falls."""
        if not self.cfg.enabled or len(env_ids) == 0:
            return
        counted = commanded_m >= self.cfg.min_commanded_m
        ratio = progress_m / commanded_m.clamp(min=1e-6)
        up = counted & (ratio >= self.cfg.promote_ratio) & ~fell
        down = fell | (counted & (ratio < self.cfg.demote_ratio))
        levels = self.levels[env_ids] + up.long() - down.long()
        past_top = levels >= self.num_levels
        random_levels = torch.randint(0, self.num_levels, levels.shape, generator=self.generator, device=levels.device)
        self.levels[env_ids] = torch.where(past_top, random_levels, levels.clamp(min=0))

    def state_dict(self) -> dict[str, torch.Tensor]:
        """The (n,) ``levels`` and ``tiles`` of every env."""
        return {"levels": self.levels.clone(), "tiles": self.tiles.clone()}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        """Restore the (n,) levels and tiles saved by ``state_dict`` (the envs move there at their next reset)."""
        levels, tiles = state["levels"], state["tiles"]
        if levels.shape != self.levels.shape or tiles.shape != self.tiles.shape:
            raise ValueError(
                f"terrain curriculum: saved levels are for {len(levels)} envs, this run has {len(self.levels)}"
            )
        if len(levels) and (int(levels.max()) >= self.num_levels or int(tiles.max()) >= self.num_tiles):
            raise ValueError(
                f"terrain curriculum: saved levels or tiles beyond the terrain's {self.num_levels} x {self.num_tiles}"
            )
        self.levels.copy_(levels)
        self.tiles.copy_(tiles)

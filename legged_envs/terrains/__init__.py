"""Terrain generation: tiles of flat, platform, slope, wall, rough and stairs."""

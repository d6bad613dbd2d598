"""Simulation environments for Unitree legged robots: backends, terrains, robots, tasks."""

"""Eval-time perturbations of observations, actions and dynamics (Robust-Gymnasium style), vectorised per env and
per dimension on the env's device, reproducible from a seed.

``config``: scenarios and suites (YAML); ``base``: size over the episode (severity x schedule) and redraw modes;
``signals``: noise, bias, dropout and latency of observation terms or actions; ``motors``: lost strength, limp and
locked joints; ``dynamics``: friction, payload, pushes; ``wrapper``: ``PerturbedEnv(env, scenario, severity, seed)``
around a ``LeggedEnv``.
"""

"""Worst-case dynamics within a scenario's bounds (``search: worst_case``): the cross-entropy method over the
sizes of its dynamics perturbations.

Each perturbation of a ``DYNAMICS_KINDS`` kind is a variable: the share ``x`` in [0, 1] of its size at the
severity (size ``x * magnitude * severity``). Generation 0 samples ``population`` points uniformly in the box, the
first of them its far corner (every size full: the plain scenario); each later generation samples a gaussian of
the previous elites' mean and std per variable, clipped to the box. Every point runs one episode in its own env
of one batch (each env its own sizes); every generation runs the same env seed and perturbation seed (common
random numbers), so points differ only in their sizes and their env's commands. A point is worse when its robot
fell, then when its return is lower; the ``ELITE_SHARE`` worst are the elites. The search returns the last
elites' mean. The scenario's other perturbations apply at their sizes throughout.
"""

from __future__ import annotations

import torch

from legged_envs.perturbations.attacks import Policy
from legged_envs.perturbations.base import Perturbation
from legged_envs.perturbations.config import DYNAMICS_KINDS, ScenarioConfig
from legged_envs.perturbations.wrapper import PerturbedEnv
from policies.evaluate import rollout
from policies.rng import seed_everything
from policies.run_dir import TrainedRun, make_trained_env

ELITE_SHARE = 0.25
"""Share of a generation that is its elite (at least 2 points)."""


def searched(penv: PerturbedEnv) -> list[Perturbation]:
    """The perturbations a worst-case search varies, in scenario order."""
    return [p for p in penv.physics_perturbations if p.cfg.kind in DYNAMICS_KINDS]


def apply_shares(penv: PerturbedEnv, shares: torch.Tensor) -> dict[str, float]:
    """Scale each searched perturbation's size by its column of (n, d) ``shares`` (or (d,): every env alike), before
    the first step; returns the mean size of each (its kind's units), keyed by kind (``kind[i]``, i-th searched,
    when a kind repeats)."""
    perturbations = searched(penv)
    kinds = [p.cfg.kind for p in perturbations]
    sizes = {}
    for i, (perturbation, share) in enumerate(zip(perturbations, shares.movedim(-1, 0).to(penv.device), strict=True)):
        perturbation.peak = perturbation.peak * share
        key = perturbation.cfg.kind if kinds.count(perturbation.cfg.kind) == 1 else f"{perturbation.cfg.kind}[{i}]"
        sizes[key] = perturbation.peak.mean().item()
    return sizes


def worst_case_shares(
    run: TrainedRun, policy: Policy, scenario: ScenarioConfig, severity: float, seed: int, actor: Policy | None = None
) -> torch.Tensor:
    """(d,) shares of the searched perturbations' sizes that ``policy`` does worst under (the cross-entropy
    method); ``actor``: what an ``obs_attack`` of the scenario attacks."""
    if run.task_cls.eval_protocol == "standup":
        raise ValueError("search: worst_case: only for tracking tasks (a stand-up cell measures success, not return)")
    n = scenario.population
    dims = sum(p.kind in DYNAMICS_KINDS for p in scenario.perturbations)
    generator = torch.Generator().manual_seed(seed)
    elites = max(2, round(ELITE_SHARE * n))
    shares = torch.rand((n, dims), generator=generator)
    shares[0] = 1.0
    for generation in range(scenario.generations):
        seed_everything(run.cfg.seed)
        env = make_trained_env(run, n)
        try:
            penv = PerturbedEnv(env, scenario, severity, seed, actor)
            apply_shares(penv, shares)
            episodes = rollout(penv, policy)
        finally:
            env.close()
        outcomes = list(zip((~episodes.fell).tolist(), episodes.returns.tolist(), strict=True))
        elite = shares[sorted(range(n), key=outcomes.__getitem__)[:elites]]
        if generation + 1 < scenario.generations:
            noise = torch.randn((n, dims), generator=generator)
            shares = (elite.mean(dim=0) + elite.std(dim=0) * noise).clamp(0.0, 1.0)
    return elite.mean(dim=0)

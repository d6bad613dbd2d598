"""The robustness score of a scenario from its survival at each severity (torch-free: ``legged eval --suite`` and
``legged sim2sim --suite`` share it)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence


def survival_score(nominal_survival: float, curve: Sequence[tuple[float, float]]) -> float:
    """Area under survival vs severity over [0, last severity] of the ``(severity, survival)`` curve, the nominal
    run at severity 0, divided by the nominal survival times the last severity."""
    points = [(0.0, nominal_survival), *curve]
    area = sum((s1 - s0) * (v0 + v1) / 2 for (s0, v0), (s1, v1) in itertools.pairwise(points))
    full = points[0][1] * points[-1][0]
    return area / full if full > 0 else math.nan

"""Perturbations while training: the ``train.perturbations`` section of a task's YAML (no torch import).

``legged train`` wraps its env in ``PerturbedEnv`` when ``apply`` is not empty, with every entry at the severity of
the current iteration; evaluation, play and export build plain envs and never see these perturbations. Reward kinds
(``REWARD_KINDS``) are allowed here and only here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from legged_envs.config import FieldError
from legged_envs.perturbations.config import PerturbationConfig

MAX_SEVERITY = 100.0
"""Largest severity a training run may apply."""


@dataclass
class SeverityCurriculumConfig:
    """Severity linear in the run's completed iterations ``i``: ``start + (end - start) * min(i / iterations, 1)``."""

    start: float = field(default=0.0, metadata={"ge": 0, "le": MAX_SEVERITY})
    """Severity at the run's first iteration."""
    end: float = field(default=1.0, metadata={"ge": 0, "le": MAX_SEVERITY})
    """Severity from iteration ``iterations`` on."""
    iterations: int = field(default=500, metadata={"ge": 1, "le": 10_000_000})
    """Iterations from ``start`` to ``end``."""


@dataclass
class TrainingPerturbationsConfig:
    """Perturbations applied while training (``legged train`` only)."""

    apply: list[PerturbationConfig] = field(default_factory=list)
    """Perturbations applied together, in order, as a suite scenario's ``perturbations`` (empty: none)."""
    severity: float | SeverityCurriculumConfig = field(default=1.0, metadata={"ge": 0, "le": MAX_SEVERITY})
    """Severity of every entry: a number, or a curriculum ``{start, end, iterations}`` over the run's iterations."""

    def check(self) -> None:
        for i, perturbation in enumerate(self.apply):
            if perturbation.kind == "obs_attack":
                raise FieldError(f"apply[{i}].kind", "'obs_attack' needs the policy it attacks: suites only", "apply")

    def severity_at(self, iteration: int) -> float:
        """Severity of the iteration that follows ``iteration`` completed ones."""
        curve = self.severity
        if not isinstance(curve, SeverityCurriculumConfig):
            return curve
        return curve.start + (curve.end - curve.start) * min(iteration / curve.iterations, 1.0)

    def peak_severity(self) -> float:
        """The largest severity of the run (what latency kinds size their delay lines for)."""
        curve = self.severity
        return max(curve.start, curve.end) if isinstance(curve, SeverityCurriculumConfig) else curve

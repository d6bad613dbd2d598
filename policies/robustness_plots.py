"""Figures of a robustness suite's results (``policies.robustness.PolicyResult``), as PNGs drawn with Agg (no
display): survival vs severity per scenario, a scenario x severity heatmap per policy, and the score per scenario.

Survival is a cell's ``Cell.survival``: 1 - fall rate (tracking tasks) or the success rate (stand-up tasks). Every
curve and heatmap row starts at severity 0, the shared unperturbed run (a result's first cell).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from policies.robustness import PolicyResult

SEVERITY_LABEL = "severity (x perturbation magnitude)"
SCORE_LABEL = "score (normalised area under survival)"
DPI = 120


def scenarios(result: PolicyResult) -> list[str]:
    """The suite's scenarios in run order (the nominal run excluded)."""
    return list(dict.fromkeys(cell.scenario for cell in result.cells[1:]))


def severities(result: PolicyResult) -> list[float]:
    """0 (the nominal run), then the suite's severities in increasing order."""
    return [0.0, *sorted({cell.severity for cell in result.cells[1:]})]


def survival_matrix(result: PolicyResult) -> np.ndarray:
    """(scenarios, severities) survival as plotted: column 0 the nominal run's, nan where a cell is missing."""
    rows, cols = scenarios(result), severities(result)
    matrix = np.full((len(rows), len(cols)), math.nan)
    matrix[:, 0] = result.cells[0].survival
    for cell in result.cells[1:]:
        matrix[rows.index(cell.scenario), cols.index(cell.severity)] = cell.survival
    return matrix


def metric_label(results: list[PolicyResult]) -> str:
    """Axis label of survival for these results' task kinds."""
    standup = {result.cells[0].success_rate is not None for result in results}
    if standup == {True}:
        return "success rate (fraction of episodes)"
    if standup == {False}:
        return "survival = 1 - fall rate (fraction of episodes)"
    return "survival: success rate or 1 - fall rate"


def policy_labels(results: list[PolicyResult]) -> list[str]:
    """Each policy's run folder name, numbered when two would read the same."""
    names = [Path(result.run_dir).name for result in results]
    return names if len(set(names)) == len(names) else [f"{i}. {name}" for i, name in enumerate(names, 1)]


def plot_curves(results: list[PolicyResult], path: Path) -> None:
    """One subplot per scenario: survival vs severity, a line per policy."""
    names, ticks = scenarios(results[0]), severities(results[0])
    ncols = min(4, len(names))
    nrows = math.ceil(len(names) / ncols)
    fig = Figure(figsize=(3.6 * ncols, 3.0 * nrows + 0.9), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=True).ravel()
    for result, label in zip(results, policy_labels(results), strict=True):
        matrix = survival_matrix(result)
        for ax, row in zip(axes, matrix, strict=False):
            ax.plot(ticks, row, marker="o", label=label)
    for i, (ax, name) in enumerate(zip(axes, names, strict=False)):
        ax.set(title=name, xticks=ticks, ylim=(-0.05, 1.05), xlabel=SEVERITY_LABEL)
        ax.set_xticklabels([f"{s:g}" for s in ticks])
        ax.grid(alpha=0.3)
        if i % ncols == 0:
            ax.set_ylabel(metric_label(results))
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    fig.suptitle("Survival vs severity per scenario (severity 0: unperturbed)")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=min(4, len(results)))
    _save(fig, path)


def plot_heatmaps(results: list[PolicyResult], path: Path) -> None:
    """One panel per policy: survival per scenario (rows) and severity (columns), values annotated."""
    names, ticks = scenarios(results[0]), severities(results[0])
    fig = Figure(figsize=(1.0 * len(ticks) * len(results) + 3.5, 0.45 * len(names) + 1.8), layout="constrained")
    axes = fig.subplots(1, len(results), squeeze=False, sharey=True)[0]
    for ax, result, label in zip(axes, results, policy_labels(results), strict=True):
        matrix = survival_matrix(result)
        image = ax.imshow(matrix, cmap="RdYlGn", vmin=0.0, vmax=1.0, aspect="auto")
        for (row, col), value in np.ndenumerate(matrix):
            ax.text(col, row, "-" if math.isnan(value) else f"{value:.2f}", ha="center", va="center", fontsize=8)
        ax.set(title=label, xticks=range(len(ticks)), yticks=range(len(names)), xlabel=SEVERITY_LABEL)
        ax.set_xticklabels([f"{s:g}" for s in ticks])
        ax.set_yticklabels(names)
    fig.colorbar(image, ax=axes, label=metric_label(results))
    fig.suptitle("Survival per scenario and severity (severity 0: unperturbed)")
    _save(fig, path)


def plot_scores(results: list[PolicyResult], path: Path) -> None:
    """Grouped bars: each scenario's score, then the robustness score (their mean), a bar per policy."""
    groups = [*scenarios(results[0]), "robustness score\n(mean)"]
    width = 0.8 / len(results)
    fig = Figure(figsize=(0.5 * len(groups) * len(results) + 4.0, 4.2), layout="constrained")
    ax = fig.subplots()
    top = 1.0
    for i, (result, label) in enumerate(zip(results, policy_labels(results), strict=True)):
        values = [*(result.scores[name] for name in groups[:-1]), result.robustness_score]
        bars = ax.bar(np.arange(len(groups)) + (i - (len(results) - 1) / 2) * width, values, width, label=label)
        ax.bar_label(bars, fmt="%.2f", fontsize=7)
        top = max([top, *(v for v in values if not math.isnan(v))])
    ax.set(xticks=range(len(groups)), ylim=(0.0, 1.12 * top), ylabel=SCORE_LABEL)
    ax.set_xticklabels(groups, rotation=30, ha="right")
    ax.axhline(1.0, color="grey", lw=0.8, ls="--")
    ax.grid(axis="y", alpha=0.3)
    fig.legend(loc="outside right upper")
    ax.set_title("Robustness score per scenario (1: no loss vs unperturbed)")
    _save(fig, path)


def write_plots(results: list[PolicyResult], out_dir: Path) -> list[Path]:
    """Write ``robustness_survival.png``, ``robustness_heatmap.png`` and ``robustness_scores.png`` into
    ``out_dir``."""
    plots = {
        "robustness_survival.png": plot_curves,
        "robustness_heatmap.png": plot_heatmaps,
        "robustness_scores.png": plot_scores,
    }
    for name, plot in plots.items():
        plot(results, out_dir / name)
    return [out_dir / name for name in plots]


def _save(fig: Figure, path: Path) -> None:
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=DPI)

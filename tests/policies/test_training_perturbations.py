"""Training with perturbations: ``legged train`` applies a config's ``train.perturbations`` at each iteration's
severity (evaluation never does), a bad section is one line naming the file and key, and ``--init`` starts a new
run from another run's networks."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from legged_envs.config import ConfigError
from policies.evaluate import evaluate
from policies.run_dir import load_run
from policies.trainer import train

from .train_support import BASE, TINY

PERTURBED = """\
train:
  perturbations:
    severity: {start: 0.0, end: 1.0, iterations: 2}
    apply:
      - {kind: obs_gaussian, magnitude: 0.1}
      - {kind: action_latency, magnitude: 2}
      - {kind: push, magnitude: 0.5, mode: interval, interval_steps: 5}
      - {kind: gravity_tilt, magnitude: 0.05, mode: episode}
      - {kind: reward_noise, magnitude: 1.0}
      - {kind: reward_shift, magnitude: -1.0}
"""


def test_legged_train_applies_the_section_at_each_iterations_severity_and_eval_never_does(tmp_path: Path) -> None:
    config = tmp_path / "perturbed.yaml"
    config.write_text(f"base: {BASE}\n{PERTURBED}")
    run = train(str(config), [*TINY, f"train.runs_dir={tmp_path}", "train.max_iterations=3"]).run_dir
    events = EventAccumulator(str(run))
    events.Reload()
    severities = [event.value for event in events.Scalars("Perturbations/severity")]
    assert severities == pytest.approx([0.0, 0.5, 1.0])
    saved = yaml.safe_load((run / "config.yaml").read_text())["train"]["perturbations"]
    assert [entry["kind"] for entry in saved["apply"]][-1] == "reward_shift"
    with_section = evaluate(load_run(run), episodes=4, command_tests=False)
    without = evaluate(load_run(run, ["train.perturbations.apply=[]"]), episodes=4, command_tests=False)
    assert with_section == without


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("{aply: []}", "train.perturbations.aply: unknown key (did you mean 'apply'?)"),
        ("{severity: {start: 0, iters: 5}}", "train.perturbations.severity.iters: unknown key"),
        ("{severity: -1}", "train.perturbations.severity: expected"),
        ("{apply: [{kind: shove, magnitude: 1}]}", "train.perturbations.apply[0].kind: expected one of"),
        ("{apply: [{kind: obs_attack, magnitude: 0.1}]}", "train.perturbations.apply[0].kind: 'obs_attack' needs"),
        ("{apply: [{kind: action_noise, magnitude: 0.1, joints: [knee]}]}", "train.perturbations.apply: perturbation"),
    ],
)
def test_a_bad_perturbations_section_is_one_line_naming_the_file_and_key(
    tmp_path: Path, section: str, message: str
) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(f"base: {BASE}\ntrain:\n  perturbations: {section}\n")
    with pytest.raises(ConfigError) as error:
        train(str(config), [*TINY, f"train.runs_dir={tmp_path / 'runs'}"])
    text = str(error.value)
    assert text.startswith(str(config)) and message in text and "\n" not in text
    assert not (tmp_path / "runs").exists()


def test_init_starts_a_new_run_from_another_runs_networks(tmp_path: Path) -> None:
    source = train(str(BASE), [*TINY, f"train.runs_dir={tmp_path / 'a'}", "train.max_iterations=2"]).run_dir
    still = ("train.ppo.learning_rate=1e-12", "train.ppo.schedule=fixed")  # a fresh optimizer at this rate
    overrides = [*TINY, f"train.runs_dir={tmp_path / 'b'}", "train.max_iterations=1", *still]
    result = train(str(BASE), overrides, init=str(source))
    assert result.iterations == 1
    started = torch.load(result.run_dir / "model_1.pt", weights_only=True)
    assert started["iter"] == 1
    before = torch.load(source / "model_2.pt", weights_only=True)["actor_state_dict"]
    after = started["actor_state_dict"]
    assert all(torch.allclose(after[k], before[k], atol=1e-6) for k in before if not k.startswith("obs_normalizer"))
    with pytest.raises(ConfigError, match="--init and --resume cannot be combined"):
        train(None, [], resume=str(source), init=str(source))

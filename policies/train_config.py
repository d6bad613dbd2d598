"""The ``train:`` config section: PPO, networks, rollout length, checkpoints (no torch import).

Defaults suit legged locomotion on a few CPU cores; ``to_rsl_rl`` turns the section into the
dict that rsl-rl's ``OnPolicyRunner`` takes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from legged_envs.perturbations.training import TrainingPerturbationsConfig

_HIDDEN_DIMS = {"gt": 0, "le": 16384, "min_items": 1, "max_items": 32}
"""Hidden layer widths: 1 to 32 layers of at most 16384 units."""

MAX_ITERATIONS = 10_000_000
"""Most PPO iterations a run may have."""

Activation = Literal["elu", "selu", "relu", "lrelu", "tanh", "sigmoid", "softplus", "gelu", "swish", "mish"]


@dataclass
class PpoConfig:
    """PPO hyper-parameters (rsl-rl ``PPO``)."""

    learning_rate: float = field(default=1e-3, metadata={"gt": 0, "le": 1})
    """Adam step size (the start value under the adaptive schedule)."""
    schedule: Literal["adaptive", "fixed"] = "adaptive"
    """Learning-rate schedule: ``adaptive`` scales it to keep the policy KL near ``desired_kl``; ``fixed`` keeps it."""
    desired_kl: float = field(default=0.01, metadata={"gt": 0, "le": 1})
    """Target KL divergence per update of the adaptive schedule."""
    num_learning_epochs: int = field(default=5, metadata={"ge": 1, "le": 1000})
    """Passes over each rollout."""
    num_mini_batches: int = field(default=4, metadata={"ge": 1, "le": 100_000})
    """Mini-batches per pass (each holds num_envs * num_steps_per_env / num_mini_batches samples)."""
    clip_param: float = field(default=0.2, metadata={"gt": 0, "le": 10})
    """PPO ratio clip (and value clip) range."""
    gamma: float = field(default=0.99, metadata={"gt": 0, "le": 1})
    """Discount factor per control step."""
    lam: float = field(default=0.95, metadata={"ge": 0, "le": 1})
    """GAE lambda."""
    value_loss_coef: float = field(default=1.0, metadata={"ge": 0, "le": 100})
    """Weight of the value loss."""
    entropy_coef: float = field(default=0.01, metadata={"ge": 0, "le": 10})
    """Weight of the entropy bonus."""
    max_grad_norm: float = field(default=1.0, metadata={"gt": 0, "le": 1000})
    """Gradient-norm clip."""
    use_clipped_value_loss: bool = True
    """Clip the value update like the policy ratio."""
    normalize_advantage_per_mini_batch: bool = False
    """Normalise advantages per mini-batch instead of over the whole rollout."""


@dataclass
class PolicyConfig:
    """Actor and critic networks (rsl-rl ``MLPModel``)."""

    actor_hidden_dims: list[int] = field(default_factory=lambda: [256, 128, 64], metadata=_HIDDEN_DIMS)
    """Hidden layer widths of the actor MLP."""
    critic_hidden_dims: list[int] = field(default_factory=lambda: [256, 128, 64], metadata=_HIDDEN_DIMS)
    """Hidden layer widths of the critic MLP."""
    activation: Activation = "elu"
    """Activation between hidden layers."""
    init_noise_std: float = field(default=1.0, metadata={"gt": 0, "le": 100})
    """Initial standard deviation of the Gaussian action noise (action units)."""
    noise_std_type: Literal["scalar", "log"] = "scalar"
    """Parameterisation of the learned noise std."""
    obs_normalization: bool = True
    """Normalise actor and critic inputs by running (empirical) mean and std."""


@dataclass
class L2c2Config:
    """L2C2 smoothness loss (policies/l2c2.py): both coefficients 0 switch it off."""

    policy_coef: float = field(default=0.0, metadata={"ge": 0, "le": 10})
    """Weight of the policy term |mu(s) - mu(s_mix)|^2 (HoST: 0.1 to 1.0)."""
    value_coef: float = field(default=0.0, metadata={"ge": 0, "le": 10})
    """Weight of the value term |V(s) - V(s_mix)|^2 (HoST: about 0.01)."""

    @property
    def enabled(self) -> bool:
        """Whether either term is on."""
        return self.policy_coef > 0 or self.value_coef > 0


@dataclass
class TrainConfig:
    """Training run: rollout length, iterations, checkpoints, networks and PPO."""

    max_iterations: int = field(default=1500, metadata={"ge": 1, "le": MAX_ITERATIONS})
    """Total PPO iterations of the run (a resumed run stops at the same total)."""
    num_steps_per_env: int = field(default=24, metadata={"ge": 1, "le": 10_000})
    """Control steps each env collects per iteration."""
    save_interval: int = field(default=50, metadata={"ge": 1, "le": MAX_ITERATIONS})
    """Write a checkpoint every this many iterations (and always at the end and on Ctrl-C/SIGTERM)."""
    run_name: str = field(default="", metadata={"pattern": r"[A-Za-z0-9_.-]*"})
    """Suffix of the run directory name; empty = the config file's name."""
    runs_dir: str = "runs"
    """Directory holding ``<task>/<date>_<time>_<name>`` run directories (relative to the working directory)."""
    randomize_initial_episode_length: bool = True
    """Start each env at a random point of its episode so that time-outs do not all fall together."""
    obs_groups: dict[str, list[str]] | None = field(default=None, metadata={"min_items": 1, "max_items": 16})
    """Observation groups per network, e.g. ``{actor: [policy], critic: [policy, privileged]}``;
    None = the actor sees ``policy``, the critic every group the task provides."""
    ppo: PpoConfig = field(default_factory=PpoConfig)
    """PPO hyper-parameters."""
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    """Actor and critic networks."""
    l2c2: L2c2Config = field(default_factory=L2c2Config)
    """L2C2 smoothness loss (on: trains with multi-critic PPO)."""
    perturbations: TrainingPerturbationsConfig = field(default_factory=TrainingPerturbationsConfig)
    """Perturbations of observations, actions, dynamics and rewards while training (legged_envs/perturbations)."""


MULTI_CRITIC_PPO = "policies.multi_critic_ppo:MultiCriticPPO"
"""Algorithm of runs with more than one reward group or L2C2 on."""


def to_rsl_rl(
    train: TrainConfig, obs_groups: dict[str, list[str]], reward_groups: Mapping[str, float] | None = None
) -> dict[str, Any]:
    """The ``train_cfg`` dict of rsl-rl 5.5's ``OnPolicyRunner`` for this section.

    ``reward_groups`` maps the task's reward groups to their advantage weights (None: one group). More than
    one group, or L2C2 on, selects ``MultiCriticPPO``; otherwise rsl-rl's ``PPO``.
    """
    net = train.policy

    def model(hidden_dims: list[int], distribution: dict | None) -> dict[str, Any]:
        return {
            "class_name": "MLPModel",
            "hidden_dims": list(hidden_dims),
            "activation": net.activation,
            "obs_normalization": net.obs_normalization,
            "distribution_cfg": distribution,
        }

    noise = {"class_name": "GaussianDistribution", "init_std": net.init_noise_std, "std_type": net.noise_std_type}
    algorithm: dict[str, Any] = {"class_name": "PPO", "optimizer": "adam", **vars(train.ppo)}
    if (reward_groups is not None and len(reward_groups) > 1) or train.l2c2.enabled:
        weights = reward_groups or {"main": 1.0}
        algorithm |= {
            "class_name": MULTI_CRITIC_PPO,
            "reward_groups": list(weights),
            "reward_group_weights": list(weights.values()),
            "l2c2_policy_coef": train.l2c2.policy_coef,
            "l2c2_value_coef": train.l2c2.value_coef,
        }
    return {
        "num_steps_per_env": train.num_steps_per_env,
        "save_interval": train.save_interval,
        "obs_groups": {name: list(groups) for name, groups in obs_groups.items()},
        "actor": model(net.actor_hidden_dims, noise),
        "critic": model(net.critic_hidden_dims, None),
        "algorithm": algorithm,
        "check_for_nan": True,
        "logger": "tensorboard",
    }

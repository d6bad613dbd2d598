"""The go2_posture task on real MuJoCo physics: commands, curricula, observations, randomisation,
rewards and terminations."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from deploy.robot.observation import ObservationBuilder
from legged_envs.config import ConfigError, load_config
from legged_envs.envs.legged_env import LeggedEnv
from legged_envs.math_utils import quat_rotate, quat_rotate_inverse
from legged_envs.robots.go2 import GO2
from legged_envs.tasks import go2_posture
from legged_envs.tasks.commands import CommandCurriculum, CommandSampler
from legged_envs.tasks.feet import FootTracker
from legged_envs.tasks.go2_posture import COMMAND_NAMES, Go2PostureConfig, Go2PostureTask
from legged_envs.tasks.registry import get_task

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "go2_posture.yaml"
FAST = (
    "terrain.kind=flat",
    "terrain.num_levels=1",
    "terrain.num_tiles_per_level=1",
    "sim.num_threads=1",
    "task.terrain_curriculum.max_start_level=0",
    "task.reset.joint_pos_noise_rad=0.0",  # every robot starts in the default stance: zero actions hold it
)
NO_DR = ("task.randomization.enabled=false",)
NOMINAL_DR = (
    "task.randomization.enabled=true",
    "task.randomization.friction=[1.0,1.0]",
    "task.randomization.payload_kg=[0.0,0.0]",
    "task.randomization.com_offset_m=0.0",
    "task.randomization.link_mass_scale=[1.0,1.0]",
    "task.randomization.motor_strength=[1.0,1.0]",
    "task.randomization.kp_scale=[1.0,1.0]",
    "task.randomization.kd_scale=[1.0,1.0]",
    "task.randomization.push_force_n=[0.0,0.0]",
    "task.randomization.action_delay_steps=[0,0]",
    *(
        f"task.randomization.obs_noise.{term}=0"
        for term in ("base_ang_vel", "projected_gravity", "joint_pos_rel", "joint_vel")
    ),
)
"""Randomisation on, every item pinned to nominal: tests free one item at a time."""
GRAVITY = 9.81


def make_env(num_envs: int, *overrides: str) -> LeggedEnv:
    cfg = load_config(CONFIG, [*FAST, f"env.num_envs={num_envs}", *overrides])
    return LeggedEnv(cfg, Go2PostureTask)


def run(env: LeggedEnv, steps: int) -> tuple:
    """Step ``steps`` times holding the default pose (zero actions); the last step's outputs."""
    actions = torch.zeros(env.num_envs, env.num_actions)
    for _ in range(steps - 1):
        env.step(actions)
    return env.step(actions)


def heading(env: LeggedEnv) -> torch.Tensor:
    """(n, 2) unit vector of each base's heading in the world xy plane."""
    w, x, y, z = env.sim.base_quat().unbind(-1)
    yaw = torch.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))
    return torch.stack((yaw.cos(), yaw.sin()), dim=1)


def foot_forces(env: LeggedEnv) -> torch.Tensor:
    """(n, 4) vertical contact force on each foot (FR, FL, RR, RL), N."""
    return env.sim.contact_forces()[:, env.task.foot_ids, 2]


# --- interface ------------------------------------------------------------------------------------
def test_registry_config_and_interface_expose_what_train_export_and_eval_need() -> None:
    assert get_task("go2_posture") == (Go2PostureConfig, Go2PostureTask)
    env = make_env(3, *NO_DR)
    task = env.task
    obs = env.get_observations()
    layout = task.policy_obs_layout
    assert set(obs.keys()) == {"policy", "privileged"}
    assert obs["policy"].shape == (3, layout.obs_dim)
    assert layout.term_names == (
        "base_ang_vel",
        "projected_gravity",
        "joint_pos_rel",
        "joint_vel",
        "last_action",
        "command",
    )
    assert task.command_names == COMMAND_NAMES and task.command.shape == (3, 6)
    assert task.command_ranges[0] == (-0.5, 0.7) and task.command_ranges[3] == (-0.03, 0.02)  # the start ranges
    run(env, 3)
    errors = task.eval_step_errors()
    assert tuple(errors) == COMMAND_NAMES and all(e.shape == (3,) for e in errors.values())
    metrics = task.metrics()
    assert {"terrain_level", "command_progress/vx", "tracking_rmse/pitch"} <= set(metrics)
    assert all(math.isfinite(value) for value in metrics.values())


def test_config_errors_name_the_key() -> None:
    with pytest.raises(ConfigError, match=r"task\.rewards\.main\.track_vz: unknown reward term"):
        make_env(1, *NO_DR, "task.rewards.main.track_vz=1.0")
    with pytest.raises(ValueError, match=r"task\.terminations\.contact_bodies: 'FR_hip' is not a tracked body"):
        make_env(1, *NO_DR, "task.terminations.contact_bodies=[FR_hip]")


# --- commands and curricula ---------------------------------------------------------------------------
def test_commands_resample_on_the_timer_and_at_resets_within_ranges() -> None:
    env = make_env(6, *NO_DR, "task.commands.resample_interval_s=0.2", "env.episode_length_s=0.3")
    task = env.task
    low, high = task.commands.ranges.unbind(dim=1)

    def within(command: torch.Tensor) -> bool:
        return bool(((command >= low) & (command <= high)).all())

    first = task.command.clone()
    assert within(first)
    run(env, 9)
    assert torch.equal(task.command, first)
    run(env, 1)  # 10 steps = 0.2 s: the timer fires
    second = task.command.clone()
    assert (second != first).any(dim=1).all() and within(second)
    run(env, 4)
    assert torch.equal(task.command, second)
    _, _, dones, extras = run(env, 1)  # 15 steps = 0.3 s: time-out, reset
    assert dones.all() and extras["time_outs"].all()
    assert (task.command != second).any(dim=1).all() and within(task.command)

    task.resample_commands = False
    scripted = torch.tensor([[0.3, 0.0, 0.0, -0.05, 0.1, 0.0]]).repeat(6, 1)
    task.set_command(torch.arange(6), scripted)
    run(env, 16)  # through a timer and a reset
    assert torch.equal(task.command, scripted)


def test_standing_still_never_widens_a_command_range() -> None:
    """The failure this curriculum replaces: a robot ignoring its commands bought the full ranges."""
    env = make_env(8, *NO_DR, "task.commands.resample_interval_s=1.5", "task.command_curriculum.window_samples=100")
    run(env, 150)  # zero actions: the robot stands while the commands ask it to move and pose
    curriculum = env.task.command_curriculum
    assert not curriculum.last_score.isnan().all()  # windows were judged...
    assert (env.task.commands.progress == 0).all()  # ...and none passed


def _sampler(num_envs: int) -> CommandSampler:
    sampler = CommandSampler(
        ("a", "b"), [(-1.0, 1.0)] * 2, [(-2.0, 2.0)] * 2, num_envs, 1000, torch.Generator().manual_seed(0)
    )
    sampler.resample(torch.arange(num_envs))  # starts the resample timers
    return sampler


def test_command_curriculum_judges_moving_settled_samples_and_widens_tracked_dimensions() -> None:
    sampler = _sampler(4)
    curriculum = CommandCurriculum(
        sampler, threshold=0.8, step=0.25, moving_share=0.3, settle_steps=2, window_samples=8
    )
    # Envs 0-1 move (|command| >= 0.3 of the reach 1.0), env 2 barely, env 3 not at all.
    sampler.set(torch.arange(4), torch.tensor([[1.0, -1.0], [0.5, 0.5], [0.2, 0.2], [0.0, 0.0]]))
    # Dimension a is ignored (achieves nothing), dimension b tracked within 10%; a huge error on the
    # still envs would fail b if they counted.
    error = torch.stack((-sampler.command[:, 0], 0.1 * sampler.command[:, 1]), dim=1)
    error[2:, 1] = 5.0
    for _ in range(2):  # settling: not counted
        curriculum.update(error)
        sampler.step()
    assert curriculum.count.tolist() == [0, 0]
    for _ in range(3):  # 2 moving envs x 3 steps = 6 < 8 samples: not judged yet
        curriculum.update(error)
        sampler.step()
    assert sampler.progress.tolist() == [0.0, 0.0]
    curriculum.update(error)
    torch.testing.assert_close(curriculum.last_score, torch.tensor([0.0, 0.9]))
    assert sampler.progress.tolist() == [0.0, 0.25]
    torch.testing.assert_close(sampler.ranges, torch.tensor([[-1.0, 1.0], [-1.25, 1.25]]))
    assert curriculum.count.tolist() == [0, 0]  # the window restarts


def test_failing_envs_do_not_count_toward_the_curriculum() -> None:
    sampler = _sampler(2)
    curriculum = CommandCurriculum(sampler, threshold=0.8, step=0.5, moving_share=0.3, settle_steps=0, window_samples=2)
    sampler.set(torch.arange(2), torch.tensor([[1.0, 1.0], [1.0, 1.0]]))
    curriculum.update(torch.tensor([[0.0, 0.0], [-1.0, -1.0]]), counted_envs=torch.tensor([True, False]))
    curriculum.update(torch.tensor([[0.0, 0.0], [-1.0, -1.0]]), counted_envs=torch.tensor([True, False]))
    assert sampler.progress.tolist() == [0.5, 0.5]


def test_terrain_curriculum_promotes_an_env_that_walked_far_and_demotes_one_that_did_not() -> None:
    env = make_env(
        2,
        *NO_DR,
        "terrain.num_levels=3",
        "env.episode_length_s=2.5",
        "task.terrain_curriculum.min_commanded_m=1.0",
    )
    task = env.task
    task.resample_commands = False
    task.set_command(torch.arange(2), torch.tensor([[0.8, 0.0, 0.0, 0.0, 0.0, 0.0]]).repeat(2, 1))
    task.terrain_curriculum.levels[:] = 1
    up = torch.tensor([0.0, 0.0, 1.0]).expand(2, 3)
    for _ in range(125):
        # Env 0 is carried at about the commanded 0.8 m/s: weight nearly lifted, held level, pulled
        # along its heading. Env 1 stands still.
        quat = env.sim.base_quat()
        level = 20.0 * torch.cross(quat_rotate(quat, up), up, dim=1) - quat_rotate(quat, env.sim.base_ang_vel())
        pull = 60.0 * (0.8 - env.state.heading_lin_vel[:, 0]) + 10.0
        force = torch.cat((pull[:, None] * heading(env), torch.full((2, 1), 140.0)), dim=1)
        env.sim.set_external_force("base", force * torch.tensor([[1.0], [0.0]]), level * torch.tensor([[1.0], [0.0]]))
        _, _, dones, extras = env.step(torch.zeros(2, env.num_actions))
    assert dones.all() and extras["time_outs"].all()
    assert task.terrain_curriculum.levels.tolist() == [2, 0]


def test_envs_spawn_standing_on_the_tile_of_their_level_and_column() -> None:
    env = make_env(
        8,
        *NO_DR,
        "terrain.kind=mixed",
        "terrain.num_levels=3",
        "terrain.num_tiles_per_level=4",
        "task.terrain_curriculum.max_start_level=2",
        "terrain.slope_deg=[1.0,10.0]",  # steeper slopes topple a robot that only holds its pose
    )
    curriculum = env.task.terrain_curriculum
    assert curriculum.levels.unique().numel() > 1 and curriculum.tiles.unique().numel() == 4
    level, tile = env.terrain.tile_of(env.sim.base_pos()[:, :2])
    assert torch.equal(level, curriculum.levels) and torch.equal(tile, curriculum.tiles)
    _, _, dones, _ = run(env, 25)
    assert not dones.any()
    height = env.state.base_height
    torch.testing.assert_close(height, torch.full((8,), GO2.default_base_height_m), atol=0.05, rtol=0)


# --- observations ---------------------------------------------------------------------------------
def deploy_frame(env: LeggedEnv, builder: ObservationBuilder, i: int) -> np.ndarray:
    """Env ``i``'s current frame as the deploy side builds it from LowState-like arrays."""
    motor_q = np.zeros(GO2.num_motor_slots)
    motor_dq = np.zeros(GO2.num_motor_slots)
    motor_q[list(GO2.motor_indices)] = env.sim.joint_pos()[i].numpy()
    motor_dq[list(GO2.motor_indices)] = env.sim.joint_vel()[i].numpy()
    return builder.frame(
        quat_wxyz=env.sim.base_quat()[i].numpy(),
        gyro_rad_s=env.sim.base_ang_vel()[i].numpy(),
        motor_q=motor_q,
        motor_dq=motor_dq,
        last_action=env.actions[i].numpy(),
        command=env.task.command[i].numpy(),
    )


def test_actor_obs_follows_its_layout_shifts_oldest_first_and_refills_at_reset() -> None:
    env = make_env(2, *NO_DR, "task.observations.history_length=3", "env.episode_length_s=0.1")
    layout = env.task.policy_obs_layout
    builder = ObservationBuilder(layout, GO2)
    frames = env.get_observations()["policy"].reshape(2, 3, layout.frame_dim)
    assert torch.equal(frames, frames[:, -1:].expand(-1, 3, -1))  # filled with the first frame
    actions = 0.2 * torch.ones(2, env.num_actions)
    for _ in range(4):
        obs, _, dones, _ = env.step(actions)
        assert not dones.any()
        new = obs["policy"].reshape(2, 3, layout.frame_dim)
        assert torch.equal(new[:, :-1], frames[:, 1:])  # oldest first: everything moved one slot back
        for i in range(2):
            np.testing.assert_allclose(new[i, -1].numpy(), deploy_frame(env, builder, i), atol=1e-5)
        frames = new
    obs, _, dones, _ = env.step(actions)  # 5 steps = 0.1 s: time-out and reset
    assert dones.all()
    frames = obs["policy"].reshape(2, 3, layout.frame_dim)
    assert torch.equal(frames, frames[:, -1:].expand(-1, 3, -1))
    np.testing.assert_allclose(frames[0, -1].numpy(), deploy_frame(env, builder, 0), atol=1e-5)


def test_observation_noise_stays_within_its_amplitude() -> None:
    env = make_env(4, *NOMINAL_DR, "task.randomization.obs_noise.joint_vel=1.5")
    layout = env.task.policy_obs_layout
    builder = ObservationBuilder(layout, GO2)
    obs, _, _, _ = env.step(torch.zeros(4, env.num_actions))
    newest = obs["policy"].reshape(4, layout.history_length, layout.frame_dim)[:, -1]
    where = layout.frame_slices()
    clean = torch.tensor(np.stack([deploy_frame(env, builder, i) for i in range(4)]), dtype=torch.float32)
    noise = newest - clean
    amplitude = 1.5 * layout.term("joint_vel").scale
    assert noise[:, where["joint_vel"]].abs().max() <= amplitude + 1e-5
    assert noise[:, where["joint_vel"]].abs().mean() > 0.2 * amplitude
    others = [i for i in range(layout.frame_dim) if i not in range(layout.frame_dim)[where["joint_vel"]]]
    assert noise[:, others].abs().max() < 1e-5


def test_critic_obs_holds_the_true_privileged_values() -> None:
    env = make_env(
        3,
        *NOMINAL_DR,
        "task.randomization.friction=[0.37,0.37]",
        "task.randomization.payload_kg=[1.5,1.5]",
        "task.randomization.motor_strength=[0.9,1.1]",
    )
    obs, _, _, _ = run(env, 10)
    truths = env.task.privileged_terms()
    assert torch.equal(obs["privileged"], torch.cat(tuple(truths.values()), dim=1))
    velocity_b = quat_rotate_inverse(env.sim.base_quat(), env.sim.base_lin_vel())
    torch.testing.assert_close(truths["base_lin_vel"], velocity_b)
    torch.testing.assert_close(truths["friction"], torch.full((3, 1), 0.37))
    torch.testing.assert_close(truths["payload"], torch.full((3, 1), 1.5))
    strength = truths["motor_strength"]
    torch.testing.assert_close(strength, env.task.randomizer.motor_strength)
    assert strength.min() >= 0.9 and strength.max() <= 1.1 and strength.std() > 0.02
    torch.testing.assert_close(truths["foot_forces"].reshape(3, 4, 3)[:, :, 2], 0.01 * foot_forces(env))
    standing = truths["terrain_scan"]  # flat ground: every point is the base height below the base
    torch.testing.assert_close(standing, env.sim.base_pos()[:, 2:3].expand(-1, 21))


# --- domain randomisation takes effect in the physics ---------------------------------------------------
def test_payload_and_link_masses_show_up_in_the_ground_contact_forces() -> None:
    env = make_env(
        6,
        *NOMINAL_DR,
        "task.randomization.payload_kg=[-1.0,3.0]",
        "task.randomization.link_mass_scale=[0.7,1.3]",
    )
    run(env, 75)
    dr = env.task.randomizer
    nominal = sum(env.sim.layout.body_mass_kg.values())
    links = torch.tensor([env.sim.layout.body_mass_kg[body] for body in dr.link_mass_bodies])
    mass = nominal + dr.payload_kg + ((dr.link_mass_scale - 1.0) * links).sum(dim=1)
    assert mass.max() - mass.min() > 1.0  # the draws differ enough to tell apart
    support = env.sim.contact_forces()[:, :, 2].sum(dim=1)  # feet, and a knee that may touch down
    torch.testing.assert_close(support, mass * GRAVITY, rtol=0.03, atol=0.0)


def test_com_offset_moves_the_centre_of_pressure_under_the_feet() -> None:
    env = make_env(8, *NOMINAL_DR, "task.randomization.com_offset_m=0.05")
    run(env, 50)
    forces, feet = foot_forces(env), env.sim.body_pos()[:, env.task.foot_ids, :2]
    pressure = (forces[:, :, None] * feet).sum(dim=1) / forces.sum(dim=1, keepdim=True) - env.sim.base_pos()[:, :2]
    ahead, left = heading(env), heading(env) @ torch.tensor([[0.0, 1.0], [-1.0, 0.0]])
    offset = env.task.randomizer.com_offset_m
    share = env.sim.layout.body_mass_kg["base"] / sum(env.sim.layout.body_mass_kg.values())
    for axis, direction in ((0, ahead), (1, left)):
        # Standing still, the centre of pressure lies under the whole-body CoM, which moves by share x offset.
        shift = (pressure * direction).sum(dim=1).numpy()
        assert np.corrcoef(offset[:, axis].numpy(), shift)[0, 1] > 0.9
        assert np.polyfit(offset[:, axis].numpy(), shift, 1)[0] == pytest.approx(share, rel=0.25)


def test_lower_friction_lets_the_feet_of_a_pushed_robot_slide_further() -> None:
    env = make_env(16, *NOMINAL_DR, "task.randomization.friction=[0.02,0.5]")
    run(env, 25)
    start = env.sim.body_pos()[:, env.task.foot_ids, :2].clone()
    weight = sum(env.sim.layout.body_mass_kg.values()) * GRAVITY
    env.sim.set_external_force("base", torch.cat((0.15 * weight * heading(env), torch.zeros(16, 1)), dim=1))
    _, _, dones, _ = run(env, 25)
    assert not dones.any()
    slid = torch.linalg.vector_norm(env.sim.body_pos()[:, env.task.foot_ids, :2] - start, dim=2).mean(dim=1)
    friction = env.task.randomizer.friction
    assert np.corrcoef(friction.argsort().argsort(), slid.argsort().argsort())[0, 1] < -0.9  # rank correlation
    assert slid[friction.argmin()] > 0.1 and slid[friction.argmax()] < 0.25 * slid[friction.argmin()]


def test_gains_and_motor_strength_set_the_pd_torque() -> None:
    env = make_env(
        4,
        *NOMINAL_DR,
        "sim.decimation=1",  # one substep per step: the torque is computed from the state before the step
        "task.randomization.motor_strength=[0.8,1.2]",
        "task.randomization.kp_scale=[0.7,1.3]",
        "task.randomization.kd_scale=[0.5,1.5]",
    )
    dr, task = env.task.randomizer, env.task
    kp = torch.tensor([joint.kp for joint in GO2.joints]) * dr.kp_scale * dr.motor_strength
    kd = torch.tensor([joint.kd for joint in GO2.joints]) * dr.kd_scale * dr.motor_strength
    limits = torch.tensor([joint.effort_limit_nm for joint in GO2.joints])
    for _ in range(5):  # the robot drops onto its feet: joints move
        q, dq = env.sim.joint_pos().clone(), env.sim.joint_vel().clone()
        env.step(0.3 * torch.ones(env.num_envs, env.num_actions))
        expected = kp * (task.applied_targets - q) - kd * dq
        unclipped = expected.abs() < 0.99 * limits
        torch.testing.assert_close(env.sim.joint_torque()[unclipped], expected[unclipped], rtol=1e-4, atol=1e-3)
    assert (dq.abs() > 0.5).any()  # the damping term mattered


def test_pushes_change_the_base_velocity_along_the_force() -> None:
    env = make_env(
        4,
        *NOMINAL_DR,
        "task.randomization.push_force_n=[150.0,150.0]",
        "task.randomization.push_interval_s=[0.3,0.3]",
        "task.randomization.push_duration_s=0.1",
    )
    run(env, 15)
    assert (env.task.randomizer.push_force == 0).all()
    velocity = env.sim.base_lin_vel()[:, :2].clone()
    run(env, 1)  # 15 steps = 0.3 s into the episode: the push starts
    force = env.task.randomizer.push_force[:, :2].clone()
    assert torch.allclose(torch.linalg.vector_norm(force, dim=1), torch.full((4,), 150.0))
    run(env, 5)  # 0.1 s of 150 N on a 15 kg robot: about 1 m/s less friction
    gained = torch.sum((env.sim.base_lin_vel()[:, :2] - velocity) * force / 150.0, dim=1)
    assert (gained > 0.3).all()
    assert (env.task.randomizer.push_force == 0).all()


def test_a_reset_stops_a_push_in_progress() -> None:
    env = make_env(
        2,
        *NOMINAL_DR,
        "env.episode_length_s=0.5",
        "task.randomization.push_force_n=[150.0,150.0]",
        "task.randomization.push_interval_s=[0.3,0.3]",
        "task.randomization.push_duration_s=1.0",
    )
    run(env, 20)
    assert (env.task.randomizer.push_force != 0).any(dim=1).all()  # pushed since 0.3 s
    _, _, dones, _ = run(env, 5)  # time-out at 0.5 s, mid-push
    assert dones.all() and (env.task.randomizer.push_force == 0).all()
    run(env, 12)  # the next push is due 15 steps after the reset
    assert torch.linalg.vector_norm(env.sim.base_lin_vel()[:, :2], dim=1).max() < 0.5  # 150 N left on: > 1 m/s


def test_action_latency_delays_the_applied_targets_by_k_steps() -> None:
    env = make_env(3, *NOMINAL_DR, "task.randomization.action_delay_steps=[0,2]")
    task = env.task
    (latency,) = task.randomizer.actions
    latency.peak = torch.tensor([0.0, 1.0, 2.0])  # each env's drawn delay, steps
    run(env, 50)
    default, actions = env.default_joint_pos, torch.full((3, env.num_actions), 0.8)
    moved = default + GO2.action_scale * actions
    for step in range(3):
        q = env.sim.joint_pos().clone()
        env.step(actions)
        motion = (env.sim.joint_pos() - q).mean(dim=1)
        for k in range(3):  # env k gets the new targets from step k on, and its joints follow
            assert torch.allclose(task.applied_targets[k], moved[k] if step >= k else default[k])
            assert motion[k] > 0.01 if step >= k else abs(motion[k]) < 0.002


# --- rewards and terminations ---------------------------------------------------------------------------
TRACKING = {
    "track_lin_vel_xy": [1.0, 0.5, 0.0, 0.0, 0.0, 0.0],
    "track_yaw_rate": [0.0, 0.0, 0.8, 0.0, 0.0, 0.0],
    "track_height": [0.0, 0.0, 0.0, -0.08, 0.0, 0.0],
    "track_pitch": [0.0, 0.0, 0.0, 0.0, 0.3, 0.0],
    "track_roll": [0.0, 0.0, 0.0, 0.0, 0.0, 0.2],
}
"""Tracking term -> a command a robot standing still does not track."""


def test_each_tracking_term_pays_for_its_own_dimension() -> None:
    env = make_env(1 + len(TRACKING), *NO_DR)
    task = env.task
    task.resample_commands = False
    task.set_command(torch.arange(1 + len(TRACKING)), torch.tensor([[0.0] * 6, *TRACKING.values()]))
    run(env, 30)  # standing still: env 0's zero command is tracked
    for i, name in enumerate(TRACKING, start=1):
        reward = go2_posture.REWARD_FUNCTIONS[name](env)
        assert reward[0] > 0.85, name  # the maximum is 1
        assert reward[i] < reward[0] - 0.3, name  # its own dimension commanded, not tracked
        others = [j for j in range(1, 1 + len(TRACKING)) if j != i]
        assert (reward[others] > 0.85).all(), name  # other dimensions' errors do not reach it


def _reset_with(
    env: LeggedEnv, base_vel: torch.Tensor | None = None, joint_pos: torch.Tensor | None = None, height: float = 0.0
) -> None:
    """Put every env back at the spawn point, upright, ``height`` m above standing, with the given (n, 6)
    base velocity or (n, J) joints."""
    n = env.num_envs
    pos = env.sim.base_pos().clone()
    pos[:, 2] = GO2.default_base_height_m + 0.01 + height
    joints = env.default_joint_pos.clone() if joint_pos is None else joint_pos
    state = env.sim.compose_state(pos, torch.tensor([[1.0, 0, 0, 0]]).repeat(n, 1), joints, base_vel)
    env.sim.reset_worlds(torch.arange(n), state)


def test_lin_vel_z_and_ang_vel_xy_penalise_bouncing_and_rocking_only() -> None:
    env = make_env(4, *NO_DR)
    run(env, 20)
    # Env 0 still; env 1 moving up; env 2 rolling and pitching; env 3 yawing and moving forward.
    velocity = torch.tensor(
        [[0.0] * 6, [0.0, 0.0, 0.8, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 2.0, -1.5, 0.0], [0.8, 0.0, 0.0, 0.0, 0.0, 2.0]]
    )
    _reset_with(env, base_vel=velocity, height=1.0)  # in the air for this step: nothing damps the motion
    env.step(torch.zeros(4, env.num_actions))
    bounce, rock = go2_posture.REWARD_FUNCTIONS["lin_vel_z"](env), go2_posture.REWARD_FUNCTIONS["ang_vel_xy"](env)
    torch.testing.assert_close(bounce, env.sim.base_lin_vel()[:, 2].square())
    torch.testing.assert_close(rock, env.sim.base_ang_vel()[:, :2].square().sum(dim=1))
    assert bounce[1] > 0.2 and max(bounce[0], bounce[2], bounce[3]) < 0.1  # falling for 0.02 s: 0.2 m/s
    assert rock[2] > 3.0 and max(rock[0], rock[1], rock[3]) < 0.5


def test_joint_acc_penalises_a_sudden_change_of_joint_speed() -> None:
    env = make_env(2, *NO_DR)
    run(env, 20)
    before = env.sim.joint_vel().clone()
    actions = torch.zeros(2, env.num_actions)
    actions[1] = 1.0  # env 1 jerks every joint
    env.step(actions)
    expected = ((env.sim.joint_vel() - before) / env.control_dt).square().sum(dim=1)
    penalty = go2_posture.REWARD_FUNCTIONS["joint_acc"](env)
    torch.testing.assert_close(penalty, expected)
    assert penalty[1] > 100 * penalty[0] and penalty[1] > 1e4


def test_joint_limits_counts_the_radians_beyond_the_soft_range() -> None:
    env = make_env(2, *NO_DR)
    lower, upper = env.joint_range.unbind(dim=1)
    middle, half = (lower + upper) / 2, (upper - lower) / 2
    joints = env.default_joint_pos.clone()
    joints[1, 2] = middle[2] + 0.95 * half[2]  # FR calf at 95% of its half range: 5% past the 90% soft limit
    _reset_with(env, joint_pos=joints)
    env.state = env.state.__class__(env.sim, env.terrain, env.device)  # read the reset pose
    penalty = go2_posture.REWARD_FUNCTIONS["joint_limits"](env, soft_ratio=0.9)
    assert penalty[0] == 0.0
    torch.testing.assert_close(penalty[1], 0.05 * half[2])


def test_feet_air_time_pays_long_swings_while_moving_and_nothing_when_still() -> None:
    env = make_env(3, *NO_DR)
    task = env.task
    task.resample_commands = False
    task.set_command(torch.arange(3), torch.tensor([[0.5, 0, 0, 0, 0, 0], [0.5, 0, 0, 0, 0, 0], [0.0] * 6]))
    feet, dt, pos = task.feet, env.control_dt, torch.zeros(3, 4, 3)
    feet.reset(torch.arange(3))
    swing = torch.tensor([[False, True, True, True]]).repeat(3, 1)  # FR in the air, the others down
    steps = {0: 35, 1: 10, 2: 35}  # 0.7 s, 0.2 s, 0.7 s of air time for FR
    for step in range(36):
        touching = swing.clone()
        touching[:, 0] = torch.tensor([step >= steps[i] for i in range(3)])
        feet.before_step(pos)
        feet.after_step(pos, touching, dt)
        if step == 35:
            break
    reward = go2_posture.REWARD_FUNCTIONS["feet_air_time"](env, target_s=0.5)
    # Env 0 lands this step after 35 steps in the air (0.72 s with this one): +0.22 s; env 1 landed
    # long ago: 0 now; env 2 is not commanded to move: 0.
    torch.testing.assert_close(reward, torch.tensor([0.22, 0.0, 0.0]), atol=1e-5, rtol=0)


def test_foot_tracker_filters_flicker_and_times_each_swing() -> None:
    tracker = FootTracker(1, 2, "cpu")
    pos, dt = torch.zeros(1, 2, 3), 0.02
    # Foot 0: down, one-step flicker off, down; foot 1: 5 steps in the air, then down.
    contacts = [(True, False), (False, False), (True, False), (True, False), (True, False), (True, True)]
    first = []
    for step, (a, b) in enumerate(contacts):
        tracker.before_step(pos)
        moved = pos + torch.tensor([[[0.0, 0.0, 0.0], [0.01 * step, 0.0, 0.0]]])
        tracker.after_step(moved, torch.tensor([[a, b]]), dt)
        pos = moved
        first.append(tracker.first_contact[0].tolist())
        assert tracker.contact[0, 0] == 1.0  # a one-step gap is filtered out
    assert [f[1] for f in first] == [0, 0, 0, 0, 0, 1]  # foot 1 lands once
    assert tracker.touchdown_air_time[0, 1] == pytest.approx(6 * dt)
    assert tracker.air_time[0].tolist() == [0.0, 0.0]
    assert tracker.velocity[0, 1, 0] == pytest.approx(0.05 / dt)  # moved 0.05 m this step
    tracker.reset(torch.tensor([0]))
    assert tracker.air_time.abs().sum() == 0


def test_feet_slip_penalises_feet_sliding_on_the_ground() -> None:
    env = make_env(2, *NOMINAL_DR, "task.randomization.friction=[0.02,0.02]")
    run(env, 25)
    weight = sum(env.sim.layout.body_mass_kg.values()) * GRAVITY
    push = torch.cat((0.15 * weight * heading(env), torch.zeros(2, 1)), dim=1) * torch.tensor([[1.0], [0.0]])
    env.sim.set_external_force("base", push)  # env 0 slides on ice, env 1 stands
    run(env, 10)
    slip = go2_posture.REWARD_FUNCTIONS["feet_slip"](env)
    assert slip[0] > 0.05 and slip[1] < 0.2 * slip[0]  # standing on ice slips a little too


def test_undesired_contacts_count_the_calves_on_the_ground() -> None:
    env = make_env(2, *NO_DR)
    run(env, 10)
    kneeling = torch.tensor([0.0, 0.3, -1.8] * 4)  # thighs near vertical, calves near flat on the ground
    joints = torch.stack((env.default_joint_pos[0], kneeling))
    pos = env.sim.base_pos().clone()
    pos[1, 2] = 0.22
    pos[0, 2] = GO2.default_base_height_m + 0.01
    state = env.sim.compose_state(pos, torch.tensor([[1.0, 0, 0, 0]]).repeat(2, 1), joints)
    env.sim.reset_worlds(torch.arange(2), state)
    actions = torch.zeros(2, env.num_actions)
    actions[1] = (kneeling - env.default_joint_pos[1]) / GO2.action_scale
    env.step(actions)
    count = go2_posture.REWARD_FUNCTIONS["undesired_contacts"](env)
    calves = [env.body_index[f"{leg}_calf"] for leg in ("FR", "FL", "RR", "RL")]
    assert count[0] == 0
    assert count[1] == env.task.touching[1, calves].sum() == 4


def test_base_contact_and_excessive_tilt_end_the_episode_as_failures() -> None:
    env = make_env(3, *NO_DR)
    run(env, 10)
    # Env 0: upright, belly on the ground, legs lifted off it; env 1: rolled 75 degrees, 1 m in the air.
    splayed = torch.tensor([0.0, -1.5, -0.84, 0.0, -1.5, -0.84, 0.0, 2.4, -0.84, 0.0, 2.4, -0.84])
    belly = env.sim.compose_state(torch.tensor([[0.0, 0.0, 0.06]]), torch.tensor([[1.0, 0, 0, 0]]), splayed[None])
    angle = math.radians(75) / 2
    rolled_quat = torch.tensor([[math.cos(angle), math.sin(angle), 0.0, 0.0]])
    rolled = env.sim.compose_state(torch.tensor([[0.0, 0.0, 1.0]]), rolled_quat, env.default_joint_pos[:1])
    env.sim.reset_worlds(torch.tensor([0]), belly)
    env.sim.reset_worlds(torch.tensor([1]), rolled)
    actions = torch.zeros(3, env.num_actions)
    actions[0] = (splayed - env.default_joint_pos[0]) / GO2.action_scale
    _, rewards, dones, extras = env.step(actions)
    assert dones.tolist() == [True, True, False]
    assert not extras["time_outs"].any()
    base = env.body_index["base"]
    assert env.task.touching[0, base] and env.task.touching[0].sum() == 1  # the base alone touched
    assert not env.task.touching[1].any()  # the tilted robot touched nothing
    penalty = 100.0 * env.control_dt  # termination weight 100 per second
    assert rewards[0] < rewards[2] - 0.9 * penalty and rewards[1] < rewards[2] - 0.9 * penalty


def test_a_time_out_is_flagged_as_time_out_not_as_failure() -> None:
    env = make_env(2, *NO_DR, "env.episode_length_s=0.2")
    _, _, dones, extras = run(env, 9)
    assert not dones.any() and not extras["time_outs"].any()
    _, rewards, dones, extras = run(env, 1)
    assert dones.all() and extras["time_outs"].all()
    assert (rewards > 0).all()  # no termination penalty

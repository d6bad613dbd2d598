"""GPU backend: MuJoCo Warp, every world in one batched ``mujoco_warp`` Data.

State lives in Warp arrays that torch views without copies (``wp.to_torch``); per-world physical
parameters are model fields given a per-world leading dimension at ``put_model``. Warp computes in
float32. On CUDA every sequence of MuJoCo Warp calls is captured once as a CUDA graph and replayed,
so ``step`` never waits on the GPU; Warp's stream is blocking, so it orders with torch's default
stream without explicit syncs (use torch's default stream with this backend).

Stages follow MuJoCo's persistent batch (the CPU backend): after ``step`` the position and velocity
stages are current at the new state (``step1``), so ``body_pos`` is up to date while
``joint_torque`` and ``contact_forces`` describe the last substep; the next ``step`` starts with
``step2``, which adds no work over plain ``mjw.step`` calls. Parameter changes take effect at the
next ``step`` or ``reset_worlds``, as on the CPU: friction re-runs the position stage (contacts copy
it when detected), and mass or CoM changes are gathered into one ``set_const`` over every world.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import mujoco
import mujoco_warp as mjw
import torch
import warp as wp

from legged_envs.robots.spec import RobotSpec
from legged_envs.sim.backend import PhysicsBackend, WorldState
from legged_envs.sim.model_layout import ModelLayout

wp.config.quiet = True  # Warp's per-module load messages would flood the training display

_PER_WORLD_FIELDS = (
    "actuator_gainprm",  # motor strength
    "actuator_biasprm",  # -strength * kp, -strength * kd
    "actuator_forcerange",  # torque limits
    "geom_friction",
    "geom_solref",  # contact damping ratio
    "body_mass",
    "body_inertia",
    "body_ipos",
    # derived from the inertias by set_const: per world too, or worlds would overwrite each other's
    "body_subtreemass",
    "body_invweight0",
    "dof_invweight0",
    "actuator_acc0",
)
_SET_CONST_GROUPS = mjw.SetConstGroup.FIXED | mjw.SetConstGroup.INERT0
_CONTACTS_PER_PAIR = {
    int(mujoco.mjtGeom.mjGEOM_SPHERE): 1,
    int(mujoco.mjtGeom.mjGEOM_ELLIPSOID): 1,
    int(mujoco.mjtGeom.mjGEOM_CAPSULE): 2,
}
"""Contacts a robot geom makes with a plane or box; 4 for other types and against height fields."""


def contact_capacity(model: mujoco.MjModel) -> tuple[int, int]:
    """Per-world (nconmax, njmax) for every robot collision geom touching the terrain at once.

    The robot fallen flat is the worst case a task meets; MuJoCo Warp's own defaults (48 contacts,
    64 constraint rows) are smaller than a fallen G1 needs, and an overflow drops contacts. Each
    robot geom is counted against two terrain geoms when the terrain has several (a step's edge).
    Rows: condim per contact with elliptic cones, 2 (condim - 1) with pyramidal ones, and up to
    two (friction loss, limit) per dof.
    """
    collides = (model.geom_contype | model.geom_conaffinity) != 0
    on_robot = model.body_rootid[model.geom_bodyid] != 0
    geom_types = [int(t) for t in model.geom_type]
    robot_geoms = [g for g in range(model.ngeom) if collides[g] and on_robot[g]]
    terrain_geoms = [g for g in range(model.ngeom) if collides[g] and not on_robot[g]]
    has_hfield = any(geom_types[g] == mujoco.mjtGeom.mjGEOM_HFIELD for g in terrain_geoms)
    per_geom = [4 if has_hfield else _CONTACTS_PER_PAIR.get(geom_types[g], 4) for g in robot_geoms]
    nconmax = max(1, sum(per_geom) * min(len(terrain_geoms), 2))
    condim = max((int(model.geom_condim[g]) for g in robot_geoms), default=1)
    elliptic = int(model.opt.cone) == mujoco.mjtCone.mjCONE_ELLIPTIC
    rows_per_contact = condim if elliptic else max(1, 2 * (condim - 1))
    return nconmax, nconmax * rows_per_contact + 2 * model.nv


def _index_on(index: slice | torch.Tensor, device: torch.device) -> slice | torch.Tensor:
    """A layout index (slice or index tensor) usable on ``device``."""
    return index if isinstance(index, slice) else index.to(device)


class MujocoWarpBackend(PhysicsBackend):
    """Batched worlds on MuJoCo Warp (CUDA, or Warp's CPU device for tests)."""

    def __init__(
        self,
        model: mujoco.MjModel,
        robot: RobotSpec,
        num_worlds: int,
        body_names: tuple[str, ...],
        device: str = "cuda",
        nconmax: int | None = None,
        njmax: int | None = None,
    ):
        self.model = model
        """The host model (nominal parameters), e.g. to render a world from ``get_state``."""
        self.wp_device = wp.get_device(device)
        self.device = torch.device(wp.device_to_torch(self.wp_device))
        self.num_worlds = num_worlds
        self.physics_dt = float(model.opt.timestep)
        self.layout = ModelLayout(model, robot, body_names)
        self.joint_names = robot.joint_names
        self.body_names = body_names
        default_nconmax, default_njmax = contact_capacity(model)
        per_world = {name: num_worlds for name in _PER_WORLD_FIELDS}
        if model.ntendon:
            per_world["tendon_invweight0"] = num_worlds
        with wp.ScopedDevice(self.wp_device):
            self.wp_model = mjw.put_model(model, batch_sizes=per_world)
            # Options are not batched by put_model; kernels read gravity[world % len], so a per-world array works.
            gravity = wp.array([model.opt.gravity] * num_worlds, dtype=wp.vec3)
            gravity._is_batched = True
            self.wp_model.opt.gravity = gravity
            # A solver stopping at its iteration budget is a chosen trade-off, not an error: keep the
            # flag in wp_data.overflow but do not print it from every world at every substep.
            quiet = mjw.OverflowType.ITERATIONS | mjw.OverflowType.LS_ITERATIONS
            self.wp_model.opt.warn_overflow = int(self.wp_model.opt.warn_overflow & ~quiet)
            self.wp_data = mjw.make_data(
                model, nworld=num_worlds, nconmax=nconmax or default_nconmax, njmax=njmax or default_njmax
            )
            self._reset_mask_wp = wp.zeros(num_worlds, dtype=wp.bool)
        self._graphs: dict[Hashable, wp.Graph] = {}
        self._constants_stale = False
        """Whether masses or CoMs changed since set_const last derived the constants from them."""
        self._stages_stale = False
        """Whether a parameter the position or velocity stage reads (friction, solref, gravity) changed since they
        last ran."""

        data, wp_model = self.wp_data, self.wp_model
        self._qpos = wp.to_torch(data.qpos)
        self._qvel = wp.to_torch(data.qvel)
        self._ctrl = wp.to_torch(data.ctrl)
        self._xfrc = wp.to_torch(data.xfrc_applied)
        self._xpos = wp.to_torch(data.xpos)
        self._xquat = wp.to_torch(data.xquat)
        self._cfrc_ext = wp.to_torch(data.cfrc_ext)
        self._actuator_force = wp.to_torch(data.actuator_force)
        self._reset_mask = wp.to_torch(self._reset_mask_wp)
        self._gain = wp.to_torch(wp_model.actuator_gainprm)
        self._bias = wp.to_torch(wp_model.actuator_biasprm)
        self._force_range = wp.to_torch(wp_model.actuator_forcerange)
        self._friction = wp.to_torch(wp_model.geom_friction)
        self._body_mass = wp.to_torch(wp_model.body_mass)
        self._body_inertia = wp.to_torch(wp_model.body_inertia)
        self._body_ipos = wp.to_torch(wp_model.body_ipos)
        self._solref = wp.to_torch(wp_model.geom_solref)
        self._gravity = wp.to_torch(wp_model.opt.gravity)
        self._nominal_damping = self._solref[0, :, 1].clone()
        self._model_mass = model.body_mass.copy()
        self._nominal_mass = self._body_mass[0].clone()
        self._nominal_inertia = self._body_inertia[0].clone()
        self._nominal_ipos = self._body_ipos[0].clone()
        self._joint_qpos = _index_on(self.layout.joint_qpos, self.device)
        self._joint_dof = _index_on(self.layout.joint_dof, self.device)
        self._body_ids = self.layout.body_ids.to(self.device)
        f32 = {"dtype": torch.float32, "device": self.device}
        self.kp = torch.tensor([j.kp for j in robot.joints], **f32).repeat(num_worlds, 1)
        self.kd = torch.tensor([j.kd for j in robot.joints], **f32).repeat(num_worlds, 1)
        self.strength = torch.ones(num_worlds, robot.num_joints, **f32)
        self._run("forward", lambda: mjw.forward(self.wp_model, self.wp_data))

    # --- state -------------------------------------------------------------------------------
    def base_pos(self) -> torch.Tensor:
        return self._qpos[:, 0:3].clone()

    def base_quat(self) -> torch.Tensor:
        return self._qpos[:, 3:7].clone()

    def base_lin_vel(self) -> torch.Tensor:
        return self._qvel[:, 0:3].clone()

    def base_ang_vel(self) -> torch.Tensor:
        return self._qvel[:, 3:6].clone()

    def joint_pos(self) -> torch.Tensor:
        return self._qpos[:, self._joint_qpos].clone()

    def joint_vel(self) -> torch.Tensor:
        return self._qvel[:, self._joint_dof].clone()

    def joint_torque(self) -> torch.Tensor:
        return self._actuator_force.clone()

    def body_pos(self) -> torch.Tensor:
        return self._xpos[:, self._body_ids]

    def body_quat(self) -> torch.Tensor:
        return self._xquat[:, self._body_ids]

    def contact_forces(self) -> torch.Tensor:
        # cfrc_ext holds contact forces plus the applied perturbation: remove the latter.
        ids = self._body_ids
        return self._cfrc_ext[:, ids, 3:6] - self._xfrc[:, ids, 0:3]

    def get_state(self, world_ids: torch.Tensor | None = None) -> WorldState:
        if world_ids is None:
            return WorldState(qpos=self._qpos.clone(), qvel=self._qvel.clone())
        ids = world_ids.to(self.device)
        return WorldState(qpos=self._qpos[ids], qvel=self._qvel[ids])

    # --- commands ------------------------------------------------------------------------------
    def set_joint_targets(
        self, q_target: torch.Tensor, dq_target: torch.Tensor | None = None, tau_ff: torch.Tensor | None = None
    ) -> None:
        ctrl = self.kp * self._f32(q_target)
        if dq_target is not None:
            ctrl += self.kd * self._f32(dq_target)
        if tau_ff is not None:
            ctrl += self._f32(tau_ff)
        self._ctrl.copy_(ctrl)

    def step(self, num_substeps: int) -> None:
        if num_substeps < 1:
            raise ValueError(f"num_substeps: expected int >= 1, got {num_substeps}")
        self._update_constants()
        if self._stages_stale:
            self._run("step1", lambda: mjw.step1(self.wp_model, self.wp_data))
            self._stages_stale = False
        self._run(("step", num_substeps), lambda: self._substeps(num_substeps))

    def reset_worlds(self, world_ids: torch.Tensor, state: WorldState) -> None:
        ids = world_ids.to(self.device)
        self._reset_mask.zero_()
        self._reset_mask[ids] = True
        self._run("reset", lambda: mjw.reset_data(self.wp_model, self.wp_data, reset=self._reset_mask_wp))
        self._qpos[ids] = self._f32(state.qpos)
        self._qvel[ids] = self._f32(state.qvel)
        self._update_constants()
        # mj_forward on every world; the others keep what their last substep applied.
        torque, cfrc_ext = self._actuator_force.clone(), self._cfrc_ext.clone()
        self._run("forward", lambda: mjw.forward(self.wp_model, self.wp_data))
        reset = self._reset_mask
        self._actuator_force.copy_(torch.where(reset[:, None], self._actuator_force, torque))
        self._cfrc_ext.copy_(torch.where(reset[:, None, None], self._cfrc_ext, cfrc_ext))
        self._stages_stale = False

    def set_external_force(self, body_name: str, force: torch.Tensor, torque: torch.Tensor | None = None) -> None:
        body = self.layout.model_body_id(body_name)
        self._xfrc[:, body, 0:3] = self._f32(force)
        self._xfrc[:, body, 3:6] = 0.0 if torque is None else self._f32(torque)

    # --- per-world parameters -------------------------------------------------------------------
    def set_pd_gains(self, world_ids: torch.Tensor, kp: torch.Tensor, kd: torch.Tensor) -> None:
        ids = world_ids.to(self.device)
        self.kp[ids] = self._f32(kp)
        self.kd[ids] = self._f32(kd)
        self._write_actuator_params(ids)

    def set_motor_strength(self, world_ids: torch.Tensor, strength: torch.Tensor) -> None:
        ids = world_ids.to(self.device)
        self.strength[ids] = self._f32(strength)
        self._write_actuator_params(ids)

    def set_torque_limits(self, world_ids: torch.Tensor, limits: torch.Tensor) -> None:
        limits = self._f32(limits)
        self._force_range[world_ids.to(self.device)] = torch.stack((-limits, limits), dim=-1)

    def set_friction(self, world_ids: torch.Tensor, friction: torch.Tensor) -> None:
        # Contacts copy their friction when the position stage detects them.
        self._friction[world_ids.to(self.device), :, 0] = self._f32(friction)[:, None]
        self._stages_stale = True

    def set_body_mass(self, world_ids: torch.Tensor, body_name: str, mass_kg: torch.Tensor) -> None:
        ids, body = world_ids.to(self.device), self.layout.model_body_id(body_name)
        if self._model_mass[body] <= 0.0:
            raise ValueError(f"body {body_name!r} is massless in the model: its inertia cannot be scaled with a mass")
        mass = self._f32(mass_kg)
        self._body_mass[ids, body] = mass
        self._body_inertia[ids, body] = self._nominal_inertia[body] * (mass / self._nominal_mass[body])[:, None]
        self._constants_stale = True

    def set_com_offset(self, world_ids: torch.Tensor, body_name: str, offset_m: torch.Tensor) -> None:
        ids, body = world_ids.to(self.device), self.layout.model_body_id(body_name)
        self._body_ipos[ids, body] = self._nominal_ipos[body] + self._f32(offset_m)
        self._constants_stale = True

    def set_gravity(self, world_ids: torch.Tensor, gravity: torch.Tensor) -> None:
        self._gravity[world_ids.to(self.device)] = self._f32(gravity)
        self._stages_stale = True

    def set_contact_damping(self, world_ids: torch.Tensor, scale: torch.Tensor) -> None:
        # Contacts copy their solref when the position stage detects them.
        self._solref[world_ids.to(self.device), :, 1] = self._nominal_damping * self._f32(scale)[:, None]
        self._stages_stale = True

    # --- internals --------------------------------------------------------------------------------
    def _f32(self, tensor: torch.Tensor) -> torch.Tensor:
        return tensor.to(device=self.device, dtype=torch.float32)

    def _substeps(self, num_substeps: int) -> None:
        """``num_substeps`` mj_steps, from and back to the velocity stage."""
        mjw.step2(self.wp_model, self.wp_data)
        for _ in range(num_substeps - 1):
            mjw.step(self.wp_model, self.wp_data)
        mjw.step1(self.wp_model, self.wp_data)

    def _run(self, key: Hashable, launch: Callable[[], None]) -> None:
        """Run ``launch``'s kernels: directly on the CPU, as a CUDA graph captured once per key on CUDA."""
        with wp.ScopedDevice(self.wp_device):
            if not self.wp_device.is_cuda:
                launch()
                return
            if key not in self._graphs:
                with wp.ScopedCapture() as capture:
                    launch()
                self._graphs[key] = capture.graph
            wp.capture_launch(self._graphs[key])

    def _update_constants(self) -> None:
        """Recompute the constants MuJoCo derives from masses and CoMs, in every world, once after
        any number of changes; the position stage must run after it (set_const leaves it at qpos0)."""
        if self._constants_stale:
            model, data = self.wp_model, self.wp_data
            self._run("set_const", lambda: mjw.set_const(model, data, groups=_SET_CONST_GROUPS, restore=False))
            self._constants_stale = False
            self._stages_stale = True

    def _write_actuator_params(self, ids: torch.Tensor) -> None:
        strength = self.strength[ids]
        self._gain[ids, :, 0] = strength
        self._bias[ids, :, 1] = -self.kp[ids] * strength
        self._bias[ids, :, 2] = -self.kd[ids] * strength

"""Robot specification: the single source of truth for joint order, gains and DDS layout.

Sim, ONNX export and deploy all read these objects; nothing here imports torch or mujoco,
so the deploy side can use it on the robot's computer.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class JointSpec:
    """One actuated joint, in the policy's (and simulator's) joint order."""

    name: str
    """MJCF joint name (also the actuator name in the project's assets)."""
    motor_index: int
    """Slot of this joint in LowCmd.motor_cmd / LowState.motor_state."""
    default_pos_rad: float
    """Default (standing) joint position, rad."""
    kp: float
    """PD stiffness, N m / rad."""
    kd: float
    """PD damping, N m s / rad."""
    effort_limit_nm: float
    """Peak torque, N m (Unitree's figure)."""
    velocity_limit_rad_s: float
    """Peak joint speed, rad/s (Unitree's figure)."""
    range_rad: tuple[float, float]
    """Joint position limits (lower, upper), rad (Unitree's figure)."""
    armature_kg_m2: float = 0.0
    """Reflected rotor inertia, kg m^2."""


@dataclass(frozen=True)
class RobotSpec:
    """Everything sim, export and deploy need to agree on for one robot."""

    name: str
    """Registry key, e.g. ``"g1_23dof"`` or ``"go2"``."""
    mjcf_file: str
    """File name of the robot's MJCF inside ``assets/``."""
    joints: tuple[JointSpec, ...]
    """Actuated joints in policy order (the MJCF's actuator order)."""
    num_motor_slots: int
    """Length of LowCmd.motor_cmd for this robot's message family."""
    message_family: str
    """``"unitree_hg"`` (humanoids) or ``"unitree_go"`` (quadrupeds)."""
    mode_machine: int
    """The LowState.mode_machine value the hardware variant reports (0 where unused)."""
    action_scale: float
    """Joint target = default + action_scale * action (rad per unit action)."""
    base_body: str
    """Name of the floating-base body."""
    imu_site: str
    """Name of the IMU site on the base."""
    foot_bodies: tuple[str, ...]
    """Bodies that are allowed to touch the ground."""
    default_base_height_m: float
    """Base height above flat ground when standing at the default pose."""
    named_bodies: dict[str, str] = field(default_factory=dict)
    """Role -> body name for bodies tasks refer to (``"head"``, ``"torso"``, ``"pelvis"``...)."""

    @property
    def num_joints(self) -> int:
        return len(self.joints)

    @property
    def joint_names(self) -> tuple[str, ...]:
        return tuple(joint.name for joint in self.joints)

    @property
    def default_joint_pos(self) -> tuple[float, ...]:
        return tuple(joint.default_pos_rad for joint in self.joints)

    @property
    def motor_indices(self) -> tuple[int, ...]:
        return tuple(joint.motor_index for joint in self.joints)

    def __post_init__(self) -> None:
        indices = self.motor_indices
        if len(set(indices)) != len(indices):
            raise ValueError(f"robot {self.name}: duplicate motor indices {indices}")
        if any(not 0 <= index < self.num_motor_slots for index in indices):
            raise ValueError(f"robot {self.name}: motor index outside 0..{self.num_motor_slots - 1}")
        if self.message_family not in ("unitree_hg", "unitree_go"):
            raise ValueError(f"robot {self.name}: unknown message family {self.message_family!r}")

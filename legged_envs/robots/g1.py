"""Unitree G1 23-DoF: joint order, gains, limits and DDS layout (``assets/g1_23dof.xml``).

Figures:
- Joint order, ranges and effort limits: Unitree's g1_23dof MJCF (its actuator order and its
  ``actuatorfrcrange``). That model is the original g1_23dof variant, not g1_23dof_rev_1_0: its
  hip roll motors are the 88 N m ones (rev 1.0 has 139 N m) and its torso joint sits 0.054 m
  above the pelvis (rev 1.0: 0.044 m); so ``mode_machine`` is 1 (rev 1.0 would report 4).
- Velocity limits: Unitree's g1_23dof URDF (unitree_ros, robots/g1_description) ``velocity=``:
  hip and waist 32, knee 20, ankle 30, shoulder/elbow/wrist 37 rad/s.
- Motor indices: Unitree's "G1 joint motor order" table for the 23-DoF version (slots 0..22 of
  the 35 in unitree_hg LowCmd). Unitree's later Isaac Lab configs for g1_23dof_rev_1_0 instead
  place the arms in the 29-DoF slots (15..19, 22..26); check on hardware before deploying.
- kp/kd: HoST's G1 gains. Armature: Unitree's G1 figure (0.01 kg m^2, from g1_29dof).
- Default pose: legs as in Unitree's G1 configs (hip pitch -0.1, knee 0.3, ankle pitch -0.2);
  arms as in Unitree's G1 23-DoF Isaac Lab config (unitree_rl_lab).
"""

from __future__ import annotations

from legged_envs.robots.spec import JointSpec, RobotSpec

ARMATURE_KG_M2 = 0.01

# (joint-name fragment, kp N m/rad, kd N m s/rad), first match wins; HoST's G1 23-DoF gains.
_GAINS: tuple[tuple[str, float, float], ...] = (
    ("hip", 150.0, 4.0),
    ("knee", 200.0, 6.0),
    ("ankle", 40.0, 2.0),
    ("", 100.0, 4.0),  # waist, shoulder, elbow, wrist
)

# name, motor index, default rad, effort N m, velocity rad/s, lower rad, upper rad
_JOINT_TABLE: tuple[tuple[str, int, float, float, float, float, float], ...] = (
    ("left_hip_pitch_joint", 0, -0.1, 88.0, 32.0, -2.5307, 2.8798),
    ("left_hip_roll_joint", 1, 0.0, 88.0, 32.0, -0.5236, 2.9671),
    ("left_hip_yaw_joint", 2, 0.0, 88.0, 32.0, -2.7576, 2.7576),
    ("left_knee_joint", 3, 0.3, 139.0, 20.0, -0.087267, 2.8798),
    ("left_ankle_pitch_joint", 4, -0.2, 50.0, 30.0, -0.87267, 0.5236),
    ("left_ankle_roll_joint", 5, 0.0, 50.0, 30.0, -0.2618, 0.2618),
    ("right_hip_pitch_joint", 6, -0.1, 88.0, 32.0, -2.5307, 2.8798),
    ("right_hip_roll_joint", 7, 0.0, 88.0, 32.0, -2.9671, 0.5236),
    ("right_hip_yaw_joint", 8, 0.0, 88.0, 32.0, -2.7576, 2.7576),
    ("right_knee_joint", 9, 0.3, 139.0, 20.0, -0.087267, 2.8798),
    ("right_ankle_pitch_joint", 10, -0.2, 50.0, 30.0, -0.87267, 0.5236),
    ("right_ankle_roll_joint", 11, 0.0, 50.0, 30.0, -0.2618, 0.2618),
    ("waist_yaw_joint", 12, 0.0, 88.0, 32.0, -2.618, 2.618),
    ("left_shoulder_pitch_joint", 13, 0.3, 25.0, 37.0, -3.0892, 2.6704),
    ("left_shoulder_roll_joint", 14, 0.25, 25.0, 37.0, -1.5882, 2.2515),
    ("left_shoulder_yaw_joint", 15, 0.0, 25.0, 37.0, -2.618, 2.618),
    ("left_elbow_joint", 16, 0.97, 25.0, 37.0, -1.0472, 2.0944),
    ("left_wrist_roll_joint", 17, 0.15, 25.0, 37.0, -1.97222, 1.97222),
    ("right_shoulder_pitch_joint", 18, 0.3, 25.0, 37.0, -3.0892, 2.6704),
    ("right_shoulder_roll_joint", 19, -0.25, 25.0, 37.0, -2.2515, 1.5882),
    ("right_shoulder_yaw_joint", 20, 0.0, 25.0, 37.0, -2.618, 2.618),
    ("right_elbow_joint", 21, 0.97, 25.0, 37.0, -1.0472, 2.0944),
    ("right_wrist_roll_joint", 22, -0.15, 25.0, 37.0, -1.97222, 1.97222),
)


def _gains(joint_name: str) -> tuple[float, float]:
    """(kp, kd) for a joint, from the first ``_GAINS`` fragment its name contains."""
    return next((kp, kd) for fragment, kp, kd in _GAINS if fragment in joint_name)


def _joints() -> tuple[JointSpec, ...]:
    return tuple(
        JointSpec(
            name=name,
            motor_index=index,
            default_pos_rad=default,
            kp=_gains(name)[0],
            kd=_gains(name)[1],
            effort_limit_nm=effort,
            velocity_limit_rad_s=velocity,
            range_rad=(lower, upper),
            armature_kg_m2=ARMATURE_KG_M2,
        )
        for name, index, default, effort, velocity, lower, upper in _JOINT_TABLE
    )


G1_23DOF = RobotSpec(
    name="g1_23dof",
    mjcf_file="g1_23dof.xml",
    joints=_joints(),
    num_motor_slots=35,
    message_family="unitree_hg",
    mode_machine=1,
    action_scale=0.25,
    base_body="pelvis",
    imu_site="imu",
    foot_bodies=("left_ankle_roll_link", "right_ankle_roll_link"),
    default_base_height_m=0.784,  # pelvis above flat ground, feet flat at the default pose (FK of the asset)
    named_bodies={
        "pelvis": "pelvis",
        "torso": "torso_link",
        "head": "head_link",
        "left_foot": "left_ankle_roll_link",
        "right_foot": "right_ankle_roll_link",
        "left_hand": "left_wrist_roll_rubber_hand",
        "right_hand": "right_wrist_roll_rubber_hand",
    },
)

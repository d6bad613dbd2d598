"""Unitree Go2 (12 DoF quadruped): the robot spec for ``assets/go2.xml``.

Sources of the figures:
- Joint order, ranges, effort limits (23.7 N m hip/thigh, 45.43 N m calf), armature 0.01:
  Unitree's Go2 MJCF (unitreerobotics/unitree_mujoco ``unitree_robots/go2/go2.xml``), whose
  actuator order is FR, FL, RR, RL x (hip, thigh, calf).
- Motor index: unitreerobotics/unitree_ros2 ``example/src/include/common/motor_crc.h``
  (``FR_0 = 0 ... RL_2 = 11``; ``_0/_1/_2`` = hip/thigh/calf); same in unitree_sdk2's go2 examples.
  LowCmd.motor_cmd has 20 slots; 12..19 are unused on the Go2.
- Velocity limits (30.1 rad/s hip/thigh, 15.70 rad/s calf): unitreerobotics/unitree_ros
  ``robots/go2_description/urdf/go2_description.urdf`` ``<limit velocity=...>``.
- kp 20, kd 0.5, action scale 0.25 and the default pose: unitreerobotics/unitree_rl_gym
  ``legged_gym/envs/go2/go2_config.py``.
- mode_machine 0: unitree_go LowState has no mode_machine field.
"""

from legged_envs.robots.spec import JointSpec, RobotSpec

LEGS = ("FR", "FL", "RR", "RL")
"""Leg order of the DDS motor array (and of the MJCF actuators)."""

_KP = 20.0
_KD = 0.5
_ARMATURE = 0.01
_EFFORT_NM = {"hip": 23.7, "thigh": 23.7, "calf": 45.43}
_VELOCITY_RAD_S = {"hip": 30.1, "thigh": 30.1, "calf": 15.70}
_HIP_RANGE = (-1.0472, 1.0472)
_FRONT_THIGH_RANGE = (-1.5708, 3.4907)
_REAR_THIGH_RANGE = (-0.5236, 4.5379)
_CALF_RANGE = (-2.7227, -0.83776)


def _leg_joints(leg: str, first_motor: int) -> tuple[JointSpec, ...]:
    """Hip, thigh and calf of one leg; left hips abduct +0.1 rad, right hips -0.1 rad."""
    front = leg[0] == "F"
    defaults = {"hip": 0.1 if leg[1] == "L" else -0.1, "thigh": 0.8 if front else 1.0, "calf": -1.5}
    ranges = {"hip": _HIP_RANGE, "thigh": _FRONT_THIGH_RANGE if front else _REAR_THIGH_RANGE, "calf": _CALF_RANGE}
    return tuple(
        JointSpec(
            name=f"{leg}_{part}_joint",
            motor_index=first_motor + offset,
            default_pos_rad=defaults[part],
            kp=_KP,
            kd=_KD,
            effort_limit_nm=_EFFORT_NM[part],
            velocity_limit_rad_s=_VELOCITY_RAD_S[part],
            range_rad=ranges[part],
            armature_kg_m2=_ARMATURE,
        )
        for offset, part in enumerate(("hip", "thigh", "calf"))
    )


GO2 = RobotSpec(
    name="go2",
    mjcf_file="go2.xml",
    joints=tuple(joint for index, leg in enumerate(LEGS) for joint in _leg_joints(leg, 3 * index)),
    num_motor_slots=20,
    message_family="unitree_go",
    mode_machine=0,
    action_scale=0.25,
    base_body="base",
    imu_site="imu",
    foot_bodies=tuple(f"{leg}_foot" for leg in LEGS),
    default_base_height_m=0.263,
    named_bodies={
        "base": "base",
        **{f"{leg}_foot": f"{leg}_foot" for leg in LEGS},
        **{f"{leg}_thigh": f"{leg}_thigh" for leg in LEGS},
        **{f"{leg}_calf": f"{leg}_calf" for leg in LEGS},
    },
)

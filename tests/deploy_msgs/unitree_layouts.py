"""Unitree LowCmd C layouts written out by hand from the message definitions, for the tests only.

They check what ``deploy.robot.wire`` derives from the generated message classes, and pack rclpy
messages (or any objects with the same attributes) for the CRC test vectors.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

import numpy as np

from deploy.robot.crc import crc32_core

MOTOR_CMD_HG = np.dtype(
    {
        "names": ["mode", "q", "dq", "tau", "kp", "kd", "reserve"],
        "formats": ["u1", "<f4", "<f4", "<f4", "<f4", "<f4", "<u4"],
        "offsets": [0, 4, 8, 12, 16, 20, 24],
        "itemsize": 28,
    }
)
"""C layout of ``unitree_hg::msg::dds_::MotorCmd_`` (28 bytes)."""

LOWCMD_HG = np.dtype(
    {
        "names": ["mode_pr", "mode_machine", "motor_cmd", "reserve", "crc"],
        "formats": ["u1", "u1", (MOTOR_CMD_HG, 35), ("<u4", 4), "<u4"],
        "offsets": [0, 1, 4, 984, 1000],
        "itemsize": 1004,
    }
)
"""C layout of ``unitree_hg::msg::dds_::LowCmd_`` (1004 bytes)."""

MOTOR_CMD_GO = np.dtype(
    {
        "names": ["mode", "q", "dq", "tau", "kp", "kd", "reserve"],
        "formats": ["u1", "<f4", "<f4", "<f4", "<f4", "<f4", ("<u4", 3)],
        "offsets": [0, 4, 8, 12, 16, 20, 24],
        "itemsize": 36,
    }
)
"""C layout of ``unitree_go::msg::dds_::MotorCmd_`` (36 bytes)."""

BMS_CMD_GO = np.dtype({"names": ["off", "reserve"], "formats": ["u1", ("u1", 3)], "offsets": [0, 1], "itemsize": 4})
"""C layout of ``unitree_go::msg::dds_::BmsCmd_`` (4 bytes)."""

LOWCMD_GO = np.dtype(
    {
        "names": [
            "head",
            "level_flag",
            "frame_reserve",
            "sn",
            "version",
            "bandwidth",
            "motor_cmd",
            "bms_cmd",
            "wireless_remote",
            "led",
            "fan",
            "gpio",
            "reserve",
            "crc",
        ],
        "formats": [
            ("u1", 2),
            "u1",
            "u1",
            ("<u4", 2),
            ("<u4", 2),
            "<u2",
            (MOTOR_CMD_GO, 20),
            BMS_CMD_GO,
            ("u1", 40),
            ("u1", 12),
            ("u1", 2),
            "u1",
            "<u4",
            "<u4",
        ],
        "offsets": [0, 2, 3, 4, 12, 20, 24, 744, 748, 788, 800, 802, 804, 808],
        "itemsize": 812,
    }
)
"""C layout of ``unitree_go::msg::dds_::LowCmd_`` (812 bytes)."""

_motor_fields = attrgetter(*MOTOR_CMD_HG.names)  # both families: mode, q, dq, tau, kp, kd, reserve


def _motors(msg: Any, count: int) -> list[tuple]:
    motors = msg.motor_cmd
    if len(motors) != count:
        raise ValueError(f"LowCmd.motor_cmd: expected {count} motors, got {len(motors)}")
    return [_motor_fields(motor) for motor in motors]


def pack_lowcmd_hg(msg: Any) -> bytes:
    """A unitree_hg LowCmd as its 1004-byte C struct (``crc`` field included as it stands)."""
    buf = np.zeros((), dtype=LOWCMD_HG)
    buf["mode_pr"] = msg.mode_pr
    buf["mode_machine"] = msg.mode_machine
    buf["motor_cmd"] = _motors(msg, 35)
    buf["reserve"] = msg.reserve
    buf["crc"] = msg.crc
    return buf.tobytes()


def pack_lowcmd_go(msg: Any) -> bytes:
    """A unitree_go LowCmd as its 812-byte C struct (``crc`` field included as it stands)."""
    buf = np.zeros((), dtype=LOWCMD_GO)
    for name in ("head", "level_flag", "frame_reserve", "sn", "version", "bandwidth"):
        buf[name] = getattr(msg, name)
    buf["motor_cmd"] = _motors(msg, 20)
    buf["bms_cmd"] = (msg.bms_cmd.off, msg.bms_cmd.reserve)
    for name in ("wireless_remote", "led", "fan", "gpio", "reserve", "crc"):
        buf[name] = getattr(msg, name)
    return buf.tobytes()


def lowcmd_crc(packed: bytes) -> int:
    """CRC of a packed LowCmd struct: all its 32-bit words but the last (the ``crc`` field)."""
    if len(packed) % 4:
        raise ValueError(f"packed LowCmd: length {len(packed)} is not a multiple of 4 bytes")
    return crc32_core(np.frombuffer(packed, dtype="<u4")[:-1])


def lowcmd_crc_hg(msg: Any) -> int:
    """The ``crc`` value a unitree_hg LowCmd must carry."""
    return lowcmd_crc(pack_lowcmd_hg(msg))


def lowcmd_crc_go(msg: Any) -> int:
    """The ``crc`` value a unitree_go LowCmd must carry."""
    return lowcmd_crc(pack_lowcmd_go(msg))

"""CRC32 of Unitree LowCmd messages, as the robot checks it before accepting a command.

The message is laid out as the C struct of its DDS type (natural alignment, zero padding,
little-endian), read as 32-bit words, and all words but the last (the ``crc`` field itself)
go through Unitree's ``crc32_core``: register 0xFFFFFFFF, polynomial 0x04C11DB7, each word's
bits fed most significant first, no final XOR. That is CRC-32/MPEG-2 over the bit stream, so
it is computed here by the C CRC-32 in ``zlib`` (the same polynomial, bit-reflected) on the
bit-reversed words, and the result is reflected back.

Messages are duck-typed: rclpy ``unitree_hg.msg.LowCmd`` / ``unitree_go.msg.LowCmd`` objects or
any objects with the same attributes.
"""

from __future__ import annotations

import zlib
from operator import attrgetter
from typing import Any

import numpy as np

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
_BITREV8 = np.array([int(f"{byte:08b}"[::-1], 2) for byte in range(256)], dtype=np.uint8)


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


def crc32_core(words: np.ndarray) -> int:
    """Unitree's CRC32 of a sequence of 32-bit words (shape (n,), any unsigned 32-bit dtype)."""
    words = np.ascontiguousarray(words, dtype="<u4")
    # zlib feeds each byte LSB first: bit-reversing every byte and reversing the byte order of
    # every word turns that into the word's MSB-first order. zlib inverts its register on entry
    # and exit, and its register is the bit-reverse of this one.
    stream = _BITREV8.take(words.view(np.uint8)).view("<u4").byteswap()
    register = zlib.crc32(stream) ^ 0xFFFFFFFF
    return int(f"{register:032b}"[::-1], 2)


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

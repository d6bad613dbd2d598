"""LowCmd CRC and C-struct packing, checked on the generated rclpy message classes.

Needs the ROS environment (scripts/setup_ros_env.sh) for unitree_hg / unitree_go.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from unitree_go.msg import LowCmd as GoLowCmd
from unitree_hg.msg import LowCmd as HgLowCmd

from deploy.robot.crc import crc32_core

from .unitree_layouts import (
    LOWCMD_GO,
    LOWCMD_HG,
    lowcmd_crc_go,
    lowcmd_crc_hg,
    pack_lowcmd_go,
    pack_lowcmd_hg,
)

# Unitree's published test vectors for the wire format (see hg_test_vector / go_test_vector).
HG_VECTOR_CRC = 0xBEDA6316
GO_VECTOR_CRC = 0xEA7D3F69
POLY = 0x04C11DB7


def crc32_bitwise(words: np.ndarray) -> int:
    """The CRC exactly as Unitree defines it, one bit at a time (slow reference)."""
    register = 0xFFFFFFFF
    for word in words.tolist():
        for bit in range(31, -1, -1):
            register = ((register << 1) ^ POLY if register & 0x80000000 else register << 1) & 0xFFFFFFFF
            if (word >> bit) & 1:
                register ^= POLY
    return register


def f32_times(step: float, i: int) -> float:
    """C's ``step_f * i`` computed in float32."""
    return float(np.float32(step) * np.float32(i))


def hg_test_vector() -> HgLowCmd:
    msg = HgLowCmd(mode_pr=0, mode_machine=4)
    for i, motor in enumerate(msg.motor_cmd):
        motor.mode, motor.q, motor.dq, motor.tau, motor.kp, motor.kd = 1, f32_times(0.1, i), 0.0, 0.0, 100.0, 2.0
    return msg


def go_test_vector() -> GoLowCmd:
    msg = GoLowCmd(level_flag=0xFF)
    msg.head = [0xFE, 0xEF]
    for i, motor in enumerate(msg.motor_cmd[:12]):
        motor.mode, motor.q, motor.kp, motor.kd = 1, f32_times(0.05, i), 20.0, 0.5
    for motor in msg.motor_cmd[12:]:
        motor.mode, motor.q, motor.dq = 0, 2.146e9, 16000.0
    return msg


FAMILIES = {
    "hg": (hg_test_vector, pack_lowcmd_hg, lowcmd_crc_hg, LOWCMD_HG, 1004, HG_VECTOR_CRC),
    "go": (go_test_vector, pack_lowcmd_go, lowcmd_crc_go, LOWCMD_GO, 812, GO_VECTOR_CRC),
}


def leaf_fields(dtype: np.dtype, offset: int = 0, prefix: tuple = ()) -> list[tuple[tuple, int, np.dtype]]:
    """(path, byte offset, scalar dtype) of every scalar in a struct dtype; path indexes the message."""
    leaves = []
    for name in dtype.names:
        field_dtype, field_offset = dtype.fields[name][:2]
        base = field_dtype.base
        for flat, index in enumerate(np.ndindex(field_dtype.shape)):
            start, path = offset + field_offset + flat * base.itemsize, (*prefix, name, *index)
            leaves += leaf_fields(base, start, path) if base.names else [(path, start, base)]
    return leaves


def leaf_parent(msg, path: tuple):
    """The object holding the scalar at ``path`` (attribute names and indices) in a message."""
    for step in path[:-1]:
        msg = msg[step] if isinstance(step, int) else getattr(msg, step)
    return msg


def get_leaf(msg, path: tuple):
    parent = leaf_parent(msg, path)
    return parent[path[-1]] if isinstance(path[-1], int) else getattr(parent, path[-1])


def set_leaf(msg, path: tuple, value) -> None:
    parent = leaf_parent(msg, path)
    if isinstance(path[-1], int):
        parent[path[-1]] = value
    else:
        setattr(parent, path[-1], value)


@pytest.mark.parametrize("family", FAMILIES)
def test_reference_vector_crc(family: str) -> None:
    build, _, crc, _, _, expected = FAMILIES[family]
    assert crc(build()) == expected


@pytest.mark.parametrize("family", FAMILIES)
def test_packed_size_and_natural_alignment(family: str) -> None:
    build, pack, _, dtype, size, _ = FAMILIES[family]
    assert len(pack(build())) == dtype.itemsize == size

    def c_layout(dt: np.dtype) -> np.dtype:  # numpy's own C-compiler alignment rules
        fields = [(n, c_layout(dt[n].base) if dt[n].base.names else dt[n].base, dt[n].shape) for n in dt.names]
        return np.dtype(fields, align=True)

    aligned = c_layout(dtype)
    assert aligned.itemsize == size
    assert [f[1] for f in leaf_fields(aligned)] == [f[1] for f in leaf_fields(dtype)]


@pytest.mark.parametrize("family", FAMILIES)
def test_padding_bytes_are_zero(family: str) -> None:
    build, pack, _, dtype, size, _ = FAMILIES[family]
    msg = build()
    covered = np.zeros(size, dtype=bool)
    for path, offset, base in leaf_fields(dtype):
        set_leaf(msg, path, int(np.iinfo(base).max) if base.kind == "u" else -1.1)  # no zero byte in either
        covered[offset : offset + base.itemsize] = True
    packed = np.frombuffer(pack(msg), dtype=np.uint8)
    assert (~covered).any()
    assert not packed[~covered].any()
    assert packed[covered].all()


@pytest.mark.parametrize("family", FAMILIES)
def test_every_field_changes_crc_except_crc_itself(family: str) -> None:
    build, pack, crc, dtype, _, expected = FAMILIES[family]
    reference = np.frombuffer(pack(build()), np.uint8)
    leaves = leaf_fields(dtype)
    assert leaves[-1][0] == ("crc",)
    for path, offset, base in leaves:
        msg = build()
        value = get_leaf(msg, path)
        set_leaf(msg, path, int(value) ^ 1 if base.kind == "u" else -float(value) - 1.0)
        packed = np.frombuffer(pack(msg), np.uint8)
        changed = np.flatnonzero(packed != reference)
        assert changed.size and offset <= changed.min() and changed.max() < offset + base.itemsize, path
        assert (crc(msg) == expected) == (path == ("crc",)), path


@pytest.mark.parametrize("num_words", [0, 1, 2, 3, 50, 250])
def test_fast_crc_matches_bitwise_definition(num_words: int) -> None:
    words = np.random.default_rng(num_words).integers(0, 2**32, num_words, dtype=np.uint64).astype(np.uint32)
    assert crc32_core(words) == crc32_bitwise(words)


@pytest.mark.parametrize("family", FAMILIES)
def test_plain_objects_pack_like_messages(family: str) -> None:
    build, pack, crc, _, _, expected = FAMILIES[family]
    msg = build()

    def plain(value):
        if hasattr(value, "get_fields_and_field_types"):
            return SimpleNamespace(**{name: plain(getattr(value, name)) for name in value.get_fields_and_field_types()})
        return [plain(item) for item in value] if isinstance(value, list) else value

    assert pack(plain(msg)) == pack(msg)
    assert crc(plain(msg)) == expected


def test_wrong_motor_count_is_a_clear_error() -> None:
    msg = SimpleNamespace(mode_pr=0, mode_machine=0, motor_cmd=hg_test_vector().motor_cmd[:12], reserve=[0] * 4, crc=0)
    with pytest.raises(ValueError, match="motor_cmd: expected 35 motors, got 12"):
        pack_lowcmd_hg(msg)

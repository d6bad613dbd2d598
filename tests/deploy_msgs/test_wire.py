"""deploy.robot.wire: the C layout matches deploy.robot.crc's, and the CDR bytes are what rclpy reads and writes."""

from __future__ import annotations

import numpy as np
import pytest
from rclpy.serialization import deserialize_message, serialize_message

from deploy.robot.topics import message_types
from deploy.robot.wire import WireLayout, c_dtype

from .unitree_layouts import LOWCMD_GO, LOWCMD_HG, lowcmd_crc_go, lowcmd_crc_hg

FAMILIES = ("unitree_hg", "unitree_go")


def random_fill(struct: np.ndarray, rng: np.random.Generator) -> None:
    """Random finite values in every field of a struct array (in place); padding stays zero."""
    for name in struct.dtype.names:
        field = struct[name]
        if field.dtype.names:
            random_fill(field, rng)
        elif field.dtype.kind == "f":
            field[...] = rng.normal(size=field.shape) * 10
        else:
            info = np.iinfo(field.dtype)
            field[...] = rng.integers(info.min, info.max, size=field.shape, endpoint=True)


@pytest.mark.parametrize("family", FAMILIES)
def test_lowcmd_c_layout_is_the_one_the_crc_module_packs(family: str) -> None:
    derived, reference = c_dtype(message_types(family)[0]), {"unitree_hg": LOWCMD_HG, "unitree_go": LOWCMD_GO}[family]
    assert derived.itemsize == reference.itemsize
    assert [derived.fields[n][1] for n in derived.names] == [reference.fields[n][1] for n in reference.names]
    motor, motor_ref = derived["motor_cmd"].base, reference["motor_cmd"].base
    assert motor.itemsize == motor_ref.itemsize
    assert [motor.fields[n][1] for n in motor.names] == [motor_ref.fields[n][1] for n in motor_ref.names]


def test_lowstate_c_layout_has_unitree_sizes() -> None:
    """unitree_hg LowState_ is 2092 bytes in Unitree's SDK; CDR drops the 2 padding bytes after the IMU block."""
    layout = WireLayout(message_types("unitree_hg")[1])
    assert layout.dtype.itemsize == 2092 and layout.cdr_size == 2088
    assert layout.dtype.fields["motor_state"][1] == 72


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("which", ("LowCmd", "LowState"))
def test_struct_roundtrips_through_rclpy_serialization(family: str, which: str) -> None:
    msg_class = message_types(family)[which == "LowState"]
    layout = WireLayout(msg_class)
    struct = layout.zeros()
    random_fill(struct, np.random.default_rng(5))
    msg = deserialize_message(layout.to_cdr(struct), msg_class)
    motors = msg.motor_cmd if which == "LowCmd" else msg.motor_state
    for k in (0, 3, len(motors) - 1):
        assert np.float32(motors[k].q) == struct[motors_field(which)]["q"][k]
        assert motors[k].mode == struct[motors_field(which)]["mode"][k]
    assert msg.crc == struct["crc"]
    if which == "LowState":
        assert np.array_equal(np.asarray(msg.imu_state.quaternion, np.float32), struct["imu_state"]["quaternion"])
        assert bytes(msg.wireless_remote) == struct["wireless_remote"].tobytes()
        assert msg.tick == struct["tick"]
    assert layout.from_cdr(serialize_message(msg)).tobytes() == struct.tobytes()


def motors_field(which: str) -> str:
    return "motor_cmd" if which == "LowCmd" else "motor_state"


@pytest.mark.parametrize("family", FAMILIES)
def test_struct_crc_equals_the_crc_of_the_message(family: str) -> None:
    msg_class = message_types(family)[0]
    layout = WireLayout(msg_class)
    struct = layout.zeros()
    random_fill(struct, np.random.default_rng(9))
    msg = layout.to_message(struct)
    crc = lowcmd_crc_hg if family == "unitree_hg" else lowcmd_crc_go
    assert layout.crc(struct) == crc(msg)


def test_from_cdr_rejects_a_short_or_big_endian_payload() -> None:
    layout = WireLayout(message_types("unitree_hg")[1])
    good = layout.to_cdr(layout.zeros())
    with pytest.raises(ValueError, match="LowState: expected little-endian CDR of 2092 bytes, got 100 bytes"):
        layout.from_cdr(good[:100])
    with pytest.raises(ValueError, match="header 0000"):
        layout.from_cdr(b"\x00\x00" + good[2:])

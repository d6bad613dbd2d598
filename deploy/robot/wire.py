"""Unitree messages as numpy structs in their C layout, and the serialized (CDR) bytes on the wire.

rclpy turns a 35-motor LowState into Python objects in about 1 ms, half a 500 Hz period. The nodes
instead publish and take serialized messages (``raw``) and convert them to and from a 0-d numpy
struct in the message's C layout (natural alignment, as Unitree's SDK declares the type; the CRC is
computed over it) with one byte gather. Both layouts are derived from the generated message class,
so they follow the .msg files. Only fixed-size messages (no strings or sequences) are supported.

CDR (XCDR1, little-endian) aligns each scalar to its size from the start of the payload and pads
nothing at the end of a nested struct; C pads nested structs to their alignment. The two layouts
agree for LowCmd and differ after the IMU block of LowState.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import numpy as np

from deploy.robot.crc import crc32_core

CDR_HEADER = b"\x00\x01\x00\x00"
"""Encapsulation header of a little-endian plain-CDR payload."""

_PRIMITIVES = {
    "boolean": "u1",
    "octet": "u1",
    "char": "u1",
    "uint8": "u1",
    "int8": "i1",
    "uint16": "<u2",
    "int16": "<i2",
    "uint32": "<u4",
    "int32": "<i4",
    "uint64": "<u8",
    "int64": "<i8",
    "float": "<f4",
    "double": "<f8",
}
_FIELD_TYPE = re.compile(r"^(?:(\w+)/)?(\w+)(?:\[(\d+)\])?$")


def c_dtype(msg_class: type) -> np.dtype:
    """The C-layout numpy struct dtype of a fixed-size ROS message class (nested structs padded)."""
    names, formats, offsets = [], [], []
    end, alignment = 0, 1
    for name, type_text in msg_class.get_fields_and_field_types().items():
        match = _FIELD_TYPE.match(type_text)
        if match is None:
            raise ValueError(f"{msg_class.__name__}.{name}: type {type_text!r} is not fixed-size")
        package, base, count = match.groups()
        if package is None and base not in _PRIMITIVES:
            raise ValueError(f"{msg_class.__name__}.{name}: type {type_text!r} is not fixed-size")
        element = np.dtype(_PRIMITIVES[base]) if package is None else c_dtype(_message_class(package, base))
        align = element.alignment if element.names else element.itemsize
        offset = -(-end // align) * align
        field = element if count is None else np.dtype((element, (int(count),)))
        names.append(name)
        formats.append(field)
        offsets.append(offset)
        end, alignment = offset + field.itemsize, max(alignment, align)
    itemsize = -(-end // alignment) * alignment
    return np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": itemsize}, align=True)


def _message_class(package: str, name: str) -> type:
    return getattr(importlib.import_module(f"{package}.msg"), name)


def _leaves(dtype: np.dtype, offset: int = 0) -> list[tuple[int, int]]:
    """(C offset, size) of every scalar of a struct dtype, in declaration (= CDR) order."""
    out: list[tuple[int, int]] = []
    for name in dtype.names:
        field, field_offset = dtype.fields[name][:2]
        base = field.base
        for k in range(int(np.prod(field.shape))):
            start = offset + field_offset + k * base.itemsize
            out.extend(_leaves(base, start) if base.names else [(start, base.itemsize)])
    return out


class WireLayout:
    """C struct <-> CDR bytes for one message class.

    ``zeros()`` gives a 0-d struct to fill (``s["motor_cmd"]["q"][i] = ...``); ``to_cdr(s)`` gives
    bytes for ``Publisher.publish``; ``from_cdr(raw)`` parses what a ``raw=True`` subscription hands
    over; ``crc(s)`` is Unitree's CRC of the struct (all 32-bit words but the last, the crc field).
    """

    def __init__(self, msg_class: type):
        self.msg_class = msg_class
        self.dtype = c_dtype(msg_class)
        c_index, cdr_index, pos = [], [], 0
        for c_offset, size in _leaves(self.dtype):
            pos = -(-pos // size) * size
            c_index.extend(range(c_offset, c_offset + size))
            cdr_index.extend(range(pos, pos + size))
            pos += size
        self.cdr_size = pos
        """Length of the CDR payload (without the 4-byte header), bytes."""
        size = self.dtype.itemsize
        # Byte maps for np.take: each output byte's source, padding taken from a zero byte past the end.
        self._c_from_cdr = np.full(size, pos, dtype=np.intp)
        self._c_from_cdr[c_index] = cdr_index
        self._cdr_from_c = np.full(pos, size, dtype=np.intp)
        self._cdr_from_c[cdr_index] = c_index
        self._identity = pos == size and np.array_equal(c_index, cdr_index)
        self._cdr_in = np.zeros(pos + 1, dtype=np.uint8)
        self._c_in = np.zeros(size + 1, dtype=np.uint8)
        self._cdr_out = np.zeros(pos, dtype=np.uint8)

    def zeros(self) -> np.ndarray:
        """A zeroed 0-d struct in C layout."""
        return np.zeros((), dtype=self.dtype)

    def to_cdr(self, struct: np.ndarray) -> bytes:
        """Serialized message (header + CDR payload) of a 0-d C struct."""
        raw = struct.reshape(1).view(np.uint8)
        if self._identity:
            return CDR_HEADER + raw.tobytes()
        self._c_in[:-1] = raw
        np.take(self._c_in, self._cdr_from_c, out=self._cdr_out)
        return CDR_HEADER + self._cdr_out.tobytes()

    def from_cdr(self, data: bytes, out: np.ndarray | None = None) -> np.ndarray:
        """The 0-d C struct of a serialized message (into ``out`` when given); padding bytes are zero."""
        if len(data) < 4 + self.cdr_size or data[:2] != CDR_HEADER[:2]:
            head = bytes(data[:2]).hex()
            raise ValueError(
                f"{self.msg_class.__name__}: expected little-endian CDR of {4 + self.cdr_size} bytes, "
                f"got {len(data)} bytes with header {head}"
            )
        self._cdr_in[:-1] = np.frombuffer(data, dtype=np.uint8, count=self.cdr_size, offset=4)
        struct = self.zeros() if out is None else out
        np.take(self._cdr_in, self._c_from_cdr, out=struct.reshape(1).view(np.uint8))
        return struct

    @staticmethod
    def crc(struct: np.ndarray) -> int:
        """Unitree's CRC32 of a C struct whose last 32-bit word is its ``crc`` field."""
        return crc32_core(struct.reshape(1).view("<u4")[:-1])

    def to_message(self, struct: np.ndarray) -> Any:
        """The rclpy message object of a C struct (slow: for tests and tools, not the 500 Hz path)."""
        from rclpy.serialization import deserialize_message

        return deserialize_message(self.to_cdr(struct), self.msg_class)

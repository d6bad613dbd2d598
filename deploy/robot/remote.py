"""Unitree wireless remote: the 40-byte ``LowState.wireless_remote`` field, decoded and encoded.

Byte layout (little-endian, Unitree's ``xRockerBtnDataStruct``):

====== ======= ============================================================
bytes  type    content
====== ======= ============================================================
0-1    u8[2]   head
2-3    u16     buttons, bit 0 first: R1 L1 start select R2 L2 F1 F2
               A B X Y up right down left
4-7    f32     lx (left stick x, -1..1)
8-11   f32     rx (right stick x)
12-15  f32     ry (right stick y)
16-19  f32     L2 (analog trigger, 0..1)
20-23  f32     ly (left stick y)
24-39  u8[16]  unused
====== ======= ============================================================
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable
from dataclasses import dataclass

REMOTE_BYTES = 40
BUTTON_BITS = ("R1", "L1", "start", "select", "R2", "L2", "F1", "F2", "A", "B", "X", "Y", "up", "right", "down", "left")
"""Button names by bit index of the 16-bit button field."""

_LAYOUT = struct.Struct("<2sH5f16x")


@dataclass(frozen=True)
class RemoteState:
    """Decoded remote: pressed buttons and stick axes (non-finite axes read as 0)."""

    buttons: frozenset[str] = frozenset()
    """Names (from ``BUTTON_BITS``) of the buttons held down."""
    lx: float = 0.0
    ly: float = 0.0
    rx: float = 0.0
    ry: float = 0.0
    l2: float = 0.0
    """Analog L2 trigger depth."""

    def pressed(self, name: str) -> bool:
        return name in self.buttons


def decode_remote(data: bytes | bytearray | Iterable[int]) -> RemoteState:
    """Decode the 40-byte field (bytes, or a sequence / uint8 array as ROS messages give it)."""
    raw = bytes(data)
    if len(raw) != REMOTE_BYTES:
        raise ValueError(f"wireless_remote: expected {REMOTE_BYTES} bytes, got {len(raw)}")
    _, bits, lx, rx, ry, l2, ly = _LAYOUT.unpack(raw)
    buttons = frozenset(name for bit, name in enumerate(BUTTON_BITS) if bits >> bit & 1)
    axes = [value if math.isfinite(value) else 0.0 for value in (lx, ly, rx, ry, l2)]
    return RemoteState(buttons, *axes)


def encode_remote(state: RemoteState) -> bytes:
    """The 40-byte field for ``state`` (head bytes zero); for sim bridges injecting button presses."""
    unknown = sorted(state.buttons - set(BUTTON_BITS))
    if unknown:
        raise ValueError(f"wireless_remote: unknown button {unknown[0]!r}")
    bits = sum(1 << bit for bit, name in enumerate(BUTTON_BITS) if name in state.buttons)
    return _LAYOUT.pack(b"\0\0", bits, state.lx, state.rx, state.ry, state.l2, state.ly)


class ButtonEdges:
    """Turns held buttons into presses: a button counts once, on the tick it goes down."""

    def __init__(self) -> None:
        self._held: frozenset[str] = frozenset()

    def update(self, held: frozenset[str]) -> frozenset[str]:
        """Buttons pressed since the last update."""
        pressed = held - self._held
        self._held = held
        return pressed

    @property
    def held(self) -> frozenset[str]:
        return self._held

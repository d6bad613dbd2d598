"""Wireless remote: decoding Unitree's 40-byte layout, encoding it back, and press edges."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from deploy.robot.remote import BUTTON_BITS, ButtonEdges, RemoteState, decode_remote, encode_remote


def _raw(bits: int, lx: float, rx: float, ry: float, l2: float, ly: float) -> bytes:
    """Bytes laid out by hand: head, u16 buttons at 2, five float32 at 4..24, 16 idle bytes."""
    return bytes([0xFE, 0xEF]) + bits.to_bytes(2, "little") + struct.pack("<5f", lx, rx, ry, l2, ly) + bytes(16)


def test_decodes_buttons_and_sticks_from_unitree_layout() -> None:
    raw = _raw((1 << 2) | (1 << 8) | (1 << 15), 0.5, -0.25, 1.0, 0.75, -1.0)
    assert len(raw) == 40
    state = decode_remote(np.frombuffer(raw, dtype=np.uint8))  # ROS gives a uint8 array
    assert state.buttons == {"start", "A", "left"}
    assert (state.lx, state.rx, state.ry, state.l2, state.ly) == (0.5, -0.25, 1.0, 0.75, -1.0)
    assert decode_remote(list(_raw(1 << 0 | 1 << 3, 0, 0, 0, 0, 0))).buttons == {"R1", "select"}


def test_every_button_and_stick_round_trips() -> None:
    for name in BUTTON_BITS:
        state = RemoteState(buttons=frozenset({name}), lx=0.125, ly=-0.5, rx=0.25, ry=-0.75, l2=1.0)
        assert decode_remote(encode_remote(state)) == state
    everything = RemoteState(buttons=frozenset(BUTTON_BITS))
    raw = encode_remote(everything)
    assert raw[2:4] == b"\xff\xff" and decode_remote(raw) == everything
    assert decode_remote(encode_remote(RemoteState())) == RemoteState()


def test_non_finite_sticks_read_as_zero_and_bad_input_is_named() -> None:
    state = decode_remote(_raw(0, float("nan"), float("inf"), 0.5, 0.0, -float("inf")))
    assert (state.lx, state.rx, state.ry, state.ly) == (0.0, 0.0, 0.5, 0.0)
    with pytest.raises(ValueError, match=r"^wireless_remote: expected 40 bytes, got 24$"):
        decode_remote(bytes(24))
    with pytest.raises(ValueError, match=r"^wireless_remote: unknown button 'Z'$"):
        encode_remote(RemoteState(buttons=frozenset({"Z"})))


def test_a_held_button_counts_as_one_press() -> None:
    edges = ButtonEdges()
    assert edges.update(frozenset({"start"})) == {"start"}
    assert edges.update(frozenset({"start"})) == frozenset()
    assert edges.update(frozenset({"start", "A"})) == {"A"}
    assert edges.update(frozenset()) == frozenset()
    assert edges.update(frozenset({"start"})) == {"start"}

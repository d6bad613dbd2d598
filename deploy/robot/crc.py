"""Unitree's CRC32 of LowCmd / LowState messages, as the robot computes and checks it.

The message is laid out as the C struct of its DDS type (natural alignment, zero padding,
little-endian; ``deploy.robot.wire`` builds that struct), read as 32-bit words, and all words but the
last (the ``crc`` field itself) go through Unitree's ``crc32_core``: register 0xFFFFFFFF, polynomial
0x04C11DB7, each word's bits fed most significant first, no final XOR. That is CRC-32/MPEG-2 over the
bit stream, so it is computed here by the C CRC-32 in ``zlib`` (the same polynomial, bit-reflected)
on the bit-reversed words, and the result is reflected back.
"""

from __future__ import annotations

import zlib

import numpy as np

_BITREV8 = np.array([int(f"{byte:08b}"[::-1], 2) for byte in range(256)], dtype=np.uint8)


def crc32_core(words: np.ndarray) -> int:
    """Unitree's CRC32 of a sequence of 32-bit words (shape (n,), any unsigned 32-bit dtype)."""
    words = np.ascontiguousarray(words, dtype="<u4")
    # zlib feeds each byte LSB first: bit-reversing every byte and reversing the byte order of
    # every word turns that into the word's MSB-first order. zlib inverts its register on entry
    # and exit, and its register is the bit-reverse of this one.
    stream = _BITREV8.take(words.view(np.uint8)).view("<u4").byteswap()
    register = zlib.crc32(stream) ^ 0xFFFFFFFF
    return int(f"{register:032b}"[::-1], 2)

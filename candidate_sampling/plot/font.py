"""An embedded 5x7 bitmap font for printable ASCII, and text rendering to boolean masks.

Each glyph is 5 pixels wide; rows 0-6 stand on the baseline, rows 7-8 hold descenders
(g, j, p, q, y, comma, semicolon, underscore). A glyph is stored as the hex bytes of its
rows, top first, one bit a pixel (bit 4 is the left column); trailing blank rows are left
out and ``-`` is the blank space.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

__all__ = ["GLYPH_WIDTH", "GLYPH_HEIGHT", "CAP_HEIGHT", "ADVANCE", "glyph", "text_mask", "text_size"]

GLYPH_WIDTH = 5
"""Width of a glyph in pixels."""
CAP_HEIGHT = 7
"""Height of capitals and digits above the baseline."""
GLYPH_HEIGHT = 9
"""Rows of a glyph cell: the cap height and two rows of descenders."""
ADVANCE = GLYPH_WIDTH + 1
"""Horizontal distance from one character to the next."""

_TABLE = (
    "- 04040404040004 0a0a0a 0a0a1f0a1f0a0a 040f140e051e04 18190204081303 0c12140815120d "
    "040408 02040808080402 08040202020408 0004150e1504 0004041f0404 000000000006060204 "
    "0000001f 00000000000c0c 000102040810 0e11131519110e 040c040404040e 0e11010204081f "
    "1f02040201110e 02060a121f0202 1f101e0101110e 0608101e11110e 1f010204080808 "
    "0e11110e11110e 0e11110f01020c 000c0c000c0c 000c0c00000c0c0408 02040810080402 00001f001f "
    "08040201020408 0e110102040004 0e11010d15150e 0e11111f111111 1e11111e11111e "
    "0e11101010110e 1c12111111121c 1f10101e10101f 1f10101e101010 0e11101711110f "
    "1111111f111111 0e04040404040e 0702020202120c 11121418141211 1010101010101f "
    "111b1515111111 11111915131111 0e11111111110e 1e11111e101010 0e11111115120d "
    "1e11111e141211 0f10100e01011e 1f040404040404 1111111111110e 11111111110a04 "
    "1111111515150a 11110a040a1111 11110a04040404 1f01020408101f 0e08080808080e 001008040201 "
    "0e02020202020e 040a11 000000000000001f 080402 00000e010f110f 1010161911111e "
    "00000e1010110e 01010d1311110f 00000e111f100e 0609081c080808 00000f1111110f010e "
    "10101619111111 04000c0404040e 02000602020202120c 10101214181412 0c04040404040e "
    "00001a15151515 00001619111111 00000e1111110e 00001e1111111e1010 00000f1111110f0101 "
    "00001619101010 00000f100e011e 08081c08080906 0000111111130d 00001111110a04 "
    "0000111115150a 0000110a040a11 0000111111110f010e 00001f0204081f 03040408040403 "
    "04040404040404 18040402040418 0000081502 "
).split()
"""Glyphs of the characters 32 (space) to 126 (tilde), in order."""


@lru_cache(maxsize=None)
def glyph(char: str) -> np.ndarray:
    """The boolean ``[GLYPH_HEIGHT, GLYPH_WIDTH]`` bitmap of one printable ASCII character.

    Characters outside 32..126 are drawn as ``?``.
    """
    code = ord(char) if len(char) == 1 else -1
    if not 32 <= code <= 126:
        code = ord("?")
    entry = _TABLE[code - 32]
    rows = b"" if entry == "-" else bytes.fromhex(entry)
    bits = np.zeros((GLYPH_HEIGHT, GLYPH_WIDTH), bool)
    for r, value in enumerate(rows):
        bits[r] = [(value >> (GLYPH_WIDTH - 1 - c)) & 1 for c in range(GLYPH_WIDTH)]
    bits.setflags(write=False)
    return bits


def text_size(text: str, scale: int = 1) -> tuple[int, int]:
    """``(width, height)`` in pixels of ``text`` drawn by :func:`text_mask` at ``scale``."""
    width = max(len(text) * ADVANCE - 1, 0)
    return width * scale, GLYPH_HEIGHT * scale


def text_mask(text: str, scale: int = 1) -> np.ndarray:
    """Boolean ``[9 * scale, (6 * len(text) - 1) * scale]`` mask of ``text`` on one line.

    The baseline lies below row ``7 * scale - 1``; ``scale`` is a whole magnification.
    """
    if not isinstance(scale, int) or scale < 1:
        raise ValueError(f"scale: must be a whole number >= 1, got {scale!r}")
    width, _ = text_size(text)
    mask = np.zeros((GLYPH_HEIGHT, width), bool)
    for i, char in enumerate(text):
        mask[:, i * ADVANCE:i * ADVANCE + GLYPH_WIDTH] = glyph(char)
    if scale > 1:
        mask = mask.repeat(scale, axis=0).repeat(scale, axis=1)
    return mask

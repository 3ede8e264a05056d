"""A minimal PNG encoder and decoder for 8-bit RGB images (numpy and zlib only).

The encoder picks, row by row, the filter among None, Sub and Up whose output has the
smallest sum of absolute values (the usual heuristic of the PNG specification); the
decoder reads what the encoder writes: 8-bit RGB, no interlace, filters None, Sub, Up.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import numpy as np

__all__ = ["PNG_SIGNATURE", "encode_png", "decode_png", "write_png", "read_png", "png_chunks"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOR_RGB = 2


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _check_rgb(rgb: np.ndarray) -> np.ndarray:
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"rgb: expected a uint8 array of shape [H, W, 3], got {rgb.dtype} {rgb.shape}")
    if rgb.shape[0] < 1 or rgb.shape[1] < 1:
        raise ValueError(f"rgb: height and width must be at least 1, got {rgb.shape[:2]}")
    return np.ascontiguousarray(rgb)


def _filtered_rows(rgb: np.ndarray) -> bytes:
    """Scanlines, each prefixed by its filter type byte (0 None, 1 Sub or 2 Up)."""
    height, width, _ = rgb.shape
    rows = rgb.reshape(height, width * 3)
    none = rows
    sub = rows.copy()
    sub[:, 3:] -= rows[:, :-3]  # uint8 arithmetic wraps modulo 256, as the filters want
    up = rows.copy()
    up[1:] -= rows[:-1]
    candidates = np.stack([none, sub, up])  # [3, H, W*3]
    cost = np.abs(candidates.astype(np.int8).astype(np.int32)).sum(axis=2)  # signed bytes
    choice = np.argmin(cost, axis=0)
    chosen = candidates[choice, np.arange(height)]
    out = np.empty((height, width * 3 + 1), np.uint8)
    out[:, 0] = choice
    out[:, 1:] = chosen
    return out.tobytes()


def encode_png(rgb: np.ndarray) -> bytes:
    """The bytes of an 8-bit RGB PNG holding ``rgb`` (uint8, shape ``[H, W, 3]``)."""
    rgb = _check_rgb(rgb)
    height, width, _ = rgb.shape
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOR_RGB, 0, 0, 0)
    data = zlib.compress(_filtered_rows(rgb), 9)
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def write_png(path: str | os.PathLike, rgb: np.ndarray) -> Path:
    """Write ``rgb`` (uint8 ``[H, W, 3]``) as a PNG file; parent folders are created.

    Returns the path written.
    """
    data = encode_png(rgb)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """The ``(type, data)`` chunks of a PNG; ValueError on a bad signature or CRC."""
    if data[:8] != PNG_SIGNATURE:
        raise ValueError("data: not a PNG (bad signature)")
    chunks = []
    pos = 8
    while pos < len(data):
        if pos + 12 > len(data):
            raise ValueError("data: truncated PNG chunk")
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if len(body) != length or zlib.crc32(kind + body) != crc:
            raise ValueError(f"data: bad CRC or length in chunk {kind!r}")
        chunks.append((kind, body))
        pos += 12 + length
        if kind == b"IEND":
            break
    return chunks


def decode_png(data: bytes) -> np.ndarray:
    """Decode a PNG written by :func:`encode_png` into a uint8 ``[H, W, 3]`` array."""
    chunks = png_chunks(data)
    if not chunks or chunks[0][0] != b"IHDR":
        raise ValueError("data: PNG does not start with IHDR")
    width, height, depth, color, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", chunks[0][1])
    if (depth, color, compression, filtering, interlace) != (8, _COLOR_RGB, 0, 0, 0):
        raise ValueError("data: only 8-bit RGB, non-interlaced PNGs are supported")
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    stride = width * 3
    lines = np.frombuffer(raw, np.uint8).reshape(height, stride + 1)
    rows = np.empty((height, stride), np.uint8)
    previous = np.zeros(stride, np.uint8)
    for i in range(height):
        kind, line = lines[i, 0], lines[i, 1:]
        if kind == 0:
            row = line.copy()
        elif kind == 1:
            row = np.cumsum(line.reshape(width, 3), axis=0, dtype=np.uint64).astype(np.uint8)
            row = row.reshape(stride)
        elif kind == 2:
            row = line + previous
        else:
            raise ValueError(f"data: unsupported PNG filter type {kind} in row {i}")
        rows[i] = row
        previous = row
    return rows.reshape(height, width, 3)


def read_png(path: str | os.PathLike) -> np.ndarray:
    """Read a PNG file written by :func:`write_png` into a uint8 ``[H, W, 3]`` array."""
    return decode_png(Path(path).read_bytes())

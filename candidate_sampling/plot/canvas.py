"""Drawing primitives on a float RGB image held in a numpy array.

An image is a float32 array ``[H, W, 3]`` of values 0..255; pixel ``(row i, column j)`` has
its centre at ``(x=j, y=i)``. Lines and discs are anti-aliased by their exact coverage of a
pixel's distance to the shape (a pixel is covered ``clip(r + 0.5 - d, 0, 1)``), gathered in
a coverage layer with ``max`` so that joints and overlaps of one shape are not drawn twice,
then blended once. Functions named ``draw_*``/``fill_*``/``blend`` change the image in
place; the others are pure.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .font import text_mask, text_size

__all__ = [
    "Box", "Color", "LINE_STYLES", "new_image", "to_rgb8", "hex_color", "fill_rect", "stroke_rect",
    "blend", "coverage_layer", "add_segment", "add_disc", "thin_polyline", "add_polyline",
    "dash_segments", "draw_text",
]

Color = tuple[int, int, int]
Box = tuple[int, int, int, int]
"""``(left, top, right, bottom)`` in pixels, right and bottom exclusive."""

LINE_STYLES: dict[str, tuple[float, float] | None] = {
    "solid": None,
    "dashed": (6.0, 6.0),   # (pen down, pen up) along the line, caps excluded
    "dotted": (0.0, 4.5),
}
"""Dash patterns in pixels for each line style."""


def hex_color(code: str) -> Color:
    """``"#RRGGBB"`` as an ``(r, g, b)`` tuple."""
    code = code.lstrip("#")
    if len(code) != 6:
        raise ValueError(f"code: expected '#RRGGBB', got {code!r}")
    return int(code[0:2], 16), int(code[2:4], 16), int(code[4:6], 16)


def new_image(width: int, height: int, color: Color = (255, 255, 255)) -> np.ndarray:
    """A float32 ``[height, width, 3]`` image filled with ``color``."""
    image = np.empty((height, width, 3), np.float32)
    image[:] = color
    return image


def to_rgb8(image: np.ndarray) -> np.ndarray:
    """The image rounded to uint8."""
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def _clip_box(box: Box, shape: tuple[int, ...]) -> Box:
    left, top, right, bottom = box
    return max(left, 0), max(top, 0), min(right, shape[1]), min(bottom, shape[0])


def fill_rect(image: np.ndarray, box: Box, color: Color, alpha: float = 1.0) -> None:
    """Fill the pixel rectangle ``box`` with ``color`` (blended by ``alpha``)."""
    left, top, right, bottom = _clip_box(box, image.shape)
    if left < right and top < bottom:
        region = image[top:bottom, left:right]
        region += alpha * (np.asarray(color, np.float32) - region)


def stroke_rect(image: np.ndarray, box: Box, color: Color, width: int = 1) -> None:
    """Draw the outline of ``box``, ``width`` pixels thick, inside the box."""
    left, top, right, bottom = box
    for edge in ((left, top, right, top + width), (left, bottom - width, right, bottom),
                 (left, top, left + width, bottom), (right - width, top, right, bottom)):
        fill_rect(image, edge, color)


def blend(image: np.ndarray, coverage: np.ndarray, color: Color, origin: tuple[int, int] = (0, 0)) -> None:
    """Blend ``color`` into ``image`` with per-pixel opacity ``coverage`` placed at ``origin``.

    ``origin`` is the ``(x, y)`` of the coverage array's top-left pixel; parts outside the
    image are dropped.
    """
    rows, cols = np.flatnonzero(coverage.any(axis=1)), np.flatnonzero(coverage.any(axis=0))
    if rows.size == 0:
        return
    coverage = coverage[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]  # only the painted part
    x0, y0 = origin[0] + int(cols[0]), origin[1] + int(rows[0])
    h, w = coverage.shape
    left, top, right, bottom = _clip_box((x0, y0, x0 + w, y0 + h), image.shape)
    if left >= right or top >= bottom:
        return
    alpha = coverage[top - y0:bottom - y0, left - x0:right - x0].astype(np.float32)[..., None]
    region = image[top:bottom, left:right]
    region += alpha * (np.asarray(color, np.float32) - region)


def coverage_layer(shape: tuple[int, int]) -> np.ndarray:
    """An empty float32 coverage layer ``[H, W]``."""
    return np.zeros(shape, np.float32)


def add_segment(layer: np.ndarray, x0: float, y0: float, x1: float, y1: float,
                radius: float, clip: Box | None = None) -> None:
    """Add a segment with round caps and half-width ``radius`` to a coverage layer."""
    pad = radius + 1.0
    left = int(np.floor(min(x0, x1) - pad))
    top = int(np.floor(min(y0, y1) - pad))
    right = int(np.ceil(max(x0, x1) + pad)) + 1
    bottom = int(np.ceil(max(y0, y1) + pad)) + 1
    left, top, right, bottom = _clip_box((left, top, right, bottom), layer.shape)
    if clip is not None:
        left, top = max(left, clip[0]), max(top, clip[1])
        right, bottom = min(right, clip[2]), min(bottom, clip[3])
    if left >= right or top >= bottom:
        return
    ys = np.arange(top, bottom, dtype=np.float32)[:, None]
    xs = np.arange(left, right, dtype=np.float32)[None, :]
    dx, dy = x1 - x0, y1 - y0
    length2 = dx * dx + dy * dy
    if length2 > 0:
        t = np.clip(((xs - x0) * dx + (ys - y0) * dy) / length2, 0.0, 1.0)
    else:
        t = np.zeros((1, 1), np.float32)
    dist = np.hypot(xs - (x0 + t * dx), ys - (y0 + t * dy))
    cover = np.clip(radius + 0.5 - dist, 0.0, 1.0)
    region = layer[top:bottom, left:right]
    np.maximum(region, cover, out=region)


def add_disc(layer: np.ndarray, x: float, y: float, radius: float, clip: Box | None = None) -> None:
    """Add a filled disc of ``radius`` centred at ``(x, y)`` to a coverage layer."""
    add_segment(layer, x, y, x, y, radius, clip)


def dash_segments(xs: Sequence[float], ys: Sequence[float],
                  pattern: tuple[float, float]) -> list[tuple[float, float, float, float]]:
    """Cut a polyline into the pieces where the pen is down for a ``(down, up)`` pattern.

    The pattern runs on along the whole polyline (it does not restart at each vertex); a
    ``down`` of 0 gives dots (zero-length pieces drawn as discs by their round caps).
    """
    down, up = pattern
    xs, ys = np.asarray(xs, np.float64), np.asarray(ys, np.float64)
    if xs.size < 2:  # a lone point has no line (its marker is drawn apart)
        return []
    cum = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(xs), np.diff(ys)))])

    def point(s: float, i: int) -> tuple[float, float]:
        length = cum[i + 1] - cum[i]
        f = (s - cum[i]) / length if length > 0 else 0.0
        return xs[i] + f * (xs[i + 1] - xs[i]), ys[i] + f * (ys[i + 1] - ys[i])

    pieces = []
    last = len(xs) - 2
    for a in np.arange(0.0, cum[-1] + 1e-9, down + up):
        b = min(a + down, cum[-1])
        first = min(int(np.searchsorted(cum, a, side="right")) - 1, last)
        final = min(int(np.searchsorted(cum, b, side="left")) - 1, last)
        for i in range(max(first, 0), max(final, first, 0) + 1):
            pieces.append((*point(max(a, cum[i]), i), *point(min(b, cum[i + 1]), i)))
    return pieces


def thin_polyline(xs: Sequence[float], ys: Sequence[float],
                  tolerance: float = 0.75) -> tuple[list[float], list[float]]:
    """The vertices of a polyline less those within ``tolerance`` pixels of the last one kept.

    The first and last vertices always stay; a dense series (thousands of points across a
    few hundred pixels) keeps its shape to within ``tolerance`` with far fewer segments.
    """
    xs, ys = [float(v) for v in xs], [float(v) for v in ys]
    if len(xs) <= 2:
        return xs, ys
    keep_x, keep_y = [xs[0]], [ys[0]]
    for x, y in zip(xs[1:-1], ys[1:-1]):
        if abs(x - keep_x[-1]) >= tolerance or abs(y - keep_y[-1]) >= tolerance:
            keep_x.append(x)
            keep_y.append(y)
    keep_x.append(xs[-1])
    keep_y.append(ys[-1])
    return keep_x, keep_y


def add_polyline(layer: np.ndarray, xs: Sequence[float], ys: Sequence[float], radius: float,
                 style: str = "solid", clip: Box | None = None) -> None:
    """Add a polyline of half-width ``radius`` in a style of :data:`LINE_STYLES`."""
    pattern = LINE_STYLES[style]
    xs, ys = thin_polyline(xs, ys)
    if pattern is None:
        pieces = [(xs[i], ys[i], xs[i + 1], ys[i + 1]) for i in range(len(xs) - 1)]
    else:
        pieces = dash_segments(xs, ys, pattern)
    for x0, y0, x1, y1 in pieces:
        add_segment(layer, x0, y0, x1, y1, radius, clip)


def draw_text(image: np.ndarray, x: int, y: int, text: str, color: Color, *, scale: int = 1,
              anchor: str = "left", valign: str = "top", vertical: bool = False) -> Box:
    """Draw ``text`` with the embedded font and return the box it occupies.

    ``(x, y)`` is the anchor point: ``anchor`` is ``left``, ``center`` or ``right`` and
    ``valign`` ``top`` (top of the capitals), ``middle`` (middle of the capitals) or
    ``bottom`` (the baseline). With ``vertical`` the text reads bottom to top and the
    anchors apply to the rotated box (``anchor`` along y, ``valign`` along x).
    """
    mask = text_mask(text, scale)
    width, _ = text_size(text, scale)
    cap = 7 * scale
    along = {"left": 0, "center": width // 2, "right": width}[anchor]
    across = {"top": 0, "middle": cap // 2, "bottom": cap}[valign]
    if vertical:
        mask = np.rot90(mask)  # reads bottom to top; the top of the glyphs faces left
        left, top = x - across, y - (width - along)
    else:
        left, top = x - along, y - across
    blend(image, mask, color, (left, top))
    return left, top, left + mask.shape[1], top + mask.shape[0]

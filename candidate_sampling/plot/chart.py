"""Line charts: series, layout of the axes, ticks, grid, legend and title, and the PNG file."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import canvas
from .axis import Axis, Ticks, data_range, linear_ticks, log_ticks
from .canvas import Box, Color, hex_color
from .font import GLYPH_HEIGHT, text_size
from .png import write_png

__all__ = ["Series", "Chart", "PALETTE", "MIN_SIZE", "MAX_SIZE", "fit_text", "render_chart", "line_chart"]

PALETTE: tuple[Color, ...] = tuple(hex_color(c) for c in (
    "#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"))
"""Series colours, in order: the Okabe-Ito colour-blind-safe palette (blue, vermillion,
bluish green, orange, reddish purple, sky blue, black, yellow)."""

MIN_SIZE = (240, 160)
"""Smallest ``(width, height)`` of a chart in pixels."""
MAX_SIZE = (8000, 8000)
"""Largest ``(width, height)`` of a chart in pixels."""

_TEXT = hex_color("#222222")
_FRAME = hex_color("#444444")
_GRID = hex_color("#E3E3E3")
_MINOR_GRID = hex_color("#F3F3F3")
_LEGEND_EDGE = hex_color("#BBBBBB")
_WHITE = (255, 255, 255)
# Sizes in pixels at scale 1 (charts of 1600x1000 and more draw them twice as big).
_MARKER_RADIUS = 3.0
_MARGIN = 14  # around the chart
_TICK = 5  # length of a major tick mark
_LEGEND_ROW = 14
_LEGEND_SAMPLE = 44  # from the legend's left edge to its labels: padding, line sample, gap


@dataclass(frozen=True, eq=False)
class Series:
    """One line of a chart: ``y`` against ``x``, drawn in ``style`` with markers at the points.

    ``style`` is ``"solid"``, ``"dashed"`` or ``"dotted"``. Points where ``x`` or ``y`` is
    NaN or infinite are skipped and break the line there.
    """

    label: str
    x: Sequence[float]
    y: Sequence[float]
    style: str = "solid"
    marker: bool = True
    _xy: tuple[np.ndarray, np.ndarray] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.label, str):
            raise ValueError(f"label: must be a str, got {type(self.label).__name__}")
        if self.style not in canvas.LINE_STYLES:
            raise ValueError(f"style: must be one of {sorted(canvas.LINE_STYLES)}, got {self.style!r}")
        x = np.asarray(self.x, np.float64)
        y = np.asarray(self.y, np.float64)
        if x.ndim != 1 or y.ndim != 1:
            raise ValueError(f"x, y: must be one-dimensional, got shapes {x.shape} and {y.shape}")
        if x.shape != y.shape:
            raise ValueError(f"y: must have as many points as x ({x.size}), got {y.size}")
        object.__setattr__(self, "_xy", (x, y))

    @property
    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)`` as float64 arrays."""
        return self._xy


@dataclass(frozen=True)
class Chart:
    """A rendered chart: its pixels and the geometry used to draw it."""

    pixels: np.ndarray
    """uint8 ``[height, width, 3]``."""
    x_axis: Axis
    y_axis: Axis
    plot_box: Box
    """The area inside the frame, ``(left, top, right, bottom)``."""
    title_box: Box | None
    legend_box: Box | None
    x_ticks: Ticks
    y_ticks: Ticks


def _check_size(name: str, value: int, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ValueError(f"{name}: must be a whole number of pixels in [{low}, {high}], got {value!r}")
    return int(value)


def _finite_range(series: Sequence[Series], which: int, log: bool, name: str) -> tuple[float, float]:
    lows, highs = [], []
    for s in series:
        values = s.points[which]
        finite = values[np.isfinite(s.points[0]) & np.isfinite(s.points[1])]
        if finite.size == 0:
            continue
        if log and finite.min() <= 0:
            raise ValueError(
                f"{name}: a log axis needs values > 0, but series {s.label!r} has "
                f"{'xy'[which]} = {finite.min():g}")
        lows.append(finite.min())
        highs.append(finite.max())
    if not lows:
        raise ValueError("series: no series has a finite point to draw")
    return data_range(float(min(lows)), float(max(highs)), log)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` of each run of True in ``mask``."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def _line_radius(s: Series, scale: int) -> float:
    """Half the line width: 2 px lines, dots a little bigger."""
    return (1.3 if s.style == "dotted" else 1.0) * scale


def _draw_series(shape: tuple[int, int], s: Series, x_axis: Axis, y_axis: Axis,
                 clip: Box, scale: int) -> np.ndarray:
    layer = canvas.coverage_layer(shape)
    x, y = s.points
    px, py = x_axis.to_pixel(x), y_axis.to_pixel(y)
    finite = np.isfinite(x) & np.isfinite(y)
    for start, stop in _runs(finite):
        canvas.add_polyline(layer, px[start:stop], py[start:stop], _line_radius(s, scale), s.style, clip)
        if stop - start == 1 and not s.marker:  # a lone point still shows
            canvas.add_disc(layer, px[start], py[start], 2.5 * scale, clip)
    if s.marker:
        for xi, yi in zip(*canvas.thin_polyline(px[finite], py[finite], tolerance=1.0)):
            canvas.add_disc(layer, xi, yi, _MARKER_RADIUS * scale, clip)
    return layer


def _ticks(axis_lo: float, axis_hi: float, log: bool, pixels: float, spacing: float,
           label_pixels: float) -> Ticks:
    if log:
        decades = math.log10(axis_hi) - math.log10(axis_lo)
        return log_ticks(axis_lo, axis_hi, pixels / decades, label_pixels)
    return linear_ticks(axis_lo, axis_hi, max(2, int(pixels // spacing)))


def _x_ticks(lo: float, hi: float, log: bool, pixels: float, scale: int) -> Ticks:
    """x ticks whose labels do not touch: fewer ticks until they fit."""
    gap = 3 * 6 * scale
    label_pixels = 6 * 6 * scale
    for spacing in range(80 * scale, int(pixels) + 2, 20 * scale):
        ticks = _ticks(lo, hi, log, pixels, spacing, label_pixels)
        axis = Axis(lo, hi, 0.0, pixels, log)
        at = axis.to_pixel(ticks.major)
        widths = [text_size(t, scale)[0] for t in ticks.labels]
        if all(at[i + 1] - at[i] >= (widths[i] + widths[i + 1]) / 2 + gap for i in range(len(at) - 1)):
            return ticks
        label_pixels = max(label_pixels, max(widths) + gap)
    return ticks


def fit_text(text: str, pixels: int, scale: int = 1) -> str:
    """``text``, cut short with ``...`` if needed so that it is at most ``pixels`` wide."""
    if text_size(text, scale)[0] <= pixels:
        return text
    keep = max(0, (pixels // scale + 1) // 6 - 3)
    return text[:keep].rstrip() + "..." if keep else ""


def _legend_rows(entries: list[tuple[int, Series]], plot: Box,
                 scale: int) -> list[tuple[int | None, str, Series | None]]:
    """``(colour index, text, series)`` of each legend row: labels cut to half the plot
    width, and a last row ``(n more)`` when the rows would not fit the plot height."""
    left, top, right, bottom = plot
    room = max(1, (bottom - top - 24 * scale) // (_LEGEND_ROW * scale))
    shown = entries if len(entries) <= room else entries[:max(room - 1, 0)]
    width = max((right - left) // 2 - _LEGEND_SAMPLE * scale, 12 * scale)
    rows: list[tuple[int | None, str, Series | None]] = [
        (i, fit_text(s.label, width, scale), s) for i, s in shown]
    if len(shown) < len(entries):
        rows.append((None, f"({len(entries) - len(shown)} more)", None))
    return rows


def _place_legend(coverage: np.ndarray, plot: Box, size: tuple[int, int], scale: int) -> Box:
    """The corner of the plot area where the legend box hides the least of the lines."""
    left, top, right, bottom = plot
    w, h = size
    inset = 8 * scale
    corners = [  # upper right first: it wins ties
        (right - inset - w, top + inset), (left + inset, top + inset),
        (right - inset - w, bottom - inset - h), (left + inset, bottom - inset - h)]
    best = min(corners, key=lambda c: float(coverage[c[1]:c[1] + h, c[0]:c[0] + w].sum()))
    return best[0], best[1], best[0] + w, best[1] + h


def _centre(text: str, scale: int, at: int, extent: int, margin: int) -> int:
    """The centre for ``text`` nearest to ``at`` that keeps it ``margin`` from both ends."""
    half = text_size(text, scale)[0] // 2
    return min(max(at, margin + half), extent - margin - half)


@dataclass(frozen=True)
class _Layout:
    """Where everything goes, in pixels; ``scale`` magnifies text, lines and gaps."""

    width: int
    height: int
    scale: int
    plot: Box
    x_axis: Axis
    y_axis: Axis
    x_ticks: Ticks
    y_ticks: Ticks

    @property
    def margin(self) -> int:
        return _MARGIN * self.scale

    @property
    def tick(self) -> int:
        return _TICK * self.scale


def _layout(series: Sequence[Series], width: int, height: int, title: str, xlabel: str,
            ylabel: str, log_x: bool, log_y: bool) -> _Layout:
    x_lo, x_hi = _finite_range(series, 0, log_x, "log_x")
    y_lo, y_hi = _finite_range(series, 1, log_y, "log_y")
    scale = max(1, min(width // 800, height // 500))
    line, margin, tick = GLYPH_HEIGHT * scale, _MARGIN * scale, _TICK * scale
    # Vertical layout first: the y ticks depend only on the plot height, the left margin
    # on the widest y tick label, and the x ticks on what is left of the width.
    top = margin + (GLYPH_HEIGHT * 2 * scale + 8 * scale if title else 0)
    bottom = height - margin - (line + 6 * scale if xlabel else 0) - line - tick - 4 * scale
    y_ticks = _ticks(y_lo, y_hi, log_y, bottom - top, 45 * scale, 2.5 * line)
    label_width = max(text_size(t, scale)[0] for t in y_ticks.labels)
    left = margin + (line + 8 * scale if ylabel else 0) + label_width + tick + 4 * scale
    right = width - margin - 12 * scale
    if right - left < 60 or bottom - top < 40:
        raise ValueError(f"width, height: {width}x{height} leaves no room for the plot area")
    x_ticks = _x_ticks(x_lo, x_hi, log_x, right - left, scale)
    return _Layout(width, height, scale, (left, top, right, bottom),
                   Axis(x_lo, x_hi, left, right - 1, log_x), Axis(y_lo, y_hi, bottom - 1, top, log_y),
                   x_ticks, y_ticks)


def _pixels(axis: Axis, values: Sequence[float]) -> list[int]:
    return [int(p) for p in np.rint(axis.to_pixel(values))]


def _draw_grid(image: np.ndarray, lay: _Layout) -> None:
    left, top, right, bottom = lay.plot
    for ticks, axis, vertical in ((lay.x_ticks, lay.x_axis, True), (lay.y_ticks, lay.y_axis, False)):
        for values, color in ((ticks.minor, _MINOR_GRID), (ticks.major, _GRID)):
            for p in _pixels(axis, values):
                box = (p, top, p + lay.scale, bottom) if vertical else (left, p, right, p + lay.scale)
                canvas.fill_rect(image, box, color)


def _draw_axes(image: np.ndarray, lay: _Layout) -> None:
    """The frame, outward tick marks (minor ones shorter) and tick labels."""
    left, top, right, bottom = lay.plot
    f, tick, scale = lay.scale, lay.tick, lay.scale
    canvas.stroke_rect(image, (left - f, top - f, right + f, bottom + f), _FRAME, f)
    for values, length in ((lay.x_ticks.minor, tick * 3 // 5), (lay.x_ticks.major, tick)):
        for p in _pixels(lay.x_axis, values):
            canvas.fill_rect(image, (p, bottom + f, p + f, bottom + f + length), _FRAME)
    for values, length in ((lay.y_ticks.minor, tick * 3 // 5), (lay.y_ticks.major, tick)):
        for p in _pixels(lay.y_axis, values):
            canvas.fill_rect(image, (left - f - length, p, left - f, p + f), _FRAME)
    for p, text in zip(_pixels(lay.x_axis, lay.x_ticks.major), lay.x_ticks.labels):
        canvas.draw_text(image, p, bottom + f + tick + 4 * scale, text, _TEXT, scale=scale,
                         anchor="center")
    for p, text in zip(_pixels(lay.y_axis, lay.y_ticks.major), lay.y_ticks.labels):
        canvas.draw_text(image, left - f - tick - 4 * scale, p, text, _TEXT, scale=scale,
                         anchor="right", valign="middle")


def _draw_labels(image: np.ndarray, lay: _Layout, title: str, xlabel: str, ylabel: str) -> Box | None:
    """Axis labels and the title (twice the size when it fits); returns the title's box."""
    left, top, right, bottom = lay.plot
    scale, margin, room = lay.scale, lay.margin, lay.width - 2 * lay.margin
    if xlabel:
        text = fit_text(xlabel, room, scale)
        canvas.draw_text(image, _centre(text, scale, (left + right) // 2, lay.width, margin),
                         lay.height - margin - 7 * scale, text, _TEXT, scale=scale, anchor="center")
    if ylabel:
        text = fit_text(ylabel, bottom - top, scale)
        canvas.draw_text(image, margin, (top + bottom) // 2, text, _TEXT, scale=scale,
                         anchor="center", vertical=True)
    if not title:
        return None
    title_scale = 2 * scale if text_size(title, 2 * scale)[0] <= room else scale
    text = fit_text(title, room, title_scale)
    return canvas.draw_text(image, _centre(text, title_scale, (left + right) // 2, lay.width, margin),
                            margin, text, _TEXT, scale=title_scale, anchor="center")


def _draw_legend(image: np.ndarray, lay: _Layout, series: Sequence[Series],
                 coverage: np.ndarray) -> Box | None:
    """A legend of the labelled series where it hides the least of ``coverage``."""
    entries = [(i, s) for i, s in enumerate(series) if s.label]
    if not entries:
        return None
    scale, row = lay.scale, _LEGEND_ROW * lay.scale
    rows = _legend_rows(entries, lay.plot, scale)
    w = max(text_size(text, scale)[0] for _, text, _ in rows) + (_LEGEND_SAMPLE + 8) * scale
    h = row * len(rows) + 8 * scale
    box = _place_legend(coverage, lay.plot, (w, h), scale)
    canvas.fill_rect(image, box, _WHITE, alpha=0.9)
    canvas.stroke_rect(image, box, _LEGEND_EDGE, scale)
    for n, (i, text, s) in enumerate(rows):
        cy = box[1] + 4 * scale + n * row + row // 2
        if s is not None:
            x0, x1 = box[0] + 6 * scale, box[0] + 36 * scale
            layer = canvas.coverage_layer(coverage.shape)
            canvas.add_polyline(layer, [x0, x1], [cy, cy], _line_radius(s, scale), s.style)
            if s.marker:
                canvas.add_disc(layer, (x0 + x1) / 2, cy, _MARKER_RADIUS * scale)
            canvas.blend(image, layer, PALETTE[i % len(PALETTE)])
        canvas.draw_text(image, box[0] + _LEGEND_SAMPLE * scale, cy, text, _TEXT, scale=scale,
                         valign="middle")
    return box


def render_chart(series: Sequence[Series], *, title: str = "", xlabel: str = "", ylabel: str = "",
                 log_x: bool = False, log_y: bool = False, width: int = 800,
                 height: int = 500) -> Chart:
    """Draw a line chart in memory; :func:`line_chart` writes it to a PNG file.

    Takes the arguments of :func:`line_chart` but the path; the returned :class:`Chart`
    holds the pixels and the axes, so that where a value lands can be computed.
    """
    width = _check_size("width", width, MIN_SIZE[0], MAX_SIZE[0])
    height = _check_size("height", height, MIN_SIZE[1], MAX_SIZE[1])
    series = list(series)
    if not series:
        raise ValueError("series: need at least one Series, got none")
    for i, s in enumerate(series):
        if not isinstance(s, Series):
            raise ValueError(f"series: item {i} is a {type(s).__name__}, not a Series")
    lay = _layout(series, width, height, title, xlabel, ylabel, log_x, log_y)

    image = canvas.new_image(width, height)
    _draw_grid(image, lay)
    coverage = canvas.coverage_layer((height, width))
    for i, s in enumerate(series):
        layer = _draw_series(coverage.shape, s, lay.x_axis, lay.y_axis, lay.plot, lay.scale)
        canvas.blend(image, layer, PALETTE[i % len(PALETTE)])
        np.maximum(coverage, layer, out=coverage)
    _draw_axes(image, lay)
    title_box = _draw_labels(image, lay, title, xlabel, ylabel)
    legend_box = _draw_legend(image, lay, series, coverage)
    return Chart(canvas.to_rgb8(image), lay.x_axis, lay.y_axis, lay.plot, title_box, legend_box,
                 lay.x_ticks, lay.y_ticks)


def line_chart(path: str | os.PathLike, series: Sequence[Series], *, title: str = "",
               xlabel: str = "", ylabel: str = "", log_x: bool = False, log_y: bool = False,
               width: int = 800, height: int = 500) -> Path:
    """Write a line chart of ``series`` as an RGB PNG at ``path`` and return the path.

    Axes get a frame, ticks with compact labels and a light grid; log axes are labelled at
    powers of ten with minor ticks. Each series gets the next colour of :data:`PALETTE`; the
    legend sits in the corner of the plot where it hides the least. Parent folders of
    ``path`` are created.

    Raises ValueError for an empty ``series``, a size outside :data:`MIN_SIZE` ..
    :data:`MAX_SIZE`, or values <= 0 on a log axis.
    """
    chart = render_chart(series, title=title, xlabel=xlabel, ylabel=ylabel, log_x=log_x,
                         log_y=log_y, width=width, height=height)
    return write_png(path, chart.pixels)

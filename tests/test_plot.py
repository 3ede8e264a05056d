"""PNG line charts: the file format, where things are drawn, tick choice, errors."""

from __future__ import annotations

import math

import struct
import zlib

import numpy as np
import pytest

from candidate_sampling.plot import Series, line_chart
from candidate_sampling.plot.axis import (Axis, data_range, format_ticks, format_value,
                                          linear_ticks, log_ticks, nice_step)
from candidate_sampling.plot.canvas import dash_segments, thin_polyline
from candidate_sampling.plot.chart import PALETTE, fit_text, render_chart
from candidate_sampling.plot.font import glyph, text_mask
from candidate_sampling.plot.png import PNG_SIGNATURE, decode_png, encode_png, read_png, write_png

BLUE, VERMILLION = PALETTE[0], PALETTE[1]


def _is(pixels: np.ndarray, color) -> np.ndarray:
    return np.all(pixels == np.asarray(color, np.uint8), axis=-1)


def _dark(pixels: np.ndarray) -> np.ndarray:
    return pixels.max(axis=-1) < 100


# --- PNG ------------------------------------------------------------------------------


def test_png_bytes_signature_header_and_crcs(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, size=(7, 11, 3), dtype=np.uint8)
    rgb[3:] = 200  # flat rows, where the Sub and Up filters win
    path = write_png(tmp_path / "deep" / "er" / "x.png", rgb)
    assert path == tmp_path / "deep" / "er" / "x.png"
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    pos, kinds = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        kinds.append(kind)
        if kind == b"IHDR":
            assert struct.unpack(">IIBBBBB", body) == (11, 7, 8, 2, 0, 0, 0)
        if kind == b"IDAT":
            raw = zlib.decompress(body)
            assert len(raw) == 7 * (11 * 3 + 1)
            assert {raw[i * 34] for i in range(7)} <= {0, 1, 2}
        pos += 12 + length
    assert kinds == [b"IHDR", b"IDAT", b"IEND"]
    assert np.array_equal(read_png(path), rgb)


def test_png_round_trip_uses_every_filter():
    rgb = np.zeros((6, 40, 3), np.uint8)
    rgb[0, 1::2] = 1  # pixels alternating 0 and 1: None
    rgb[1, :, :] = np.arange(40)[:, None] * 5  # a ramp: Sub
    rgb[2:] = rgb[0]  # repeated rows: Up
    data = encode_png(rgb)
    raw = zlib.decompress(data[data.index(b"IDAT") + 4:])
    assert {raw[i * 121] for i in range(6)} == {0, 1, 2}
    assert np.array_equal(decode_png(data), rgb)


def test_png_rejects_bad_input():
    with pytest.raises(ValueError, match="rgb"):
        encode_png(np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError, match="rgb"):
        encode_png(np.zeros((4, 4, 3), np.float32))
    data = bytearray(encode_png(np.zeros((2, 2, 3), np.uint8)))
    data[20] ^= 1  # inside IHDR
    with pytest.raises(ValueError, match="CRC"):
        decode_png(bytes(data))


# --- font ------------------------------------------------------------------------------


def test_every_printable_character_has_a_glyph():
    for code in range(33, 127):
        assert glyph(chr(code)).any(), chr(code)
    assert not glyph(" ").any()
    assert np.array_equal(glyph("\u00e9"), glyph("?"))
    assert glyph("g")[7:].any() and not glyph("a")[7:].any()  # descenders below the baseline
    mask = text_mask("Ab", scale=2)
    assert mask.shape == (18, 22)
    assert np.array_equal(mask[::2, ::2], text_mask("Ab"))


# --- axis scales and ticks -----------------------------------------------------------


def test_log_axis_maps_decades_evenly():
    axis = Axis(1e4, 1e7, 100.0, 400.0, log=True)
    np.testing.assert_allclose(axis.to_pixel([1e4, 1e5, 1e6, 1e7]), [100, 200, 300, 400])
    np.testing.assert_allclose(axis.to_pixel(10 ** 4.5), 150)
    y = Axis(0.0, 10.0, 480.0, 80.0)  # y grows upwards: lo at the bottom pixel
    np.testing.assert_allclose(y.to_pixel([0.0, 2.5, 10.0]), [480, 380, 80])


@pytest.mark.parametrize("span, count, step", [
    (1.0, 5, 0.2), (1.0, 10, 0.1), (7.0, 5, 2.0), (12000.0, 6, 2000.0), (3e-5, 6, 5e-6),
    (0.37, 4, 0.1), (95.0, 10, 10.0), (1.0, 1, 1.0)])
def test_nice_step(span, count, step):
    assert nice_step(span, count) == pytest.approx(step)


@pytest.mark.parametrize("lo, hi, count, major, labels", [
    (-0.04, 1.04, 6, [0, 0.2, 0.4, 0.6, 0.8, 1.0], ["0", "0.2", "0.4", "0.6", "0.8", "1.0"]),
    (0.0, 12000.0, 6, [0, 2e3, 4e3, 6e3, 8e3, 1e4, 1.2e4], ["0", "2k", "4k", "6k", "8k", "10k", "12k"]),
    (-3.3e-5, 3.3e-5, 7, [-3e-5, -2e-5, -1e-5, 0, 1e-5, 2e-5, 3e-5],
     ["-3e-5", "-2e-5", "-1e-5", "0", "1e-5", "2e-5", "3e-5"]),
    (3.0, 27.0, 5, [5, 10, 15, 20, 25], ["5", "10", "15", "20", "25"]),
    (9.5e5, 1.32e6, 4, [1e6, 1.1e6, 1.2e6, 1.3e6], ["1.0M", "1.1M", "1.2M", "1.3M"]),
])
def test_linear_ticks(lo, hi, count, major, labels):
    ticks = linear_ticks(lo, hi, count)
    assert ticks.major == pytest.approx(major)
    assert list(ticks.labels) == labels
    assert ticks.minor == ()


def test_log_ticks_four_decades():
    ticks = log_ticks(1e4 * 0.8, 1e7 * 1.2, decade_pixels=200, label_pixels=40)
    assert ticks.major == pytest.approx([1e4, 1e5, 1e6, 1e7])
    assert ticks.labels == ("10k", "100k", "1M", "10M")
    minor = [m * 10.0 ** k for k in (3, 4, 5, 6) for m in range(2, 10)]
    assert ticks.minor == pytest.approx([v for v in minor if 8e3 <= v <= 1.2e7])


def test_log_ticks_many_decades_label_every_third_and_skip_minor():
    ticks = log_ticks(1e-10, 1e10, decade_pixels=12, label_pixels=30)
    assert ticks.major == pytest.approx([10.0 ** k for k in range(-9, 10, 3)])
    assert ticks.labels == ("1e-9", "1e-6", "1e-3", "1e0", "1e3", "1e6", "1e9")
    assert len(ticks.minor) == 21 - 7  # the unlabelled powers of ten only
    assert all(round(np.log10(v), 9) % 1 == 0 for v in ticks.minor)


def test_log_ticks_within_one_decade():
    ticks = log_ticks(15.0, 95.0, decade_pixels=400, label_pixels=30)
    assert ticks.major == pytest.approx([20, 40, 60, 80])  # 20, 50 is too few: linear steps
    assert ticks.labels == ("20", "40", "60", "80")
    assert ticks.minor == pytest.approx([30, 50, 70, 90])
    wide = log_ticks(0.065, 5.5, decade_pixels=200, label_pixels=22)
    assert wide.labels == ("0.1", "0.2", "0.5", "1", "2", "5")
    assert 0.3 in wide.minor and 0.07 in wide.minor and 1.0 not in wide.minor
    narrow = log_ticks(1.1, 1.9, decade_pixels=2000, label_pixels=30)
    assert narrow.major == pytest.approx([1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9])


def test_labels_are_compact():
    assert format_ticks([0.0, 0.5, 1.0, 1.5], 0.5) == ["0", "0.5", "1.0", "1.5"]
    assert format_ticks([0.1 + 0.2, 0.6], 0.3) == ["0.3", "0.6"]
    assert format_ticks([1.0e4, 1.5e4], 5e3) == ["10k", "15k"]
    assert format_ticks([1.2e9], 1e8) == ["1.2G"]
    assert format_ticks([2e15], 1e15) == ["2e15"]
    assert [format_value(v) for v in (0.001, 0.02, 1.0, 500.0, 2e4, 3e6)] == [
        "0.001", "0.02", "1", "500", "20k", "3M"]


def test_data_range_pads_and_spreads_equal_values():
    assert data_range(0.0, 100.0, log=False) == pytest.approx((-4.0, 104.0))
    assert data_range(5.0, 5.0, log=False) == pytest.approx((4.5, 5.5))
    assert data_range(0.0, 0.0, log=False) == pytest.approx((-1.0, 1.0))
    lo, hi = data_range(1e4, 1e4, log=True)
    assert (lo, hi) == pytest.approx((10 ** 3.5, 10 ** 4.5))


def test_data_range_stays_within_the_floats():
    """Data near the largest float padded past it: an OverflowError ended the demo of a
    diverging run after its table."""
    lo, hi = data_range(1.0, 1e308, log=True)
    assert lo < 1.0 and math.isfinite(hi) and hi >= 1e308
    lo, hi = data_range(1e-300, 1e-300, log=True)
    assert 0 < lo < 1e-300 < hi
    assert data_range(-1.7e308, 1.7e308, log=False) == (-1.7e308, 1.7e308)
    lo, hi = data_range(1.7e308, 1.7e308, log=False)
    assert lo == 1.7e308 and math.isfinite(hi) and hi > lo


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("xs, ys", [([0, 1], [0, 1.7e308]), ([0, 1], [-1.7e308, 1.7e308]),
                                    ([0, 5e-324], [0, 1]), ([0, 1e-320], [3, 4]),
                                    ([0, 1], [0, 5e-324])])
def test_charts_of_data_at_the_ends_of_the_floats(tmp_path, xs, ys):
    """A span past the largest float (an OverflowError in the step), or a subnormal one
    (log10 of an underflowed step: a math domain error; then of a 0 label), gives a
    chart; the ticks are 1-2-5 multiples in range."""
    path = tmp_path / "c.png"
    line_chart(path, [Series("a", xs, ys)])
    assert (read_png(path) < 128).any()
    ticks = linear_ticks(-1.7e308, 1.7e308, 6)
    assert ticks.major == (-1e308, 0.0, 1e308) and ticks.labels == ("-1e308", "0", "1e308")
    assert linear_ticks(0.0, 5e-324, 6).labels[0] == "0"


def test_dash_pattern_runs_on_across_vertices():
    pieces = dash_segments([0, 10, 10], [0, 0, 10], (6.0, 6.0))
    np.testing.assert_allclose(pieces, [(0, 0, 6, 0), (10, 2, 10, 8)])
    dots = dash_segments([0, 9], [0, 0], (0.0, 4.5))
    assert [p[0] for p in dots] == pytest.approx([0, 4.5, 9])


def test_thinning_keeps_ends_and_every_move_of_a_pixel():
    xs = np.linspace(0, 10, 1001)  # 100 points a pixel
    ys = np.where(xs < 5, 0.0, 3.0)
    kx, ky = thin_polyline(xs, ys)
    assert (kx[0], ky[0], kx[-1], ky[-1]) == (0.0, 0.0, 10.0, 3.0)
    assert 10 <= len(kx) <= 16
    moves = np.maximum(np.abs(np.diff(kx)), np.abs(np.diff(ky)))[:-1]
    assert np.all(moves >= 0.75 - 1e-9)
    assert 3.0 in ky and 0.0 in ky  # the step survives


# --- charts ----------------------------------------------------------------------------


def test_line_chart_writes_a_png_of_the_requested_size(tmp_path):
    path = line_chart(tmp_path / "a" / "b" / "chart.png", [Series("loss", [1, 2, 3], [3, 1, 2])],
                      title="T", xlabel="step", ylabel="loss", width=640, height=360)
    assert path == tmp_path / "a" / "b" / "chart.png"
    assert read_png(path).shape == (360, 640, 3)


def test_horizontal_line_lands_on_its_row():
    chart = render_chart([Series("", [0, 10], [2, 2]), Series("", [0, 10], [0, 4])])
    row = int(np.rint(chart.y_axis.to_pixel(2.0)))
    x0, x1 = np.rint(chart.x_axis.to_pixel([0.0, 10.0])).astype(int)
    line = _is(chart.pixels[row, x0 + 6:x1 - 5], BLUE)
    crossing = abs(int(np.rint(chart.x_axis.to_pixel(5.0))) - x0 - 6)  # where the other line passes
    assert line[:crossing - 10].all() and line[crossing + 10:].all()
    for off in (-4, 4):
        assert not _is(chart.pixels[row + off, x0 + 6:x1 - 5], BLUE).any()
    assert chart.legend_box is None  # no labels, no legend


def test_points_and_markers_land_where_the_data_map():
    chart = render_chart([Series("a", [1, 2, 3], [1, 4, 9]), Series("b", [1, 3], [9, 1])])
    for (x, y), color in (((2, 4), BLUE), ((1, 9), VERMILLION), ((3, 1), VERMILLION)):
        px, py = int(np.rint(chart.x_axis.to_pixel(x))), int(np.rint(chart.y_axis.to_pixel(y)))
        assert _is(chart.pixels[py - 1:py + 2, px - 1:px + 2], color).all(), (x, y)


def test_log_log_chart_ticks_sit_where_the_decades_map():
    x = [1e4, 1e5, 1e6, 1e7]
    chart = render_chart([Series("t", x, [1, 10, 100, 1000])], log_x=True, log_y=True)
    assert chart.x_ticks.major == pytest.approx(x)
    assert chart.x_ticks.labels == ("10k", "100k", "1M", "10M")
    left, top, right, bottom = chart.plot_box
    spacing = np.diff(chart.x_axis.to_pixel(x))
    np.testing.assert_allclose(spacing, spacing[0])
    for value in x:  # a tick mark below the frame at each decade, and none beside it
        p = int(np.rint(chart.x_axis.to_pixel(value)))
        assert _dark(chart.pixels[bottom + 2:bottom + 5, p]).all()
        assert not _dark(chart.pixels[bottom + 2:bottom + 5, p + 3]).any()
    for value in (1.0, 10.0, 100.0, 1000.0):
        p = int(np.rint(chart.y_axis.to_pixel(value)))
        assert _dark(chart.pixels[p, left - 5:left - 1]).all()
    minor = int(np.rint(chart.x_axis.to_pixel(2e5)))
    assert _dark(chart.pixels[bottom + 1:bottom + 3, minor]).all()
    assert not _dark(chart.pixels[bottom + 4:bottom + 6, minor]).any()  # shorter than a major tick


def test_title_ink_lies_in_the_title_area():
    chart = render_chart([Series("a", [0, 1], [0, 1])], title="Sampled softmax")
    left, top, right, bottom = chart.title_box
    above = _dark(chart.pixels[:chart.plot_box[1] - 2])
    assert _dark(chart.pixels[top:bottom, left:right]).sum() > 100
    assert above.sum() == _dark(chart.pixels[top:bottom, left:right]).sum()
    assert abs((left + right) / 2 - sum(chart.plot_box[::2]) / 2) <= 1  # centred on the plot
    untitled = render_chart([Series("a", [0, 1], [0, 1])])
    assert untitled.title_box is None and untitled.plot_box[1] < chart.plot_box[1]


def test_nan_and_inf_break_the_line():
    x = [0, 1, 2, 3, 4, 5]
    y = [1, 1, np.nan, np.inf, 1, 1]
    chart = render_chart([Series("", x, y, marker=False), Series("", [0, 5], [0, 2])])
    row = int(np.rint(chart.y_axis.to_pixel(1.0)))
    a, b, c, d = np.rint(chart.x_axis.to_pixel([0.5, 1.5, 3.5, 4.5])).astype(int)
    assert _is(chart.pixels[row, a - 5:a + 5], BLUE).all()
    assert _is(chart.pixels[row, d - 5:d + 5], BLUE).all()
    assert not _is(chart.pixels[row, b:c], BLUE).any()


def test_single_point_and_equal_values_get_a_padded_range():
    chart = render_chart([Series("one", [3.0], [5.0], marker=False)])
    assert chart.x_axis.lo < 3.0 < chart.x_axis.hi and chart.y_axis.lo < 5.0 < chart.y_axis.hi
    px, py = int(np.rint(chart.x_axis.to_pixel(3.0))), int(np.rint(chart.y_axis.to_pixel(5.0)))
    assert _is(chart.pixels[py, px], BLUE)
    flat = render_chart([Series("flat", [1, 2, 3], [0, 0, 0])], log_x=True)
    assert flat.y_axis.lo == pytest.approx(-1.0) and flat.y_axis.hi == pytest.approx(1.0)
    assert dash_segments([4.0], [2.0], (6.0, 6.0)) == []
    for style in ("dashed", "dotted"):  # a lone point of a patterned series: its marker only
        lone = render_chart([Series("two", [1, 2], [1, 2]), Series("one", [1.5], [1.5], style)])
        px, py = (int(np.rint(a.to_pixel(1.5))) for a in (lone.x_axis, lone.y_axis))
        assert _is(lone.pixels[py, px], VERMILLION)


def test_dashed_and_dotted_lines_have_gaps():
    styles = ("solid", "dashed", "dotted")
    chart = render_chart([Series("", [0, 10], [i, i], style=s, marker=False)
                          for i, s in enumerate(styles)])
    x0, x1 = np.rint(chart.x_axis.to_pixel([0.0, 10.0])).astype(int)
    runs = []
    for i in range(3):
        row = int(np.rint(chart.y_axis.to_pixel(float(i))))
        pixels = chart.pixels[row, x0 + 3:x1 - 3].astype(int)
        painted = pixels.max(axis=-1) - pixels.min(axis=-1) > 60  # coloured, not white or grid
        runs.append(int(np.count_nonzero(np.diff(painted.astype(int)) == 1)))
    assert runs[0] == 0
    assert runs[1] > (x1 - x0) / 14 and runs[2] > (x1 - x0) / 6


def test_legend_avoids_the_lines_and_lists_each_series():
    x = np.linspace(0, 1, 20)
    chart = render_chart([Series("rising", x, x), Series("top", x, np.ones_like(x), style="dashed")])
    left, top, right, bottom = chart.legend_box
    pl, pt, pr, pb = chart.plot_box
    assert pl <= left < right <= pr and pt <= top < bottom <= pb
    assert (left + right) / 2 > (pl + pr) / 2 and (top + bottom) / 2 > (pt + pb) / 2  # lower right
    inside = chart.pixels[top:bottom, left:right]
    assert _is(inside, BLUE).any() and _is(inside, VERMILLION).any() and _dark(inside).sum() > 100


def test_long_texts_are_cut_to_fit():
    assert fit_text("short", 100) == "short"
    cut = fit_text("a label far too long for its box", 60)
    assert cut.endswith("...") and len(cut) * 6 - 1 <= 60 and "a label".startswith(cut[:3])
    assert fit_text("abcdef", 10) == ""
    long = "A title much too long for the chart at twice the size " * 3
    chart = render_chart([Series(f"series {i} " + "x" * 200, [0, 1], [i, i]) for i in range(40)],
                         title=long, ylabel=long, width=400, height=300)
    for box in (chart.title_box, chart.legend_box):
        assert 0 <= box[0] < box[2] <= 400 and 0 <= box[1] < box[3] <= 300
    left, top, right, bottom = chart.legend_box
    assert chart.plot_box[1] <= top and bottom <= chart.plot_box[3]  # "(n more)" closes it


def test_palette_is_distinct_and_cycles():
    assert len(set(PALETTE)) == len(PALETTE) == 8
    chart = render_chart([Series("", [0, 1], [i, i]) for i in range(9)])
    row = int(np.rint(chart.y_axis.to_pixel(8.0)))
    assert _is(chart.pixels[row, int(np.rint(chart.x_axis.to_pixel(0.5)))], PALETTE[0])


@pytest.mark.parametrize("kwargs, name", [
    (dict(series=[]), "series"),
    (dict(width=100), "width"),
    (dict(height=20), "height"),
    (dict(width=True), "width"),
    (dict(log_x=True, series=[Series("z", [0, 1], [1, 2])]), "log_x"),
    (dict(log_y=True, series=[Series("neg", [1, 2], [-1, 2])]), "log_y"),
    (dict(series=[Series("nan", [np.nan], [1.0])]), "series"),
    (dict(series=[(1, 2)]), "series"),
])
def test_bad_arguments_are_named(tmp_path, kwargs, name):
    args = dict(series=[Series("a", [1, 2], [1, 2])]) | kwargs
    with pytest.raises(ValueError, match=name):
        line_chart(tmp_path / "x.png", **args)
    assert not (tmp_path / "x.png").exists()


def test_bad_series_are_named():
    with pytest.raises(ValueError, match="style"):
        Series("a", [1], [1], style="dashdot")
    with pytest.raises(ValueError, match="y"):
        Series("a", [1, 2], [1])
    with pytest.raises(ValueError, match="x, y"):
        Series("a", [[1]], [[1]])

"""Axis scales: data ranges, the data-to-pixel mapping, tick choice and tick labels."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Axis", "Ticks", "data_range", "nice_step", "linear_ticks", "log_ticks", "format_ticks",
           "format_value"]

_SUFFIXES = {3: "k", 6: "M", 9: "G", 12: "T"}
_PAD = 0.04  # fraction of the data span added on each side


@dataclass(frozen=True)
class Axis:
    """A linear or log10 mapping of the data interval ``[lo, hi]`` onto pixels ``[p0, p1]``.

    For a y axis ``p0`` (where ``lo`` lands) is below ``p1``, so ``p0 > p1``.
    """

    lo: float
    hi: float
    p0: float
    p1: float
    log: bool = False

    def _f(self, values):
        return np.log10(values) if self.log else values

    def to_pixel(self, values: float | Sequence[float] | np.ndarray) -> np.ndarray:
        """Pixel coordinates of data ``values`` (float64 array of the same shape)."""
        values = np.asarray(values, np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            f = self._f(values)
        f_lo, f_hi = self._f(self.lo), self._f(self.hi)
        if not math.isfinite(f_hi - f_lo):  # ends near the largest and the lowest float
            f, f_lo, f_hi = f / 2, f_lo / 2, f_hi / 2
        return self.p0 + (f - f_lo) / (f_hi - f_lo) * (self.p1 - self.p0)


@dataclass(frozen=True)
class Ticks:
    """Labelled major ticks and unlabelled minor ticks of an axis, in data units."""

    major: tuple[float, ...]
    labels: tuple[str, ...]
    minor: tuple[float, ...] = ()


def data_range(lo: float, hi: float, log: bool) -> tuple[float, float]:
    """The axis interval shown for finite data in ``[lo, hi]``: padded, never empty.

    The span is padded by 4% on each side (in decades on a log axis); equal ends are
    spread to half a decade (log), or by 10% of the value (1 when it is 0) each way.
    """
    if log:
        a, b = math.log10(lo), math.log10(hi)
        pad = _PAD * (b - a) if b > a else 0.5
        # within the float range: data near 1e308 would pad past it (OverflowError)
        return 10.0 ** max(a - pad, -307.0), 10.0 ** min(b + pad, 308.0)
    if hi > lo:
        pad = _PAD * (hi - lo)
    else:
        pad = abs(lo) * 0.1 if lo != 0 else 1.0
    low, high = lo - pad, hi + pad
    if not math.isfinite(pad) or not (math.isfinite(low) and math.isfinite(high)):
        return lo, (hi if hi > lo else lo + abs(lo) * 1e-3)  # a span past the float range
    return low, high


def nice_step(span: float, count: int) -> float:
    """The smallest step of the form 1, 2 or 5 times a power of ten that cuts ``span``
    into at most ``count`` intervals."""
    if not span > 0 or count < 1:
        raise ValueError(f"span and count: need span > 0 and count >= 1, got {span}, {count}")
    raw = span / count
    # in logarithms: the quotient of a subnormal span underflows to 0
    magnitude = 10.0 ** math.floor(math.log10(span) - math.log10(count))
    if magnitude == 0.0:  # below the smallest subnormal number: one interval
        return span
    for factor in (1.0, 2.0, 5.0, 10.0):
        if factor * magnitude >= raw * (1 - 1e-9):
            return factor * magnitude
    return 10.0 * magnitude


def _multiples(lo: float, hi: float, step: float) -> list[float]:
    first, last = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
    return [_clean(k * step) for k in range(first, last + 1)]


def _clean(value: float) -> float:
    """``value`` rounded to 12 significant digits (drops float noise such as 0.30000000000000004)."""
    return float(f"{value:.12g}")


def linear_ticks(lo: float, hi: float, count: int) -> Ticks:
    """At most ``count + 1`` ticks at multiples of a 1-2-5 step inside ``[lo, hi]``."""
    count = max(count, 1)
    if math.isfinite(hi - lo):
        step = nice_step(hi - lo, count)
    else:  # ends near both the largest and the lowest float: half the span in half the count
        step = nice_step(hi / 2 - lo / 2, max(count // 2, 1))
    major = _multiples(lo, hi, step)
    return Ticks(tuple(major), tuple(format_ticks(major, step)))


def _leading_digit(value: float) -> int:
    return round(value / 10.0 ** math.floor(math.log10(value) + 1e-9))


def log_ticks(lo: float, hi: float, decade_pixels: float, label_pixels: float) -> Ticks:
    """Ticks of a log axis over ``[lo, hi]`` (``lo > 0``), a decade ``decade_pixels`` long.

    Labels stand at least ``label_pixels`` apart. Spans holding three powers of ten or more
    are labelled at powers of ten (every n-th one when a decade is narrower than
    ``label_pixels``), with minor ticks at 2..9 times each power when a decade is at
    least 30 pixels wide. Narrower spans are labelled at 1, 2 and 5 times powers of ten
    when three of those fit, else at linear 1-2-5 steps (at least one and a half label
    widths apart), with minor ticks at the other multiples 1..9 of powers of ten.
    """
    k0, k1 = math.ceil(math.log10(lo) - 1e-9), math.floor(math.log10(hi) + 1e-9)
    multiples = [m * 10.0 ** k for k in range(k0 - 1, k1 + 1) for m in range(1, 10)]
    inside = [_clean(v) for v in multiples if lo * (1 - 1e-9) <= v <= hi * (1 + 1e-9)]

    def fits(values: Sequence[float], room: float = 1.0) -> bool:
        return len(values) >= 2 and bool(
            np.min(np.diff(np.log10(values))) * decade_pixels >= room * label_pixels)

    def ticks(major: list[float], minor: list[float]) -> Ticks:
        return Ticks(tuple(major), _log_labels(major), tuple(v for v in minor if v not in major))

    powers = [v for v in inside if _leading_digit(v) == 1]
    if k1 - k0 >= 2:
        every = max(1, math.ceil(label_pixels / max(decade_pixels, 1e-9)))
        exponents = [k for k in range(k0, k1 + 1) if k % every == 0]  # keeps 10^0 when shown
        if len(exponents) < 2:
            exponents = list(range(k0, k1 + 1, every))
        labelled = [_clean(10.0 ** k) for k in exponents]
        return ticks(labelled, inside if decade_pixels >= 30 else powers)
    one_two_five = [v for v in inside if _leading_digit(v) in (1, 2, 5)]
    if len(one_two_five) >= 3 and fits(one_two_five):
        return ticks(one_two_five, inside)
    pixels = decade_pixels * math.log10(hi / lo)
    for count in range(min(20, int(pixels // label_pixels)), 1, -1):
        linear = linear_ticks(lo, hi, count)
        if len(linear.major) >= 3 and fits(linear.major, room=1.5):
            return Ticks(linear.major, linear.labels, tuple(v for v in inside if v not in linear.major))
    for major in (one_two_five, powers):
        if fits(major):
            return ticks(major, inside)
    linear = linear_ticks(lo, hi, 2)
    return Ticks(linear.major, linear.labels, tuple(v for v in inside if v not in linear.major))


def _log_labels(values: Sequence[float]) -> tuple[str, ...]:
    if all(1e-3 <= v < 1e15 for v in values):
        return tuple(format_value(v) for v in values)
    return tuple(_scientific(v, 10.0 ** math.floor(math.log10(v) + 1e-9)) for v in values)


def format_value(value: float) -> str:
    """A compact label for one value: ``0.02``, ``500``, ``20k``, ``1M``, ``3e-5``."""
    if value == 0:
        return "0"
    return format_ticks([value], 10.0 ** math.floor(math.log10(abs(value)) + 1e-9))[0]


def format_ticks(values: Sequence[float], step: float) -> list[str]:
    """Compact labels for ticks ``step`` apart, one style for the whole axis.

    Plain decimals with as many places as ``step`` needs (``0.5``, ``12``, ``2500``); from
    10 000 on the suffixes k, M, G, T (``15k``, ``1.2M``); below 0.001 and from 10^15 on,
    short scientific notation (``3e-5``, ``1.5e-5``).
    """
    biggest = max((abs(v) for v in values), default=0.0)
    if biggest == 0:
        return ["0" for _ in values]
    if biggest < 1e-3 or biggest >= 1e15:
        return [_scientific(v, step) for v in values]
    if biggest >= 1e4:
        power = 3 * min(int(math.log10(biggest) + 1e-9) // 3, 4)
        scale, suffix = 10.0 ** power, _SUFFIXES[power]
    else:
        scale, suffix = 1.0, ""
    places = max(0, -math.floor(math.log10(step / scale) + 1e-9))
    labels = []
    for v in values:
        text = f"{v / scale:.{places}f}"
        if float(text) == 0:
            labels.append("0")
        else:
            labels.append(text + suffix)
    return labels


def _scientific(value: float, step: float) -> str:
    if value == 0 or abs(value) < step * 1e-6:  # (a subnormal step's millionth is 0)
        return "0"
    exponent = math.floor(math.log10(abs(value)) + 1e-9)
    places = max(0, exponent - math.floor(math.log10(step) + 1e-9))
    mantissa, _, power = f"{value:.{places}e}".partition("e")
    return f"{mantissa}e{int(power)}"

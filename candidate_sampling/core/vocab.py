"""Vocabulary files of the fixed unigram sampler, read as TensorFlow reads them.

TensorFlow's ``FixedUnigramSampler`` splits each line at commas and reads the last field
with ``strings::safe_strtof``: a decimal or hexadecimal float (``0x10``, ``0x1.8p3``),
surrounding ASCII white space allowed, rounded once to the nearest float32 (ties to
even). A line with nothing in it is skipped; any other line whose last field does not
read is an error (one of white space alone too).
"""

from __future__ import annotations

import math
import os
import re
from fractions import Fraction

from . import checks

__all__ = ["parse_float32", "read_vocab_counts", "shard_offset"]

_SPACE = b" \t\n\r\x0b\x0c"
"""The white space ``safe_strtof`` allows around a number (ASCII only)."""
_DECIMAL = re.compile(rb"([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?")
_HEX = re.compile(rb"([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?[0-9]+))?")
_SPECIAL = re.compile(rb"[+-]?(?:inf|infinity|nan)", re.IGNORECASE)

_MANTISSA_BITS = 24
_MIN_EXPONENT = -149
"""The exponent of float32's smallest subnormal number, ``2**-149``."""
_MAX_FLOAT32 = (2**_MANTISSA_BITS - 1) * 2.0**104


def parse_float32(field: bytes) -> float | None:
    """The float32 number ``safe_strtof`` reads from ``field``, as a Python float (an
    infinity or NaN where it reads one), or None where it reads none."""
    text = field.strip(_SPACE)
    if _SPECIAL.fullmatch(text):
        return float(text)
    for pattern, scale in ((_DECIMAL, 10), (_HEX, 16)):
        match = pattern.fullmatch(text)
        if match and (match[2] or match[3]):  # digits before or after the point
            sign, whole, fraction, exponent = match.groups()
            fraction = fraction or b""
            value = _float32(int(whole + fraction, scale), scale, len(fraction),
                             int(exponent or 0))
            return -value if sign == b"-" else value
    return None


def _float32(mantissa: int, scale: int, places: int, exponent: int) -> float:
    """``mantissa / scale**places * base**exponent`` rounded to the nearest float32 (ties
    to even), ``base`` 2 for hexadecimal digits (``scale`` 16, a ``p`` exponent), else 10,
    without building huge powers: far past float32's range it is 0 or inf."""
    base = 2 if scale == 16 else 10
    if mantissa == 0:
        return 0.0
    magnitude = (mantissa.bit_length() - places * math.log2(scale)
                 + exponent * math.log2(base))  # log2 of the value, to within 1
    if magnitude > 130:
        return math.inf
    if magnitude < _MIN_EXPONENT - 2:
        return 0.0
    value = Fraction(mantissa, scale**places) * Fraction(base) ** exponent
    return _round_float32(value)


def _round_float32(value: Fraction) -> float:
    """A positive ``value`` rounded to the nearest float32, ties to even; inf past the
    largest."""
    n, d = value.numerator, value.denominator
    top = n.bit_length() - d.bit_length()  # floor(log2(value)), or one more
    below = n < d << top if top >= 0 else n << -top < d  # value < 2**top
    if below:
        top -= 1
    shift = max(top - (_MANTISSA_BITS - 1), _MIN_EXPONENT)
    num, den = (n, d << shift) if shift >= 0 else (n << -shift, d)
    m, rest = divmod(num, den)
    if 2 * rest > den or (2 * rest == den and m % 2):
        m += 1
    result = math.ldexp(m, shift)
    return math.inf if result > _MAX_FLOAT32 else result


def shard_offset(num_shards: int, shard: int, first: int) -> int:
    """Where a shard's entries start among entries numbered from ``first``: entry ``i``
    (from 0) is the shard's when ``(first + i) % num_shards == shard``, that is when
    ``i % num_shards`` is this offset (``counts[offset::num_shards]`` are its counts)."""
    return (shard - first) % num_shards


def read_vocab_counts(vocab_file: str | os.PathLike, num_shards: int = 1, shard: int = 0,
                      first: int = 0) -> list[float]:
    """The counts of a vocabulary file: one entry per line, the count in the last
    comma-separated field (``word,count``, or a bare ``count``), read as TensorFlow reads
    it (:func:`parse_float32`: float32 values). Read as bytes: the words may be in any
    encoding. An empty line is skipped, as TensorFlow skips it.

    The entries are numbered from ``first`` and only those numbered ``shard`` modulo
    ``num_shards`` (:func:`shard_offset`) are read and returned: as TensorFlow, the lines
    of the other shards are not parsed and may hold anything.
    """
    checks.check_path(vocab_file, "vocab_file")
    name = os.fsdecode(vocab_file)
    counts = []
    try:
        handle = open(vocab_file, "rb")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise ValueError(f"vocab_file: cannot read {name!r}: {exc.strerror}") from None
    offset = shard_offset(num_shards, shard, first)
    with handle:
        entry = -1
        for number, line in enumerate(handle, start=1):
            raw = line.rstrip(b"\n").rstrip(b"\r")
            if not raw:
                continue
            entry += 1
            if entry % num_shards != offset:
                continue
            field = raw.rsplit(b",", 1)[-1]
            value = parse_float32(field)
            if value is None:
                raise ValueError(f"vocab_file: {name}:{number}: expected '<word>,<count>' with a "
                                 f"decimal or hexadecimal count, got "
                                 f"{raw.decode('utf-8', errors='replace')!r}")
            if not (value >= 0 and math.isfinite(value)):
                raise ValueError(f"vocab_file: {name}:{number}: count must be a finite number "
                                 f">= 0 (in float32), got "
                                 f"{field.strip(_SPACE).decode('utf-8', 'replace')!r}")
            counts.append(value)
    return counts

"""The C math of TensorFlow's sampler kernels, reproduced to the last bit with NumPy.

TensorFlow's expected counts are float32 numbers from the C library's ``log1pf`` and
``expm1f`` (``range_sampler.cc``); its log-uniform sampler uses the double ``exp`` and
``log``; the fixed unigram sampler raises weights to a power with ``powf``. NumPy's
own float32 ``log1p``/``expm1`` (SIMD code) differ from those in the last bit for a
few percent of arguments, so:

* :func:`log1pf` and :func:`expm1f` are vectorised transcriptions of the GNU C
  library's ``s_log1pf.c`` and ``s_expm1f.c`` (the SunPro algorithms, float32 operations
  in the same order), bit-identical to the glibc functions of that lineage (checked
  against glibc 2.36 on millions of arguments; glibc releases that ship correctly
  rounded versions differ from these in the last bit for some arguments);
* :func:`powf` calls the C library on the distinct values only (weights repeat);
* :func:`exp_floor` and :func:`float32_of` take NumPy's double ``exp``/``log`` results
  and redo, with Python's ``math`` (the C library), the rare ones that lie so close to
  an integer or a float32 rounding boundary that a last-bit difference could matter.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
from functools import lru_cache
from typing import Callable

import numpy as np

__all__ = ["log1pf", "expm1f", "powf", "exp_floor", "float32_of"]

_F = np.float32
_I = np.int32

# s_log1pf.c
_LN2_HI = _F(6.9313812256e-01)   # 0x3f317180
_LN2_LO = _F(9.0580006145e-06)   # 0x3717f7d1
_LP = [_F(v) for v in (6.6666668653e-01, 4.0000000596e-01, 2.8571429849e-01, 2.2222198546e-01,
                       1.8183572590e-01, 1.5313838422e-01, 1.4798198640e-01)]
# s_expm1f.c
_O_THRESHOLD = _F(8.8721679688e+01)  # 0x42b17180
_INVLN2 = _F(1.4426950216e+00)       # 0x3fb8aa3b
_Q = [_F(v) for v in (-3.3333335072e-02, 1.5873016091e-03, -7.9365076090e-05, 4.0082177293e-06,
                      -2.0109921195e-07)]


def _bits_to_float(bits: np.ndarray) -> np.ndarray:
    return np.asarray(bits, dtype=np.int64).astype(np.uint32).view(np.float32)


def _signed_bits(x: np.ndarray) -> np.ndarray:
    return x.view(np.int32).astype(np.int64)


def _log1pf_series(f: np.ndarray, k: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``log1pf``'s end: ``k ln2 + log(1 + f)`` with ``c`` the correction of ``1 + x``."""
    half = _F(0.5)
    kf = k.astype(np.float32)
    k0 = k == 0
    hfsq = half * f * f
    s = f / (_F(2.0) + f)
    z = s * s
    r = z * (_LP[0] + z * (_LP[1] + z * (_LP[2] + z * (_LP[3] + z * (_LP[4]
                                                                 + z * (_LP[5] + z * _LP[6]))))))
    if k0.all():
        return f - (hfsq - s * (hfsq + r))
    return np.where(k0, f - (hfsq - s * (hfsq + r)),
                    kf * _LN2_HI - ((hfsq - (s * (hfsq + r) + (kf * _LN2_LO + c))) - f))


def _log1pf_reduced(x: np.ndarray) -> np.ndarray:
    """``log1pf`` for finite ``x > -1`` outside ``(-0.2929, 0.41422)``: ``1 + x = 2^k (1 + f)``."""
    one, half = _F(1.0), _F(0.5)
    hx = _signed_bits(x)
    huge = hx >= 0x5A000000
    u = np.where(huge, x, one + x)
    hu = _signed_bits(u)
    k = (hu >> 23) - 127
    c = np.where(k > 0, one - (u - x), x - (u - one)) / u
    c = np.where(huge, _F(0.0), c)
    hu = hu & 0x007FFFFF
    low = hu < 0x3504F7
    u = _bits_to_float(np.where(low, hu | 0x3F800000, hu | 0x3F000000))
    k = np.where(low, k, k + 1)
    hu = np.where(low, hu, (0x00800000 - hu) >> 2)
    f = u - one
    out = _log1pf_series(f, k, c)
    small = hu == 0   # |f| < 2**-20
    if small.any():
        fs, ks, cs = f[small], k[small], c[small]
        kf = ks.astype(np.float32)
        hfsq = half * fs * fs
        r = hfsq * (one - _F(0.66666666666666666) * fs)
        near = np.where(ks == 0, fs - r, kf * _LN2_HI - ((r - (kf * _LN2_LO + cs)) - fs))
        exact = np.where(ks == 0, _F(0.0), kf * _LN2_HI + (cs + kf * _LN2_LO))
        out[small] = np.where(fs == 0, exact, near)
    return out


def log1pf(x: np.ndarray) -> np.ndarray:
    """``log1pf`` of the C library, elementwise, on float32 values."""
    x = np.asarray(x, dtype=np.float32)
    shape = x.shape
    x = x.reshape(-1)
    hx = _signed_bits(x)
    ax = hx & 0x7FFFFFFF
    below = hx < 0x3ED413D7
    out = np.empty_like(x)
    with np.errstate(all="ignore"):
        tiny = below & (ax < 0x31000000)                               # |x| < 2**-29
        invalid = below & (ax >= 0x3F800000)                           # x <= -1, -nan
        near_zero = below & ((hx > 0) | (hx <= -1097468385)) & ~tiny   # -0.2929 < x < 0.41422
        rest = ~(tiny | invalid | near_zero | (hx >= 0x7F800000))
        if near_zero.any():
            f = x[near_zero]
            out[near_zero] = _log1pf_series(f, np.zeros(f.shape, dtype=np.int64), np.zeros_like(f))
        if rest.any():
            out[rest] = _log1pf_reduced(x[rest])
        if tiny.any():
            xt = x[tiny]
            out[tiny] = np.where(ax[tiny] < 0x24800000, xt, xt - xt * xt * _F(0.5))
        if invalid.any():
            out[invalid] = np.where(x[invalid] == -1.0, _F(-np.inf), _F(np.nan))
        top = hx >= 0x7F800000                                         # +inf, +nan
        out[top] = x[top] + x[top]
    return out.reshape(shape)


def _add_exponent(y: np.ndarray, k: np.ndarray) -> np.ndarray:
    """``y * 2**k`` by adding ``k`` to the exponent field, as ``SET_FLOAT_WORD`` does."""
    return _bits_to_float(_signed_bits(y) + (k << 23))


def _expm1f_core(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``expm1f``'s rational approximation on the reduced argument: ``(e, hxs)``."""
    one, half = _F(1.0), _F(0.5)
    hfx = half * r
    hxs = r * hfx
    r1 = one + hxs * (_Q[0] + hxs * (_Q[1] + hxs * (_Q[2] + hxs * (_Q[3] + hxs * _Q[4]))))
    t = _F(3.0) - r1 * hfx
    return hxs * ((r1 - t) / (_F(6.0) - r * t)), hxs


def _expm1f_reduced(x: np.ndarray, neg: np.ndarray, hx: np.ndarray) -> np.ndarray:
    """``expm1f`` for ``0.5 ln2 < |x| < 27 ln2`` (and positive ``x`` up to overflow):
    ``x = k ln2 + r`` with ``c`` the error of ``r``."""
    one, half = _F(1.0), _F(0.5)
    one_ln2 = hx < 0x3F851592
    t = _INVLN2 * x + np.where(neg, -half, half)
    k = np.where(one_ln2, np.where(neg, -1, 1), np.trunc(t).astype(np.int64))
    kf = k.astype(np.float32)
    hi = np.where(one_ln2, np.where(neg, x + _LN2_HI, x - _LN2_HI), x - kf * _LN2_HI)
    lo = np.where(one_ln2, np.where(neg, -_LN2_LO, _LN2_LO), kf * _LN2_LO)
    r = hi - lo
    c = (hi - r) - lo
    e, hxs = _expm1f_core(r)
    e = (r * (e - c) - c)
    e = e - hxs
    out = _add_exponent(one - (e - r), k) - one                         # k <= -2 or k > 56
    out = np.where(k == -1, half * (r - e) - half, out)
    out = np.where(k == 1, np.where(r < _F(-0.25), _F(-2.0) * (e - (r + half)),
                                    one + _F(2.0) * (r - e)), out)
    ks = np.clip(k, 2, 56)
    mid = (k >= 2) & (k < 23)
    if mid.any():
        t_mid = _bits_to_float(0x3F800000 - (0x1000000 >> np.minimum(ks, 24)))   # 1 - 2**-k
        out = np.where(mid, _add_exponent(t_mid - (e - r), k), out)
    top = (k >= 23) & (k <= 56)
    if top.any():
        t_top = _bits_to_float((0x7F - ks) << 23)                                 # 2**-k
        out = np.where(top, _add_exponent((r - (e + t_top)) + one, k), out)
    return out


def expm1f(x: np.ndarray) -> np.ndarray:
    """``expm1f`` of the C library, elementwise, on float32 values."""
    x = np.asarray(x, dtype=np.float32)
    shape = x.shape
    x = x.reshape(-1)
    bits = x.view(np.uint32).astype(np.int64)
    neg = bits >= 0x80000000
    hx = bits & 0x7FFFFFFF
    out = np.empty_like(x)
    with np.errstate(all="ignore"):
        tiny = hx < 0x33000000                                     # |x| < 2**-25
        small = (hx <= 0x3EB17218) & ~tiny                         # |x| <= 0.5 ln2: k = 0
        large_neg = neg & (hx >= 0x4195B844)                       # x <= -27 ln2 (and -inf, -nan)
        special = hx >= 0x42B17218                                 # overflow, inf, nan
        reduced = ~(tiny | small | large_neg | special)
        if small.any():
            r = x[small]
            e, hxs = _expm1f_core(r)
            out[small] = r - (r * e - hxs)
        if reduced.any():
            out[reduced] = _expm1f_reduced(x[reduced], neg[reduced], hx[reduced])
        out[tiny] = x[tiny]
        out[large_neg] = _F(-1.0)
        if special.any():
            xs, hs, ns = x[special], hx[special], neg[special]
            value = np.where(ns, _F(-1.0), np.where(xs > _O_THRESHOLD, _F(np.inf), xs))
            out[special] = np.where(hs > 0x7F800000, xs + xs, value)
    return out.reshape(shape)


@lru_cache(maxsize=None)
def _libm() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("m")
    for candidate in ("libm.so.6", name):
        if not candidate:
            continue
        try:
            lib = ctypes.CDLL(candidate)
            lib.powf.restype = ctypes.c_float
            lib.powf.argtypes = [ctypes.c_float, ctypes.c_float]
            return lib
        except (OSError, AttributeError):
            continue
    return None


def powf(x: np.ndarray, y: float) -> np.ndarray:
    """``powf(x, y)`` of the C library for float32 ``x`` and float32 ``y``.

    ``y = 1`` gives ``x`` and ``y = 0`` gives 1 (exact in C too); otherwise the C function
    is called once per distinct value of ``x``. Without a loadable C math library the
    double power rounded to float32 is returned (equal in all but rare last-bit cases)."""
    x = np.asarray(x, dtype=np.float32)
    y = float(np.float32(y))
    if y == 1.0:
        return x.copy()
    if y == 0.0:
        return np.ones_like(x)
    values, inverse = np.unique(x, return_inverse=True)
    lib = _libm()
    if lib is None:
        with np.errstate(all="ignore"):
            powered = np.power(values.astype(np.float64), y).astype(np.float32)
    else:
        powf_c = lib.powf
        powered = np.array([powf_c(float(v), y) for v in values], dtype=np.float32)
    return powered[inverse].reshape(x.shape)


def _near(d: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Where ``d`` is within about 64 ulps of ``points``."""
    return np.abs(d - points) <= np.abs(d) * 2.0**-46


def exp_floor(x: np.ndarray) -> np.ndarray:
    """``(int64) exp(x)`` with the C library's double ``exp``, elementwise.

    NumPy's ``exp`` may differ from the C library's in the last bit; that matters only
    where the result is within a few ulps of an integer, and those are redone with
    ``math.exp``."""
    x = np.asarray(x, dtype=np.float64)
    y = np.exp(x)
    redo = np.flatnonzero(_near(y, np.rint(y)))
    if redo.size:
        y = y.copy()
        flat = y.reshape(-1)
        for i in redo:
            flat[i] = math.exp(float(x.reshape(-1)[i]))
    return y.astype(np.int64)


def float32_of(d: np.ndarray, exact: Callable[[int], float]) -> np.ndarray:
    """Round doubles ``d`` to float32, where ``d`` approximates what the C library gives.

    Where ``d`` lies within a few ulps of a float32 rounding boundary, the double is
    recomputed as ``exact(flat index)`` (with Python's ``math``, i.e. the C library)
    before rounding, so the float32 result equals the C code's.
    """
    d = np.asarray(d, dtype=np.float64)
    f = d.astype(np.float32)
    f64 = f.astype(np.float64)
    with np.errstate(all="ignore"):
        up = np.nextafter(f, np.float32(np.inf)).astype(np.float64)
        down = np.nextafter(f, np.float32(-np.inf)).astype(np.float64)
        boundary = _near(d, (f64 + up) / 2) | _near(d, (f64 + down) / 2)
        redo = np.flatnonzero(np.isfinite(d) & boundary)
    if redo.size:
        flat = f.reshape(-1)
        for i in redo:
            flat[i] = np.float32(exact(int(i)))
    return f

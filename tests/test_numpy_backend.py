"""The NumPy backend's own pieces against plain definitions: the radix stable order of
ids, the first occurrences of distinct values (unique sampling), and the row update that
replaces ``np.add.at``."""

from __future__ import annotations

import numpy as np
import pytest
from array_api_compat import array_namespace

from candidate_sampling.backends import Backend, backend_for
from candidate_sampling.backends.numpy import add_rows, first_distinct, first_positions, stable_order

from conftest import exact_softplus_sigmoid


def _first_positions_by_definition(values):
    seen, positions = set(), []
    for k, v in enumerate(values.tolist()):
        if v not in seen:
            seen.add(v)
            positions.append(k)
    return np.asarray(positions, dtype=np.int64)


CASES = [
    # (size, low, high): one 16-bit digit, two digits, past 2**32, negative ids
    (0, 0, 1), (1, 0, 1), (7, 0, 3), (5000, 0, 300), (5000, 0, 2**16),
    (5000, 2**16 - 3, 2**16 + 3), (8192, 0, 200_000), (3000, 2**32 - 50, 2**32 + 50),
    (3000, -1000, 1000), (3000, 0, 2**62),
]


@pytest.mark.parametrize("size, low, high, dtype", [
    case + (dtype,) for case in CASES for dtype in (np.int64, np.int32)
    if dtype == np.int64 or case[2] <= 2**31])
def test_stable_order_is_numpys_stable_argsort(size, low, high, dtype):
    values = np.random.default_rng(size + low).integers(low, high, size).astype(dtype)
    order = stable_order(values)
    np.testing.assert_array_equal(order, np.argsort(values, kind="stable"))


@pytest.mark.parametrize("size, low, high", CASES)
def test_first_positions_are_first_occurrences(size, low, high):
    values = np.random.default_rng(size).integers(low, high, size)
    positions = first_positions(values)
    np.testing.assert_array_equal(positions, _first_positions_by_definition(values))
    assert positions.dtype.kind == "i"


def test_first_distinct_takes_the_stream_in_blocks():
    stream = np.random.default_rng(3).integers(0, 40, 10_000)
    calls = []

    def draw(index, n):
        start = sum(calls)
        calls.append(n)
        return stream[start:start + n]

    values, tries = first_distinct(draw, 30, 16)
    positions = _first_positions_by_definition(stream)[:30]
    np.testing.assert_array_equal(values, stream[positions])
    assert tries == positions[-1] + 1
    # after the first block, each one draws as many as drawn so far
    assert len(calls) > 2 and calls == [16] + [16 * 2**k for k in range(len(calls) - 1)]


@pytest.mark.parametrize("span", [40, 300_000], ids=["narrow", "wide"])
@pytest.mark.parametrize("table_span", [0, 6, 10**9], ids=["sort", "numpys-rule", "table"])
def test_first_distinct_finds_new_values_by_sort_or_by_table_alike(span, table_span,
                                                                   monkeypatch):
    """A later block's new values, found by one sort of the values found and the block,
    or by a membership table first (the values found spanning few times their number):
    both give the stream's first occurrences, whichever the rule picks."""
    import candidate_sampling.backends.numpy as numpy_backend

    monkeypatch.setattr(numpy_backend, "_TABLE_SPAN", table_span)
    rng = np.random.default_rng(span)
    stream = np.minimum(rng.zipf(1.3, 200_000), span) - 1  # a few classes carry most mass
    want = min(len(np.unique(stream)), 30 if span == 40 else 3000)
    drawn = []

    def draw(index, n):
        start = sum(drawn)
        drawn.append(n)
        return stream[start:start + n]

    values, tries = first_distinct(draw, want, 16)
    positions = _first_positions_by_definition(stream)[:want]
    np.testing.assert_array_equal(values, stream[positions])
    assert tries == positions[-1] + 1


def _skewed_stream(size, rare_at):
    """Class 0 everywhere but class 1 at ``rare_at`` and class 2 after it."""
    stream = np.zeros(size, dtype=np.int64)
    stream[rare_at], stream[rare_at + 1:rare_at + 3] = 1, 2
    return stream


def test_first_distinct_holds_at_most_a_bounded_block(monkeypatch):
    import candidate_sampling.backends.numpy as numpy_backend

    monkeypatch.setattr(numpy_backend, "MAX_BLOCK", 64)
    stream, calls = _skewed_stream(5000, 4321), []

    def draw(index, n):
        start = sum(calls)
        calls.append(n)
        return stream[start:start + n]

    values, tries = first_distinct(draw, 3, 8)
    np.testing.assert_array_equal(values, [0, 1, 2])
    assert tries == 4323
    assert max(calls) == 64 and calls[:4] == [8, 8, 16, 32]


@pytest.mark.parametrize("limit, ok", [(4323, True), (4322, False), (100, False)])
def test_first_distinct_stops_at_the_draw_limit(limit, ok):
    stream, calls = _skewed_stream(5000, 4321), []

    def draw(index, n):
        start = sum(calls)
        calls.append(n)
        return stream[start:start + n]

    if ok:
        assert first_distinct(draw, 3, 8, max_tries=limit)[1] == limit
        return
    with pytest.raises(ValueError, match=rf"num_sampled: 3 distinct classes were not drawn "
                                         rf"in {limit} draws"):
        first_distinct(draw, 3, 8, max_tries=limit)
    assert sum(calls) <= limit  # nothing drawn past the limit


def test_a_unique_sample_of_a_skewed_law_is_found():
    import candidate_sampling as cs

    weights = [10**5] + [1] * 3
    for seed in range(3):
        values = cs.fixed_unigram_candidate_sampler(np.array([[0]]), 1, 4, True, 4,
                                                    unigrams=weights, seed=seed)
        assert sorted(values[0].tolist()) == [0, 1, 2, 3]
        # the counts of the rare classes show that tens of thousands of draws were taken
        assert 0.05 < float(values[2][values[0] == 3][0]) < 1.0


@pytest.mark.parametrize("shape", [(40,), (40, 3), (1000, 16)])
@pytest.mark.parametrize("repeats", ["none", "some", "all"])
def test_add_rows_equals_add_at(shape, repeats):
    rng = np.random.default_rng(len(shape) * 10 + len(repeats))
    n = {"none": shape[0] // 2, "some": 3 * shape[0], "all": 25}[repeats]
    if repeats == "none":
        indices = rng.permutation(shape[0])[:n] - shape[0] // 4  # negative ones too
    elif repeats == "some":
        indices = rng.integers(-shape[0], shape[0], n)
    else:
        indices = np.full(n, 7)
    target = rng.standard_normal(shape).astype(np.float32)
    values = rng.standard_normal((n,) + shape[1:])  # float64, added as float32
    want = target.copy()
    np.add.at(want, indices, values.astype(np.float32))
    got = add_rows(target, indices, values)
    assert got is target and got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_add_rows_without_indices_and_out_of_range():
    target = np.arange(6.0).reshape(3, 2)
    add_rows(target, np.zeros(0, dtype=np.int64), np.zeros((0, 2)))
    np.testing.assert_array_equal(target, np.arange(6.0).reshape(3, 2))
    for bad in (3, -4):
        with pytest.raises(IndexError, match=f"index {bad} is out of bounds for axis 0 with size 3"):
            add_rows(target, np.array([0, bad]), np.ones((2, 2)))
    np.testing.assert_array_equal(target, np.arange(6.0).reshape(3, 2))  # nothing written


def test_backend_add_rows_leaves_a_read_only_target_alone():
    target = np.zeros((4, 2))
    target.flags.writeable = False
    got = backend_for(np).add_rows(np, target, np.array([1, 1, 3]), np.ones((3, 2)))
    np.testing.assert_array_equal(got, [[0, 0], [2, 2], [0, 0], [1, 1]])
    assert not target.any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows, inner, cols, width", [(3, 5, 7, 4), (0, 6, 9, 2), (8, 1, 1, 3)])
@pytest.mark.parametrize("scaled", [False, True])
@pytest.mark.parametrize("backend", [backend_for(np), Backend()], ids=["numpy", "generic"])
def test_stack_matmul_at_is_the_stacked_product(backend, scaled, dtype, rows, inner, cols, width):
    rng = np.random.default_rng(rows + inner)
    top = rng.standard_normal((rows, width)).astype(dtype)
    a = rng.standard_normal((inner, cols)).astype(dtype)
    b = rng.standard_normal((inner, width)).astype(dtype)
    row_scale = rng.uniform(0.5, 2, cols).astype(dtype) if scaled else None
    got = backend.stack_matmul_at(array_namespace(top), top, a, b, row_scale)
    assert got.shape == (rows + cols, width) and got.dtype == dtype and got.flags.c_contiguous
    np.testing.assert_array_equal(got[:rows], top)
    want = a.astype(np.float64).T @ b.astype(np.float64)
    if scaled:
        want = want * row_scale[:, None]
    np.testing.assert_allclose(got[rows:], want, rtol=1e-5 if dtype == np.float32 else 1e-12)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softplus_sigmoid_is_within_a_few_roundings(dtype):
    """One ``exp`` and one ``log`` give softplus (``log1p`` by the rounding error of
    ``1 + t``) and the sigmoid within 4 roundings of float64 ``log1p`` / a long-double
    reference, over logits from -120 to 120, at 0, near float32's limits and at
    infinities, silently; NaN stays NaN."""
    from candidate_sampling.backends.numpy import softplus_sigmoid

    x = np.concatenate([np.linspace(-120, 120, 24001), [0.0, -0.0, 1e-30, -1e-30, 16.1, -16.1,
                                                        -87.0, -103.0, 1e30, -1e30]])
    x = x.astype(dtype)
    soft, sig = softplus_sigmoid(np, x)
    wide = x.astype(np.longdouble)
    want_soft, want_sig = exact_softplus_sigmoid(wide)
    for got, want in ((soft, want_soft), (sig, want_sig)):
        assert got.dtype == dtype and got.shape == x.shape
        rounding = np.spacing(want.astype(dtype)).astype(np.longdouble)
        rounding = np.maximum(rounding, np.finfo(dtype).smallest_subnormal)
        assert float(np.max(np.abs(got - want) / rounding)) <= 4
    inf = softplus_sigmoid(np, np.array([np.inf, -np.inf, np.nan], dtype))
    np.testing.assert_array_equal(inf[0], [np.inf, 0.0, np.nan])
    np.testing.assert_array_equal(inf[1], [1.0, 0.0, np.nan])
    alone, none = softplus_sigmoid(np, x, need_sigmoid=False)
    assert none is None
    np.testing.assert_array_equal(alone, soft)


@pytest.mark.parametrize(("found", "same"), [
    ({"exp": {"ff": {"current": "X86_V3"}}, "exp2": {"ff": {"current": "baseline(X86_V2)"}}},
     False),  # AVX2: exp2 is a scalar loop
    ({"exp": {"ff": {"current": "X86_V4"}}, "exp2": {"ff": {"current": "X86_V4"}}}, True),
    ({"exp": {"ff": {"current": "X86_V3"}}}, False),
    ({}, False),
])
def test_exp2_is_taken_where_numpy_vectorises_it_as_exp(monkeypatch, found, same):
    introspect = pytest.importorskip("numpy.lib.introspect")
    from candidate_sampling.backends import numpy as numpy_backend

    asked = []

    def opt_func_info(func_name, signature):
        asked.append((func_name, signature))
        return found

    monkeypatch.setattr(introspect, "opt_func_info", opt_func_info)
    numpy_backend.exp2_as_fast_as_exp.cache_clear()
    try:
        assert numpy_backend.NumpyBackend().prefers_exp2(np, np.float32) is same
        assert asked == [("^exp2?$", "^float32$")]
    finally:
        numpy_backend.exp2_as_fast_as_exp.cache_clear()


def test_numpy_without_introspection_takes_exp(monkeypatch):
    """NumPy 1.x has no ``numpy.lib.introspect``: powers of e, vectorised everywhere."""
    import sys

    from candidate_sampling.backends import numpy as numpy_backend

    monkeypatch.setitem(sys.modules, "numpy.lib.introspect", None)  # its import fails
    numpy_backend.exp2_as_fast_as_exp.cache_clear()
    try:
        assert numpy_backend.NumpyBackend().prefers_exp2(np, np.float64) is False
    finally:
        numpy_backend.exp2_as_fast_as_exp.cache_clear()


def test_this_numpys_choice_of_exponential_follows_its_loops():
    """On this machine, the choice matches NumPy's own report of its loops."""
    introspect = pytest.importorskip("numpy.lib.introspect")
    from candidate_sampling.backends.numpy import NumpyBackend

    info = introspect.opt_func_info(func_name="^exp2?$", signature="^float32$")
    targets = {name: loops["ff"]["current"] for name, loops in info.items()}
    assert NumpyBackend().prefers_exp2(np, np.float32) is (targets["exp"] == targets["exp2"])

"""The PyTorch backend's matrix products: oneDNN for float32 on a CPU where torch runs
AVX-512 code, torch's own GEMM elsewhere and wherever autograd, ``torch.compile``, another
dtype or ``torch.backends.mkldnn`` says so. Both routes are tested on any CPU."""

from __future__ import annotations

import array_api_compat
import pytest

torch = pytest.importorskip("torch")

from candidate_sampling.backends import torch as torch_backend  # noqa: E402
from candidate_sampling.backends.torch import TorchBackend, onednn_gemm  # noqa: E402
from candidate_sampling.layers.torch import SampledSoftmaxLoss  # noqa: E402

pytestmark = [
    pytest.mark.skipif(torch_backend._onednn_linear() is None,
                       reason="this build of torch has no oneDNN"),
    # torch.backends.mkldnn.flags() also sets oneDNN's TF32 switch, and warns about it
    pytest.mark.filterwarnings("ignore:TF32 acceleration on top of oneDNN"),
]

BACKEND = TorchBackend()
XP = array_api_compat.array_namespace(torch.empty(0))  # the namespace the library passes


@pytest.fixture
def onednn(monkeypatch):
    """The products on oneDNN, as on a CPU with AVX-512."""
    monkeypatch.setattr(torch_backend, "_onednn_preferred", lambda: True)


@pytest.fixture
def own_gemm(monkeypatch):
    """The products on torch's own GEMM, as on a CPU without AVX-512."""
    monkeypatch.setattr(torch_backend, "_onednn_preferred", lambda: False)


@pytest.fixture(params=["onednn", "own_gemm"])
def route(request):
    """Each route in turn: True where the products run on oneDNN."""
    request.getfixturevalue(request.param)
    return request.param == "onednn"


def _data(*shapes: tuple[int, ...], dtype=torch.float32) -> list:
    gen = torch.Generator().manual_seed(len(shapes))
    return [torch.randn(*s, generator=gen, dtype=dtype) for s in shapes]


def _exact(a, b):
    """The float64 product, the reference of the float32 ones."""
    return (a.double() @ b.double()).float()


def _close(got, want, k):
    # float32 products of k terms of unit size: rounding ~ sqrt(k) * 2^-24 * |terms|
    torch.testing.assert_close(got, want, rtol=0, atol=1e-5 * k ** 0.5)


def _column_major(a):
    """The same values, stored column by column (a transposed view)."""
    return a.T.contiguous().T


@pytest.mark.parametrize("a_columns", [False, True])
@pytest.mark.parametrize("b_columns", [False, True])
def test_products_equal_the_float64_product_in_every_layout(a_columns, b_columns, route):
    a, b = _data((37, 300), (300, 45))
    a = _column_major(a) if a_columns else a
    b = _column_major(b) if b_columns else b
    assert onednn_gemm(a, b) == route
    got = BACKEND.matmul(XP, a, b)
    assert got.shape == (37, 45) and got.dtype == torch.float32
    _close(got, _exact(a, b), 300)


def test_the_weight_gradient_is_a_transposed_view_on_onednn_and_rows_elsewhere(route):
    g, x = _data((64, 500), (64, 32))
    got = BACKEND.matmul_at(XP, g, x)  # the weight gradient of a step: [S, D]
    assert got.shape == (500, 32) and got.stride() == ((1, 500) if route else (32, 1))
    _close(got, _exact(g.T, x), 64)


@pytest.mark.parametrize("scaled", [False, True])
def test_the_weight_row_gradient_stacks_the_product_under_the_true_rows(route, scaled):
    top, g, x, scale = _data((6, 32), (64, 500), (64, 32), (500,))
    got = BACKEND.stack_matmul_at(XP, top, g, x, scale if scaled else None)
    want = _exact(g.T, x) * (scale[:, None] if scaled else 1)
    assert got.shape == (506, 32) and got.is_contiguous()
    assert torch.equal(got[:6], top)
    _close(got[6:], want, 64 * 4)


def test_the_weight_row_gradient_is_differentiable_where_autograd_records_it(own_gemm):
    top, g, x = _data((3, 8), (16, 20), (16, 8))
    g.requires_grad_()
    BACKEND.stack_matmul_at(XP, top, g, x).sum().backward()  # no out= here
    torch.testing.assert_close(g.grad, x.sum(1, keepdim=True).expand(16, 20))


@pytest.mark.parametrize("capability, preferred", [("AVX512", True), ("AVX2", False),
                                                   ("DEFAULT", False)])
def test_onednn_is_preferred_where_torch_runs_avx512_code(monkeypatch, capability, preferred):
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: capability)
    torch_backend._onednn_preferred.cache_clear()
    try:
        assert torch_backend._onednn_preferred() is preferred
        a, b = _data((8, 5), (5, 6))
        assert onednn_gemm(a, b) is preferred
    finally:
        torch_backend._onednn_preferred.cache_clear()


def test_linear_adds_the_bias_in_the_product(route):
    x, w, bias = _data((16, 40), (70, 40), (70,))
    got = BACKEND.linear(XP, x, w, bias)
    _close(got, _exact(x, w.T) + bias, 40)
    _close(BACKEND.linear(XP, x, w, None), _exact(x, w.T), 40)


def test_what_stays_on_torchs_own_gemm(onednn):
    a, b = _data((8, 5), (5, 6))
    assert onednn_gemm(a, b)
    assert not onednn_gemm(a.double(), b.double())
    assert not onednn_gemm(a.half(), b.half())
    assert not onednn_gemm(torch.empty(0, 5), b)
    assert not onednn_gemm(torch.empty(8, 5, device="meta"), b)
    with torch.backends.mkldnn.flags(enabled=False):
        assert not onednn_gemm(a, b)
    tracked = a.clone().requires_grad_()
    assert not onednn_gemm(tracked, b)
    with torch.no_grad():
        assert onednn_gemm(tracked, b)
    # those products are torch.matmul's, bit for bit; so is a vector-matrix product
    for left, right in ((a.double(), b.double()), (a[:1], b), (a, b[:, :1])):
        assert torch.equal(BACKEND.matmul(XP, left, right), torch.matmul(left, right))


def test_a_product_autograd_records_keeps_its_gradient():
    x, w, bias = _data((6, 4), (9, 4), (9,))
    x.requires_grad_()
    BACKEND.linear(XP, x, w, bias).sum().backward()
    torch.testing.assert_close(x.grad, w.sum(0).expand(6, 4))


def _count_onednn(monkeypatch) -> list:
    calls = []
    op = torch_backend._onednn_linear()

    def counted(*args):
        calls.append(tuple(args[0].shape))
        return op(*args)

    monkeypatch.setattr(torch_backend, "_onednn_linear", lambda: counted)
    return calls


def _step(module, x, y, values) -> tuple:
    module.zero_grad(set_to_none=True)
    x.grad = None
    loss = module(x, y, values).sum()
    loss.backward()
    return loss.detach(), x.grad, module.weight.grad.to_dense(), module.bias.grad.to_dense()


def _step_case() -> tuple:
    """A small ``sparse=True`` module, inputs, labels and a sample of its own."""
    torch.manual_seed(0)
    module = SampledSoftmaxLoss(300, 16, 40, sparse=True)
    x = torch.randn(8, 16, requires_grad=True)
    y = torch.randint(0, 300, (8, 1))
    return module, x, y, module.sample(y)


def test_a_training_step_runs_its_three_products_on_onednn(onednn, monkeypatch):
    module, x, y, values = _step_case()
    calls = _count_onednn(monkeypatch)
    ours = _step(module, x, y, values)
    # the left operands of x w^T, g w and (x^T g)^T: the weight gradient is a transposed view
    assert sorted(calls) == sorted([(8, 16), (8, 40), (16, 8)])
    assert module.weight.grad.layout == torch.sparse_coo
    calls.clear()
    with torch.backends.mkldnn.flags(enabled=False):
        theirs = _step(module, x, y, values)
    assert calls == []
    for got, want in zip(ours, theirs):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)


def test_a_training_step_without_avx512_runs_no_product_on_onednn(monkeypatch):
    module, x, y, values = _step_case()
    calls = _count_onednn(monkeypatch)
    monkeypatch.setattr(torch_backend, "_onednn_preferred", lambda: True)
    on_onednn = _step(module, x, y, values)
    calls.clear()
    monkeypatch.setattr(torch_backend, "_onednn_preferred", lambda: False)
    ours = _step(module, x, y, values)
    assert calls == []
    with torch.backends.mkldnn.flags(enabled=False):
        theirs = _step(module, x, y, values)
    for got, same, close in zip(ours, theirs, on_onednn):
        assert torch.equal(got, same)
        torch.testing.assert_close(got, close, rtol=1e-5, atol=1e-6)

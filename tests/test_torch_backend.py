"""The PyTorch backend's own steps that replace a core one (the products are in
``test_torch_gemm.py``)."""

from __future__ import annotations

import array_api_compat
import pytest

torch = pytest.importorskip("torch")

from candidate_sampling.backends.torch import TorchBackend  # noqa: E402

BACKEND = TorchBackend()
XP = array_api_compat.array_namespace(torch.empty(0))


@pytest.mark.parametrize("size, low, high, dtype", [
    (0, 0, 1, torch.int64), (1, 0, 1, torch.int64), (9, 0, 3, torch.int32),
    (4096, 0, 200_000, torch.int64), (4096, 0, 200_000, torch.int32),
    (3000, 2**32 - 50, 2**32 + 50, torch.int64), (3000, -1000, 1000, torch.int64),
    (500, 0, 100, torch.uint8), (500, -100, 100, torch.int16)])
def test_argsort_is_torchs_stable_argsort(size, low, high, dtype):
    gen = torch.Generator().manual_seed(size)
    values = torch.randint(low, high, (size,), generator=gen).to(dtype)
    got = BACKEND.argsort(XP, values)
    assert got.dtype == torch.int64 and got.device == values.device
    assert torch.equal(got, torch.argsort(values, stable=True))


def test_argsort_of_floats_and_on_meta_stays_with_torch():
    values = torch.tensor([0.5, -1.0, 0.5, 2.0])
    assert torch.equal(BACKEND.argsort(XP, values), torch.tensor([1, 0, 2, 3]))
    assert BACKEND.argsort(XP, torch.empty(5, dtype=torch.int64, device="meta")).is_meta


def test_argsort_of_cpu_ids_is_numpys_radix_sort(monkeypatch):
    from candidate_sampling.backends import numpy as numpy_backend

    calls = []
    radix = numpy_backend.stable_order
    monkeypatch.setattr(numpy_backend, "stable_order", lambda v: calls.append(v.size) or radix(v))
    values = torch.tensor([7, 3, 7, 1, 3])
    assert BACKEND.argsort(XP, values).tolist() == [3, 1, 4, 0, 2]
    assert calls == [5]
    BACKEND.argsort(XP, values.double())
    assert calls == [5]

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


def _recording(spaces: list):
    """The core's ``hit_positions`` in a namespace, which ``spaces`` records."""
    from candidate_sampling.core.hits import _hit_positions

    def run(xp, *ids):
        spaces.append(xp)
        return _hit_positions(xp, *ids)

    return run


def test_index_computations_of_cpu_ids_run_in_numpy_on_the_tensors_memory():
    labels = torch.tensor([[3, 9], [7, 3], [12, 0]])
    sampled = torch.tensor([9, 3, 5, 3, 0])
    spaces: list = []
    found, position = BACKEND.on_host(_recording(spaces), XP, labels, sampled)
    assert len(spaces) == 1 and array_api_compat.is_numpy_namespace(spaces[0])
    assert isinstance(found, torch.Tensor) and found.dtype == torch.bool
    assert found.tolist() == [[True, True], [False, True], [False, True]]
    assert position.dtype == torch.int64
    assert position.tolist() == [[3, 0], [0, 3], [0, 4]]  # the last occurrence of 3
    torch_found, torch_position = _recording(spaces)(XP, labels, sampled)
    assert torch.equal(found, torch_found) and torch.equal(position, torch_position)


@pytest.mark.parametrize("case", ["float", "bool", "uint32", "meta", "compiling"])
def test_index_computations_stay_with_torch_elsewhere(case, monkeypatch):
    ids = {"float": torch.tensor([1.0, 2.0]), "bool": torch.tensor([True, False]),
           "uint32": torch.tensor([1, 2], dtype=torch.uint32),
           "meta": torch.empty(2, dtype=torch.int64, device="meta")}.get(
        case, torch.tensor([1, 2]))
    if case == "compiling":
        monkeypatch.setattr(torch.compiler, "is_compiling", lambda: True)
    spaces: list = []
    assert BACKEND.on_host(lambda xp, t: spaces.append(xp) or t, XP, ids) is ids
    assert spaces == [XP]


def test_a_count_on_the_cpu_is_read_as_an_int_outside_torch_compile(monkeypatch):
    assert BACKEND.host_int(17) == 17 and type(BACKEND.host_int(torch.tensor(17))) is int
    for other in (torch.tensor([17]), torch.tensor(17.0),
                  torch.empty((), dtype=torch.int64, device="meta")):
        assert BACKEND.host_int(other) is None
    monkeypatch.setattr(torch.compiler, "is_compiling", lambda: True)
    assert BACKEND.host_int(torch.tensor(17)) is None

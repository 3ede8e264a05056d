"""Shared fixtures: one ``backend`` fixture across every installed array library."""

from __future__ import annotations

import contextlib
import importlib.util
import os

# Each golden case has its own shapes, so JAX compiles every case afresh; XLA's
# optimisation passes are what that compile time is made of, and these small
# arrays do not need them.
os.environ.setdefault("XLA_FLAGS", "--xla_backend_optimization_level=0 "
                      "--xla_llvm_disable_expensive_passes=true")

# array-api-compat's NumPy namespace (and numpy.fft with it) is imported here, before any
# in-process pytester run: a module first imported inside one is dropped from
# sys.modules after it, and NumPy's fft extension cannot be loaded a second time.
import array_api_compat.numpy  # noqa: F401
import numpy as np
import pytest

from candidate_sampling.conformance.adapters import available_adapters, get_adapter

pytest_plugins = ["pytester"]

BACKENDS = available_adapters()
"""Installed backends: numpy, array_api_strict, torch, torch.func, jax, jax-jit (torch-cuda
and cupy where a GPU is)."""

NAMESPACES = [n for n in ("numpy", "array_api_strict", "torch", "jax.numpy")
              if importlib.util.find_spec(n.split(".")[0]) is not None]


@pytest.fixture(params=BACKENDS)
def backend(request):
    """A backend adapter: converts NumPy arrays, calls, and differentiates where it can."""
    return get_adapter(request.param)


@pytest.fixture(params=NAMESPACES)
def xp(request):
    """An array namespace (SciPy style): numpy, array_api_strict, torch, jax.numpy."""
    if request.param == "torch":
        from array_api_compat import torch as xp_torch

        return xp_torch
    return importlib.import_module(request.param)


def float64_on(name: str, dtype: str):
    """A context in which backend ``name`` (an adapter's or a namespace's) has ``dtype``:
    ``jax.enable_x64`` for JAX's float64 (off by default), else nothing."""
    if dtype == "float64" and name.startswith("jax"):
        import jax

        return jax.enable_x64(True)
    return contextlib.nullcontext()


def exact_softplus_sigmoid(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(softplus(x), sigmoid(x))`` from their overflow-free definitions, in ``x``'s dtype
    (long double for a reference): ``max(x, 0) + log1p(exp(-|x|))`` and
    ``exp(min(x, 0)) / (1 + exp(-|x|))``."""
    t = np.exp(-np.abs(x))
    return np.maximum(x, 0) + np.log1p(t), np.exp(np.minimum(x, 0)) / (1 + t)


def numpy_exp_base(monkeypatch, base2: bool) -> bool:
    """Make NumPy's softmax take its exponentials as powers of 2 (``base2``) or of e,
    whatever this CPU would pick
    (:meth:`~candidate_sampling.backends.numpy.NumpyBackend.prefers_exp2`); returns
    ``base2``."""
    from candidate_sampling.backends.numpy import NumpyBackend

    monkeypatch.setattr(NumpyBackend, "prefers_exp2", lambda self, xp, dtype: base2)
    return base2


@pytest.fixture
def other_exp_base(monkeypatch):
    """NumPy's softmax in the exponential base this CPU does not make it take: powers of
    e where its ``exp2`` is vectorised as ``exp`` is, else powers of 2, so that both
    paths are tested on any machine. Returns whether that is base 2."""
    from candidate_sampling.backends.numpy import NumpyBackend

    return numpy_exp_base(monkeypatch, not NumpyBackend().prefers_exp2(np, np.float32))


@pytest.fixture
def rng():
    return np.random.default_rng(20261123)


LOSS_OPS = ("sampled_softmax_loss", "nce_loss", "sampled_sparse_softmax_loss",
            "rank_sampled_softmax_loss", "sampled_softmax_with_cross_entropy")


def moderate_loss_cases(per_group: int = 3) -> list:
    """A few moderate-magnitude golden value cases of every (loss op, origin), hit masking
    included."""
    from candidate_sampling.conformance import load_cases
    from candidate_sampling.conformance.ops import op_spec

    chosen, seen = [], {}
    for c in load_cases():
        if (c.op not in LOSS_OPS or c.raises is not None or c.deviation or c.is_stream
                or op_spec(c.op, c.api) is None):
            continue
        if float(np.max(np.abs(c.outputs["loss"]))) > 30:
            continue
        key = (c.op, c.api)
        if seen.get(key, 0) < per_group:
            seen[key] = seen.get(key, 0) + 1
            chosen.append(c)
    return chosen

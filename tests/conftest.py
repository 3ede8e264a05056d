"""Shared fixtures: one ``backend`` fixture across every installed array library."""

from __future__ import annotations

import importlib.util
import os

# Each golden case has its own shapes, so JAX compiles every case afresh; XLA's
# optimisation passes are what that compile time is made of, and these small
# arrays do not need them.
os.environ.setdefault("XLA_FLAGS", "--xla_backend_optimization_level=0 "
                      "--xla_llvm_disable_expensive_passes=true")

import numpy as np
import pytest

from candidate_sampling.conformance.adapters import available_adapters, get_adapter

BACKENDS = available_adapters()
"""Installed backends: numpy, array_api_strict, torch, jax, jax-jit (cupy where a GPU is)."""

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


@pytest.fixture
def rng():
    return np.random.default_rng(20261123)

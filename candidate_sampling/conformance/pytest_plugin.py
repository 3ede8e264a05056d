"""pytest plugin (entry point ``pytest11``): the golden cases as pytest tests.

In a test module of your own, import the ready-made test and say what it checks::

    import pytest
    from candidate_sampling.conformance.pytest_plugin import test_golden_case  # noqa: F401

    pytestmark = pytest.mark.conformance(op="sampled_softmax_loss", semantics="tf2",
                                         backends=["numpy", "torch"])

    @pytest.fixture
    def conformance_impl():
        from my_package.losses import sampled_softmax
        return sampled_softmax

Each golden case of that op then runs as one test per backend, with ids like
``test_golden_case[torch-tf2.sampled_softmax_loss.t1-fixed-nu-rah-b5]``. For a sampler op
the tests are its law cases (``laws.tf2.<op>.unique`` ...). ``stream="tf2"`` or
``"paddle"`` in the marker adds the cases of that random stream (bit for bit; a ``tf2``
implementation's module provides ``set_seed``). Without the ``conformance_impl``
fixture, ``--conform-impl module:function`` names the implementation; with neither,
candidate_sampling itself is checked. The marker's arguments may also come from
``--conform-op``, ``--conform-semantics``, ``--conform-stream`` and ``--conform-backend``.
``backends`` is a list or one name; a backend that cannot run here (its library not
installed, or no device) is one skipped test whose reason names it.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

from .adapters import ADAPTERS, absence, available_adapters
from .suite import backend_names, load_impl, run_checks, runnable, target_cases
from .targets import Functions, SingleFunction, Target

__all__ = ["test_golden_case", "conformance_impl", "pytest_addoption", "pytest_configure",
           "pytest_generate_tests"]


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("candidate-sampling", "golden-case conformance")
    group.addoption("--conform-impl", help="module:function checked by test_golden_case")
    group.addoption("--conform-op", help="op of the golden cases (default: the marker's)")
    group.addoption("--conform-semantics", help="tf2, tf1, contrib or paddle")
    group.addoption("--conform-stream", choices=["tf2", "paddle", "none"],
                    help="random stream the implementation reproduces (default: the marker's, "
                         "else none)")
    group.addoption("--conform-backend", action="append",
                    help="backend to run on (repeatable; default: the marker's, else numpy)")


def pytest_configure(config: Any) -> None:
    config.addinivalue_line(
        "markers", "conformance(op, semantics=None, backends=None, stream=None): the golden, "
                   "law and stream cases that test_golden_case runs")


def _backends(choices: list[str] | tuple[str, ...] | str) -> tuple[list[str], dict[str, str]]:
    """The marker's or the options' backends (a list, or one name as a string): those
    installed, and the absent ones with why their tests skip. ``all``: every installed
    one; ``jax`` also names ``jax-jit``. An unknown name is a usage error."""
    if isinstance(choices, str):
        choices = [choices]
    installed = available_adapters()
    ready: list[str] = []
    absent: dict[str, str] = {}
    for choice in choices:
        names = installed if choice == "all" else backend_names(choice, ADAPTERS)
        if not names:
            raise pytest.UsageError(f"conformance(backends=...) or --conform-backend: must be "
                                    f"among {sorted(ADAPTERS) + ['all']}, got {choice!r}")
        for name in names:
            if name not in installed:
                absent.setdefault(name, absence(name))
            elif name not in ready:
                ready.append(name)
    return ready, absent


def _settings(metafunc: Any) -> tuple[str | None, str | None, str, list[str], dict[str, str]]:
    marker = metafunc.definition.get_closest_marker("conformance")
    kwargs = dict(marker.kwargs) if marker else {}
    option = metafunc.config.getoption
    op = option("--conform-op") or kwargs.get("op")
    semantics = option("--conform-semantics") or kwargs.get("semantics")
    stream = option("--conform-stream") or kwargs.get("stream") or "none"
    ready, absent = _backends(option("--conform-backend") or kwargs.get("backends") or ["numpy"])
    return op, semantics, stream, ready, absent


def pytest_generate_tests(metafunc: Any) -> None:
    if "golden_case" not in metafunc.fixturenames:
        return
    target = metafunc.config.getoption("--conform-impl")
    if target:  # one usage error at collection, not an error in every test
        try:
            load_impl(target, "--conform-impl")
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None
    op, semantics, stream, backends, absent = _settings(metafunc)
    if op is None:
        raise pytest.UsageError("test_golden_case needs an op: pytest.mark.conformance(op=...) "
                                "or --conform-op")
    try:
        pairs = target_cases(Target(impl="pytest:conformance_impl", op=op, semantics=semantics,
                                    stream=stream))
    except ValueError as exc:
        raise pytest.UsageError(f"no golden cases for op={op!r}, semantics={semantics!r}: "
                                f"{exc}") from None
    cases = [case for case, skip in pairs if skip is None]
    params = [pytest.param(case, backend, id=f"{backend}-{case.id}")
              for case in cases for backend in backends if runnable(case, backend)]
    params += [pytest.param(None, name, id=f"{name}-not-available",
                            marks=pytest.mark.skip(reason=reason))
               for name, reason in absent.items()]
    metafunc.parametrize(("golden_case", "conformance_backend"), params)


@pytest.fixture
def conformance_impl(request: Any) -> Any:
    """The implementation checked: ``--conform-impl``, else candidate_sampling's own
    front end of each case. Override this fixture to name yours."""
    target = request.config.getoption("--conform-impl")
    return load_impl(target, "--conform-impl") if target else None


def test_golden_case(golden_case: Any, conformance_backend: str, conformance_impl: Any) -> None:
    """One case on one backend: values and gradients within the case's tolerance, an
    exception in bounded time for bad input, a sampler's laws, or a stream bit for bit.
    A ``tf2`` stream uses ``set_seed`` of the implementation's module."""
    impl = conformance_impl
    if impl is not None and not isinstance(impl, Functions):
        module = sys.modules.get(getattr(impl, "__module__", ""), None)
        impl = SingleFunction(impl, getattr(module, "set_seed", None))
    (check,) = run_checks([golden_case], [conformance_backend], impl=impl)
    assert check.ok, check.result.describe()

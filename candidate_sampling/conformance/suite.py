"""Running the golden cases against an implementation on one or more backends."""

from __future__ import annotations

import importlib
import os
import sys
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import numpy as np

from .adapters import Adapter, available_adapters, get_adapter
from .ops import OPS, op_spec
from .runner import CaseResult, case_inputs, run_case
from .vectors import GoldenCase, load_cases

__all__ = ["Check", "select_cases", "run_checks", "runnable", "load_impl", "ERROR_TIMEOUT_S",
           "DYNAMIC_SHAPE_OPS", "resolve_backends"]

ERROR_TIMEOUT_S = 30.0
"""How long a bad-input case may run before it counts as a hang."""

DYNAMIC_SHAPE_OPS = {"compute_accidental_hits"}
"""Ops whose output length depends on the data: not run under a tracer (jit)."""


@dataclass
class Check:
    """One (case, backend) check and its outcome."""

    case: GoldenCase
    backend: str
    result: CaseResult
    kind: str  # "values" or "errors"
    xfail: bool = False

    @property
    def ok(self) -> bool:
        return self.result.ok


def load_impl(target: str) -> Callable[..., Any]:
    """The callable named ``module:function`` (dots after the colon walk attributes)."""
    module, sep, attr = target.partition(":")
    if not sep or not module or not attr:
        raise ValueError(f"--impl: expected 'module:function', got {target!r}")
    if os.getcwd() not in sys.path:  # import the caller's own modules, as ``python -m`` would
        sys.path.insert(0, os.getcwd())
    try:
        obj: Any = importlib.import_module(module)
    except ImportError as exc:
        raise ValueError(f"--impl: cannot import {module!r}: {exc}") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"--impl: {module!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise ValueError(f"--impl: {target!r} is not callable")
    return obj


def select_cases(op: str | None = None, semantics: str | None = None) -> list[GoldenCase]:
    """Golden cases of candidate_sampling's front ends (streams aside), optionally one op/origin."""
    return [c for c in load_cases(op=op, api=semantics)
            if op_spec(c.op, c.api) is not None and not c.is_stream
            and (c.deviation or {}).get("expect") != "value"]


def _error_case(case: GoldenCase, adapter: Adapter, impl: Callable[..., Any]) -> CaseResult:
    """Bad input must raise an exception in bounded time (not hang, crash or return NaN)."""
    result = CaseResult(case.id, adapter.name)
    outcome: dict = {}

    def attempt() -> None:
        inputs, kwargs = case_inputs(case)
        try:
            outcome["value"] = adapter.call(impl, inputs, kwargs)
        except BaseException as exc:  # any exception is the wanted outcome
            outcome["error"] = exc

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(ERROR_TIMEOUT_S)
    if worker.is_alive():
        result.error = f"hung: no answer after {ERROR_TIMEOUT_S:.0f} s (oracle: {case.raises['type']})"
    elif "error" not in outcome:
        value = outcome.get("value")
        nan = any(np.isnan(np.asarray(v, dtype=np.float64)).any()
                  for v in (value if isinstance(value, tuple) else (value,)))
        result.error = ("returned NaN instead of raising" if nan
                        else "returned a value instead of raising") + f" (oracle: {case.raises['type']})"
    return result


def runnable(case: GoldenCase, backend: str) -> bool:
    """Whether ``case`` can run on ``backend``: a traced backend (jit) runs no op whose
    output shape depends on the data, and no bad-input case (its checks read values)."""
    return not (get_adapter(backend).traced
                and (case.op in DYNAMIC_SHAPE_OPS or case.raises is not None))


def run_checks(cases: Iterable[GoldenCase], backends: list[str],
               impl: Callable[..., Any] | None = None, xfail: set[str] | None = None,
               progress: Callable[[int, int, "Check"], None] | None = None) -> list[Check]:
    """Every (case, backend) pair; ``impl`` defaults to candidate_sampling's front end of
    each case's (op, origin). ``xfail``: case ids (or ``id@backend``) expected to fail."""
    xfail = xfail or set()
    pairs = [(case, get_adapter(name)) for case in cases for name in backends
             if runnable(case, name)]
    checks = []
    for i, (case, adapter) in enumerate(pairs):
        fn = impl if impl is not None else OPS[(case.op, case.api)].resolve()
        expect_error = case.raises is not None or (case.deviation or {}).get("expect") == "raises"
        try:
            result = (_error_case(case, adapter, fn) if expect_error
                      else run_case(case, adapter, impl=fn))
        except Exception as exc:  # an implementation's crash is that case's failure
            result = CaseResult(case.id, adapter.name, error=f"{type(exc).__name__}: {exc}")
        check = Check(case, adapter.name, result, "errors" if expect_error else "values",
                      xfail=case.id in xfail or f"{case.id}@{adapter.name}" in xfail)
        checks.append(check)
        if progress is not None:
            progress(i + 1, len(pairs), check)
    return checks


def resolve_backends(choice: str) -> list[str]:
    """``--backend`` value to adapter names: one of them, or ``all`` installed."""
    installed = available_adapters()
    if choice == "all":
        return installed
    names = [n for n in installed if n == choice or n.startswith(choice + "-")]
    if not names:
        raise ValueError(f"--backend: {choice!r} is not installed here (installed: {installed})")
    return names

"""Running one golden case on one backend and comparing with the oracle."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Callable

import numpy as np

from .adapters import Adapter, ImplementationError, InputWritten, describe_value
from .ops import FLOAT_INPUTS, op_spec
from .vectors import GoldenCase, close, real_dtype

__all__ = ["Comparison", "CaseResult", "run_case", "case_inputs", "output_problem", "is_array"]


@dataclass(frozen=True)
class Comparison:
    """One compared quantity (an output or a gradient)."""

    name: str
    ok: bool
    worst_abs: float
    worst_rel: float
    detail: str = ""
    """What went wrong, in words, where "off by" says too little (law checks)."""


@dataclass
class CaseResult:
    case_id: str
    backend: str
    comparisons: list = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and all(c.ok for c in self.comparisons)

    def describe(self) -> str:
        """The result in words, one line: printable (:func:`printable`), since an
        implementation's messages are part of it."""
        if self.error is not None:
            return printable(f"{self.case_id} [{self.backend}]: {self.error}")
        bad = [c for c in self.comparisons if not c.ok]
        return printable(f"{self.case_id} [{self.backend}]: " + (
            "ok" if not bad else ", ".join(
                c.detail or f"{c.name} off by {c.worst_abs:.3g} (rel {c.worst_rel:.3g})"
                for c in bad)))


def printable(text: str) -> str:
    """``text`` with what a terminal, a UTF-8 file or XML 1.0 cannot take written as its
    escape (``\\x1b``, ``\\udce9``): control characters other than tab and newline (an
    implementation's coloured message), and lone surrogates (a file name that is not
    UTF-8, as ``os.listdir`` gives it), which failed the report's writing."""
    def safe(ch: str) -> bool:
        code = ord(ch)
        return (code >= 32 or ch in "\t\n") and code != 0x7F and not 0xD800 <= code <= 0xDFFF \
            and code not in (0xFFFE, 0xFFFF)

    if all(map(safe, text)):
        return text
    return "".join(ch if safe(ch) else ch.encode("unicode_escape").decode("ascii")
                   for ch in text)


def case_inputs(case: GoldenCase) -> tuple[dict, dict]:
    """``(inputs, kwargs)`` to call an implementation of ``case`` with: the case's own.

    Paddle cases of the default sampler are called as they are: with their nonzero
    seed the implementation must draw the oracle's negatives itself.
    """
    return dict(case.inputs), dict(case.kwargs)


def is_array(value: Any) -> bool:
    """Whether ``value`` is an array (or what NumPy makes one of): not None, a str, a
    mapping, a ragged list or another lone object."""
    if value is None or isinstance(value, (str, bytes, Mapping)):
        return False
    try:
        a = np.asarray(value)
    except (TypeError, ValueError):  # a ragged list
        return False
    return a.dtype != object or (isinstance(value, np.ndarray) and a.ndim > 0)


def output_problem(actual: Any, expected: Any) -> str | None:
    """Why ``actual`` cannot stand for the array ``expected``, in words (it is no array,
    its dtype holds no real numbers, its shape differs); None where it can be compared
    value by value."""
    if not is_array(actual):
        return f"returned {describe_value(actual)}, expected an array"
    a, e = np.asarray(actual), np.asarray(expected)
    wanted = "an integer" if e.dtype.kind in "iu" else "a real float"
    if not real_dtype(a.dtype) or (e.dtype.kind in "iu" and a.dtype.kind not in "iu"):
        return f"returned dtype {a.dtype}, expected {wanted} array"
    if a.shape != e.shape:
        return f"shape {list(a.shape)}, expected {list(e.shape)}"
    return None


def _failed(name: str, detail: str) -> Comparison:
    return Comparison(name, False, float("inf"), float("inf"), f"{name}: {detail}")


def _compare(result: CaseResult, name: str, actual: Any, expected: Any, rtol: float, atol: float):
    if isinstance(expected, list):
        if not isinstance(actual, (list, tuple)):
            result.comparisons.append(_failed(name, f"returned {describe_value(actual)}, "
                                                    f"expected a list of {len(expected)} arrays"))
            return
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(result, f"{name}[{i}]", a, e, rtol, atol)
        if len(actual) != len(expected):
            result.comparisons.append(_failed(name, f"{len(actual)} arrays, expected "
                                                    f"{len(expected)}"))
        return
    problem = output_problem(actual, expected)
    if problem is not None:
        result.comparisons.append(_failed(name, problem))
        return
    ok, worst_abs, worst_rel = close(actual, expected, rtol, atol)
    result.comparisons.append(Comparison(name, ok, worst_abs, worst_rel,
                                         "" if ok else _non_finite(name, actual, expected)))


def _non_finite(name: str, actual: Any, expected: Any) -> str:
    """``loss: NaN at 3 of 4 values where the oracle's are finite`` where ``actual``
    holds NaN or infinities the oracle has not there (an "off by inf" says less); else
    ``""``."""
    a, e = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    a, e = np.broadcast_arrays(a, e) if a.shape != e.shape else (a, e)
    for what, found in (("NaN", np.isnan(a) & ~np.isnan(e)),
                        ("an infinity", np.isinf(a) & np.isfinite(e))):
        count = int(np.count_nonzero(found))
        if count:
            return (f"{name}: {what} at {count} of {a.size} values where the oracle's are "
                    f"finite")
    return ""


def _by_name(names: tuple, out: Any) -> dict:
    """The outputs ``out`` by name; an :class:`ImplementationError` where their number
    is not that of ``names`` (a loss returning ``(loss, extra)`` is not TensorFlow's)."""
    values = out if isinstance(out, tuple) else (out,)
    if len(values) != len(names) or (len(names) == 1 and isinstance(out, tuple)):
        count = f" of {len(out)}" if isinstance(out, tuple) else ""
        raise ImplementationError(f"returned {describe_value(out)}{count}, expected "
                                  f"({', '.join(names)})")
    return dict(zip(names, values))


def _counts_apart(impl: Callable[..., Any], inputs: dict) -> tuple[Callable[..., Any], dict]:
    """``impl`` and ``inputs`` with the expected counts of ``sampled_values`` as an input
    of their own (``expected_counts``), so that gradients can be taken with respect to
    them."""
    candidates, true_q, sampled_q = inputs["sampled_values"]
    inputs = {k: v for k, v in inputs.items() if k != "sampled_values"}
    inputs.update(expected_counts=[true_q, sampled_q], sampled_candidates_=candidates)

    def joined(expected_counts: Any, sampled_candidates_: Any, **rest: Any) -> Any:
        return impl(**rest, sampled_values=(sampled_candidates_, *expected_counts))

    return joined, inputs


def run_case(case: GoldenCase, adapter: Adapter, impl: Callable[..., Any] | None = None,
             grads: bool = True, tolerance: dict | None = None) -> CaseResult:
    """Run ``case`` with ``impl`` (default: candidate_sampling's front end for the case's
    op and origin) on ``adapter``; compare outputs, and gradients where the backend
    differentiates and the case has them. ``tolerance`` (``rtol``, ``atol``,
    ``grad_rtol``, ``grad_atol``) replaces the case's, e.g. for other dtypes.

    With gradients, the expected counts of ``sampled_values`` are differentiated too:
    TensorFlow stops gradients there, so theirs must be zero."""
    if tolerance is not None:
        case = replace(case, tolerance={**case.tolerance, **tolerance})
    spec = op_spec(case.op, case.api)
    if impl is None:
        impl = spec.resolve()
    result = CaseResult(case.id, adapter.name)
    inputs, kwargs = case_inputs(case)
    wanted = [n for n in spec.outputs if n in case.outputs]
    wrt = tuple(n for n in FLOAT_INPUTS if n in case.grads and inputs.get(n) is not None)
    if grads and adapter.differentiable and wrt and case.cotangent is not None:
        fn, counts = impl, ()
        if inputs.get("sampled_values") is not None:
            fn, inputs = _counts_apart(impl, inputs)
            counts = ("expected_counts",)
        try:
            out, got = adapter.value_and_grads(fn, inputs, kwargs, wrt + counts, case.cotangent)
        except InputWritten:
            raise
        except ImplementationError as exc:  # the output differentiated: the first
            raise ImplementationError(f"{spec.outputs[0]}: {exc}") from None
        for name in wrt:
            _compare(result, f"d/d{name}", got[name], case.grads[name], case.grad_rtol, case.grad_atol)
        if counts:
            worst = max(float(np.max(np.abs(np.asarray(g, dtype=np.float64)), initial=0.0))
                        for g in got["expected_counts"])
            result.comparisons.append(Comparison(
                "d/dsampled_values", worst == 0, worst, float("inf") if worst else 0.0,
                "" if worst == 0 else f"d/dsampled_values is {worst:.3g}, not 0 (TensorFlow "
                                      f"stops gradients into the expected counts)"))
    else:
        out = adapter.call(impl, inputs, kwargs)
    values = _by_name(spec.outputs, out)
    for name in wanted:
        expected = case.outputs[name]
        _compare(result, name, values[name], expected, case.rtol, case.atol)
    return result

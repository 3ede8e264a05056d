"""Which checks a run makes (:func:`plan`), and running them (:func:`run_checks`,
:func:`run_target`).

A check is one case on one backend, of one kind:

- ``values``: a golden case's outputs (and gradients, where the backend differentiates);
- ``errors``: bad input, which must raise an exception in bounded time;
- ``laws``: the statistical laws of a sampler (:mod:`.laws`);
- ``streams``: TensorFlow's or Paddle's random stream, bit for bit (:mod:`.streams`).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import numpy as np

from .adapters import (ADAPTERS, Adapter, ImplementationError, absence, available_adapters,
                       describe_value, exception_text, foreign_text, get_adapter)
from .defaults import default_variants
from .laws import SAMPLER_OPS, LawCase, law_cases, run_law_case
from .ops import op_spec
from .runner import CaseResult, case_inputs, is_array, run_case
from .streams import PADDLE_SAMPLER, STREAMS, jax_can_hold, run_stream_case, stream_cases, stream_of
from .targets import (
    STREAM_CHOICES,
    Functions,
    LibraryFunctions,
    SingleFunction,
    Target,
    call_set_seed,
    functions_of,
    load_impl,
)
from .vectors import GoldenCase, load_cases

__all__ = ["Check", "Planned", "KINDS", "select_cases", "target_cases", "plan", "execute", "run_checks",
           "run_target", "runnable", "kind_of", "load_impl", "ERROR_TIMEOUT_S",
           "MAX_TIMEOUT_S", "valid_timeout", "DYNAMIC_SHAPE_OPS", "backend_names",
           "resolve_backends",
           "default_semantics", "semantics_of"]

ERROR_TIMEOUT_S = 30.0
"""How long a bad-input case may run before it counts as a hang (in-process runs)."""
MAX_TIMEOUT_S = 86400.0
"""The longest timeout a run takes: a day (a longer one bounds nothing, and infinity
overflows the clocks that wait)."""

DYNAMIC_SHAPE_OPS = {"compute_accidental_hits"}
"""Ops whose output length depends on the data: not run under a tracer (jit)."""

KINDS = ("values", "errors", "laws", "streams")


def valid_timeout(value: float, source: str = "timeout") -> float:
    """``value`` if it is a number of seconds in (0, :data:`MAX_TIMEOUT_S`], else a
    ValueError naming ``source`` (the option or variable it came from)."""
    if not (math.isfinite(value) and 0 < value <= MAX_TIMEOUT_S):
        raise ValueError(f"{source}: must be in (0, {MAX_TIMEOUT_S:.0f}] seconds (at most a "
                         f"day), got {value:g}")
    return value


def kind_of(case: Any) -> str:
    """``values``, ``errors``, ``laws`` or ``streams``."""
    if isinstance(case, LawCase):
        return "laws"
    if stream_of(case) is not None:
        return "streams"
    if case.raises is not None or (case.deviation or {}).get("expect") == "raises":
        return "errors"
    return "values"


@dataclass
class Planned:
    """One check to make; ``skip`` says why it is not applicable (it is then not run)."""

    case: Any
    backend: str
    kind: str
    skip: str | None = None


@dataclass
class Check:
    """One (case, backend) check and its outcome."""

    case: Any
    backend: str
    result: CaseResult
    kind: str
    xfail: bool = False
    skip: str | None = None
    """Why the check does not apply to this implementation (then it counts as n/a)."""

    @property
    def ok(self) -> bool:
        return self.skip is None and self.result.ok

    @property
    def status(self) -> str:
        """``passed``, ``failed``, ``xfailed``, ``xpassed`` or ``n/a``."""
        if self.skip is not None:
            return "n/a"
        if self.xfail:
            return "xpassed" if self.result.ok else "xfailed"
        return "passed" if self.result.ok else "failed"


def default_semantics(op: str) -> str:
    """The origin an implementation of ``op`` follows unless told: ``tf2`` where ``op``
    has it (and for the samplers), else the op's only origin."""
    if op in SAMPLER_OPS:
        return "tf2"
    origins = sorted({c.api for c in load_cases(op=op)})
    if not origins:
        raise ValueError(f"--op: no golden cases for {op!r}")
    return "tf2" if "tf2" in origins else origins[0]


def semantics_of(op: str) -> list[str]:
    """The semantics (origins) that have cases of ``op``: those of its golden cases; a
    sampler's laws also as ``native`` and ``tf2`` (and ``paddle`` for Paddle's)."""
    found = {c.api for c in load_cases(op=op)}
    if op in SAMPLER_OPS:
        found |= {"native", "tf2"} | ({"paddle"} if op == PADDLE_SAMPLER else set())
    return sorted(found)


def select_cases(op: str | None = None, semantics: str | None = None,
                 stream: str = "none") -> list[GoldenCase]:
    """Golden value and error cases of candidate_sampling's front ends (optionally one
    op/origin) with their ``+defaults`` variants (:mod:`.defaults`), and the stream cases
    of ``stream``."""
    cases = [c for c in load_cases(op=op, api=semantics)
             if op_spec(c.op, c.api) is not None and stream_of(c) is None
             and (c.deviation or {}).get("expect") != "value"]
    cases += default_variants(cases)
    if stream in STREAMS:
        cases += [c for c in stream_cases(stream, op)
                  if semantics is None or c.api == semantics or c.op in SAMPLER_OPS]
    return cases


def _library_cases(target: Target) -> list[tuple[Any, str | None]]:
    op, semantics = target.op, target.semantics
    out: list = [(c, None) for c in select_cases(op, semantics)]
    for stream in STREAMS:
        if semantics in (None, stream):
            out += [(c, None) for c in stream_cases(stream, op, every_op=True)]
    for api in ("native", "tf2", "paddle"):
        if semantics not in (None, api):
            continue
        for sampler in SAMPLER_OPS:
            if op in (None, sampler) and (api != "paddle" or sampler == PADDLE_SAMPLER):
                out += [(c, None) for c in law_cases(sampler, api, unique_only=api == "paddle")]
    return out


def _third_party_cases(target: Target) -> list[tuple[Any, str | None]]:
    op = target.op
    semantics = target.semantics or default_semantics(op)
    if target.stream == "paddle" and op not in (PADDLE_SAMPLER, "sampled_softmax_with_cross_entropy"):
        raise ValueError(f"--stream paddle: Paddle's stream exists for {PADDLE_SAMPLER} and "
                         f"sampled_softmax_with_cross_entropy, not {op!r}")
    out: list = [(c, _ADDED_CHECK if _tensorflow_returned(c) else None)
                 for c in select_cases(op, None if op in SAMPLER_OPS else semantics)]
    for stream in STREAMS:
        for case in stream_cases(stream, op):
            if op not in SAMPLER_OPS and case.api != semantics:
                continue
            out.append((case, None if target.stream == stream else
                        f"the implementation claims no {stream} stream (--stream {stream})"))
    if op in SAMPLER_OPS:
        api = "paddle" if target.stream == "paddle" else "tf2"
        out += [(c, None) for c in law_cases(op, api, unique_only=api == "paddle")]
    if not out:
        raise ValueError(f"--semantics: no golden cases of {op!r} with semantics {semantics!r}")
    return out


_ADDED_CHECK = "TensorFlow returns here; the error is a check this library adds"
"""Why an error case where TensorFlow returned a value does not apply to TensorFlow
itself or to another implementation: only this library promises it."""


def _tensorflow_returned(case: GoldenCase) -> bool:
    """An error case where TensorFlow returned (``raises.type == 'none'``) and no NaN:
    Paddle's returns of such cases read past a row or give NaN, which any implementation
    must refuse."""
    raises = case.raises or {}
    return (case.api in ("tf2", "tf1") and raises.get("type") == "none"
            and "NaN" not in raises.get("message", ""))


def _tensorflow_cases(target: Target) -> list[tuple[Any, str | None]]:
    out: list = []
    loaded = load_cases(op=target.op, api=target.semantics)
    for case in loaded + default_variants([c for c in loaded if c.api in ("tf2", "tf1")]):
        if stream_of(case) is not None:
            continue
        if case.api not in ("tf2", "tf1"):
            out.append((case, "not a TensorFlow 2 op (origin %s)" % case.api))
        elif case.deviation is not None:
            out.append((case, "a recorded deviation of this library from TensorFlow "
                              "(spec/deviations.json)"))
        elif _tensorflow_returned(case):
            out.append((case, _ADDED_CHECK))
        elif op_spec(case.op, case.api) is not None:
            out.append((case, None))
    if target.semantics in (None, "tf2"):
        out += [(c, None) for c in stream_cases("tf2", target.op, every_op=True)]
    if target.semantics in (None, "paddle"):
        out += [(c, "Paddle 1.8.5's random stream, not TensorFlow's")
                for c in stream_cases("paddle", target.op)]
    if target.semantics in (None, "tf2"):
        for sampler in SAMPLER_OPS:
            if target.op in (None, sampler):
                out += [(c, None) for c in law_cases(sampler, "tf2")]
    return out


def runnable(case: Any, backend: str) -> bool:
    """Whether ``case`` can run on ``backend``: a traced backend (jit) runs no op whose
    output shape depends on the data, no bad-input case (its checks read values), no law
    or stream case (many eager calls); JAX without 64-bit types holds no id of 2**31 or
    more."""
    adapter = get_adapter(backend)
    kind = kind_of(case)
    if adapter.traced and (case.op in DYNAMIC_SHAPE_OPS or kind in ("errors", "laws", "streams")):
        return False
    if adapter.name == "jax" and kind == "streams" and not jax_can_hold(case):
        return False
    return True


def target_cases(target: Target) -> list[tuple[Any, str | None]]:
    """``(case, why it does not apply or None)`` for every case of ``target``, in a stable
    order (by op, kind, id)."""
    known = sorted({c.op for c in load_cases()} | set(SAMPLER_OPS))
    if target.op is not None and target.op not in known:
        raise ValueError(f"--op: no golden cases for {target.op!r} (ops: {', '.join(known)})")
    if target.stream not in STREAM_CHOICES:
        raise ValueError(f"--stream: must be one of {list(STREAM_CHOICES)}, got {target.stream!r}")
    if target.op is not None and target.semantics is not None:
        allowed = semantics_of(target.op)
        if target.semantics not in allowed:
            raise ValueError(f"--semantics: {target.op} has no {target.semantics!r} cases; "
                             f"it has {', '.join(allowed)}")
    if target.is_tensorflow:
        cases = _tensorflow_cases(target)
    elif target.is_library:
        cases = _library_cases(target)
    else:
        if target.op is None:
            raise ValueError("--impl needs --op")
        if target.op == "sequence":
            raise ValueError("--op: 'sequence' (calls of several ops in a row on TensorFlow's "
                             "stream) checks this library or --impl tensorflow; an "
                             "implementation of one function takes one op")
        cases = _third_party_cases(target)
    if not cases:
        raise ValueError(f"--op: no cases for {target.op!r}")
    order = {k: i for i, k in enumerate(KINDS)}
    return sorted(cases, key=lambda pair: (pair[0].op, order[kind_of(pair[0])], pair[0].id))


def plan(target: Target, backends: list[str]) -> list[Planned]:
    """Every check of ``target`` on ``backends``."""
    return [Planned(case, name, kind_of(case), skip) for case, skip in target_cases(target)
            for name in backends if runnable(case, name)]


def _error_case(case: GoldenCase, adapter: Adapter, impl: Callable[..., Any],
                timeout: float | None = ERROR_TIMEOUT_S, in_worker: bool = False) -> CaseResult:
    """Bad input must raise an exception in bounded time (not hang, crash, exit or return
    a value).

    ``timeout``: seconds before the call counts as a hang (it goes on in a daemon
    thread); ``None`` calls directly, for a worker process whose parent keeps the time."""
    result = CaseResult(case.id, adapter.name)
    outcome: dict = {}

    def attempt() -> None:
        inputs, kwargs = case_inputs(case)
        try:
            outcome["value"] = adapter.call(impl, inputs, kwargs)
        except SystemExit as exc:  # ending the process is no exception to catch
            outcome["exit"] = exc
        except Exception as exc:  # any exception is the wanted outcome
            outcome["error"] = exc
        except BaseException as exc:  # KeyboardInterrupt, GeneratorExit: no error report
            if isinstance(exc, KeyboardInterrupt) and not in_worker:
                raise  # in this process, the user's Ctrl-C
            outcome["base"] = exc

    oracle = raise_source(case)
    if timeout is None:
        attempt()
    else:
        worker = threading.Thread(target=attempt, daemon=True)
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            result.error = f"hung: no answer after {timeout:.0f} s ({oracle})"
            return result
    if "exit" in outcome:
        result.error = f"{_exit_message(outcome['exit'])} instead of raising ({oracle})"
    elif "base" in outcome:
        result.error = (f"raised {type(outcome['base']).__name__}, which is no Exception "
                        f"({oracle})")
    elif "error" not in outcome:
        result.error = (f"returned {_returned(outcome.get('value'))} instead of raising "
                        f"({oracle})")
    return result


def _exit_message(exc: SystemExit) -> str:
    """``exited: the implementation called sys.exit(3)``."""
    return f"exited: the implementation called sys.exit({foreign_text(lambda: repr(exc.code))})"


def _has_nan(value: Any) -> bool:
    if not is_array(value):
        return False
    a = np.asarray(value)
    return a.dtype.kind in "fc" and bool(np.isnan(a).any())


def _returned(value: Any) -> str:
    """What a bad-input case returned, in words: ``None``, ``NaN``, ``a str`` (what is
    no array, by its type) or ``a value``."""
    if value is None:
        return "None"
    if any(_has_nan(v) for v in (value if isinstance(value, tuple) else (value,))):
        return "NaN"
    if not isinstance(value, tuple) and not is_array(value):
        return f"a {describe_value(value)}"
    return "a value"


def raise_source(case: GoldenCase) -> str:
    """Why an error case must raise, for its failure message: the oracle's exception
    (``oracle: InvalidArgumentError``), or where the oracle returned a value, the check
    this library adds or its recorded deviation (``spec/deviations.json``): "oracle:
    none" and "oracle: raises" were said."""
    kind = (case.raises or {}).get("type")
    if kind == "none":  # the oracle's call returned
        return "oracle: a value; raising is a check candidate_sampling adds"
    if kind:
        return f"oracle: {kind}"
    return ("oracle: a value; raising is candidate_sampling's recorded deviation, "
            "spec/deviations.json")


def execute(item: Planned, functions: Functions,
            timeout: float | None = ERROR_TIMEOUT_S, in_worker: bool = False) -> CaseResult:
    """Run one planned check with ``functions``; an exception of the implementation, or
    its ``sys.exit``, is that check's failure. ``timeout`` bounds bad-input cases (see
    :func:`_error_case`). A ``KeyboardInterrupt`` or another exception that is no
    ``Exception`` (``GeneratorExit``) is the check's failure too, named; in this
    process (not ``in_worker``) a ``KeyboardInterrupt`` is the user's Ctrl-C and ends
    the run."""
    case, adapter = item.case, get_adapter(item.backend)
    try:
        if item.kind == "laws":
            return _law_check(case, adapter, functions)
        if item.kind == "streams":
            return run_stream_case(case, adapter, functions.function, functions.set_seed())
        fn = functions.function(case.op, case.api)
        if item.kind == "errors":
            return _error_case(case, adapter, fn, timeout, in_worker)
        return run_case(case, adapter, impl=fn)
    except ImplementationError as exc:
        return CaseResult(case.id, adapter.name, error=str(exc))
    except SystemExit as exc:  # in this process it would end the run
        return CaseResult(case.id, adapter.name, error=_exit_message(exc))
    except Exception as exc:  # an implementation's crash is that case's failure
        return CaseResult(case.id, adapter.name,
                          error=f"{type(exc).__name__}: {exception_text(exc)}")
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt) and not in_worker:
            raise
        return CaseResult(case.id, adapter.name,
                          error=f"raised {type(exc).__name__}, which is no Exception")


def _law_check(case: LawCase, adapter: Adapter, functions: Functions) -> CaseResult:
    """A law case with the implementation's global seed unset before and after (its
    draws come from explicit seeds)."""
    reset = functions.set_seed()
    if reset is not None:
        call_set_seed(reset, None)
    try:
        return run_law_case(case, adapter, functions.function(case.op, case.api))
    finally:
        if reset is not None:
            call_set_seed(reset, None)


def _as_functions(impl: Callable[..., Any] | Functions | None) -> Functions:
    if impl is None:
        return LibraryFunctions()
    if isinstance(impl, Functions):
        return impl
    return SingleFunction(impl)


def _checks(items: list[Planned], xfail: set[str],
            run: Callable[[Planned], CaseResult],
            progress: Callable[[int, int, Check], None] | None) -> list[Check]:
    checks = []
    for i, item in enumerate(items):
        result = (CaseResult(item.case.id, item.backend) if item.skip is not None
                  else run(item))
        check = Check(item.case, item.backend, result, item.kind, skip=item.skip,
                      xfail=item.case.id in xfail or f"{item.case.id}@{item.backend}" in xfail)
        checks.append(check)
        if progress is not None:
            progress(i + 1, len(items), check)
    return checks


def run_checks(cases: Iterable[Any], backends: list[str],
               impl: Callable[..., Any] | Functions | None = None, xfail: set[str] | None = None,
               progress: Callable[[int, int, "Check"], None] | None = None) -> list[Check]:
    """Every (case, backend) pair, in this process; ``impl`` defaults to candidate_sampling's
    front end of each case's (op, origin). ``xfail``: case ids (or ``id@backend``)
    expected to fail."""
    functions = _as_functions(impl)
    items = [Planned(case, name, kind_of(case)) for case in cases for name in backends
             if runnable(case, name)]
    return _checks(items, xfail or set(), lambda item: execute(item, functions), progress)


def run_target(target: Target, backends: list[str], xfail: set[str] | None = None,
               progress: Callable[[int, int, "Check"], None] | None = None,
               isolate: bool | None = None, timeout: float = ERROR_TIMEOUT_S) -> list[Check]:
    """Plan and run every check of ``target``.

    ``isolate`` (default: for any implementation but this library) runs the checks in a
    worker process (:mod:`.isolation`): a crash or a hang of the implementation fails its
    check, after ``timeout`` seconds for a hang (ten times that for a law case), and the
    run goes on. In this process only bad-input cases are bounded, by a thread.

    Each check that sets the implementation's global seed unsets it again (a failure of
    ``set_seed(None)`` is that check's failure, in either process), so a run leaves the
    seed unset."""
    timeout = valid_timeout(timeout)
    items = plan(target, backends)
    if isolate is None:
        isolate = not target.is_library
    if isolate:
        from .isolation import Worker

        with Worker(target, backends, timeout) as worker:
            return _checks(items, xfail or set(), worker.run, progress)
    functions = functions_of(target)
    return _checks(items, xfail or set(), lambda item: execute(item, functions, timeout),
                   progress)


def backend_names(choice: str, among: Iterable[str]) -> list[str]:
    """The adapter names of ``among`` that ``choice`` names: itself and its variants
    (``jax`` also names ``jax-jit``)."""
    return [n for n in among if n == choice or n.startswith(choice + "-")]


def resolve_backends(choice: str) -> list[str]:
    """``--backend`` value to adapter names: one of them, or ``all`` installed."""
    installed = available_adapters()
    if choice == "all":
        return installed
    names = backend_names(choice, installed)
    if not names:
        known = ["all", *sorted(ADAPTERS)]
        if not backend_names(choice, known):
            raise ValueError(f"--backend: must be one of {known}, got {choice!r}")
        reasons = "; ".join(absence(name) for name in backend_names(choice, known))
        raise ValueError(f"--backend: {reasons} (installed: {installed})")
    return names

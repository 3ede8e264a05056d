"""Runs the benchmark: for every ``num_classes`` of the sweep and every backend, one case
that interleaves our runners with the peers' (TensorFlow, the naive PyTorch port), then
the samplers against TensorFlow's kernel; returns the recorded timings as plain data
(see :func:`run_suite`)."""

from __future__ import annotations

import gc
import importlib
import importlib.util
import os
import platform
import time
from typing import Any, Callable

import numpy as np

from candidate_sampling.devices import cupy_usable

from . import memory
from .bench_samplers import TF_KERNEL, sampler_runners, tf_sampler_task
from .bench_step import (
    LOSSES,
    STEP,
    cupy_runners,
    jax_runners,
    numpy_runners,
    torch_runners,
)
from .config import BenchConfig
from .full_softmax import (
    FULL_STEP,
    cupy_full_runners,
    jax_full_runners,
    numpy_full_runners,
    torch_full_runners,
)
from .harness import Peer, Runner, interleave, naive_torch_peer, tf_peer

__all__ = ["BACKENDS", "TF", "NAIVE", "peer_name", "paired_name", "available_backends",
           "run_suite"]

BACKENDS = ("torch", "jax", "numpy", "cupy")
"""Every backend, in the order the cases run (torch first: the naive port is measured in
the first case of each ``num_classes`` that has room for it)."""

TF = "tensorflow"
NAIVE = "naive_torch"

STEP_RUNNERS = {"numpy": numpy_runners, "torch": torch_runners, "jax": jax_runners,
                "cupy": cupy_runners}
FULL_RUNNERS = {"numpy": numpy_full_runners, "torch": torch_full_runners,
                "jax": jax_full_runners, "cupy": cupy_full_runners}


def peer_name(peer: str, what: str) -> str:
    """The name of a peer's timing: ``'tensorflow sampled_softmax step'``."""
    return f"{peer} {what}"


def paired_name(what: str, num_classes: int) -> str:
    """The name of a step timed at the flatness target's small ``V`` inside the case of
    its big ``V``: ``'sampled_softmax step at V=20000'``."""
    return f"{what} at V={num_classes}"


def available_backends() -> list[str]:
    """The backends installed and usable here, in :data:`BACKENDS` order."""
    usable = {"numpy": True, "torch": importlib.util.find_spec("torch") is not None,
              "jax": importlib.util.find_spec("jax") is not None, "cupy": cupy_usable()}
    return [b for b in BACKENDS if usable[b]]


def _versions(backends: list[str]) -> dict[str, str]:
    out = {"python": platform.python_version(), "numpy": np.__version__}
    for b in backends:
        out[b] = getattr(importlib.import_module(b), "__version__", "?")
    return out


def _full_wanted(config: BenchConfig, backend: str, num_classes: int,
                 last_full: dict[str, tuple[int, float]]) -> tuple[bool, str]:
    """Whether full softmax is measured at ``num_classes``, and why not."""
    if num_classes == config.default_classes:
        return True, ""
    if num_classes > config.full_max_classes:
        return False, f"above {config.full_max_classes:,} classes"
    if backend in last_full:
        classes, seconds = last_full[backend]
        predicted = seconds * num_classes / classes
        if predicted > config.full_max_step_s:
            return False, (f"one step would take ~{predicted:.1f} s "
                           f"(> {config.full_max_step_s:g} s)")
    return True, ""


def _peer_runners(config: BenchConfig, num_classes: int, tf: Peer | None, naive: Peer | None,
                  full: bool) -> dict[str, Runner]:
    common = dict(task="step", batch=config.batch, dim=config.dim, num_sampled=config.num_sampled,
                  num_classes=num_classes, number=config.number, budget_s=config.round_budget_s)
    runners = {}
    for peer, name, warmup in ((tf, TF, 2), (naive, NAIVE, 1)):  # the naive port compiles nothing
        if peer is not None:
            for loss in LOSSES:
                runners[peer_name(name, STEP.format(loss=loss))] = peer.runner(warmup, loss=loss,
                                                                              **common)
    if tf is not None and full:
        runners[peer_name(TF, FULL_STEP)] = tf.runner(loss="full_softmax", warmup=1, **common)
    return runners


def run_suite(config: BenchConfig, backends: list[str], peers: bool = True,
              log: Callable[[str], Any] = print) -> dict:
    """Measure everything; ``log`` gets one line of progress per case.

    Returns plain data (JSON-ready): ``config``, ``backends``, ``environment`` (versions;
    the peers' too), ``cases`` (one per ``num_classes`` and backend: ``num_classes``,
    ``backend``, ``timings`` ``{name: {median_s, min_s, max_s, n, times_s}}``), ``samplers``
    (``num_sampled``, ``range_max``, ``timings``), ``skipped`` (what was not measured,
    and why), ``notes`` and ``duration_s``.
    """
    start = time.perf_counter()
    skipped: list[str] = []
    notes: list[str] = []
    tf = naive = None
    if peers:
        tf, why = tf_peer()
        if tf is None:
            notes.append(f"{why}: no TensorFlow columns.")
        if importlib.util.find_spec("torch") is not None:
            naive = naive_torch_peer()
        else:
            notes.append("PyTorch not installed: no naive PyTorch port.")
    else:
        notes.append("Peers off (--no-peers): no TensorFlow or naive PyTorch columns.")
    cases: list[dict] = []
    last_full: dict[str, tuple[int, float]] = {}
    try:
        for num_classes in config.classes:
            # the naive port and TensorFlow's full softmax: in the first case that has room
            want_naive, want_tf_full = naive is not None, tf is not None
            for backend in backends:
                case = _run_case(config, backend, num_classes, tf,
                                 naive if want_naive else None, want_tf_full, last_full,
                                 skipped, log)
                if case is None:
                    continue
                cases.append(case)
                if want_naive and _NAIVE_STEP in case["timings"]:
                    naive.release()
                    want_naive = False
                want_tf_full = want_tf_full and _TF_FULL not in case["timings"]
            if tf is not None:
                tf.release()
        log(f"samplers: {config.sampler_num_sampled} of {config.sampler_range_max:,}")
        runners = sampler_runners(backends, config.sampler_num_sampled, config.sampler_range_max,
                                  config.number, config.round_budget_s)
        if tf is not None:
            runners[TF_KERNEL] = tf.runner(**tf_sampler_task(
                config.sampler_num_sampled, config.sampler_range_max, config.number,
                config.round_budget_s))
        timings = interleave(runners, config.rounds)
        environment = _versions(backends)
        for peer, name in ((tf, TF), (naive, NAIVE)):
            if peer is not None and peer.version:
                environment[name] = peer.version
    finally:
        for peer in (tf, naive):
            if peer is not None:
                peer.close()
    environment.update(platform=platform.platform(), machine=platform.machine(),
                       cpus=os.cpu_count() or 1)
    return {"config": config.as_dict(), "backends": list(backends), "peers": peers,
            "environment": environment, "cases": cases,
            "samplers": {"num_sampled": config.sampler_num_sampled,
                         "range_max": config.sampler_range_max,
                         "timings": {k: t.as_dict() for k, t in timings.items()}},
            "skipped": skipped, "notes": notes, "duration_s": time.perf_counter() - start}


_NAIVE_STEP = peer_name(NAIVE, STEP.format(loss=LOSSES[0]))
_TF_FULL = peer_name(TF, FULL_STEP)


def _run_case(config: BenchConfig, backend: str, num_classes: int, tf: Peer | None,
              naive: Peer | None, tf_full: bool, last_full: dict[str, tuple[int, float]],
              skipped: list[str], log: Callable[[str], Any]) -> dict | None:
    """One case: ``backend`` at ``num_classes`` with the peers (TensorFlow's full softmax
    too with ``tf_full``), without the naive port, or TensorFlow too, where they would not
    fit in memory; None when even ours alone would not."""
    full, why = _full_wanted(config, backend, num_classes, last_full)
    available = memory.available_bytes()
    room = None if available is None else config.memory_fraction * available
    options = list(dict.fromkeys([(tf, naive), (tf, None), (None, None)]))
    for tf_used, naive_used in options:
        need = memory.case_bytes(backend, num_classes, config.dim, config.batch,
                                 tensorflow=tf_used is not None, naive=naive_used is not None,
                                 full=full)
        if room is None or need <= room:
            break
    else:
        skipped.append(f"V={num_classes:,} on {backend}: needs ~{memory.gigabytes(need)} "
                       f"([V, D] float32 weights are "
                       f"{memory.gigabytes(memory.weight_bytes(num_classes, config.dim))} a copy), "
                       f"more than {config.memory_fraction:.0%} of the "
                       f"{memory.gigabytes(available)} available")
        log(f"V={num_classes:,} {backend}: skipped (memory)")
        return None
    dropped = [name for name, peer, used in (("the naive PyTorch port", naive, naive_used),
                                             ("TensorFlow", tf, tf_used)) if peer and not used]
    if dropped:
        skipped.append(f"{' and '.join(dropped)} at V={num_classes:,} next to {backend}: left "
                       f"out for memory (the case takes ~{memory.gigabytes(need)} without, "
                       f"{memory.gigabytes(available)} available)")
    tf, naive = tf_used, naive_used
    if not full:
        skipped.append(f"full softmax at V={num_classes:,} on {backend}: {why}")
    began = time.perf_counter()
    shape = config.shape(num_classes)
    runners = STEP_RUNNERS[backend](shape, config.number, config.round_budget_s)
    if num_classes == config.flat_big and config.flat_small != num_classes:
        # the flatness target's small V, interleaved with the big one: machine drift
        # between cases cannot tilt their ratio
        small = STEP_RUNNERS[backend](config.shape(config.flat_small), config.number,
                                      config.round_budget_s)
        runners.update({paired_name(step, config.flat_small): small[step]
                        for step in (STEP.format(loss=loss) for loss in LOSSES)})
    if full:
        runners.update(FULL_RUNNERS[backend](shape, config.number, config.round_budget_s))
    runners.update(_peer_runners(config, num_classes, tf, naive, full and tf_full))
    timings = interleave(runners, config.rounds)
    del runners
    gc.collect()
    if full:
        last_full[backend] = (num_classes, timings[FULL_STEP].median)
    wall = time.perf_counter() - began
    log(f"V={num_classes:,} {backend}: {len(timings)} timings, {wall:.1f} s")
    return {"num_classes": num_classes, "backend": backend,
            "timings": {k: t.as_dict() for k, t in timings.items()}, "wall_s": wall}

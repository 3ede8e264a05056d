"""Medians and ratios of a benchmark run (the data :func:`~.suite.run_suite` returns).

A ratio divides two medians recorded in the same case (one backend at one
``num_classes``, its runners interleaved with the peers'), so that machine drift cancels;
lower is better for every ratio except ``full / sampled``.
"""

from __future__ import annotations

import statistics

from .bench_samplers import TF_KERNEL
from .bench_step import FORWARD, FORWARD_FLOOR, LOSSES, STEP, STEP_FLOOR
from .full_softmax import FULL_STEP
from .suite import NAIVE, TF, peer_name

__all__ = ["STEP_RATIOS", "case_medians", "pooled_median", "ratios", "classes_label"]

SAMPLED = STEP.format(loss="sampled_softmax")

STEP_RATIOS: list[tuple[str, str, str]] = [
    *((f"{loss} / floor", STEP.format(loss=loss), STEP_FLOOR) for loss in LOSSES),
    *((f"{loss} / TF", STEP.format(loss=loss), peer_name(TF, STEP.format(loss=loss)))
      for loss in LOSSES),
    *((f"{loss} / naive", STEP.format(loss=loss), peer_name(NAIVE, STEP.format(loss=loss)))
      for loss in LOSSES),
    ("full / sampled", FULL_STEP, SAMPLED),
    ("TF full / sampled", peer_name(TF, FULL_STEP), peer_name(TF, SAMPLED)),
    ("forward / floor", FORWARD, FORWARD_FLOOR),
]
"""``(label, numerator, denominator)`` of the ratios computed in every case that has both."""


def case_medians(results: dict) -> dict[tuple[int, str], dict[str, float]]:
    """``{(num_classes, backend): {timing name: median seconds}}``."""
    return {(c["num_classes"], c["backend"]): {k: t["median_s"] for k, t in c["timings"].items()}
            for c in results["cases"]}


def pooled_median(results: dict, num_classes: int, name: str) -> float | None:
    """The median of every call of ``name`` at ``num_classes`` over all cases (a peer is
    measured once per case), or None where it was not measured."""
    times = [s for c in results["cases"] if c["num_classes"] == num_classes
             for s in c["timings"].get(name, {}).get("times_s", [])]
    return statistics.median(times) if times else None


def ratios(results: dict) -> list[dict]:
    """Every ratio of :data:`STEP_RATIOS` in every case (and each step over the same step
    at the flatness target's small ``V``, where a case has both), then each sampler over
    TensorFlow's kernel: ``{section, num_classes, backend, label, numerator, denominator,
    value}`` (``num_classes`` and ``backend`` None for the samplers)."""
    out = []
    for (num_classes, backend), med in case_medians(results).items():
        pairs = [(f"{step} / {name}", step, name) for name in med
                 for step, sep, _ in [name.partition(" at V=")] if sep and step in med]
        for label, num, den in STEP_RATIOS + pairs:
            if num in med and den in med:
                out.append({"section": "step", "num_classes": num_classes, "backend": backend,
                            "label": label, "numerator": num, "denominator": den,
                            "value": med[num] / med[den]})
    samplers = {k: t["median_s"] for k, t in results["samplers"]["timings"].items()}
    if TF_KERNEL in samplers:
        for name, median in samplers.items():
            if name != TF_KERNEL:
                out.append({"section": "sampler", "num_classes": None, "backend": None,
                            "label": f"{name} / TF kernel", "numerator": name,
                            "denominator": TF_KERNEL, "value": median / samplers[TF_KERNEL]})
    return out


def classes_label(n: int) -> str:
    """``200000`` -> ``'2e5'``; numbers that are not a digit times a power of ten as is."""
    exponent = len(str(n)) - 1 if n > 0 else 0
    power = 10 ** exponent
    return f"{n // power}e{exponent}" if n >= 100 and n % power == 0 else str(n)

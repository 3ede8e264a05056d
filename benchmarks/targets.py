"""The targets a benchmark run is judged by, met or not, from its recorded medians:

- the PyTorch and JAX steps (sampled softmax and NCE) take at most TensorFlow's step and
  at most 1.25x their floor at the default ``num_classes``, and are flat in the number of
  classes (``V = 2e6`` within 1.2x of ``V = 2e4``, both timed in the case of ``V = 2e6``,
  interleaved; else from the two cases of the sweep);
- the NumPy forward takes at most 1.5x its floor;
- each native unique log-uniform sampler is no slower than TensorFlow's kernel, and the
  exact TensorFlow stream within 3x of it;
- a sampled softmax step is at least 40x faster than a full softmax step at the default
  ``num_classes``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .bench_samplers import NATIVE, TF_KERNEL, TF_STREAM
from .bench_step import FORWARD, FORWARD_FLOOR, LOSSES, STEP, STEP_FLOOR
from .full_softmax import FULL_STEP
from .ratios import case_medians, classes_label
from .suite import TF, paired_name, peer_name

__all__ = ["Target", "judge", "LOSS_LABELS"]

LOSS_LABELS = {"sampled_softmax": "sampled softmax", "nce": "NCE"}

STEP_VS_TF = 1.0
STEP_VS_FLOOR = 1.25
FLAT = 1.2
FORWARD_VS_FLOOR = 1.5
NATIVE_VS_TF = 1.0
STREAM_VS_TF = 3.0
FULL_VS_SAMPLED = 40.0


@dataclass(frozen=True)
class Target:
    """One target: ``value`` (a ratio of medians; None where not measured) against
    ``limit``, met when ``value <= limit`` (``at_least``: ``value >= limit``)."""

    name: str
    value: float | None
    limit: float
    at_least: bool = False
    detail: str = ""

    @property
    def status(self) -> str:
        """``'met'``, ``'not met'``, or ``'n/a'`` (not measured)."""
        if self.value is None or math.isnan(self.value):
            return "n/a"
        return "met" if (self.value >= self.limit if self.at_least
                         else self.value <= self.limit) else "not met"

    def line(self) -> str:
        """``'met: torch sampled softmax step <= TensorFlow's (V=2e5): 0.91 (limit <= 1)'``."""
        value = "not measured" if self.value is None else f"{self.value:.3g}"
        sign = ">=" if self.at_least else "<="
        detail = f"; {self.detail}" if self.detail else ""
        return f"{self.status}: {self.name}: {value} (limit {sign} {self.limit:g}){detail}"

    def as_dict(self) -> dict:
        return {"name": self.name, "value": self.value, "limit": self.limit,
                "at_least": self.at_least, "status": self.status, "detail": self.detail}


def _ratio(med: dict[str, float] | None, num: str, den: str) -> float | None:
    if med is None or num not in med or den not in med:
        return None
    return med[num] / med[den]


STAND_IN = 3.0
"""A measured ``num_classes`` within this factor of the one a target names may stand in
for it (the quick sweep has 1e4, not 2e4)."""


def _nearest(measured: list[int], wanted: int) -> int | None:
    """The measured ``num_classes`` nearest to ``wanted`` on a log scale, if within a
    factor :data:`STAND_IN` of it."""
    near = [v for v in measured if abs(math.log(v / wanted)) <= math.log(STAND_IN)]
    return min(near, key=lambda v: (abs(math.log(v / wanted)), v)) if near else None


def _flat_target(medians: dict, backend: str, loss: str, small: int, big: int) -> Target:
    name = (f"{backend} {LOSS_LABELS[loss]} step flat in V: V={classes_label(big)} within "
            f"{FLAT:g}x of V={classes_label(small)}")
    step = STEP.format(loss=loss)
    paired = medians.get((big, backend), {})
    if paired_name(step, small) in paired and step in paired:
        return Target(name, paired[step] / paired[paired_name(step, small)], FLAT,
                      detail="both V interleaved in one case")
    measured = sorted(v for (v, b), med in medians.items() if b == backend and step in med)
    lo, hi = _nearest(measured, small), _nearest(measured, big)
    missing = [classes_label(want) for got, want in ((lo, small), (hi, big)) if got is None]
    if missing or lo == hi:
        return Target(name, None, FLAT, detail=f"V={' and '.join(missing) or classes_label(big)} "
                                               "not measured")
    notes = [f"V={classes_label(got)} stands in for {classes_label(want)}"
             for got, want in ((lo, small), (hi, big)) if got != want]
    value = medians[(hi, backend)][step] / medians[(lo, backend)][step]
    return Target(name, value, FLAT, detail="; ".join(notes))


def judge(results: dict) -> list[Target]:
    """Every target that applies to the backends of ``results``, in a fixed order."""
    config, backends = results["config"], results["backends"]
    medians = case_medians(results)
    at = config["default_classes"]
    where = f"V={classes_label(at)}"
    out = []
    for backend in ("torch", "jax"):
        if backend not in backends:
            continue
        med = medians.get((at, backend))
        for loss in LOSSES:
            step, label = STEP.format(loss=loss), f"{backend} {LOSS_LABELS[loss]} step"
            out.append(Target(f"{label} <= TensorFlow's ({where})",
                              _ratio(med, step, peer_name(TF, step)), STEP_VS_TF))
            out.append(Target(f"{label} <= {STEP_VS_FLOOR:g}x its floor ({where})",
                              _ratio(med, step, STEP_FLOOR), STEP_VS_FLOOR))
            out.append(_flat_target(medians, backend, loss, config["flat_small"],
                                    config["flat_big"]))
    if "numpy" in backends:
        out.append(Target(f"numpy forward <= {FORWARD_VS_FLOOR:g}x its floor ({where})",
                          _ratio(medians.get((at, "numpy")), FORWARD, FORWARD_FLOOR),
                          FORWARD_VS_FLOOR))
    samplers = {k: t["median_s"] for k, t in results["samplers"]["timings"].items()}
    shape = (f"S={results['samplers']['num_sampled']} of "
             f"{classes_label(results['samplers']['range_max'])}")
    for backend in backends:
        out.append(Target(f"{backend} native unique log-uniform sampler <= TensorFlow's kernel "
                          f"({shape})", _ratio(samplers, NATIVE.format(backend=backend),
                                               TF_KERNEL), NATIVE_VS_TF))
    out.append(Target(f"exact TF stream <= {STREAM_VS_TF:g}x TensorFlow's kernel ({shape})",
                      _ratio(samplers, TF_STREAM, TF_KERNEL), STREAM_VS_TF))
    for backend in backends:
        out.append(Target(f"{backend} sampled softmax step >= {FULL_VS_SAMPLED:g}x faster than "
                          f"full softmax ({where})",
                          _ratio(medians.get((at, backend)), FULL_STEP,
                                 STEP.format(loss="sampled_softmax")),
                          FULL_VS_SAMPLED, at_least=True))
    return out

"""Bit-exact random streams: the golden cases an implementation passes only if it draws
the very numbers of TensorFlow 2 (``--stream tf2``) or Paddle 1.8.5 (``--stream paddle``).

- ``tf2``: group ``tf2_samplers``. After ``set_seed(global_seed)`` (TensorFlow's
  ``tf.random.set_seed``, which also clears the kernels and their streams), the
  recorded calls of a sampler (``tf2.stream.<sampler>.*``), of a loss with its default
  sampler (``tf2.stream.<loss>.*``), or of several ops in turn (``tf2.sequence.*``) give
  the recorded outputs; sampler outputs to the last bit.
- ``paddle``: Paddle's seeded log-uniform sampler. The loss cases of
  ``sampled_softmax_with_cross_entropy`` with the default sampler, and, for a sampler
  with TensorFlow's signature (``log_uniform_candidate_sampler(true_classes, num_true,
  num_sampled, unique=True, range_max, seed)``), Paddle's recorded ``Samples`` and
  ``Probabilities`` of those cases as ``(negatives, Q of the true columns, Q of the
  negatives)``, to the last bit.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from typing import Any, Callable

import numpy as np

from .adapters import Adapter
from .runner import CaseResult, Comparison, _compare
from .targets import call_set_seed
from .vectors import GoldenCase, load_cases

__all__ = ["STREAMS", "stream_of", "stream_cases", "paddle_sampler_case", "run_stream_case",
           "SAMPLED_NAMES", "HIT_NAMES"]

STREAMS = ("tf2", "paddle")
SAMPLED_NAMES = ("sampled_candidates", "true_expected_count", "sampled_expected_count")
HIT_NAMES = ("indices", "ids", "weights")
PADDLE_SAMPLER = "log_uniform_candidate_sampler"


def stream_of(case: Any) -> str | None:
    """The stream a golden case needs (``tf2``, ``paddle``), or None."""
    if getattr(case, "group", None) == "tf2_samplers":
        return "tf2"
    if (getattr(case, "api", None) == "paddle" and case.raises is None
            and (case.op == PADDLE_SAMPLER
                 or not case.kwargs.get("use_customized_samples", True))):
        return "paddle"
    return None


def paddle_sampler_case(case: GoldenCase) -> GoldenCase:
    """A Paddle default-sampler loss case seen as a case of the sampler: its ``Samples``
    and ``Probabilities`` split into TensorFlow's triple."""
    num_true = int(case.kwargs["num_true"])
    samples, probabilities = case.outputs["samples"], case.outputs["probabilities"]
    variant = case.id.split(".", 2)[-1]
    return replace(
        case, id=f"paddle.stream.{PADDLE_SAMPLER}.{variant}", op=PADDLE_SAMPLER,
        call=f"Samples and Probabilities of {case.id}",
        kwargs={"num_true": num_true, "num_sampled": int(case.kwargs["num_samples"]),
                "unique": True, "range_max": int(case.inputs["logits"].shape[1]),
                "seed": int(case.kwargs["seed"])},
        inputs={"true_classes": case.inputs["label"]},
        outputs={"sampled_candidates": samples[0, num_true:],
                 "true_expected_count": probabilities[:, :num_true],
                 "sampled_expected_count": probabilities[0, num_true:]},
        grads={}, cotangent=None, tolerance={"rtol": 0.0, "atol": 0.0},
        notes=f"Paddle's negatives and expected counts for seed {case.kwargs['seed']}, "
              f"from {case.id}")


def _sequence_ops(case: GoldenCase) -> set:
    return {step["op"] for step in case.kwargs["sequence"]}


def stream_cases(stream: str, op: str | None = None, every_op: bool = False) -> list[GoldenCase]:
    """The cases of ``stream`` for ``op`` (all ops when None). A sequence of several ops
    belongs to ``op`` only when ``every_op`` (an implementation of every op, as
    TensorFlow or this library), else only sequences made of ``op`` alone."""
    if stream == "tf2":
        out = []
        for case in load_cases():
            if stream_of(case) != "tf2":
                continue
            if case.op == "sequence":
                ops = _sequence_ops(case)
                if (op is None and every_op) or ops == {op} or (every_op and op == "sequence"):
                    out.append(case)
            elif op is None or case.op == op:
                out.append(case)
        return out
    if stream == "paddle":
        losses = [c for c in load_cases(api="paddle") if stream_of(c) == "paddle"
                  and c.deviation is None]
        out = []
        if op in (None, "sampled_softmax_with_cross_entropy"):
            out += losses  # num_samples=0 too (a loss of the true classes alone)
        if op in (None, PADDLE_SAMPLER):  # a sample of at least one class
            out += [paddle_sampler_case(c) for c in losses if int(c.kwargs["num_samples"]) >= 1]
        return out
    raise ValueError(f"--stream: must be one of {list(STREAMS) + ['none']}, got {stream!r}")


def _sampler_kwargs(case: GoldenCase, kwargs: dict, folder: str) -> dict:
    kw = {k: v for k, v in kwargs.items() if k not in ("global_seed", "calls")}
    if "unigrams" in case.inputs:
        kw["unigrams"] = case.inputs["unigrams"].tolist()
    if kw.pop("vocab_file", False):
        path = os.path.join(folder, "vocab.csv")
        with open(path, "w", encoding="utf-8") as f:
            f.write("".join(f"token{i},{float(c)!r}\n"
                            for i, c in enumerate(case.inputs["vocab_counts"])))
        kw["vocab_file"] = path
    return kw


def _compare_exact(result: CaseResult, prefix: str, names: tuple, out: Any, case: GoldenCase):
    values = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    if len(values) != len(names):
        result.error = f"{prefix}: returned {len(values)} values, expected {len(names)}"
        return
    for name, value in zip(names, values):
        expected = case.outputs[f"{prefix}.{name}" if prefix else name]
        _compare(result, f"{prefix}.{name}" if prefix else name, value, expected, 0.0, 0.0)


def run_stream_case(case: GoldenCase, adapter: Adapter,
                    function: Callable[[str, str], Callable[..., Any]],
                    set_seed: Callable[[Any], Any] | None) -> CaseResult:
    """Run one stream case on ``adapter``; ``function(op, origin)`` gives the callable of
    each op, ``set_seed`` is the implementation's ``tf.random.set_seed`` (needed for
    ``tf2`` streams)."""
    from .runner import run_case

    result = CaseResult(case.id, adapter.name)
    if stream_of(case) == "paddle":
        if case.op == PADDLE_SAMPLER:
            out = adapter.call(function(case.op, "paddle"), case.inputs, case.kwargs)
            _compare_exact(result, "", SAMPLED_NAMES, out, case)
            return result
        return run_case(case, adapter, impl=function(case.op, case.api))
    if set_seed is None:
        result.error = ("no set_seed: a tf2 stream starts from tf.random.set_seed(seed); give "
                        "the implementation's module a set_seed, or name one with --set-seed")
        return result
    call_set_seed(set_seed, case.kwargs["global_seed"])
    try:
        with tempfile.TemporaryDirectory(prefix="cs-conform-") as folder:
            if case.op == "sequence":
                _run_sequence(case, adapter, function, folder, result)
            elif case.op in ("sampled_softmax_loss", "nce_loss"):
                _run_loss_stream(case, adapter, function(case.op, case.api), result)
            else:
                fn = function(case.op, case.api)
                kw = _sampler_kwargs(case, case.kwargs, folder)
                for i in range(case.kwargs["calls"]):
                    out = adapter.call(fn, {"true_classes": case.inputs["true_classes"]}, kw)
                    _compare_exact(result, f"call{i}", SAMPLED_NAMES, out, case)
    finally:
        call_set_seed(set_seed, None)
    return result


_LOSS_STEPS = ("sampled_softmax_loss", "nce_loss")
"""Loss steps of a sequence: their default sample moves the stream on, even where they
raise (TensorFlow finds their other errors after its sampler ran)."""


def _run_loss_step(case: GoldenCase, i: int, step: dict, adapter: Adapter,
                   function: Callable, result: CaseResult) -> None:
    """Loss step ``i``: it raises where TensorFlow did (its value is not compared)."""
    arrays = {k: case.inputs[f"step{i}.{k}"] for k in ("weights", "biases", "inputs")}
    ids, listed = _step_ids(step, {"labels": case.inputs[f"step{i}.true_classes"]})
    arrays.update(ids)
    try:
        adapter.call(function(step["op"], case.api), arrays, {**step["kwargs"], **listed})
        raised = False
    except Exception:  # noqa: BLE001 - any error: TensorFlow's is its own class
        raised = True
    name = f"step{i}.raises"
    result.comparisons.append(Comparison(
        name, raised == step["raises"], 0.0, 0.0,
        f"{name}: TensorFlow {'raised' if step['raises'] else 'returned'}, this "
        f"{'raised' if raised else 'returned'}"))


def _step_ids(step: dict, ids: dict) -> tuple[dict, dict]:
    """``(arrays, lists)``: a step's ids as arrays for the adapter, or, where TensorFlow
    was given Python lists (``as_list``), as lists passed as they are."""
    if not step.get("as_list"):
        return ids, {}
    return {}, {k: np.asarray(v).tolist() for k, v in ids.items()}


def _run_sequence(case: GoldenCase, adapter: Adapter, function: Callable, folder: str,
                  result: CaseResult) -> None:
    for i, step in enumerate(case.kwargs["sequence"]):
        if step["op"] in _LOSS_STEPS:
            _run_loss_step(case, i, step, adapter, function, result)
            continue
        inputs = {"true_classes": case.inputs[f"step{i}.true_classes"]}
        if step["op"] == "compute_accidental_hits":
            source = step["sampled_candidates"]
            inputs["sampled_candidates"] = (
                case.inputs[f"step{i}.sampled_candidates"] if source == "input"
                else case.outputs[f"{source}.sampled_candidates"])
            names = HIT_NAMES
        else:
            names = SAMPLED_NAMES
        kw = _sampler_kwargs(case, step["kwargs"], folder)
        inputs, listed = _step_ids(step, inputs)
        out = adapter.call(function(step["op"], case.api), inputs, {**kw, **listed},
                           listed=bool(listed))
        _compare_exact(result, f"step{i}", names, out, case)


def _run_loss_stream(case: GoldenCase, adapter: Adapter, fn: Callable[..., Any],
                     result: CaseResult) -> None:
    kw = {k: case.kwargs[k] for k in ("num_sampled", "num_classes", "num_true",
                                      "remove_accidental_hits")}
    if case.op == "sampled_softmax_loss":
        kw["seed"] = case.kwargs["seed"]
    arrays = {k: case.inputs[k] for k in ("weights", "biases", "labels", "inputs")}
    for i in range(case.kwargs["calls"]):
        value = adapter.call(fn, arrays, kw)
        _compare(result, f"call{i}.loss", value, case.outputs[f"call{i}.loss"],
                 case.rtol, case.atol)


def jax_can_hold(case: GoldenCase) -> bool:
    """Whether JAX (without 64-bit types) can hold every id of a stream case."""
    import jax

    if jax.config.jax_enable_x64:
        return True
    ids = [v for k, v in case.outputs.items() if k.endswith("sampled_candidates")]
    ids += [np.asarray(case.kwargs.get("range_max", 0)) - 1]
    return max(int(np.max(v)) for v in ids if np.size(v)) < 2**31

"""Checks of an implementation's defaults: golden value cases called again without the
keyword arguments whose recorded values are the original signature's defaults.

The golden cases pass every argument, so a port whose ``remove_accidental_hits``,
``num_true`` or ``partition_strategy`` defaults differ from TensorFlow's or Paddle's
passed them all. A variant ``<case id>+defaults`` leaves those arguments out and expects
the same outputs. Only the arguments that can change the case's result are left out
(:func:`_matters`: the hit flag where a sampled id equals a label of its row, the
partition strategy where the weights are sharded), and each set of them is checked on
at most :data:`PER_SET` cases of an (op, origin).
"""

from __future__ import annotations

import ast
import json
from dataclasses import replace
from functools import cache
from typing import Any

import numpy as np

from .vectors import GoldenCase, vectors_dir

__all__ = ["PER_SET", "SUFFIX", "default_variants", "signature_defaults"]

SUFFIX = "+defaults"
PER_SET = 2

_SIGNATURES = {"tf2": ("tf2", "tf.nn.{op}"), "tf1": ("tf2", "tf.v1.nn.{op}"),
               "contrib": ("tf1", "tf.contrib.nn.{op}"),
               "paddle": ("paddle", "paddle.fluid.layers.{op}")}
"""Where each origin's recorded signatures are: ``spec/signatures/<file>.json`` and the
function's name there."""

_NOT_CHECKED = ("name", "seed", "sampled_values")
"""Defaults no value case can test: a name, and the draw's seed and sample (the
default sampler's cases are the stream cases)."""


@cache
def _functions(file: str) -> dict:
    path = vectors_dir().parent / "signatures" / f"{file}.json"
    return json.loads(path.read_text())["functions"] if path.exists() else {}


def signature_defaults(op: str, api: str) -> dict[str, Any]:
    """``{argument: default}`` of the original ``op`` of origin ``api`` as recorded from
    the real system (``spec/signatures``); empty where none is recorded."""
    if api not in _SIGNATURES:
        return {}
    file, pattern = _SIGNATURES[api]
    found = _functions(file).get(pattern.format(op=op))
    if found is None:
        return {}
    out = {}
    for name, _, default in found["parameters"]:
        if default is None or name in _NOT_CHECKED:
            continue
        try:
            out[name] = ast.literal_eval(default)
        except (ValueError, SyntaxError):
            continue
    return out


def _has_hits(case: GoldenCase) -> bool:
    """Whether a sampled id of the case equals a true label of its row."""
    labels = case.inputs.get("labels", case.inputs.get("label"))
    if labels is None:
        return True
    labels = np.asarray(labels).reshape(np.asarray(labels).shape[0], -1)
    if "customized_samples" in case.inputs and case.inputs["customized_samples"] is not None:
        samples = np.asarray(case.inputs["customized_samples"])
        labels, sampled = samples[:, :labels.shape[1]], samples[:, labels.shape[1]:]
    elif "samples" in case.outputs:
        samples = np.asarray(case.outputs["samples"])
        sampled = samples[:, labels.shape[1]:]
    elif case.inputs.get("sampled_values") is not None:
        sampled = np.broadcast_to(np.asarray(case.inputs["sampled_values"][0])[None, :],
                                  (labels.shape[0], len(case.inputs["sampled_values"][0])))
    else:
        return True
    return bool((sampled[:, :, None] == labels[:, None, :]).any())


def _matters(case: GoldenCase, name: str) -> bool:
    """Whether leaving argument ``name`` to its default can change this case's result."""
    if name == "remove_accidental_hits":
        return _has_hits(case)
    if name == "partition_strategy":
        return isinstance(case.inputs.get("weights"), list) and len(case.inputs["weights"]) > 1
    return True


def default_variants(cases: list[GoldenCase]) -> list[GoldenCase]:
    """The ``+defaults`` variants of the value cases among ``cases`` (in their order)."""
    out, seen = [], {}
    for case in cases:
        if case.raises is not None or case.is_stream or case.deviation is not None:
            continue
        defaults = signature_defaults(case.op, case.api)
        left = tuple(sorted(name for name, value in defaults.items()
                            if name in case.kwargs and _equal(case.kwargs[name], value)
                            and _matters(case, name)))
        if not left:
            continue
        key = (case.op, case.api, left)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > PER_SET:
            continue
        kwargs = {k: v for k, v in case.kwargs.items() if k not in left}
        out.append(replace(case, id=case.id + SUFFIX, kwargs=kwargs,
                           notes=f"{case.notes} Called without {', '.join(left)}: the "
                                 f"defaults of the original signature must give the same "
                                 f"outputs.".strip()))
    return out


def _equal(value: Any, default: Any) -> bool:
    return type(value) is type(default) and value == default

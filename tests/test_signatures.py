"""The compat front ends have the real functions' signatures: parameter names, order,
kinds and defaults, as TensorFlow 2.21, TensorFlow 1.15 and Paddle 1.8.5 report them
(spec/signatures/*.json, made by oracles/*_signatures.py)."""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path

import pytest

SPEC = Path(__file__).resolve().parents[1] / "spec" / "signatures"
ORACLES = {path.stem: json.loads(path.read_text()) for path in sorted(SPEC.glob("*.json"))}
FUNCTIONS = [(oracle, path, entry) for oracle, data in ORACLES.items()
             for path, entry in sorted(data["functions"].items())]


def test_every_oracle_is_recorded():
    assert {o: (d["library"], d["version"]) for o, d in ORACLES.items()} == {
        "tf2": ("tensorflow", "2.21.0"), "tf1": ("tensorflow", "1.15.0"),
        "paddle": ("paddlepaddle", "1.8.5")}
    assert len(ORACLES["tf2"]["functions"]) == 20


def _ours(path: str):
    """``candidate_sampling.compat.<path>``: a module, then attributes."""
    head, *rest = path.split(".")
    obj = importlib.import_module(f"candidate_sampling.compat.{head}")
    for part in rest:
        obj = getattr(obj, part)
    return obj


def _described(function) -> list:
    return [[p.name, p.kind.name, None if p.default is inspect.Parameter.empty else repr(p.default)]
            for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize("oracle, path, entry", FUNCTIONS,
                         ids=[f"{o}:{p}" for o, p, _ in FUNCTIONS])
def test_the_signature_is_the_originals(oracle, path, entry):
    assert _described(_ours(path)) == entry["parameters"], entry["origin"]

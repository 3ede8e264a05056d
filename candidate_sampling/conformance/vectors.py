"""Loading the golden vectors of ``spec/vectors`` (format: ``spec/vectors/FORMAT.md``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["GoldenCase", "load_cases", "vectors_dir", "FORMAT_VERSION", "close", "real_dtype"]

FORMAT_VERSION = 1


@dataclass(frozen=True)
class GoldenCase:
    """One case: what an oracle was called with and what it returned.

    Array fields hold NumPy arrays (lists of them for shards and sampled values).
    """

    id: str
    op: str
    api: str
    call: str
    dtype: str
    kwargs: dict
    inputs: dict
    outputs: dict
    grads: dict
    cotangent: Any
    tolerance: dict
    notes: str
    group: str
    oracle: str
    oracle_version: str
    raises: dict | None = None
    deviation: dict | None = None
    """Where candidate_sampling deliberately differs (spec/deviations.json): ``{"reason",
    "expect"}`` with ``expect`` 'value' (a result where the oracle failed) or 'raises'
    (an error where the oracle returned NaN)."""

    @property
    def rtol(self) -> float:
        return float(self.tolerance.get("rtol", 1e-5))

    @property
    def atol(self) -> float:
        return float(self.tolerance.get("atol", 1e-6))

    @property
    def grad_rtol(self) -> float:
        return float(self.tolerance.get("grad_rtol", self.rtol))

    @property
    def grad_atol(self) -> float:
        return float(self.tolerance.get("grad_atol", self.atol))

    @property
    def is_stream(self) -> bool:
        """A case about a random stream (several calls, or a seeded default sampler)."""
        return any(k in self.kwargs for k in ("calls", "sequence", "global_seed"))


def vectors_dir() -> Path:
    """The folder holding the ``.json`` indexes and ``.npz`` data."""
    return Path(str(resources.files("candidate_sampling.spec"))) / "vectors"


@lru_cache(maxsize=None)
def _deviations(folder: str) -> dict:
    path = Path(folder).parent / "deviations.json"
    if not path.exists():
        return {}
    return {k: {"reason": v["reason"], "expect": v["expect"]}
            for k, v in json.loads(path.read_text())["cases"].items()}


def _resolve(data: Any, ref: Any) -> Any:
    if ref is None:
        return None
    if isinstance(ref, list):
        return [_resolve(data, r) for r in ref]
    return data[ref]


@lru_cache(maxsize=None)
def _load_group(path: str) -> tuple:
    index = json.loads(Path(path).read_text())
    if index.get("format") != FORMAT_VERSION:
        raise ValueError(f"{path}: unsupported vector format {index.get('format')!r}")
    with np.load(Path(path).with_name(index["data"])) as npz:
        data = {k: npz[k] for k in npz.files}
    oracle = index["oracle"]
    cases = []
    for c in index["cases"]:
        cases.append(GoldenCase(
            id=c["id"], op=c["op"], api=c["api"], call=c.get("call", ""), dtype=c.get("dtype", "float32"),
            kwargs=c.get("kwargs", {}),
            inputs={k: _resolve(data, v) for k, v in c.get("inputs", {}).items()},
            outputs={k: _resolve(data, v) for k, v in c.get("outputs", {}).items()},
            grads={k: _resolve(data, v) for k, v in c.get("grads", {}).items()},
            cotangent=_resolve(data, c.get("cotangent")),
            tolerance=c.get("tolerance", {}), notes=c.get("notes", ""),
            group=index["group"], oracle=oracle["name"], oracle_version=oracle["version"],
            raises=c.get("raises")))
    return tuple(cases)


def load_cases(op: str | None = None, api: str | None = None,
               directory: str | Path | None = None) -> list[GoldenCase]:
    """Every golden case, optionally only those of one ``op`` and/or ``api``, in id order."""
    folder = Path(directory) if directory is not None else vectors_dir()
    cases = []
    for path in sorted(folder.glob("*.json")):
        cases.extend(_load_group(str(path)))
    deviations = _deviations(str(folder))
    cases = [replace(c, deviation=deviations[c.id]) if c.id in deviations else c for c in cases]
    seen = set()
    for c in cases:
        if c.id in seen:
            raise ValueError(f"duplicate golden case id {c.id!r}")
        seen.add(c.id)
    return sorted((c for c in cases if (op is None or c.op == op) and (api is None or c.api == api)),
                  key=lambda c: c.id)


def real_dtype(dtype: np.dtype) -> bool:
    """Whether ``dtype`` holds real numbers (integers or floats, ml_dtypes' bfloat16
    among them): not complex, bool, strings or objects."""
    dtype = np.dtype(dtype)
    return dtype.kind in "iuf" or (dtype.kind == "V" and np.can_cast(dtype, np.float64))


def close(actual: Any, expected: Any, rtol: float, atol: float) -> tuple[bool, float, float]:
    """``(ok, worst absolute error, worst relative error)`` of ``|a - e| <= atol + rtol |e|``,
    NaN equal to NaN, shapes equal. An ``actual`` that is not an array of real numbers
    (complex, bool, strings, objects) is never close (see :func:`real_dtype`)."""
    a = np.asarray(actual)
    if not real_dtype(a.dtype):
        return False, float("inf"), float("inf")
    a = a.astype(np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape:
        return False, float("inf"), float("inf")
    both_nan = np.isnan(a) & np.isnan(e)
    same_inf = np.isinf(a) & np.isinf(e) & (np.sign(a) == np.sign(e))
    settled = both_nan | same_inf
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        diff = np.where(settled, 0.0, np.abs(a - e))
        diff = np.where(np.isnan(diff), np.inf, diff)
        rel = np.where(diff == 0, 0.0, diff / np.abs(np.where(settled, 1.0, e)))
        ok = bool(np.all(diff <= atol + rtol * np.abs(np.where(settled, 0.0, e))))
    worst_abs = float(diff.max()) if diff.size else 0.0
    worst_rel = float(np.where(settled, 0.0, rel).max()) if diff.size else 0.0
    return ok, worst_abs, worst_rel

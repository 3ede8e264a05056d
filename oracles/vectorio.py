"""Write golden vectors: one JSON index and one compressed ``.npz`` per group.

This module runs under every oracle interpreter (Python 3.7 with NumPy 1.16 for
TensorFlow 1.15, Python 3.8 for Paddle 1.8.5, Python 3.11 for TensorFlow 2.21),
so it uses nothing newer than those.  The format is described in
``spec/vectors/FORMAT.md``.
"""
import json
import os
import platform
import sys

import numpy as np

FORMAT_VERSION = 1
FLT_MAX = float(np.finfo(np.float32).max)
SPEC_VECTORS = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "spec", "vectors")

_ALLOWED_ID = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


class VectorGroup(object):
    """Collects the cases of one generator and writes ``<group>.json`` + ``<group>.npz``."""

    def __init__(self, group, oracle, oracle_version, generator):
        self.group = group
        self.oracle = oracle
        self.oracle_version = oracle_version
        self.generator = generator
        self._arrays = {}
        self._cases = []
        self._ids = set()

    def _put(self, case_id, name, value):
        """Store ``value`` (array, list/tuple of arrays, or None); return its key(s)."""
        if value is None:
            return None
        if isinstance(value, (list, tuple)):
            return [self._put(case_id, "%s.%d" % (name, i), v) for i, v in enumerate(value)]
        key = "%s/%s" % (case_id, name)
        if key in self._arrays:
            raise ValueError("duplicate array key %r" % key)
        self._arrays[key] = np.asarray(value)
        return key

    def add(self, case_id, op, api, call, kwargs, inputs, outputs=None, grads=None,
            cotangent=None, dtype="float32", tolerance=None, raises=None, notes=""):
        """Add one case.

        inputs, outputs, grads: dicts name -> array, list of arrays (shards,
        sampled_values) or None.  ``cotangent`` is the upstream gradient the
        grads were taken against (grads are of ``sum(output * cotangent)``).
        ``raises``: for error cases, ``{"type": ..., "message": ...}`` as the
        oracle reported it (outputs then stay empty).
        """
        if not set(case_id) <= _ALLOWED_ID:
            raise ValueError("case id %r may use only letters, digits, '_', '.', '-'" % case_id)
        if case_id in self._ids:
            raise ValueError("duplicate case id %r" % case_id)
        self._ids.add(case_id)
        case = {
            "id": case_id,
            "op": op,
            "api": api,
            "call": call,
            "dtype": dtype,
            "kwargs": kwargs,
            "inputs": dict((k, self._put(case_id, "in." + k, v)) for k, v in sorted(inputs.items())),
            "outputs": dict((k, self._put(case_id, "out." + k, v))
                            for k, v in sorted((outputs or {}).items())),
            "grads": dict((k, self._put(case_id, "grad." + k, v))
                          for k, v in sorted((grads or {}).items())),
            "cotangent": self._put(case_id, "cotangent", cotangent),
            "tolerance": tolerance or {"rtol": 1e-5, "atol": 1e-6},
            "notes": notes,
        }
        if raises is not None:
            case["raises"] = raises
        self._cases.append(case)

    def save(self, directory=SPEC_VECTORS):
        """Write the index and the data; return the index path."""
        if not os.path.isdir(directory):
            os.makedirs(directory)
        data_name = self.group + ".npz"
        np.savez_compressed(os.path.join(directory, data_name), **self._arrays)
        index = {
            "format": FORMAT_VERSION,
            "group": self.group,
            "oracle": {"name": self.oracle, "version": self.oracle_version,
                       "python": platform.python_version(), "numpy": np.__version__},
            "generator": self.generator,
            "command": " ".join([os.path.basename(sys.executable)] + sys.argv),
            "data": data_name,
            "cases": self._cases,
        }
        path = os.path.join(directory, self.group + ".json")
        with open(path, "w") as f:
            json.dump(index, f, indent=1, sort_keys=True)
            f.write("\n")
        return path


def magnitude_atol(scale, *arrays):
    """``scale * max(1, max |finite value|)`` over the given arrays, to 3 significant
    digits; values at or below -FLT_MAX / 2 (masked accidental hits) are left out."""
    m = 1.0
    for a in arrays:
        a = np.abs(np.asarray(a, np.float64))
        a = a[np.isfinite(a) & (a < FLT_MAX * 0.5)]
        if a.size:
            m = max(m, float(a.max()))
    return float("%.3g" % (scale * m))

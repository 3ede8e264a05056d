"""The suite against the real TensorFlow 2.21 (``--impl tensorflow``), where the oracle
environment exists (``bash oracles/live_tf2.sh`` builds it; CI does not)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYTHON = Path(os.environ.get("ORACLE_ENVS", ROOT / ".oracle-envs")) / "tf2" / "bin" / "python"


def _ready() -> str | None:
    """Why the live run cannot happen here, or None."""
    if not PYTHON.exists():
        return f"no TensorFlow 2 environment at {PYTHON} (bash oracles/live_tf2.sh builds it)"
    probe = subprocess.run([str(PYTHON), "-c", "import tensorflow, array_api_compat, "
                            "candidate_sampling"], capture_output=True, cwd=ROOT)
    if probe.returncode != 0:
        return (f"{PYTHON} lacks tensorflow, array-api-compat or this library "
                f"(bash oracles/live_tf2.sh installs them)")
    return None


REASON = _ready()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")


def test_tensorflow_passes_every_case_it_supports(tmp_path):
    result = subprocess.run(
        [str(PYTHON), "-m", "candidate_sampling.cli", "conform", "--impl", "tensorflow",
         "--json", str(tmp_path / "tf.json")],
        capture_output=True, text=True, cwd=ROOT, timeout=900,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    checks = json.loads((tmp_path / "tf.json").read_text())["checks"]
    by_status: dict = {}
    for c in checks:
        by_status.setdefault(c["status"], []).append(c)
    assert set(by_status) == {"passed", "n/a"}
    passed_kinds = {(c["kind"], c["origin"]) for c in by_status["passed"]}
    assert {("values", "tf2"), ("values", "tf1"), ("errors", "tf2"), ("laws", "tf2"),
            ("streams", "tf2")} <= passed_kinds
    assert len(by_status["passed"]) >= 290
    skipped = {c["origin"] for c in by_status["n/a"]}
    assert skipped == {"contrib", "paddle", "tf2"}   # tf2: the recorded deviations only
    assert all(c["kind"] == "errors" for c in by_status["n/a"] if c["origin"] == "tf2")
    gradients = [x for c in by_status["passed"] for x in c["comparisons"]
                 if x["name"] == "d/dsampled_values"]
    assert len(gradients) >= 100      # TensorFlow's own stop_gradient, seen by the tape

"""The distribution ships every subpackage, the specification and the golden vectors."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import candidate_sampling
from candidate_sampling.conformance import load_cases, vectors_dir

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_subpackage_is_listed():
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    package = ROOT / "candidate_sampling"
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in package.rglob("__init__.py")}
    assert found <= listed, f"missing from pyproject packages: {sorted(found - listed)}"


def test_runtime_dependencies_are_only_numpy_and_array_api_compat():
    deps = sorted(d.split(">")[0].split("=")[0] for d in PYPROJECT["project"]["dependencies"])
    assert deps == ["array-api-compat", "numpy"]
    assert any(d.startswith("array-api-compat>=1.16") for d in PYPROJECT["project"]["dependencies"])


def test_vectors_are_package_data():
    assert vectors_dir().is_dir()
    assert {p.suffix for p in vectors_dir().iterdir()} >= {".json", ".npz"}
    assert len(load_cases()) >= 300


def test_console_script_lists_the_golden_cases():
    out = subprocess.run([sys.executable, "-m", "candidate_sampling.cli", "cases"],
                         capture_output=True, text=True, check=True).stdout
    assert "sampled_softmax_with_cross_entropy  paddle" in out
    total = int(out.strip().splitlines()[-1].split()[0])
    assert total == len(load_cases())


def test_version_and_help():
    out = subprocess.run([sys.executable, "-m", "candidate_sampling.cli", "--version"],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == f"candidate-sampling {candidate_sampling.__version__}"


def test_gpu_script_refuses_an_unknown_stage_before_any_work(tmp_path):
    """``bash .ci/gpu tests bogus`` stops with status 2 before it installs or runs
    anything (it ran the whole tests stage first), and writes no output folder."""
    out = tmp_path / "gpu-results"
    done = subprocess.run(["bash", str(ROOT / ".ci/gpu"), "tests", "bogus"], capture_output=True,
                          text=True, timeout=60, check=False,
                          env={"PATH": "/usr/bin:/bin", "OUT": str(out),
                               "PYTHON": "/nonexistent/python"})
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == "gpu: unknown stage 'bogus' (tests, conform or bench)\n"
    assert not out.exists()

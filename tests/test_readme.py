"""The README stays true: CI runs its set-up commands, and its Python blocks run."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_ci_runs_the_readme_setup_commands():
    setup = _blocks("bash")[0].strip().splitlines()
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert len(setup) == 2
    for command in setup:
        assert command in ci, f"README command not run by .ci/run: {command}"


def test_python_blocks_run(capsys):
    """The Python blocks run in order in one namespace, as a reader would paste them."""
    blocks = _blocks("python")
    assert len(blocks) == 4
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    printed = capsys.readouterr().out.splitlines()
    assert printed == ["(4,) float32", "True", "()", "(4, 16)"]


COMMAND_OUTPUT = {
    "demo": "at equal training time",
    "conform": "conformance: ",
    "bench": "Targets",
    "cases": "golden cases",
}
"""A line each README command prints when it has done its job."""


def _commands() -> list[str]:
    """The ``candidate-sampling`` command lines of the README's shell blocks."""
    lines = [line.strip() for block in _blocks("bash") for line in block.splitlines()]
    return [line for line in lines if line.startswith(".venv/bin/candidate-sampling ")]


def test_the_readme_shows_every_command():
    assert sorted({c.split()[1] for c in _commands()}) == sorted(COMMAND_OUTPUT)


@pytest.mark.slow
@pytest.mark.parametrize("command", _commands())
def test_readme_command_runs(command, tmp_path):
    """Each command as the README writes it, run from an empty folder (the demo about a
    minute, the quick benchmark a few)."""
    argv = [sys.executable, "-m", "candidate_sampling.cli", *shlex.split(command)[1:]]
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert COMMAND_OUTPUT[shlex.split(command)[1]] in done.stdout

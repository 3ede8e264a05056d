"""The README stays true: CI runs its set-up commands, and its Python blocks run."""

from __future__ import annotations

import re
from pathlib import Path

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

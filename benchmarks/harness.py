"""Timing harness shared by the benchmarks: repeated timings, peers in their own
processes, interleaved rounds (ours, peer, ours, peer, ...) so that machine drift
cancels in the ratios, and Markdown/JSON output.

These machines are small and noisy: quote medians and ratios measured in one run.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]

__all__ = ["time_calls", "Timing", "Peer", "tf_python", "interleave",
           "interleave_with_tensorflow", "markdown_table", "ROOT"]


def time_calls(fn: Callable[[], Any], number: int, warmup: int = 2,
               sync: Callable[[Any], Any] | None = None) -> list[float]:
    """Seconds per call of ``fn``, ``number`` timed calls after ``warmup`` untimed ones.

    ``sync(result)`` waits for asynchronous work (``block_until_ready``, CUDA sync)."""
    for _ in range(warmup):
        out = fn()
        if sync is not None:
            sync(out)
    times = []
    for _ in range(number):
        start = time.perf_counter()
        out = fn()
        if sync is not None:
            sync(out)
        times.append(time.perf_counter() - start)
    return times


@dataclass
class Timing:
    """All per-call times of one measured thing, over every round."""

    name: str
    times: list = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    def as_dict(self) -> dict:
        return {"name": self.name, "median_s": self.median, "min_s": min(self.times),
                "max_s": max(self.times), "n": len(self.times)}


class Peer:
    """A peer implementation in its own process and interpreter, kept warm; it answers
    one JSON request per line with ``{"times": [...]}`` (see ``peers/``)."""

    def __init__(self, python: str, script: str | Path):
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen([python, str(script)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, env=env)

    def request(self, **task: Any) -> dict:
        self.proc.stdin.write(json.dumps(task) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"peer {self.proc.args} exited with {self.proc.wait()}")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"peer: {answer['error']}")
        return answer

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)

    def __enter__(self) -> "Peer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def tf_python() -> str | None:
    """The interpreter with TensorFlow 2.21: ``$CS_BENCH_TF_PYTHON``, else the oracle
    environment ``.oracle-envs/tf2`` (``bash oracles/regenerate.sh tf2`` builds it)."""
    candidate = os.environ.get("CS_BENCH_TF_PYTHON") or str(ROOT / ".oracle-envs/tf2/bin/python")
    return candidate if Path(candidate).exists() else None


def interleave_with_tensorflow(runners: dict[str, Callable[[], list[float]]], rounds: int,
                               name: str, **task: Any) -> dict[str, Timing]:
    """:func:`interleave`, with TensorFlow answering ``task`` (see ``peers/tf_peer.py``) as
    runner ``name`` when :func:`tf_python` finds it; its process is closed afterwards."""
    python = tf_python()
    if python is None:
        return interleave(runners, rounds)
    with Peer(python, Path(__file__).parent / "peers" / "tf_peer.py") as peer:
        return interleave({**runners, name: lambda: peer.request(**task)["times"]}, rounds)


def interleave(runners: dict[str, Callable[[], list[float]]], rounds: int) -> dict[str, Timing]:
    """Call every runner once per round, in turn, for ``rounds`` rounds."""
    timings = {name: Timing(name) for name in runners}
    for _ in range(rounds):
        for name, run in runners.items():
            timings[name].times.extend(run())
    return timings


def markdown_table(header: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table with right-aligned numbers."""
    def fmt(v: Any) -> str:
        return f"{v:.3g}" if isinstance(v, float) else str(v)

    cells = [[fmt(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(header)]
    line = lambda vals: "| " + " | ".join(v.rjust(w) for v, w in zip(vals, widths)) + " |"
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
                     + [line(r) for r in cells])


def main_guard() -> None:
    """Make ``benchmarks/`` scripts importable as ``python benchmarks/x.py``."""
    sys.path.insert(0, str(ROOT))

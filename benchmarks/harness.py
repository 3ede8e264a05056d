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
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .peers.protocol import time_calls

ROOT = Path(__file__).resolve().parents[1]
PEERS = Path(__file__).resolve().parent / "peers"

__all__ = ["time_calls", "timed_runner", "Timing", "Peer", "tf_python", "tf_peer",
           "naive_torch_peer", "interleave", "markdown_table", "ROOT"]

Runner = Callable[[], list[float]]


def timed_runner(fn: Callable[[], Any], number: int, warmup: int = 2,
                 sync: Callable[[Any], Any] | None = None,
                 budget_s: float | None = None) -> Runner:
    """A runner for :func:`interleave`: each call times ``fn`` with :func:`time_calls`;
    only the first call warms up (``warmup`` untimed calls)."""
    left = [warmup]

    def run() -> list[float]:
        times = time_calls(fn, number, left[0], sync, budget_s)
        left[0] = 0
        return times

    return run


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
                "max_s": max(self.times), "n": len(self.times), "times_s": list(self.times)}


class Peer:
    """A peer implementation in its own process and interpreter, kept warm: ``argv`` is
    its command line (``python script.py`` or ``python -m module``); it answers one JSON
    request per line with ``{"times": [...], "version": ...}`` (see ``peers/``). Made,
    it has answered ``hello``; else ``RuntimeError`` with the last line the process
    wrote to stderr (``No module named 'tensorflow'``, say), or ``OSError`` where the
    interpreter cannot be run."""

    def __init__(self, *argv: str | Path):
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")
        self.version: str | None = None
        self.errors = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed by close()
        self.proc = subprocess.Popen([str(a) for a in argv], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.errors,
                                     text=True, env=env)
        try:
            self.request(task="hello")
        except RuntimeError:
            self.close()
            raise

    def request(self, **task: Any) -> dict:
        try:
            self.proc.stdin.write(json.dumps(task) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except BrokenPipeError:
            line = ""
        if not line:
            raise RuntimeError(f"peer {' '.join(map(str, self.proc.args))} exited with status "
                               f"{self.proc.wait()}{self._last_error()}")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"peer: {answer['error']}")
        self.version = answer.get("version", self.version)
        return answer

    def runner(self, warmup: int = 2, **task: Any) -> Runner:
        """A runner for :func:`interleave` that sends ``task``; only the first request
        warms up (``warmup`` untimed calls)."""
        left = [warmup]

        def run() -> list[float]:
            times = self.request(**task, warmup=left[0])["times"]
            left[0] = 0
            return times

        return run

    def release(self) -> None:
        """Ask the peer to drop what it keeps between tasks (its weights)."""
        self.request(task="release")

    def _last_error(self) -> str:
        """``: `` and the last line the process wrote to stderr, if any."""
        self.errors.seek(0)
        lines = [line.strip() for line in self.errors.read().splitlines() if line.strip()]
        return f": {lines[-1]}" if lines else ""

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
            self.proc.wait(timeout=60)
        self.errors.close()

    def __enter__(self) -> "Peer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def tf_python() -> str | None:
    """The interpreter with TensorFlow 2.21: ``$CS_BENCH_TF_PYTHON``, else the oracle
    environment ``.oracle-envs/tf2`` (``bash oracles/regenerate.sh tf2`` builds it) in the
    working directory or the source tree."""
    explicit = os.environ.get("CS_BENCH_TF_PYTHON")
    candidates = [explicit] if explicit else [
        str(base / ".oracle-envs/tf2/bin/python") for base in (Path.cwd(), ROOT)]
    return next((c for c in candidates if Path(c).exists()), None)


def tf_peer() -> tuple[Peer | None, str | None]:
    """TensorFlow's peer process (``peers/tf_peer.py``) and None, or None and why there is
    none (no interpreter found, or one that does not run the peer: its error)."""
    python = tf_python()
    explicit = os.environ.get("CS_BENCH_TF_PYTHON")
    if python is None:
        if explicit:
            return None, f"CS_BENCH_TF_PYTHON={explicit} does not exist"
        return None, ("TensorFlow not found (set CS_BENCH_TF_PYTHON or build .oracle-envs/tf2 "
                      "with bash oracles/regenerate.sh tf2)")
    try:
        return Peer(python, PEERS / "tf_peer.py"), None
    except (OSError, RuntimeError) as exc:
        return None, f"TensorFlow's peer did not start with {python} ({exc})"


def naive_torch_peer() -> Peer:
    """The naive PyTorch port (``peers/naive_torch.py``) in a process of this interpreter."""
    return Peer(sys.executable, "-m", f"{__package__}.peers.naive_torch")


def interleave(runners: dict[str, Runner], rounds: int) -> dict[str, Timing]:
    """Call every runner once per round, in turn, for ``rounds`` rounds."""
    timings = {name: Timing(name) for name in runners}
    for _ in range(rounds):
        for name, run in runners.items():
            timings[name].times.extend(run())
    return timings


def markdown_table(header: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table with right-aligned numbers."""
    def fmt(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.0f}" if abs(v) >= 1000 else f"{v:.3g}"
        return str(v)

    cells = [[fmt(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(header)]
    line = lambda vals: "| " + " | ".join(v.rjust(w) for v, w in zip(vals, widths)) + " |"
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
                     + [line(r) for r in cells])

"""What the benchmarks and their peers share, with nothing but the standard library (the
TensorFlow peer runs in TensorFlow's interpreter, where this package is not installed):
timing calls, and the peer loop that answers one JSON task per line.

A peer reads ``{"task": name, ...}`` lines on stdin and writes one line per task:
``{"times": [seconds per call, ...], "version": ...}``, or ``{"error": "..."}``. The task
``hello`` times nothing: its answer says the peer started.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, Callable

__all__ = ["time_calls", "serve"]


def time_calls(fn: Callable[[], Any], number: int, warmup: int = 2,
               sync: Callable[[Any], Any] | None = None,
               budget_s: float | None = None) -> list[float]:
    """Seconds per call of ``fn``: ``number`` timed calls after ``warmup`` untimed ones.

    ``sync(result)`` waits for asynchronous work (``block_until_ready``, a CUDA
    synchronisation) inside the timed span. With ``budget_s``, timing stops early (after
    at least one call) once the timed calls have taken that long, so that slow cases
    cost a bounded time per round.
    """
    if number < 1:
        raise ValueError(f"number: must be >= 1, got {number}")
    if warmup < 0:
        raise ValueError(f"warmup: must be >= 0, got {warmup}")
    for _ in range(warmup):
        out = fn()
        if sync is not None:
            sync(out)
    times: list[float] = []
    while len(times) < number and (budget_s is None or not times or sum(times) < budget_s):
        start = time.perf_counter()
        out = fn()
        if sync is not None:
            sync(out)
        times.append(time.perf_counter() - start)
    return times


def serve(tasks: dict[str, Callable[[dict], list[float]]], version: str) -> None:
    """Answer the tasks read on stdin, one JSON object a line, until stdin closes.

    ``tasks[name](task)`` returns the times of the task (``hello``: none); an exception
    is answered as ``{"error": ...}`` (the harness raises it) and the loop goes on."""
    tasks = {"hello": lambda task: [], **tasks}
    for line in sys.stdin:
        task = json.loads(line)
        try:
            answer = {"times": tasks[task["task"]](task), "version": version}
        except Exception as exc:  # reported to the harness, which raises
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()

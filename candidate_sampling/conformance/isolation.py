"""Checks in a worker process, so that an implementation that crashes (a segfault,
``os._exit``) or hangs fails its check and the run goes on.

The parent sends one check at a time (case id, backend, kind) over a pipe and waits at
most the check's timeout for the result. A worker that dies is reported by its signal or
exit status, one that does not answer in time is killed; either way the check fails and
a fresh worker takes the remaining checks. The implementation is imported only in the
worker (so even a crash on import is a failure with a message, not the end of the run).

The worker is ``python -m candidate_sampling.conformance.isolation FD``; it imports the
target's functions and the backends' libraries, says it is ready, then runs
:func:`~candidate_sampling.conformance.suite.execute` for each check it is sent.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from multiprocessing.connection import Connection, Pipe
from typing import Any

from .runner import CaseResult
from .suite import raise_source

__all__ = ["Worker", "TIMEOUT_ENV", "LAW_TIMEOUT_FACTOR", "STARTUP_TIMEOUT_S", "check_timeout",
           "exit_description"]

TIMEOUT_ENV = "CANDIDATE_SAMPLING_CONFORM_TIMEOUT"
"""Seconds a check may take in the worker (default 30), unless ``--timeout`` says."""
LAW_TIMEOUT_FACTOR = 10
"""A law case calls the sampler about a thousand times: it gets this many timeouts."""
STARTUP_TIMEOUT_S = 120.0
"""How long a worker may take to import the implementation and the array libraries (a
cold import of PyTorch and JAX takes some 10-20 s on a small machine)."""


def check_timeout(kind: str, timeout: float) -> float:
    """The seconds a check of ``kind`` may take."""
    return timeout * LAW_TIMEOUT_FACTOR if kind == "laws" else timeout


def exit_description(returncode: int) -> str:
    """``killed by SIGSEGV`` or ``exited with status 3``."""
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exited with status {returncode}"


class Worker:
    """A worker process for the checks of one target; restarted after a crash or hang."""

    def __init__(self, target: Any, backends: list[str], timeout: float):
        self.target, self.backends, self.timeout = target, backends, timeout
        self.proc: subprocess.Popen | None = None
        self.conn: Connection | None = None

    def __enter__(self) -> "Worker":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def start(self) -> None:
        """Start a worker and wait until it has imported what it needs; a ValueError
        (an argument error) if it cannot."""
        ours, theirs = Pipe()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "candidate_sampling.conformance.isolation",
             str(theirs.fileno())],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=sys.__stderr__.fileno(),
            cwd=os.getcwd())
        theirs.close()
        self.conn = ours
        ours.send((self.target, self.backends, list(sys.path)))
        if not ours.poll(STARTUP_TIMEOUT_S):
            self._kill()
            raise ValueError(f"--impl: the implementation and the array libraries were not "
                             f"imported within {STARTUP_TIMEOUT_S:.0f} s (an import that "
                             f"hangs?)")
        try:
            status, message = ours.recv()
        except EOFError:
            code = self.proc.wait()
            self.stop()
            raise ValueError(f"--impl: the implementation's process {exit_description(code)} "
                             f"while importing it") from None
        if status != "ready":
            self.stop()
            raise ValueError(message)

    def stop(self) -> None:
        """End the worker (kill it if it does not end by itself)."""
        if self.conn is not None:
            try:
                self.conn.send(None)
            except OSError:
                pass
            self.conn.close()
            self.conn = None
        if self.proc is not None:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def _kill(self) -> int:
        self.proc.kill()
        code = self.proc.wait()
        self.conn.close()
        self.conn, self.proc = None, None
        return code

    def run(self, item: Any) -> CaseResult:
        """Run one planned check; a crash or a hang is that check's failure."""
        if self.proc is None:
            self.start()
        limit = check_timeout(item.kind, self.timeout)
        self.conn.send((item.case.id, item.backend, item.kind))
        suffix = f" ({raise_source(item.case)})" if item.kind == "errors" else ""
        if not self.conn.poll(limit):
            self._kill()
            return CaseResult(item.case.id, item.backend,
                              error=f"hung: no answer after {limit:.0f} s{suffix}")
        try:
            return self.conn.recv()
        except EOFError:
            code = self.proc.wait()
            self.conn.close()
            self.conn, self.proc = None, None
            return CaseResult(item.case.id, item.backend,
                              error=f"crashed: the process {exit_description(code)}{suffix}")


def _serve(conn: Connection) -> None:
    from .adapters import get_adapter
    from .suite import Planned, execute, target_cases
    from .targets import functions_of

    target, backends, path = conn.recv()
    sys.path[:0] = [p for p in path if p not in sys.path]
    try:
        functions = functions_of(target)
        for name in backends:
            __import__(get_adapter(name).module)
        cases = {case.id: case for case, _ in target_cases(target)}
    except ValueError as exc:
        conn.send(("error", str(exc)))
        return
    conn.send(("ready", ""))
    while True:
        message = conn.recv()
        if message is None:
            return
        case_id, backend, kind = message
        conn.send(execute(Planned(cases[case_id], backend, kind), functions, timeout=None,
                          in_worker=True))


def _end_with_parent() -> None:
    """Have the kernel kill this worker when the command that started it ends (Linux's
    ``PR_SET_PDEATHSIG``): a command ended by SIGTERM (a CI timeout, ``kill``) left its
    worker running a hung implementation, holding the command's output open. Elsewhere
    the worker ends when it next reads from the closed pipe."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent ended before the request was made
        os._exit(1)


if __name__ == "__main__":
    _end_with_parent()
    _serve(Connection(int(sys.argv[1])))

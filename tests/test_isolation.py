"""An implementation that segfaults, exits or hangs fails those checks, and the run goes
on in a fresh worker process."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

from candidate_sampling.cli import main
from candidate_sampling.conformance import report
from candidate_sampling.conformance.isolation import TIMEOUT_ENV, exit_description
from candidate_sampling.conformance.suite import run_target, select_cases
from candidate_sampling.conformance.targets import Target

sys.path.insert(0, str(Path(__file__).parent))

TF1 = [c for c in select_cases("sampled_softmax_loss", "tf1")]


def by_true_classes(checks):
    out: dict = {}
    for c in checks:
        out.setdefault(int(c.case.kwargs.get("num_true", 1)), []).append(c)  # +defaults: 1
    return out


def test_crashes_fail_their_checks_and_the_run_goes_on():
    checks = run_target(Target(impl="wrong.crashing:crashes", op="sampled_softmax_loss",
                               semantics="tf1"), ["numpy"], timeout=60)
    groups = by_true_classes(checks)
    assert set(groups) == {1, 2, 3} and len(checks) == len(TF1)
    assert all(c.status == "passed" for c in groups[1])
    assert all(c.status == "failed" and c.result.error == "crashed: the process killed by SIGSEGV"
               for c in groups[2])
    assert all(c.result.error == "crashed: the process exited with status 3" for c in groups[3])


def test_a_hang_is_bounded_by_the_timeout(monkeypatch, capsys):
    monkeypatch.setenv(TIMEOUT_ENV, "2")
    status = main(["conform", "--backend", "numpy", "--impl", "wrong.crashing:hangs", "--op",
                   "sampled_softmax_loss", "--semantics", "tf1"])
    out = capsys.readouterr().out
    assert status == 1
    hung = [line for line in out.splitlines() if line.endswith("hung: no answer after 2 s")]
    hanging = sum(c.kwargs.get("num_true", 1) == 3
                  and c.kwargs.get("partition_strategy", "mod") == "div" for c in TF1)
    assert len(hung) == hanging >= 2
    passed = len(TF1) - hanging
    assert out.strip().splitlines()[-1] == f"conformance: {passed} passed, {len(hung)} failed"


def test_in_process_runs_show_the_same_failures_without_crashes():
    checks = run_target(Target(impl="wrong.ports:small_mask", op="sampled_softmax_loss"),
                        ["numpy"], isolate=False)
    isolated = run_target(Target(impl="wrong.ports:small_mask", op="sampled_softmax_loss"),
                          ["numpy"])
    assert [(c.case.id, c.status) for c in checks] == [(c.case.id, c.status) for c in isolated]
    assert report.verdict(checks)[1] > 0


def test_an_import_that_fails_is_an_argument_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["conform", "--backend", "numpy", "--impl", "wrong.no_such_module:f", "--op",
              "nce_loss"])
    assert exit_info.value.code == 2
    assert "--impl: cannot import 'wrong.no_such_module'" in capsys.readouterr().err


@pytest.mark.parametrize("in_process", [False, True], ids=["worker", "in-process"])
def test_an_import_that_raises_is_an_argument_error_naming_the_exception(
        tmp_path, monkeypatch, capsys, in_process):
    """The module's own error at import (not an ImportError) is one line naming it, exit
    2, in a worker and in process (a traceback and 'exited with status 1', or an
    uncaught traceback with exit 1, the status of failed checks, before)."""
    (tmp_path / "raising_port.py").write_text("raise RuntimeError('boom at import')\n")
    (tmp_path / "broken_port.py").write_text("def f(:\n")
    monkeypatch.chdir(tmp_path)
    for module, raised in (("raising_port", "RuntimeError: boom at import"),
                           ("broken_port", "SyntaxError: ")):
        with pytest.raises(SystemExit) as exit_info:
            main(["conform", "--backend", "numpy", "--impl", f"{module}:f", "--op", "nce_loss"]
                 + (["--in-process"] if in_process else []))
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert f"--impl: importing '{module}' raised {raised}" in err
        assert "Traceback" not in err


def test_an_import_that_hangs_is_bounded(tmp_path, monkeypatch, capsys):
    """A worker that does not finish importing is killed after the start-up limit (600 s,
    and a RuntimeError, before: now 120 s and an argument error)."""
    from candidate_sampling.conformance import isolation

    (tmp_path / "hanging_port.py").write_text("import time\ntime.sleep(600)\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(isolation, "STARTUP_TIMEOUT_S", 3.0)
    with pytest.raises(SystemExit) as exit_info:
        main(["conform", "--backend", "numpy", "--impl", "hanging_port:f", "--op", "nce_loss"])
    assert exit_info.value.code == 2
    assert ("--impl: the implementation and the array libraries were not imported within 3 s"
            in capsys.readouterr().err)


def test_exceptions_that_are_no_exception_fail_their_checks_by_name(tmp_path, monkeypatch,
                                                                    capsys):
    """A port raising KeyboardInterrupt (in the worker: no one pressed Ctrl-C) or
    GeneratorExit: each check fails naming it, bad-input checks included (they passed,
    and the worker's tracebacks flooded stderr, its value checks reported as 'killed by
    SIGINT')."""
    (tmp_path / "odd_port.py").write_text("def interrupt(*args, **kwargs):\n"
                                          "    raise KeyboardInterrupt\n"
                                          "def exit_generator(*args, **kwargs):\n"
                                          "    raise GeneratorExit\n")
    monkeypatch.chdir(tmp_path)
    runs = [("interrupt", []), ("exit_generator", []), ("exit_generator", ["--in-process"])]
    for function, extra in runs:
        assert main(["conform", "--backend", "numpy", "--impl", f"odd_port:{function}",
                     "--op", "sampled_softmax_loss", *extra]) == 1
        captured = capsys.readouterr()
        name = "KeyboardInterrupt" if function == "interrupt" else "GeneratorExit"
        assert "Traceback" not in captured.err
        rows = [line.split() for line in captured.out.splitlines()]
        assert ["tf2", "numpy", "errors", "0", "12"] in [r[:5] for r in rows]  # 2 n/a
        assert f"raised {name}, which is no Exception" in captured.out


@pytest.mark.parametrize("code,text", [(-11, "killed by SIGSEGV"), (-9, "killed by SIGKILL"),
                                       (3, "exited with status 3"), (0, "exited with status 0")])
def test_exit_descriptions(code, text):
    assert exit_description(code) == text


@pytest.mark.parametrize("value", ["0", "-1", "soon"])
def test_bad_timeout(value, monkeypatch, capsys):
    monkeypatch.setenv(TIMEOUT_ENV, value)
    with pytest.raises(SystemExit):
        main(["conform", "--backend", "numpy", "--impl", "wrong.ports:tf_port", "--op",
              "sampled_softmax_loss"])
    assert f"{TIMEOUT_ENV}: must be" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_timeout_variable_is_the_default(value, monkeypatch):
    """Set to nothing (``VAR= command``), as unset: it was an error "got ''"."""
    from candidate_sampling.conformance.command import _timeout
    from candidate_sampling.conformance.suite import ERROR_TIMEOUT_S

    monkeypatch.setenv(TIMEOUT_ENV, value)
    assert _timeout(argparse.Namespace(timeout=None)) == ERROR_TIMEOUT_S


@pytest.mark.parametrize("value", ["inf", "1e300", "nan", "86401", "0"])
@pytest.mark.parametrize("source", ["--timeout", TIMEOUT_ENV])
@pytest.mark.parametrize("mode", [[], ["--in-process"]])
def test_a_timeout_is_at_most_a_day(value, source, mode, monkeypatch, capsys):
    """Infinity (or any bound past a day) is one line and exit status 2, from the option
    as from the environment, before anything runs."""
    argv = ["conform", "--backend", "numpy", "--impl", "wrong.ports:tf_port", "--op",
            "sampled_softmax_loss", *mode]
    if source == "--timeout":
        argv += ["--timeout", value]
    else:
        monkeypatch.setenv(TIMEOUT_ENV, value)
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == (f"candidate-sampling conform: error: {source}: must be "
                                       f"in (0, 86400] seconds (at most a day), got "
                                       f"{float(value):g}\n")


def test_a_day_is_the_longest_timeout(capsys):
    assert main(["conform", "--backend", "numpy", "--impl", "wrong.ports:tf_port", "--op",
                 "sampled_softmax_loss", "--in-process", "--timeout", "86400"]) == 0
    assert " passed, 0 failed" in capsys.readouterr().out.strip().splitlines()[-1]
    with pytest.raises(ValueError, match=r"timeout: must be in \(0, 86400\] seconds"):
        run_target(Target(impl="wrong.ports:tf_port", op="sampled_softmax_loss"), ["numpy"],
                   timeout=float("inf"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is "
                    "Linux's; elsewhere a worker ends at its next read of the closed pipe")
def test_a_worker_ends_with_a_command_ended_by_sigterm(tmp_path):
    """``conform`` ended by SIGTERM (a CI timeout, ``kill``) while an implementation
    hangs: its worker kept running (for the hour the implementation sleeps), holding the
    command's output open."""
    import os
    import signal
    import subprocess
    import time

    (tmp_path / "sleepy.py").write_text("import pathlib, time\n\ndef f(**kw):\n"
                                        "    pathlib.Path('called').touch()\n"
                                        "    time.sleep(3600)\n")
    command = subprocess.Popen(
        [sys.executable, "-m", "candidate_sampling.cli", "conform", "--impl", "sleepy:f",
         "--op", "compute_accidental_hits", "--backend", "numpy"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(tmp_path)})

    def workers() -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:  # not a process, or one that has ended
                continue
            if (stat.rsplit(")", 1)[1].split()[1] == str(command.pid)
                    and b"conformance.isolation" in cmdline):
                found.append(int(entry.name))
        return found

    def running(pid: int) -> bool:  # a killed worker may stay a zombie: no cmdline
        try:
            return b"conformance.isolation" in Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return False

    started: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while not started and time.monotonic() < deadline:
            time.sleep(0.2)
            started = workers()
        assert started, "no worker started"
        while not (tmp_path / "called").exists() and time.monotonic() < deadline:
            time.sleep(0.2)  # until the worker runs the sleeping implementation
        assert (tmp_path / "called").exists(), "the implementation was not called"
        command.send_signal(signal.SIGTERM)
        command.wait(timeout=30)
        deadline = time.monotonic() + 30
        while any(map(running, started)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(map(running, started))
    finally:
        if command.poll() is None:
            command.kill()
        for pid in filter(running, started):
            os.kill(pid, signal.SIGKILL)

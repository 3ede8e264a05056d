"""Check an implementation against the golden TensorFlow/Paddle cases, the samplers'
statistical laws and the exact random streams.

Without --impl, checks candidate_sampling itself on every installed backend. Exit status
1 on any failure not listed in --xfail, else 0."""

from __future__ import annotations

import argparse
import sys

__all__ = ["configure", "run", "read_xfail"]


def configure(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``candidate-sampling conform``."""
    parser.add_argument("--backend", default="all",
                        help="numpy, array_api_strict, torch, torch.func, jax, cupy or all "
                             "(default); torch also names torch-cuda, jax also jax-jit")
    parser.add_argument("--impl", help="module:function of the implementation to check, or "
                                       "'tensorflow' for the installed TensorFlow itself")
    parser.add_argument("--op", help="operation the implementation provides, e.g. "
                                     "sampled_softmax_loss or log_uniform_candidate_sampler")
    parser.add_argument("--semantics", choices=["tf2", "tf1", "contrib", "paddle", "native"],
                        help="signature and defaults the implementation follows (native: "
                             "this library's own samplers)")
    parser.add_argument("--stream", choices=["tf2", "paddle", "none"], default="none",
                        help="the random stream the implementation reproduces bit for bit: "
                             "tf2 (TensorFlow 2's samplers after tf.random.set_seed), paddle "
                             "(Paddle 1.8.5's seeded sampler), none (default)")
    parser.add_argument("--set-seed", dest="set_seed",
                        help="module:function of the implementation's tf.random.set_seed "
                             "(for --stream tf2; default: set_seed of the --impl module)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds a check may take before it counts as a hang, at most "
                             "86400 (default $CANDIDATE_SAMPLING_CONFORM_TIMEOUT or 30; law "
                             "cases ten times that)")
    parser.add_argument("--in-process", action="store_true",
                        help="run an --impl in this process instead of a worker process (a "
                             "crash then ends the run; only bad-input cases are timed)")
    parser.add_argument("--xfail", help="file of case ids expected to fail (id or id@backend a line)")
    parser.add_argument("--json", help="write the results as JSON here")
    parser.add_argument("--junit", help="write JUnit XML here")


def read_xfail(path: str | None) -> set[str]:
    """Case ids (``id`` or ``id@backend``), one a line; ``#`` starts a comment."""
    if path is None:
        return set()
    try:
        with open(path, encoding="utf-8") as f:
            return {line.split("#", 1)[0].strip() for line in f} - {""}
    except OSError as exc:
        raise ValueError(f"--xfail: cannot read {path!r}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"--xfail: cannot read {path!r}: not UTF-8 text (byte "
                         f"{exc.object[exc.start]:#04x} at offset {exc.start})") from None


def _timeout(args: argparse.Namespace) -> float:
    import os

    from .isolation import TIMEOUT_ENV
    from .suite import ERROR_TIMEOUT_S, valid_timeout

    if args.timeout is not None:
        value, source = args.timeout, "--timeout"
    else:
        text = os.environ.get(TIMEOUT_ENV, "").strip()
        if not text:  # unset, or set to nothing: the default
            return ERROR_TIMEOUT_S
        try:
            value, source = float(text), TIMEOUT_ENV
        except ValueError:
            raise ValueError(f"{TIMEOUT_ENV}: must be a number of seconds, got {text!r}") from None
    return valid_timeout(value, source)


def _target(args: argparse.Namespace):
    from .targets import TENSORFLOW, Target

    if args.impl is not None and args.impl != TENSORFLOW and args.op is None:
        raise ValueError("--impl needs --op")
    if args.impl is None or args.impl == TENSORFLOW:  # what an implementation claims
        for option, given in (("--stream", args.stream != "none"),
                              ("--set-seed", args.set_seed is not None)):
            if given:
                raise ValueError(f"{option}: applies to an implementation given by --impl "
                                 f"(this library's and TensorFlow's streams are checked "
                                 f"as they are)")
    stream = args.stream
    if args.impl == TENSORFLOW:
        stream = "tf2"
    return Target(impl=args.impl, op=args.op, semantics=args.semantics, stream=stream,
                  set_seed=args.set_seed)


def run(args: argparse.Namespace) -> int:
    """Run the suite and print the report; 1 if a check failed, else 0."""
    from . import report
    from .suite import resolve_backends, run_target

    from ..cli import output_file

    target = _target(args)
    if target.is_tensorflow:
        if args.backend not in ("all", "tensorflow"):
            raise ValueError("--backend: --impl tensorflow runs on TensorFlow's own tensors "
                             "(backend 'tensorflow')")
        backends = ["tensorflow"]
    else:
        backends = resolve_backends(args.backend)
    xfail = read_xfail(args.xfail)
    timeout = _timeout(args)
    json_path = None if args.json is None else output_file(args.json, "--json")
    junit_path = None if args.junit is None else output_file(args.junit, "--junit")
    tty = sys.stdout.isatty()
    checks = run_target(target, backends, xfail=xfail,
                        progress=report.progress_printer(sys.stderr) if sys.stderr.isatty() else None,
                        isolate=False if args.in_process else None, timeout=timeout)
    print(report.render_table(report.summarize(checks), tty=tty))
    for text in (report.digest(checks), report.failures(checks), report.not_applicable(checks),
                 report.xfail_notes(checks, xfail)):
        if text:
            print(text)
    print(report.summary_line(checks))
    for option, path, write in (("--json", json_path, report.to_json),
                                ("--junit", junit_path, report.to_junit)):
        if path is not None:  # its folder made only now: a refused run leaves none
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                with open(path, "w", encoding="utf-8") as f:
                    write(checks, f)
            except OSError as exc:  # a full disk, /dev/full: the one-line error
                raise ValueError(f"{option}: cannot write {str(path)!r}: "
                                 f"{exc.strerror or exc}") from None
    return 1 if report.verdict(checks)[1] else 0

"""The ``candidate-sampling`` command."""

from __future__ import annotations

import argparse
import importlib
import sys

from . import __version__

__all__ = ["main"]


def _cases(args: argparse.Namespace) -> int:
    from .conformance.vectors import load_cases

    cases = load_cases()
    counts: dict[tuple[str, str], int] = {}
    for case in cases:
        counts[(case.op, case.api)] = counts.get((case.op, case.api), 0) + 1
    width = max(len(op) for op, _ in counts)
    for (op, api), n in sorted(counts.items()):
        print(f"{op:<{width}}  {api:<8} {n:>4}")
    print(f"{len(cases)} golden cases")
    return 0


def _read_xfail(path: str | None) -> set[str]:
    """Case ids (``id`` or ``id@backend``), one a line; ``#`` starts a comment."""
    if path is None:
        return set()
    with open(path, encoding="utf-8") as f:
        return {line.split("#", 1)[0].strip() for line in f} - {""}


def _conform(args: argparse.Namespace) -> int:
    from .conformance import report
    from .conformance.suite import load_impl, resolve_backends, run_checks, select_cases

    if args.impl is not None and args.op is None:
        raise ValueError("--impl needs --op")
    impl = load_impl(args.impl) if args.impl else None
    semantics = args.semantics
    if args.op is not None and semantics is None:
        origins = sorted({c.api for c in select_cases(op=args.op)})
        if not origins:
            raise ValueError(f"--op: no golden cases for {args.op!r}")
        semantics = "tf2" if "tf2" in origins else origins[0]
    cases = select_cases(op=args.op, semantics=semantics)
    if not cases:
        raise ValueError(f"--semantics: no golden cases of {args.op!r} with semantics {semantics!r}")
    backends = resolve_backends(args.backend)
    tty = sys.stdout.isatty()

    def progress(done: int, total: int, check) -> None:
        if tty and (done % 25 == 0 or done == total):
            print(f"\r  {done}/{total} checks", end="" if done < total else "\n", flush=True)

    checks = run_checks(cases, backends, impl=impl, xfail=_read_xfail(args.xfail),
                        progress=progress)
    print(report.render_table(report.summarize(checks), tty=tty))
    bad = report.failures(checks)
    if bad:
        print(bad)
    print(report.summary_line(checks))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            report.to_json(checks, f)
    if args.junit:
        with open(args.junit, "w", encoding="utf-8") as f:
            report.to_junit(checks, f)
    return 1 if report.verdict(checks)[1] else 0


COMMAND_MODULES: dict[str, tuple[str, str]] = {
    "bench": ("candidate_sampling.benchmarks.command", "time steps and samplers against peers"),
    "demo": ("candidate_sampling.demo.command", "train with sampled softmax and full softmax, and compare"),
}
"""Subcommands that live in their own module: name -> (module, one-line help).

Each module defines ``configure(parser)`` (its arguments) and ``run(args) -> int``; it is
imported when the parser is built, so it imports heavy libraries only inside ``run``."""


def _add_module_commands(sub) -> None:
    for name, (module_name, help_text) in COMMAND_MODULES.items():
        module = importlib.import_module(module_name)
        parser = sub.add_parser(name, help=help_text, description=module.__doc__)
        module.configure(parser)
        parser.set_defaults(run=module.run)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``candidate-sampling`` command."""
    parser = argparse.ArgumentParser(prog="candidate-sampling",
                                     description="Candidate-sampling losses on any array library.")
    parser.add_argument("--version", action="version", version=f"candidate-sampling {__version__}")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("cases", help="count the golden cases per op and origin").set_defaults(run=_cases)
    conform = sub.add_parser(
        "conform", help="check an implementation against the golden TensorFlow/Paddle cases",
        description="Without --impl, checks candidate_sampling itself on every installed "
                    "backend. Exit status 1 on any failure not listed in --xfail.")
    conform.add_argument("--backend", default="all",
                         help="numpy, array_api_strict, torch, jax, cupy or all (default)")
    conform.add_argument("--impl", help="module:function of the implementation to check")
    conform.add_argument("--op", help="operation the implementation provides, e.g. sampled_softmax_loss")
    conform.add_argument("--semantics", choices=["tf2", "tf1", "contrib", "paddle"],
                         help="signature and defaults the implementation follows")
    conform.add_argument("--xfail", help="file of case ids expected to fail (id or id@backend a line)")
    conform.add_argument("--json", help="write the results as JSON here")
    conform.add_argument("--junit", help="write JUnit XML here")
    conform.set_defaults(run=_conform)
    _add_module_commands(sub)
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 0
    try:
        return args.run(args)
    except ValueError as exc:  # a bad argument: say which, no traceback
        parser.exit(2, f"candidate-sampling {args.command}: error: {exc}\n")


if __name__ == "__main__":
    sys.exit(main())

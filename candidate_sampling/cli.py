"""The ``candidate-sampling`` command."""

from __future__ import annotations

import argparse
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


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``candidate-sampling`` command."""
    parser = argparse.ArgumentParser(prog="candidate-sampling",
                                     description="Candidate-sampling losses on any array library.")
    parser.add_argument("--version", action="version", version=f"candidate-sampling {__version__}")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("cases", help="count the golden cases per op and origin").set_defaults(run=_cases)
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 0
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())

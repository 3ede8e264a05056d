"""The ``candidate-sampling`` command."""

from __future__ import annotations

import argparse
import errno
import importlib
import math
import os
import sys
import tempfile
from pathlib import Path

from . import __version__

__all__ = ["main", "output_directory", "output_file", "whole_number"]


def output_directory(path: str | Path, option: str, names: tuple[str, ...] = ()) -> Path:
    """``path`` as a directory that exists (made, with its parents, where missing) and
    takes new files, the files ``names`` among them (none of them a folder); a
    ``ValueError`` naming ``option`` where it cannot. Commands check where they write
    before they run, not after minutes of work."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{option}: {str(path)!r} is a file, not a folder")
    for name in names:
        if (path / name).is_dir():
            raise ValueError(f"{option}: {str(path / name)!r}, where a result is written, "
                             f"is a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise ValueError(f"{option}: cannot write files in {str(path)!r}: "
                         f"{exc.strerror or exc}") from None
    return path


def output_file(path: str | Path, option: str) -> Path:
    """``path`` as a file that can be written; a ``ValueError`` naming ``option`` where it
    cannot. Its folder is not made here: the nearest existing one must take new files, and
    the caller makes the rest (``path.parent.mkdir(parents=True, exist_ok=True)``) when
    it writes, so a run refused later leaves no folder behind."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{option}: {str(path)!r} is a directory; give a file name")
    existing = next(p for p in (path.parent, *path.parent.parents) if p.exists())
    if existing != path.parent and not existing.is_dir():  # as output_directory says it
        raise ValueError(f"{option}: cannot write files in {str(path.parent)!r}: "
                         f"{os.strerror(errno.ENOTDIR)}")
    output_directory(existing, option)
    return path


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


COMMAND_MODULES: dict[str, tuple[str, str]] = {
    "bench": ("candidate_sampling.benchmarks.command", "time steps and samplers against peers"),
    "conform": ("candidate_sampling.conformance.command", "check an implementation against TensorFlow and Paddle"),
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


class _Parser(argparse.ArgumentParser):
    """A parser whose errors are one line, as the commands' own (argparse printed its
    usage first); ``--help`` shows the usage."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def whole_number(text: str) -> int:
    """An ``int`` from ``text`` such as ``200000``, ``2e5`` or ``2_000_000`` (the help
    and docs write class counts as ``2e5``); for ``type=`` of an argument."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value.is_integer()):
        raise argparse.ArgumentTypeError(f"invalid whole number: {text!r}")
    return int(value)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``candidate-sampling`` command."""
    parser = _Parser(prog="candidate-sampling",
                     description="Candidate-sampling losses on any array library.")
    parser.add_argument("--version", action="version", version=f"candidate-sampling {__version__}")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("cases", help="count the golden cases per op and origin").set_defaults(run=_cases)
    _add_module_commands(sub)
    args, extra = parser.parse_known_args(argv)
    if extra:  # named by the command's parser, which argparse's parse_args left to the top's
        sub.choices.get(args.command, parser).error(
            f"unrecognized arguments: {' '.join(extra)}")
    if not hasattr(args, "run"):
        parser.print_help()
        return 0
    try:
        return args.run(args)
    except ValueError as exc:  # a bad argument: say which, no traceback
        parser.exit(2, f"candidate-sampling {args.command}: error: {exc}\n")
    except KeyboardInterrupt:  # Ctrl-C: one line and the shell's status for SIGINT
        parser.exit(130, f"\ncandidate-sampling {args.command}: interrupted\n")


if __name__ == "__main__":
    sys.exit(main())

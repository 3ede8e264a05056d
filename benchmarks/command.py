"""Benchmark the training steps and samplers on each backend against TensorFlow, a naive
PyTorch port, the bare matmul floor and full softmax; print the medians, ratios and
targets, and write results.md, results.json and PNG charts to --out.

Ours and the peers run interleaved (ours, peer, ours, peer, ...) so that machine drift
cancels in the ratios. A full run takes about a quarter of an hour on a 2-core CPU;
--quick a few minutes."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from candidate_sampling.cli import whole_number

__all__ = ["configure", "run", "BACKEND_CHOICES"]

BACKEND_CHOICES = ("numpy", "torch", "jax", "cupy", "all")


def configure(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``candidate-sampling bench``."""
    parser.add_argument("--backend", default="all",
                        help="numpy, torch, jax, cupy or all (default: every one usable here)")
    parser.add_argument("--quick", action="store_true",
                        help="three numbers of classes (1e4, 2e5, 2e6), 3 rounds: a few minutes")
    parser.add_argument("--out", type=Path, default=Path("bench-results"),
                        help="directory for results.md, results.json and the PNG charts "
                             "(default: bench-results)")
    parser.add_argument("--no-peers", action="store_true",
                        help="measure neither TensorFlow nor the naive PyTorch port")
    parser.add_argument("--classes", type=whole_number, nargs="+", metavar="V",
                        help="numbers of classes to sweep instead of the preset's")
    parser.add_argument("--rounds", type=whole_number, help="interleaved rounds instead of the preset's")
    parser.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)  # tests


def _backends(choice: str) -> list[str]:
    from .suite import available_backends

    if choice not in BACKEND_CHOICES:
        raise ValueError(f"--backend: must be one of {', '.join(BACKEND_CHOICES)}, got {choice!r}")
    usable = available_backends()
    if choice == "all":
        return usable
    if choice not in usable:
        raise ValueError(f"--backend: {choice} is not usable here (not installed"
                         f"{', or no GPU' if choice == 'cupy' else ''}); usable: {', '.join(usable)}")
    return [choice]


def run(args: argparse.Namespace) -> int:
    """Run the benchmark; exit status 0."""
    from .config import PRESETS
    from .plots import chart_names, write_plots
    from .report import RESULT_NAMES, summary, write_results
    from .suite import run_suite

    from candidate_sampling.cli import output_directory

    mode = "tiny" if args.tiny else "quick" if args.quick else "full"
    config = PRESETS[mode]
    if args.rounds is not None:
        if args.rounds < 1:
            raise ValueError(f"--rounds: must be >= 1, got {args.rounds}")
        config = replace(config, rounds=args.rounds)
    if args.classes:
        smallest = max(config.num_sampled, 2)
        bad = [v for v in args.classes if v < smallest]
        if bad:
            raise ValueError(f"--classes: every number must be >= num_sampled = {smallest} "
                             f"(the classes a step samples), got {bad[0]}")
        config = replace(config, classes=tuple(sorted(set(args.classes))))
    backends = _backends(args.backend)
    # made once every argument is right
    out = output_directory(args.out, "--out", RESULT_NAMES + chart_names())
    log = lambda line: print(line, file=sys.stderr, flush=True)
    log(f"candidate-sampling bench ({mode}): {', '.join(backends)}; "
        f"V in {', '.join(f'{v:,}' for v in config.classes)}")
    results = run_suite(config, backends, peers=not args.no_peers, log=log)
    title = f"candidate-sampling bench ({mode})"
    print(summary(results, title))
    written = write_results(results, out, title) + write_plots(results, out)
    print("wrote " + ", ".join(str(p) for p in written))
    return 0

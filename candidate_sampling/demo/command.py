"""Train a softmax classifier over many classes with sampled softmax, and the same model
with the full softmax for the same time, on a synthetic corpus whose best possible
perplexity is known; print how they compare and draw their learning curves."""

from __future__ import annotations

import argparse
import math
import sys

from ..cli import whole_number
from ..core.checks import check_int, check_memory

__all__ = ["DEFAULT_SECONDS", "MAX_CLASSES", "MAX_DIM", "MAX_LOGITS", "configure",
           "memory_needed", "run"]

CHART_NAME = "learning_curves.png"
"""The chart the demo writes into ``--out``."""
DEFAULT_SECONDS = 25.0
"""Training time of each method when neither ``--seconds`` nor ``--steps`` is given."""
MAX_CLASSES = 2_000_000
MAX_DIM = 1024
MAX_LOGITS = 1 << 28
"""Most logits a full-softmax step may compute (``--batch-size`` times ``--classes``):
1 GiB in float32, a few times that in all."""


def configure(parser: argparse.ArgumentParser) -> None:
    """The ``demo`` command's arguments."""
    from .train import Settings

    d = Settings()
    parser.add_argument("--backend", default="numpy",
                        help="numpy (default), torch, jax or cupy")
    parser.add_argument("--seed", type=whole_number, default=d.seed,
                        help=f"seed of the data, the initial weights and the sampler (default {d.seed})")
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--seconds", type=float,
                        help=f"training time of each method (default {DEFAULT_SECONDS:g})")
    budget.add_argument("--steps", type=whole_number,
                        help="train each method for this many steps instead (equal steps, "
                             "deterministic)")
    parser.add_argument("--classes", type=whole_number, default=d.num_classes,
                        help=f"number of classes (default {d.num_classes:,})")
    parser.add_argument("--dim", type=whole_number, default=d.dim,
                        help=f"features of a context (default {d.dim})")
    parser.add_argument("--batch-size", type=whole_number, default=d.batch_size,
                        help=f"examples a step (default {d.batch_size})")
    parser.add_argument("--num-sampled", type=whole_number, default=d.num_sampled,
                        help=f"classes sampled a step (default {d.num_sampled})")
    parser.add_argument("--learning-rate", type=float, default=d.learning_rate,
                        help=f"of SGD, for both methods (default {d.learning_rate:g})")
    parser.add_argument("--evaluations", type=whole_number, default=6,
                        help="held-out evaluations during each run (default 6)")
    parser.add_argument("--out", default="candidate-sampling-demo",
                        help="folder of the learning-curve chart (default ./candidate-sampling-demo)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def _check_positive(value: float, name: str) -> float:
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name}: must be a finite number > 0, got {value!r}")
    return float(value)


def _check_bounded(value: int, name: str, maximum: int, why: str) -> int:
    """``check_int(value, name, 1, maximum)``, saying ``why`` there is a maximum."""
    try:
        return check_int(value, name, minimum=1, maximum=maximum)
    except ValueError as exc:
        raise ValueError(f"{exc} ({why})") from None


def _settings_and_budget(args: argparse.Namespace):
    """``(Settings, Budget)`` from the arguments; ``ValueError`` naming a bad option."""
    from .train import Budget, Settings

    classes = check_int(args.classes, "--classes", minimum=2, maximum=MAX_CLASSES)
    settings = Settings(
        num_classes=classes,
        dim=check_int(args.dim, "--dim", minimum=1, maximum=MAX_DIM),
        batch_size=_check_bounded(args.batch_size, "--batch-size", MAX_LOGITS // classes,
                                  f"a full-softmax step has batch size x classes logits, "
                                  f"at most {MAX_LOGITS:,}"),
        num_sampled=_check_bounded(args.num_sampled, "--num-sampled", classes,
                                   "at most --classes"),
        learning_rate=_check_positive(args.learning_rate, "--learning-rate"),
        seed=check_int(args.seed, "--seed", minimum=0, maximum=2**63 - 1),
    )
    evaluations = check_int(args.evaluations, "--evaluations", minimum=1, maximum=1000)
    if args.steps is not None:
        budget = Budget(steps=check_int(args.steps, "--steps", minimum=1), evaluations=evaluations)
    else:
        seconds = DEFAULT_SECONDS if args.seconds is None else args.seconds
        budget = Budget(seconds=_check_positive(seconds, "--seconds"), evaluations=evaluations)
    return settings, budget


def memory_needed(num_classes: int, dim: int, batch_size: int) -> int:
    """Bytes the demo holds at its peak, an upper estimate. Per entry of the ``[V, D]``
    weights: 12 bytes while they are drawn (in float64, then cast to float32), 20 in
    training (the initial weights, the trainer's own, the full softmax's dense gradient,
    JAX's copy to compile on and its update); and 12 bytes per entry of the full
    softmax's ``[B, V]`` logits (the logits, probabilities and their gradient)."""
    return 20 * num_classes * dim + 12 * batch_size * num_classes


def run(args: argparse.Namespace) -> int:
    """Run the demo; 0 on success. Bad options and a missing backend raise ``ValueError``
    (the command line turns it into one line and exit status 2)."""
    settings, budget = _settings_and_budget(args)
    check_memory(memory_needed(settings.num_classes, settings.dim, settings.batch_size),
                 "--classes, --dim", f"a demo of {settings.num_classes:,} classes of "
                 f"{settings.dim} features")
    from ..cli import output_directory
    from .trainers import check_backend

    check_backend(args.backend)
    out = output_directory(args.out, "--out", (CHART_NAME,))
    from .corpus import make_corpus, optimal_perplexity, popularity_perplexity
    from .model import initial_params
    from .progress import ProgressBar
    from .report import BACKEND_NAMES, comparison_lines, setup_lines, write_chart
    from .train import train
    from .trainers import make_trainer

    s = settings
    corpus = make_corpus(s.num_classes, s.dim, seed=s.seed)
    ideal, popularity = optimal_perplexity(corpus), popularity_perplexity(corpus)
    print("\n".join(setup_lines(args.backend, s, corpus, budget, ideal, popularity)), flush=True)
    weights, biases = initial_params(s.num_classes, s.dim, s.seed)
    held_out = corpus.inputs(corpus.held_out)
    runs = {}
    for method, label in (("sampled", "sampled softmax"), ("full", "full softmax")):
        if method == "full" and budget.steps is None:  # the same training time as sampled
            budget = budget._replace(seconds=runs["sampled"].seconds)
        trainer = make_trainer(args.backend, method, weights, biases, s, held_out)
        bar = None if args.quiet else ProgressBar(label)
        runs[method] = train(trainer, corpus, s.batch_size, budget,
                             progress=None if bar is None else bar.update)
        if bar is not None:
            bar.close()
    print()
    print("\n".join(comparison_lines(runs["sampled"], runs["full"], budget, ideal)))
    title = (f"Held-out perplexity, {s.num_classes:,} classes, {BACKEND_NAMES[args.backend]}")
    path = write_chart(out / CHART_NAME, runs["sampled"], runs["full"],
                       ideal, title)
    print(f"learning curves: {path}")
    sys.stdout.flush()
    return 0

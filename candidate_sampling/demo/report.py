"""What the demo prints and draws: the set-up, the comparison of the two runs, and the
learning curves as a PNG."""

from __future__ import annotations

import os
from pathlib import Path

from .corpus import Corpus
from .train import Budget, Run, Settings

__all__ = ["BACKEND_NAMES", "comparison_lines", "first_reaching", "setup_lines", "write_chart"]

BACKEND_NAMES = {"numpy": "NumPy", "torch": "PyTorch", "jax": "JAX", "cupy": "CuPy"}
"""How the printout names each backend."""


def _budget_text(budget: Budget) -> str:
    if budget.steps is not None:
        return f"{budget.steps:,} steps of each method"
    return f"{budget.seconds:g} s of training for each method (evaluations not counted)"


def setup_lines(backend: str, settings: Settings, corpus: Corpus, budget: Budget,
                ideal: float, popularity: float) -> list[str]:
    """The set-up: data, model, budget and the two reference perplexities."""
    s = settings
    num_topics = int(corpus.topic_vectors.shape[0])
    return [
        f"Sampled softmax against full softmax on {BACKEND_NAMES[backend]} (seed {s.seed})",
        (f"data    {s.num_classes:,} classes in {num_topics:,} topics, Zipf law; "
         f"{corpus.features.shape[0]:,} contexts of {s.dim} features;"),
        (f"        {corpus.train.labels.shape[0]:,} training and "
         f"{corpus.held_out.labels.shape[0]:,} held-out examples"),
        (f"model   softmax regression x . W^T + b, W [{s.num_classes:,}, {s.dim}]; "
         f"SGD, learning rate {s.learning_rate:g}, batch {s.batch_size}"),
        f"        sampled softmax: {s.num_sampled:,} classes a step from the log-uniform sampler",
        f"budget  {_budget_text(budget)}",
        (f"held-out perplexity of the true law (ideal): {ideal:,.0f}; "
         f"of class popularity alone: {popularity:,.0f}"),
    ]


def first_reaching(run: Run, perplexity: float) -> float | None:
    """Training seconds of ``run``'s first evaluation after a step at or below
    ``perplexity`` (``None`` if none is)."""
    return next((p.seconds for p in run.curve if p.step > 0 and p.perplexity <= perplexity),
                None)


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.1f} ms" if seconds < 1 else f"{seconds:,.2f} s"


def comparison_lines(sampled: Run, full: Run, budget: Budget, ideal: float) -> list[str]:
    """The table of the two runs and what it shows."""
    rows = [
        ("steps", f"{sampled.steps:,}", f"{full.steps:,}"),
        ("time per step", _ms(sampled.step_seconds), _ms(full.step_seconds)),
        ("training time", f"{sampled.seconds:,.1f} s", f"{full.seconds:,.1f} s"),
        ("held-out perplexity", _perplexity(sampled.final.perplexity),
         _perplexity(full.final.perplexity)),
        ("held-out recall@10", f"{sampled.final.recall:.3f}", f"{full.final.recall:.3f}"),
    ]
    lines = [f"{'':<22}{'sampled softmax':>17}{'full softmax':>15}"]
    lines += [f"{name:<22}{a:>17}{b:>15}" for name, a, b in rows]
    speedup = full.step_seconds / sampled.step_seconds
    s_ppl, f_ppl = sampled.final.perplexity, full.final.perplexity
    lines += ["", f"speed-up per step: {_times(speedup)}"]
    equal = "equal steps" if budget.steps is not None else "equal training time"
    lines.append(f"at {equal}: held-out perplexity {_perplexity(s_ppl)} with sampled softmax, "
                 f"{_perplexity(f_ppl)} with full softmax (ideal {ideal:,.0f})")
    reached = first_reaching(sampled, f_ppl) if f_ppl <= PERPLEXITY_SHOWN else None
    if reached is not None and reached < full.seconds:
        lines.append(f"sampled softmax reached full softmax's final perplexity within "
                     f"{reached:,.1f} s of training, {_times(full.seconds / reached)} sooner "
                     f"than full softmax's {full.seconds:,.1f} s")
    if budget.steps is not None:
        lines.append("At equal steps this compares what a step learns; leave out --steps to "
                     "compare the two at equal training time.")
    elif s_ppl < f_ppl:
        lines.append("A full-softmax step computes the logits of every class and updates every "
                     "row; a sampled step only those of the batch's and the sampled classes, so "
                     "in the same time sampled softmax takes many more steps and learns more.")
    else:
        lines.append("Here full softmax did as well: with few classes a full step costs little "
                     "more than a sampled one; sampling pays off as the number of classes grows.")
    return lines


def _perplexity(value: float) -> str:
    """``1,234``; ``diverged`` for a run whose loss grew past anything a softmax over the
    classes gives (a learning rate too large: NaN, infinite, or above 10^12)."""
    return f"{value:,.0f}" if value <= PERPLEXITY_SHOWN else "diverged"


PERPLEXITY_SHOWN = 1e12
"""The largest held-out perplexity printed as a number."""


def _times(ratio: float) -> str:
    """``83x``, ``6.0x``; below 1 two significant digits (``0.048x``), not ``0.0x``."""
    if ratio >= 10:
        return f"{ratio:,.0f}x"
    return f"{ratio:.1f}x" if ratio >= 1 or not ratio > 0 else f"{ratio:.2g}x"


def write_chart(path: str | os.PathLike, sampled: Run, full: Run, ideal: float,
                title: str) -> Path:
    """The held-out perplexity of both runs against training seconds, with the ideal, as
    a PNG at ``path`` (log scale on the perplexity)."""
    from ..plot import Series, line_chart

    end = max(sampled.seconds, full.seconds)
    series = [
        Series("sampled softmax", [p.seconds for p in sampled.curve],
               [p.perplexity for p in sampled.curve]),
        Series("full softmax", [p.seconds for p in full.curve],
               [p.perplexity for p in full.curve], style="dashed"),
        Series(f"ideal: the true law, {ideal:,.0f}", [0.0, end], [ideal, ideal],
               style="dotted", marker=False),
    ]
    return line_chart(path, series, title=title, xlabel="training time (s)",
                      ylabel="held-out perplexity", log_y=True)

"""The training loop: steps of a trainer under a budget of wall-clock seconds or of
steps, with held-out evaluations at regular intervals (not counted in the time)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import numpy as np

from .corpus import Corpus
from .model import Scores

__all__ = ["METHODS", "Budget", "Point", "Run", "Settings", "Trainer", "train"]

METHODS = ("sampled", "full")
"""``'sampled'``: sampled softmax (log-uniform negatives); ``'full'``: the softmax over
every class."""


@dataclass(frozen=True)
class Settings:
    """The model and its training, shared by both methods.

    Attributes:
      num_classes: ``V``.
      dim: ``D``, the features of a context.
      batch_size: examples per step.
      num_sampled: ``S``, the classes sampled per step by sampled softmax.
      learning_rate: of plain SGD on the mean loss of a batch.
      seed: of the corpus, the initial weights and the sampler.
    """

    num_classes: int = 100_000
    dim: int = 32
    batch_size: int = 256
    num_sampled: int = 1024
    learning_rate: float = 10.0
    seed: int = 0


class Budget(NamedTuple):
    """Train for ``seconds`` of training time, or for ``steps`` steps (the other is
    ``None``), evaluating ``evaluations`` times on the way (and once before)."""

    seconds: float | None = None
    steps: int | None = None
    evaluations: int = 8

    def fraction(self, seconds: float, steps: int) -> float:
        """How much of the budget ``seconds`` of training and ``steps`` steps have used."""
        return seconds / self.seconds if self.steps is None else steps / self.steps


class Point(NamedTuple):
    """An evaluation: after ``step`` steps and ``seconds`` of training."""

    seconds: float
    step: int
    perplexity: float
    recall: float


class Run(NamedTuple):
    """A finished training run of one method."""

    method: str
    steps: int
    seconds: float
    curve: tuple[Point, ...]
    loss: float
    """The running mean of the training loss at the end (sampled softmax's own loss for
    ``'sampled'``, not comparable with the full cross entropy)."""

    @property
    def step_seconds(self) -> float:
        """Mean training time of a step."""
        return self.seconds / max(self.steps, 1)

    @property
    def final(self) -> Point:
        """The last evaluation."""
        return self.curve[-1]


class Trainer(Protocol):
    """One method on one backend: the parameters, a training step and the evaluation."""

    method: str

    def warm_up(self, inputs: np.ndarray, labels: np.ndarray) -> None:
        """Compile or allocate what the first step needs, leaving the parameters as they are."""

    def step(self, inputs: np.ndarray, labels: np.ndarray) -> float:
        """One SGD step on a batch (``[B, D]`` float32, ``[B]`` int64 NumPy arrays);
        returns the mean training loss, once the step is done on the device."""

    def evaluate(self) -> Scores:
        """Full-softmax scores of the current parameters on the held-out examples."""


_SMOOTHING = 0.05
"""Weight of the newest step in the running training loss."""


def train(trainer: Trainer, corpus: Corpus, batch_size: int, budget: Budget,
          progress: Callable[[float, int, float], None] | None = None) -> Run:
    """Train ``trainer`` on ``corpus``'s training batches, in order, until ``budget`` is
    spent.

    The training time is the wall-clock time of the steps, each of which takes its batch
    and waits for the device; :meth:`Trainer.warm_up` and the evaluations are not
    counted. The held-out evaluations are made before the first step, each time another
    ``1 / budget.evaluations`` of the budget is spent, and after the last step.
    ``progress(fraction, steps, running_loss)`` is called after every step.
    """
    trainer.warm_up(*corpus.batch(0, batch_size))
    start = trainer.evaluate()
    curve = [Point(0.0, 0, start.perplexity, start.recall)]
    seconds, steps, running = 0.0, 0, float("nan")
    next_mark = 1
    while budget.fraction(seconds, steps) < 1.0:
        began = time.perf_counter()
        loss = trainer.step(*corpus.batch(steps, batch_size))
        seconds += time.perf_counter() - began
        steps += 1
        running = loss if steps == 1 else (1 - _SMOOTHING) * running + _SMOOTHING * loss
        fraction = budget.fraction(seconds, steps)
        if progress is not None:
            progress(min(fraction, 1.0), steps, running)
        if fraction * budget.evaluations >= next_mark or fraction >= 1.0:
            scores = trainer.evaluate()
            curve.append(Point(seconds, steps, scores.perplexity, scores.recall))
            next_mark = int(fraction * budget.evaluations) + 1
    return Run(trainer.method, steps, seconds, tuple(curve), running)

"""What ``candidate-sampling bench`` measures: shapes, the sweep of ``num_classes``, rounds,
and the limits that skip a case; the full, quick and tiny (test) presets."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from .bench_step import StepShape

__all__ = ["BenchConfig", "FULL", "QUICK", "TINY", "PRESETS"]


@dataclass(frozen=True)
class BenchConfig:
    """One benchmark run.

    Attributes:
      batch, dim, num_sampled: ``B``, ``D``, ``S`` of every training step.
      classes: the sweep of ``V`` (number of classes), increasing.
      default_classes: the ``V`` the per-shape targets are judged at.
      sampler_num_sampled, sampler_range_max: the sampler benchmark (unique log-uniform).
      rounds: interleaved rounds (ours, peers, ours, peers, ...); ``number``: timed calls
        per runner and round, at most; ``round_budget_s``: fewer calls (at least one) once
        a runner's calls of a round have taken that long.
      full_max_classes, full_max_step_s: full softmax is measured up to that ``V`` while a
        step is predicted (linear in ``V`` from the last one measured) to take at most
        that long; always at ``default_classes``.
      flat_small, flat_big: the two ``V`` whose step times the flatness target compares.
      memory_fraction: a case runs when its estimated memory is at most this fraction of
        the memory available when it starts.
    """

    batch: int = 512
    dim: int = 256
    num_sampled: int = 4096
    classes: tuple[int, ...] = (10_000, 20_000, 100_000, 200_000, 1_000_000, 2_000_000,
                                10_000_000)
    default_classes: int = 200_000
    sampler_num_sampled: int = 8192
    sampler_range_max: int = 1_000_000
    rounds: int = 7
    number: int = 5
    round_budget_s: float = 1.0
    full_max_classes: int = 1_000_000
    full_max_step_s: float = 4.0
    flat_small: int = 20_000
    flat_big: int = 2_000_000
    memory_fraction: float = 0.7

    def __post_init__(self) -> None:
        for name in ("batch", "dim", "num_sampled", "default_classes", "sampler_num_sampled",
                     "sampler_range_max", "rounds", "number", "flat_small", "flat_big"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: must be an integer >= 1, got {value!r}")
        if not self.classes or any(not isinstance(v, int) or v < 1 for v in self.classes):
            raise ValueError(f"classes: must be integers >= 1, got {self.classes!r}")
        if max(self.num_sampled, 2) > min(self.classes):
            raise ValueError(f"classes: every number of classes must be >= num_sampled = "
                             f"{self.num_sampled}, got {min(self.classes)}")
        if self.sampler_num_sampled > self.sampler_range_max:
            raise ValueError(f"sampler_num_sampled: must be in [1, sampler_range_max = "
                             f"{self.sampler_range_max}], got {self.sampler_num_sampled}")

    def shape(self, num_classes: int) -> StepShape:
        """The step shape at ``num_classes``."""
        return StepShape(self.batch, self.dim, self.num_sampled, num_classes)

    def as_dict(self) -> dict:
        return asdict(self)


FULL = BenchConfig()
"""The full run: ``V`` from 10^4 to 10^7, 7 rounds."""

QUICK = replace(FULL, classes=(10_000, 200_000, 2_000_000), rounds=3, number=3,
                round_budget_s=0.25, full_max_step_s=3.0)
"""``--quick``: three ``V``, 3 rounds, shorter rounds."""

TINY = BenchConfig(batch=8, dim=16, num_sampled=32, classes=(200, 2_000), default_classes=2_000,
                   sampler_num_sampled=64, sampler_range_max=1_000, rounds=1, number=1,
                   round_budget_s=0.05, full_max_classes=2_000, flat_small=200, flat_big=2_000)
"""Tiny shapes and one round, for the tests of the command."""

PRESETS = {"full": FULL, "quick": QUICK, "tiny": TINY}

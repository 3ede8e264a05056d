"""Log-uniform candidate samplers written the ways ports get them wrong (NumPy, on the
host, TensorFlow's signature).

``log_uniform`` gets everything right (it passes every law case); each other function
differs from it by one mistake, named in its docstring.
"""

from __future__ import annotations

import numpy as np


def probability(ids: np.ndarray, range_max: int) -> np.ndarray:
    """TensorFlow's float32 ``p(v) = log((v + 2) / (v + 1)) / log(range_max + 1)``."""
    v = np.asarray(ids, dtype=np.float64)
    return (np.log((v + 2.0) / (v + 1.0)) / np.log1p(range_max)).astype(np.float32)


def draw(rng: np.random.Generator, n: int, range_max: int, off_by_one: bool = False) -> np.ndarray:
    u = rng.random(n)
    v = np.floor(np.exp(u * np.log1p(range_max))).astype(np.int64)
    return (v if off_by_one else v - 1) % range_max


def expected_count(p: np.ndarray, tries: int, num_sampled: int, rule: str = "tf") -> np.ndarray:
    p = np.asarray(p, dtype=np.float32)
    if rule == "raw":
        return p
    if rule == "p_times_s" or (rule == "tf" and tries == num_sampled):
        return p * np.float32(num_sampled)
    return -np.expm1(np.float32(tries) * np.log1p(-p))


def sample(true_classes, num_true, num_sampled, unique, range_max, seed=None, *,
           off_by_one=False, with_replacement=False, rule="tf", tries_times=None,
           check_ranges=True):
    true_classes = np.asarray(true_classes)
    if true_classes.ndim != 2 or true_classes.shape[1] != num_true:
        raise ValueError("true_classes: expected [batch_size, num_true]")
    if unique and num_sampled > range_max:
        raise ValueError("num_sampled: at most range_max when unique")
    if check_ranges and min(num_true, num_sampled, range_max) < 1:
        raise ValueError("num_true, num_sampled, range_max: must be >= 1")
    if check_ranges and true_classes.size and not (
            0 <= true_classes.min() and true_classes.max() < range_max):
        raise ValueError("true_classes: every id must be in [0, range_max)")
    rng = np.random.default_rng(seed)
    if unique and not with_replacement:
        found: dict = {}
        tries = 0
        while len(found) < num_sampled:
            for v in draw(rng, 4 * num_sampled, range_max, off_by_one).tolist():
                tries += 1
                found.setdefault(v, len(found))
                if len(found) == num_sampled:
                    break
        candidates = np.array(list(found), dtype=np.int64)
    else:
        candidates, tries = draw(rng, num_sampled, range_max, off_by_one), num_sampled
    if unique and tries_times is not None:
        tries = tries_times * num_sampled
    return (candidates,
            expected_count(probability(true_classes, range_max), tries, num_sampled, rule),
            expected_count(probability(candidates, range_max), tries, num_sampled, rule))


def log_uniform(true_classes, num_true, num_sampled, unique, range_max, seed=None):
    """Right: TensorFlow's log-uniform sampler (its law, unique sampling, expected counts)."""
    return sample(true_classes, num_true, num_sampled, unique, range_max, seed)


def raw_probability(true_classes, num_true, num_sampled, unique, range_max, seed=None):
    """Returns the probability of one draw instead of the expected count."""
    return sample(true_classes, num_true, num_sampled, unique, range_max, seed, rule="raw")


def p_times_s_under_unique(true_classes, num_true, num_sampled, unique, range_max, seed=None):
    """``p * S`` also where unique sampling took more than ``S`` tries."""
    return sample(true_classes, num_true, num_sampled, unique, range_max, seed, rule="p_times_s")


def tries_formula_always(true_classes, num_true, num_sampled, unique, range_max, seed=None):
    """``-expm1(tries * log1p(-p))`` also where ``tries == S`` (TensorFlow: ``p * S``)."""
    return sample(true_classes, num_true, num_sampled, unique, range_max, seed, rule="tries")


def off_by_one_law(true_classes, num_true, num_sampled, unique, range_max, seed=None):
    """Draws ``floor(exp(u log(R + 1))) % R`` (the ``- 1`` forgotten): the law shifts by one."""
    return sample(true_classes, num_true, num_sampled, unique, range_max, seed, off_by_one=True)


def with_replacement_under_unique(true_classes, num_true, num_sampled, unique, range_max,
                                  seed=None):
    """Draws with replacement even when ``unique=True``."""
    return sample(true_classes, num_true, num_sampled, unique, range_max, seed,
                  with_replacement=True)


def tries_fixed_at_twice_s(true_classes, num_true, num_sampled, unique, range_max, seed=None):
    """Takes ``num_tries = 2 * num_sampled`` instead of counting the draws."""
    return sample(true_classes, num_true, num_sampled, unique, range_max, seed, tries_times=2)


def skips_range_checks(true_classes, num_true, num_sampled, unique, range_max, seed=None):
    """Checks shapes only: a true class outside ``[0, range_max)`` or a size of 0 is drawn
    for (TensorFlow raises)."""
    return sample(true_classes, num_true, num_sampled, unique, range_max, seed,
                  check_ranges=False)

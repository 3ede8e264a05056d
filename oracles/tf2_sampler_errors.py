"""Bad-input cases of TensorFlow 2.21's candidate samplers (``tf.random.*_candidate_sampler``).

Each case calls one sampler with one argument out of its contract, in a fresh
interpreter (``tf2_common.run_probe``), and records what TensorFlow raised. An
implementation of the sampler must raise too (any exception, in bounded time).

    python oracles/tf2_sampler_errors.py   # writes spec/vectors/tf2_sampler_errors.{json,npz}
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tf2_common as common
from tf2_common import VectorGroup, tf

RANGE_SAMPLERS = ("uniform_candidate_sampler", "log_uniform_candidate_sampler",
                  "learned_unigram_candidate_sampler")
"""The samplers whose law is fixed by range_max alone."""
BASE = {"num_true": 1, "num_sampled": 4, "unique": True, "range_max": 10}
ROWS = 3


def error_specs():
    """``(name, kwargs changes, true_classes change, notes)`` of the range samplers."""
    return [
        ("true-classes-rank1", {}, "rank1", "true_classes of rank 1 (TF wants a matrix)"),
        ("num-true-mismatch", {"num_true": 2}, None,
         "num_true=2 for true_classes with one column"),
        ("true-class-negative", {}, ("set", -1), "a true class of -1"),
        ("true-class-range-max", {}, ("set", 10), "a true class equal to range_max"),
        ("unique-more-than-range", {"num_sampled": 11}, None,
         "unique=True and num_sampled > range_max"),
        ("num-sampled-zero", {"num_sampled": 0}, None, "num_sampled=0"),
        ("num-true-zero", {"num_true": 0}, "empty", "num_true=0 (true_classes [3, 0])"),
        ("range-max-zero", {"range_max": 0, "num_sampled": 1, "unique": False}, ("set", 0),
         "range_max=0 (every true class out of range too)"),
    ]


def all_sampler_specs():
    """The same for ``all_candidate_sampler`` (no range_max: its range is num_sampled)."""
    return [
        ("true-classes-rank1", {}, "rank1", "true_classes of rank 1 (TF wants a matrix)"),
        ("num-true-mismatch", {"num_true": 2}, None,
         "num_true=2 for true_classes with one column"),
        ("true-class-num-sampled", {}, ("set", 4),
         "a true class equal to num_sampled (all_candidate_sampler's range)"),
        ("num-sampled-zero", {"num_sampled": 0}, ("set", 0), "num_sampled=0"),
    ]


def fixed_unigram_specs():
    """The range samplers' cases and those of the fixed unigram law's own arguments
    (``unigrams`` as a list in ``kwargs``, as TensorFlow's attribute takes it)."""
    five = {"unigrams": [1.0, 2.0, 3.0, 4.0, 5.0], "range_max": 5}
    return [(name, dict(five, **changes), classes_change, notes)
            for name, changes, classes_change, notes in error_specs()
            if name not in ("true-class-range-max", "range-max-zero")] + [
        ("true-class-range-max", five, ("set", 5), "a true class equal to range_max"),
        ("no-weights", {"range_max": 5}, None, "neither vocab_file nor unigrams"),
        ("vocab-file-and-unigrams", dict(five, vocab_file="vocab.csv"), None,
         "both vocab_file and unigrams"),
        ("vocab-file-missing", {"range_max": 5, "vocab_file": "no-such-folder/vocab.csv"},
         None, "a vocabulary file that does not exist"),
        ("range-max-not-weights", dict(five, range_max=4), None,
         "range_max=4 for 5 weights"),
        ("shard-past-num-shards", dict(five, num_shards=2, shard=2), None,
         "shard=2 of num_shards=2 (keeps no weight)"),
        ("num-shards-zero", dict(five, num_shards=0, shard=0), None, "num_shards=0"),
        ("num-reserved-ids-negative", dict(five, num_reserved_ids=-1), None,
         "num_reserved_ids=-1"),
    ]


def true_classes_of(case_id, change, limit):
    rng = common.case_rng(case_id)
    classes = rng.integers(0, limit, (ROWS, 1)).astype(np.int64)
    if change == "rank1":
        return classes[:, 0]
    if change == "empty":
        return classes[:, :0]
    if change is not None:
        classes[1, 0] = change[1]
    return classes


def build_case(group, op, name, changes, classes_change, notes):
    case_id = f"tf2.{op}.error-{name}"
    kwargs = dict(BASE, **changes)
    if op == "all_candidate_sampler":
        kwargs.pop("range_max")
    kwargs["seed"] = common.case_seed(case_id)
    limit = kwargs.get("range_max", kwargs["num_sampled"]) or 1
    true_classes = true_classes_of(case_id, classes_change, max(1, min(limit, 4)))
    raises = common.run_probe(op, "tf2", {"true_classes": true_classes}, kwargs)
    group.add(case_id, op, "tf2",
              "tf.random.{}(true_classes, {})".format(
                  op, ", ".join(f"{k}={v!r}" for k, v in sorted(kwargs.items()))),
              kwargs, inputs={"true_classes": true_classes}, raises=raises,
              notes=f"{notes}; TensorFlow's behaviour recorded in raises")
    return raises


def main():
    group = VectorGroup("tf2_sampler_errors", "tensorflow", tf.__version__,
                        "oracles/tf2_sampler_errors.py")
    specs = [(op, spec) for op in RANGE_SAMPLERS for spec in error_specs()]
    specs += [("fixed_unigram_candidate_sampler", spec) for spec in fixed_unigram_specs()]
    specs += [("all_candidate_sampler", spec) for spec in all_sampler_specs()]
    for op, (name, changes, classes_change, notes) in specs:
        raises = build_case(group, op, name, changes, classes_change, notes)
        print(f"{op:34} {name:24} {raises['type']}: {raises['message'][:80]}")
    path = group.save()
    print(f"wrote {path} ({len(group._cases)} cases)")


if __name__ == "__main__":
    main()

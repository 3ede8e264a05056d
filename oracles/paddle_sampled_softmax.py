"""Golden vectors of Paddle 1.8.5's sampled softmax -> spec/vectors/paddle_sampled_softmax.*.

Op: paddle.fluid.layers.sampled_softmax_with_cross_entropy (api paddle), run as
a static graph on fluid.Executor(fluid.CPUPlace()).  Besides the loss every case
records the Samples and Probabilities outputs of the ``sample_logits`` op the
wrapper builds, and the gradient of sum(loss * cotangent) w.r.t. the logits.

    .oracle-envs/paddle/bin/python oracles/paddle_sampled_softmax.py

The cases are the tables built by ``default_specs()``, ``custom_specs()``,
``multi_true_specs()`` and ``error_specs()``; ``build_case`` turns a spec into a
case, ``run_probe`` records an error case from a child process (Paddle hangs or
crashes on some inputs).

Paths:
  wrapper  the public function itself (num_true == 1).
  intent   num_true > 1.  The wrapper cannot build that graph (its one_hot has
           depth num_samples + 1), so the graph is assembled from Paddle's own
           ops: ``sample_logits`` with the wrapper's attributes, soft labels
           one_hot(SampledLabels) summed over the true columns and scaled by
           1/num_true, and softmax_with_cross_entropy(soft_label=True).  That is
           the documented meaning: each true label has probability 1/num_true.
"""
import json
import os
import signal
import subprocess
import sys
import zlib

import numpy as np
import paddle
import paddle.fluid as fluid
from paddle.fluid.layer_helper import LayerHelper

from vectorio import VectorGroup, magnitude_atol

OP = "sampled_softmax_with_cross_entropy"
PREFIX = "paddle.%s." % OP
F32 = np.float32

# Defaults of a case; every spec overrides some of them.
DEFAULTS = dict(
    path="wrapper",        # wrapper | intent (num_true > 1, see the module docstring)
    batch=4, num_classes=10, num_true=1, num_samples=3,
    seed=1,                # the op attribute; ignored on the customized path
    remove=True,           # remove_accidental_hits
    logits="normal",       # normal: 2*randn | offset: 5000 + 2*randn | spread: 1e4*randn
    #                        | beyond: +-(1.5e38 to 3e38), rows spread past float32's max
    labels="hits",         # hits: some true labels equal sampled negatives | an explicit list
    custom=None,           # customized samples [N, T+S] as a list (customized path)
    probs=None,            # customized probabilities as a list, else uniform(0.05, 1.5)
    notes="",
)

SAME_TWICE = ("Two executor runs of the program gave identical Samples, Probabilities, "
              "loss and gradient.")


def spec(name, **overrides):
    s = dict(DEFAULTS)
    unknown = set(overrides) - set(s)
    if unknown:
        raise KeyError("unknown spec fields %s" % sorted(unknown))
    s.update(overrides)
    s["id"] = PREFIX + name
    return s


def case_rng(case_id):
    """NumPy generator seeded from the case id, so a case keeps its data when
    cases are added or reordered."""
    return np.random.RandomState(zlib.crc32(case_id.encode("ascii")))


# --------------------------------------------------------------------------
# Case tables.

def default_specs():
    """num_true == 1 with the built-in log-uniform sampler (seed != 0)."""
    out = []
    grid = [  # (K, S, seed, batch)
        (10, 3, 1, 4), (10, 9, 7, 4), (16, 5, 12345, 5), (32, 8, 2 ** 31 - 1, 4),
        (32, 31, 1, 3), (64, 16, 7, 6), (64, 48, 12345, 4), (64, 63, 2 ** 31 - 1, 3),
    ]
    for k, s, seed, batch in grid:
        for remove in (True, False):
            out.append(spec(
                "k%d-s%d-seed%d-%s" % (k, s, seed, "rm" if remove else "keep"),
                num_classes=k, num_samples=s, seed=seed, batch=batch, remove=remove,
                notes="Log-uniform sampler, num_true=1%s; half the rows have a true label "
                      "among the sampled negatives." % (
                          ", num_samples close to K (many rejected draws)"
                          if s >= k - 1 else "")))
    out += [
        spec("k10-s10-seed7-rm", num_classes=10, num_samples=10, seed=7,
             notes="num_samples == K: the sampler draws until it has every class, so "
                   "every true label is also a sampled negative."),
        spec("k64-s1-seed12345-rm", num_classes=64, num_samples=1, seed=12345,
             notes="num_samples=1."),
        spec("k2-s1-seed1-keep", num_classes=2, num_samples=1, seed=1, remove=False,
             notes="Smallest K."),
        spec("k40-s20-seed99-n8-rm", num_classes=40, num_samples=20, seed=99, batch=8,
             notes="Batch of 8."),
        spec("k50-s10-seedm1-rm", num_classes=50, num_samples=10, seed=-1,
             notes="Negative seed: the attribute is an int converted to unsigned int, so "
                   "seed=-1 seeds the engine with 4294967295 (= seed mod 2**32)."),
        spec("n1-k12-s4-seed7-rm", batch=1, num_classes=12, num_samples=4, seed=7,
             notes="Batch of one row."),
        spec("s1-every-hit-rm", batch=3, num_classes=12, num_samples=1, seed=12345,
             labels="every-hit",
             notes="Every row's true label is the single sampled negative: all negatives "
                   "are masked, the loss is ~0."),
        spec("s1-every-hit-keep", batch=3, num_classes=12, num_samples=1, seed=12345,
             labels="every-hit", remove=False,
             notes="Every row's true label is the single sampled negative, not masked: "
                   "the two columns share one logit and the gradient adds up."),
        spec("s0-seed1", batch=2, num_classes=10, num_samples=0, seed=1,
             notes="num_samples=0 is accepted: no draws, tries=0 == num_samples, so "
                   "Q(true) = p*0 = 0 and log Q = -inf is clamped to -1e20; one column, "
                   "loss 0."),
        spec("large-offset-rm", num_classes=20, num_samples=6, seed=7, logits="offset",
             notes="Logits 5000 + 2*randn: float32 resolution of the inputs is ~5e-4, "
                   "atol is 1e-7 * max |logits|."),
        spec("large-spread-rm", num_classes=20, num_samples=6, seed=7, logits="spread",
             notes="Logits 1e4*randn.  Paddle's CPU softmax clips logit - rowmax at -64, "
                   "so a row's loss is at most 64 + log(columns) instead of the exact "
                   "value; atol is 1e-7 * max |logits|."),
        spec("large-spread-keep", num_classes=20, num_samples=6, seed=7, logits="spread",
             remove=False,
             notes="As large-spread-rm without hit removal."),
        spec("beyond-float-max-rm", num_classes=20, num_samples=6, seed=7, logits="beyond",
             notes="Logits of +-1.5e38 to +-3e38 in every row: logit - rowmax is -inf in "
                   "float32 for those of opposite signs, and the clip at -64 keeps the loss "
                   "(64 + log(columns) at most) and the gradient finite."),
    ]
    return out


def custom_specs():
    """num_true == 1 with use_customized_samples=True (per-row negatives)."""
    base = [[1, 4, 7, 2], [5, 0, 9, 3], [8, 8, 1, 6], [2, 6, 3, 9]]
    dups = [[3, 3, 5, 5, 7], [0, 2, 2, 2, 9], [6, 6, 1, 4, 6], [9, 0, 0, 9, 9]]
    every = [[3, 3, 3, 3], [7, 7, 7, 7], [0, 0, 0, 0]]
    out = []
    for remove in (True, False):
        tag = "rm" if remove else "keep"
        out += [
            spec("custom-basic-" + tag, num_classes=10, num_samples=3, custom=base,
                 labels=[r[:1] for r in base], remove=remove, seed=0,
                 notes="Customized samples: different negatives per row, no hits; "
                       "probabilities uniform in (0.05, 1.5)."),
            spec("custom-dups-" + tag, num_classes=10, num_samples=4, custom=dups,
                 labels=[r[:1] for r in dups], remove=remove, seed=0,
                 notes="Customized samples with duplicated negatives, some equal to the "
                       "row's true label (hits); the gradient scatter-adds duplicates."),
            spec("custom-every-hit-" + tag, batch=3, num_classes=10, num_samples=3,
                 custom=every, labels=[r[:1] for r in every], remove=remove, seed=0,
                 notes="Every customized negative equals the row's true label."),
            spec("custom-more-than-k-" + tag, batch=2, num_classes=4, num_samples=6,
                 custom=[[0, 1, 1, 3, 2, 0, 3], [2, 3, 3, 0, 1, 1, 2]],
                 labels=[[0], [2]], remove=remove, seed=0,
                 notes="More negatives than classes (S=6 > K=4), which customized samples "
                       "drawn with replacement allow: Paddle checks S against K only "
                       "where its own sampler draws."),
        ]
    out += [
        spec("custom-label-ignored-rm", num_classes=10, num_samples=3, custom=base,
             labels=[[0], [0], [0], [0]], seed=0,
             notes="On the customized path the true columns are customized_samples[:, :T]; "
                   "the label input only gives T (its values here differ and are unused)."),
        spec("custom-zero-prob-rm", batch=3, num_classes=10, num_samples=3,
             custom=[[1, 4, 7, 2], [5, 0, 9, 3], [8, 2, 1, 6]], labels=[[1], [5], [8]],
             probs=[[0.5, 0.0, 0.25, 1.0], [0.0, 0.5, 0.5, 0.5], [0.75, 0.5, 1.5, 0.0]],
             seed=0,
             notes="Probability 0: log Q = -inf is clamped to -1e20, the column's logit "
                   "becomes ~+1e20 and takes all the softmax mass."),
        spec("custom-beyond-float-max-keep", num_classes=10, num_samples=3, custom=base,
             labels=[r[:1] for r in base], remove=False, seed=0, logits="beyond",
             notes="As beyond-float-max-rm on the customized path, without hit removal."),
        spec("custom-n1-k64-rm", batch=1, num_classes=64, num_samples=6,
             custom=[[40, 3, 40, 63, 0, 17, 3]], labels=[[40]], seed=0,
             notes="One row, K=64, a hit and a duplicated negative."),
    ]
    return out


def multi_true_specs():
    """num_true > 1: the documented meaning built from Paddle's own ops."""
    why = ("num_true=%d: the wrapper raises (see t%d-wrapper-crash); these numbers follow "
           "the documented intent (1/num_true per true label) with Paddle's own ops: "
           "sample_logits + softmax_with_cross_entropy(soft_label=True), loss = "
           "logsumexp(row) - mean(true logits), not divided by num_true again.  ")
    custom_t2 = [[1, 4, 4, 7, 2], [5, 0, 9, 5, 3], [8, 2, 8, 2, 6], [3, 9, 0, 0, 9]]
    custom_t3 = [[2, 2, 5, 5, 1, 2], [0, 7, 9, 3, 9, 7]]
    out = []
    for remove in (True, False):
        tag = "rm" if remove else "keep"
        out += [
            spec("t2-k12-s4-seed7-" + tag, path="intent", num_true=2, num_classes=12,
                 num_samples=4, seed=7, remove=remove,
                 notes=why % (2, 2) + "Default sampler; some true labels are sampled."),
            spec("t2-custom-" + tag, path="intent", num_true=2, num_classes=10,
                 num_samples=3, custom=custom_t2, labels=[r[:2] for r in custom_t2],
                 remove=remove, seed=0,
                 notes=why % (2, 2) + "Customized samples with hits and duplicates."),
        ]
    out += [
        spec("t3-k20-s5-seed12345-rm", path="intent", num_true=3, num_classes=20,
             num_samples=5, seed=12345, batch=3, notes=why % (3, 3) + "Default sampler."),
        spec("t3-k10-s2-seed1-every-hit-rm", path="intent", num_true=3, num_classes=10,
             num_samples=2, seed=1, batch=2, labels="every-hit",
             notes=why % (3, 3) + "Both sampled negatives are true labels of every row."),
        spec("t2-k64-s40-seed2147483647-rm", path="intent", num_true=2, num_classes=64,
             num_samples=40, seed=2 ** 31 - 1, batch=3,
             notes=why % (2, 2) + "Many rejected draws."),
        spec("t3-custom-dup-true-rm", path="intent", num_true=3, num_classes=10,
             num_samples=3, batch=2, custom=custom_t3, labels=[r[:3] for r in custom_t3],
             seed=0,
             notes=why % (3, 3) + "A true label repeated within a row: each copy is its "
                                  "own column with weight 1/3."),
    ]
    return out


def error_specs():
    """(name, spec fields, dtype, notes) of the probes run in a child process."""
    return [
        ("t2-wrapper-crash", dict(num_true=2, num_classes=10, num_samples=3, seed=1,
                                  labels=[[1, 4], [2, 7]], batch=2), "float32",
         "num_true=2 through the public wrapper: its one_hot of SampledLabels has depth "
         "num_samples+1 while the sampled logits have num_true+num_samples columns; "
         "raised while building the graph."),
        ("t3-wrapper-crash", dict(num_true=3, num_classes=12, num_samples=4, seed=1,
                                  labels=[[1, 4, 5], [2, 7, 0]], batch=2), "float32",
         "num_true=3 through the public wrapper; raised while building the graph."),
        ("num-samples-gt-k", dict(num_classes=10, num_samples=11, seed=1,
                                  labels=[[1], [2]], batch=2), "float32",
         "num_samples > K: the unique-sampling loop can never find 11 distinct classes "
         "out of 10 and runs forever."),
        ("num-samples-negative", dict(num_classes=10, num_samples=-1, seed=1,
                                      labels=[[1], [2]], batch=2), "float32",
         "num_samples=-1: the process dies with a segmentation fault."),
        ("label-ge-k", dict(num_classes=10, num_samples=3, seed=1,
                            labels=[[3], [10]], batch=2), "float32",
         "A label equal to K: no error; the logit is read past the end of its row "
         "(undefined memory), so no outputs are recorded."),
        ("label-negative", dict(num_classes=10, num_samples=3, seed=1,
                                labels=[[-1], [2]], batch=2), "float32",
         "A label of -1: no error; Probability(-1) = log(1/0)/log(K+1) = inf, Q is NaN and "
         "so is that row's loss."),
        ("float64", dict(num_classes=10, num_samples=3, seed=1, labels=[[1], [2]],
                         batch=2), "float64",
         "float64 logits: the wrapper's one_hot makes float32 soft labels and "
         "softmax_with_cross_entropy rejects them when the program runs."),
        ("seed-ge-2pow31", dict(num_classes=10, num_samples=3, seed=2 ** 31,
                                labels=[[1], [2]], batch=2), "float32",
         "seed=2**31 does not fit the int attribute; raised while building the graph."),
    ]


# --------------------------------------------------------------------------
# Graph construction.

def sample_logits(logits, label, s, customized_samples, customized_probabilities):
    """The ``sample_logits`` op exactly as the wrapper appends it.  Returns
    (samples, probabilities, sampled_logits, sampled_labels)."""
    helper = LayerHelper("sample_logits")
    custom = s["custom"] is not None
    samples = customized_samples if custom else helper.create_variable_for_type_inference(
        dtype="int64")
    probabilities = customized_probabilities if custom else \
        helper.create_variable_for_type_inference(dtype=logits.dtype)
    sampled_logits = helper.create_variable_for_type_inference(dtype=logits.dtype)
    sampled_labels = helper.create_variable_for_type_inference(dtype="int64")
    logits_dim = helper.create_variable_for_type_inference(dtype=logits.dtype)
    labels_dim = helper.create_variable_for_type_inference(dtype=label.type)
    helper.append_op(
        type="sample_logits",
        inputs={"Logits": logits, "Labels": label,
                "CustomizedSamples": customized_samples,
                "CustomizedProbabilities": customized_probabilities},
        outputs={"Samples": samples, "Probabilities": probabilities,
                 "SampledLabels": sampled_labels, "SampledLogits": sampled_logits,
                 "LogitsDim": logits_dim, "LabelsDim": labels_dim},
        attrs={"use_customized_samples": custom, "uniq": True,
               "remove_accidental_hits": s["remove"], "num_samples": s["num_samples"],
               "seed": s["seed"]})
    return samples, probabilities, sampled_logits, sampled_labels


def intent_loss(logits, label, s, customized_samples, customized_probabilities):
    """num_true > 1 with soft labels 1/num_true on the true columns."""
    t, width = s["num_true"], s["num_true"] + s["num_samples"]
    samples, probabilities, sampled_logits, sampled_labels = sample_logits(
        logits, label, s, customized_samples, customized_probabilities)
    hot = fluid.layers.one_hot(fluid.layers.reshape(sampled_labels, [-1, 1]), depth=width)
    multi_hot = fluid.layers.reduce_sum(fluid.layers.reshape(hot, [-1, t, width]), dim=1)
    soft = fluid.layers.scale(multi_hot, scale=1.0 / t)
    helper = LayerHelper("softmax_with_cross_entropy")
    loss = helper.create_variable_for_type_inference(dtype=logits.dtype)
    softmax = helper.create_variable_for_type_inference(dtype=logits.dtype)
    helper.append_op(
        type="softmax_with_cross_entropy",
        inputs={"Logits": sampled_logits, "Label": soft},
        outputs={"Softmax": softmax, "Loss": loss},
        attrs={"soft_label": True, "ignore_index": False, "numeric_stable_mode": False})
    return loss, samples, probabilities


def wrapper_loss(logits, label, s, customized_samples, customized_probabilities,
                 dtype="float32"):
    """The public function; Samples/Probabilities are fetched from its op."""
    loss = fluid.layers.sampled_softmax_with_cross_entropy(
        logits, label, num_samples=s["num_samples"], num_true=s["num_true"],
        remove_accidental_hits=s["remove"],
        use_customized_samples=s["custom"] is not None,
        customized_samples=customized_samples,
        customized_probabilities=customized_probabilities, seed=s["seed"])
    block = fluid.default_main_program().global_block()
    op = [o for o in block.ops if o.type == "sample_logits"][-1]
    return (loss, block.var(op.output("Samples")[0]),
            block.var(op.output("Probabilities")[0]))


def build_program(s, dtype="float32", with_grad=True):
    """Program for spec ``s``; returns (program, feed names, fetch vars)."""
    n, k = s["batch"], s["num_classes"]
    t, width = s["num_true"], s["num_true"] + s["num_samples"]
    main, startup = fluid.Program(), fluid.Program()
    with fluid.program_guard(main, startup):
        logits = fluid.data("logits", [n, k], dtype)
        logits.stop_gradient = False
        label = fluid.data("label", [n, t], "int64")
        cs = cp = None
        if s["custom"] is not None:
            cs = fluid.data("customized_samples", [n, width], "int64")
            cp = fluid.data("customized_probabilities", [n, width], dtype)
        make = intent_loss if s["path"] == "intent" else wrapper_loss
        loss, samples, probabilities = make(logits, label, s, cs, cp)
        fetch = [loss, samples, probabilities]
        if with_grad:
            cotangent = fluid.data("cotangent", [n, 1], dtype)
            total = fluid.layers.reduce_sum(loss * cotangent)
            fetch += fluid.gradients([total], [logits])
    return main, fetch


def run(program, feed, fetch):
    exe = fluid.Executor(fluid.CPUPlace())
    return exe.run(program, feed=feed, fetch_list=fetch)


# --------------------------------------------------------------------------
# Inputs of a case.

def oracle_negatives(s):
    """The negatives Paddle's sampler draws for (K, num_samples, seed): the
    sampled columns do not depend on the labels or the batch."""
    probe = dict(s, batch=1, num_true=1, custom=None, path="wrapper")
    program, fetch = build_program(probe, with_grad=False)
    feed = {"logits": np.zeros((1, s["num_classes"]), F32),
            "label": np.zeros((1, 1), np.int64)}
    return [int(v) for v in run(program, feed, fetch)[1][0, 1:]]


def make_labels(s, rng):
    n, k, t = s["batch"], s["num_classes"], s["num_true"]
    if isinstance(s["labels"], list):
        return np.array(s["labels"], np.int64).reshape(n, t)
    negatives = oracle_negatives(s) if s["custom"] is None else []
    if s["labels"] == "every-hit":
        if s["num_samples"] > t:
            raise ValueError("every-hit needs num_samples <= num_true")
        rows = []
        for _ in range(n):
            others = [c for c in range(k) if c not in negatives]
            extra = list(rng.choice(others, t - len(negatives), replace=False))
            rows.append(negatives + extra)
        return np.array(rows, np.int64)
    # "hits": even rows take their true labels among the negatives when possible,
    # odd rows outside them when possible.
    inside = sorted(set(negatives))
    outside = [c for c in range(k) if c not in inside]
    rows = []
    for i in range(n):
        first, second = (inside, outside) if i % 2 == 0 else (outside, inside)
        pool = first if len(first) >= t else first + second
        rows.append(list(rng.choice(pool, t, replace=False)))
    return np.array(rows, np.int64)


def make_logits(s, rng, dtype="float32"):
    shape = (s["batch"], s["num_classes"])
    z = rng.randn(*shape)
    values = {"normal": 2.0 * z, "offset": 5000.0 + 2.0 * z, "spread": 1e4 * z,
              "beyond": np.where(z > 0, 3e38, -3e38) * np.minimum(np.abs(z) + 0.5, 1.0)}
    return values[s["logits"]].astype(dtype)


def make_inputs(s, dtype="float32"):
    rng = case_rng(s["id"])
    inputs = {"logits": make_logits(s, rng, dtype), "label": make_labels(s, rng),
              "customized_samples": None, "customized_probabilities": None}
    if s["custom"] is not None:
        samples = np.array(s["custom"], np.int64)
        if s["probs"] is not None:
            probs = np.array(s["probs"], dtype)
        else:
            probs = rng.uniform(0.05, 1.5, samples.shape).astype(dtype)
        inputs["customized_samples"] = samples
        inputs["customized_probabilities"] = probs
    return inputs, rng


def kwargs_of(s):
    return {"num_samples": s["num_samples"], "num_true": s["num_true"],
            "remove_accidental_hits": s["remove"],
            "use_customized_samples": s["custom"] is not None, "seed": s["seed"]}


def call_text(s):
    args = "num_samples=%d, num_true=%d, remove_accidental_hits=%s" % (
        s["num_samples"], s["num_true"], s["remove"])
    if s["custom"] is not None:
        args += (", use_customized_samples=True, customized_samples=customized_samples, "
                 "customized_probabilities=customized_probabilities")
    args += ", seed=%d" % s["seed"]
    if s["path"] == "intent":
        return ("sample_logits op with the wrapper's attributes (%s), soft labels "
                "one_hot(SampledLabels) summed over the true columns / num_true, "
                "softmax_with_cross_entropy(soft_label=True)" % args)
    return "paddle.fluid.layers.sampled_softmax_with_cross_entropy(logits, label, %s)" % args


# --------------------------------------------------------------------------
# Builders.

def build_case(group, s):
    inputs, rng = make_inputs(s)
    cotangent = rng.uniform(-1.0, 1.0, (s["batch"], 1)).astype(F32)
    feed = dict((k, v) for k, v in inputs.items() if v is not None)
    feed["cotangent"] = cotangent
    program, fetch = build_program(s)
    first = run(program, feed, fetch)
    second = run(program, feed, fetch)
    for a, b in zip(first, second):
        if not np.array_equal(a, b):
            raise AssertionError("%s: two executor runs differ" % s["id"])
    loss, samples, probabilities, grad = first
    if not (np.all(np.isfinite(loss)) and np.all(np.isfinite(grad))):
        raise AssertionError("%s: non-finite loss or gradient" % s["id"])
    # atol: 1e-6 of the largest value, or about one float32 ulp of the largest
    # logit (1e-7 * |logit|), which bounds how much the rounding of
    # logit - log Q moves the loss and the gradient when the logits are large.
    resolution = 0.1 * inputs["logits"]
    tolerance = {"rtol": 1e-5, "atol": magnitude_atol(1e-6, loss, resolution),
                 "grad_rtol": 1e-5, "grad_atol": magnitude_atol(1e-6, grad, resolution)}
    notes = s["notes"]
    if s["custom"] is None:
        notes += " " + SAME_TWICE
    notes += (" Samples are exact; Probabilities are bit-exact float32 values of the "
              "oracle.")
    group.add(s["id"], OP, "paddle", call_text(s), kwargs_of(s), inputs,
              outputs={"loss": loss, "samples": samples, "probabilities": probabilities},
              grads={"logits": grad}, cotangent=cotangent, dtype="float32",
              tolerance=tolerance, notes=notes.strip())
    return loss


# --------------------------------------------------------------------------
# Probes: a child process runs one error spec, so that a hang or a crash of
# Paddle is recorded instead of ending the generator.

def error_summary(e):
    """First line of Paddle's 'Error Message Summary' (else the first line)."""
    lines = [l.strip() for l in str(e).strip().splitlines()]
    if "Error Message Summary:" in lines:
        rest = lines[lines.index("Error Message Summary:") + 1:]
        rest = [l for l in rest if l and not set(l) <= set("-")]
        if rest:
            return rest[0][:300]
    return next((l for l in lines if l), "")[:300]


def probe_child(name):
    fields, dtype = [(f, d) for n, f, d, _ in error_specs() if n == name][0]
    s = spec(name, **fields)
    inputs, _ = make_inputs(s, dtype)
    try:
        program, fetch = build_program(s, dtype, with_grad=False)
        loss, samples, probabilities = run(
            program, {"logits": inputs["logits"], "label": inputs["label"]}, fetch)
        label = inputs["label"]
        odd = [i for i in range(len(label)) if label[i].min() < 0
               or label[i].max() >= s["num_classes"]]
        row = odd[0] if odd else len(label) - 1
        result = {"type": "none", "message": "returned loss float32%s%s; row %d: Samples %s, "
                  "Probabilities %s" % (list(loss.shape),
                                        "" if np.all(np.isfinite(loss)) else " with NaN",
                                        row, samples[row].tolist(),
                                        probabilities[row].tolist())}
    except Exception as e:  # the record of what Paddle raised
        result = {"type": type(e).__name__, "message": error_summary(e)}
    print("PROBE " + json.dumps(result))


def run_probe(name, timeout=30):
    try:
        proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--probe", name],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"type": "hang", "message": "no result after %d s" % timeout}
    lines = [l for l in proc.stdout.decode("utf-8", "replace").splitlines()
             if l.startswith("PROBE ")]
    if proc.returncode == 0 and lines:
        return json.loads(lines[-1][len("PROBE "):])
    if proc.returncode < 0:
        how = "killed by %s" % signal.Signals(-proc.returncode).name
    else:
        how = "exit code %d" % proc.returncode
    return {"type": "crash", "message": how}


def build_error_case(group, name, fields, dtype, notes):
    s = spec(name, **fields)
    inputs, _ = make_inputs(s, dtype)
    raises = run_probe(name)
    group.add(s["id"], OP, "paddle", call_text(s), kwargs_of(s), inputs, dtype=dtype,
              raises=raises, notes=notes + " Paddle's behaviour is recorded in raises "
              "(type 'none': it returned, 'hang': no result, 'crash': the process died).")
    return raises


def main():
    group = VectorGroup("paddle_sampled_softmax", "paddle", paddle.__version__,
                        "oracles/paddle_sampled_softmax.py")
    for s in default_specs() + custom_specs() + multi_true_specs():
        loss = build_case(group, s)
        print("%-58s loss[0]=%.6g" % (s["id"][len(PREFIX):], loss.ravel()[0]))
    for name, fields, dtype, notes in error_specs():
        raises = build_error_case(group, name, fields, dtype, notes)
        print("%-58s %s: %s" % (name, raises["type"], raises["message"][:80]))
    print("wrote", group.save())


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--probe":
        probe_child(sys.argv[2])
    else:
        main()

"""Golden streams of TensorFlow 2.21's candidate samplers -> spec/vectors/tf2_samplers.{json,npz}.

Every case starts from a cleared eager kernel cache (``tf.random.set_seed(G)``,
or ``tf.random.set_seed(None)`` when no global seed is set) and then records:

* stream cases: three identical sampler calls (outputs ``call<i>.<name>``);
* sequence cases: different ops called in turn (outputs ``step<i>.<name>``),
  to capture how op seeds are drawn from the global seed and how kernels are
  cached per (op, attributes);
* loss stream cases: three calls of tf.nn.sampled_softmax_loss / nce_loss with
  ``sampled_values=None`` (outputs ``call<i>.loss``).

    .oracle-envs/tf2/bin/python oracles/tf2_samplers.py

Candidates and expected counts are recorded bit-exactly (tolerance 0).
"""
import os
import shutil
import tempfile

import numpy as np

import tf2_common as common
from tf2_common import tf, VectorGroup

F32 = np.float32
EXACT = {"rtol": 0.0, "atol": 0.0}
SHORT = {
    "uniform_candidate_sampler": "uniform",
    "log_uniform_candidate_sampler": "log_uniform",
    "learned_unigram_candidate_sampler": "learned_unigram",
    "fixed_unigram_candidate_sampler": "fixed_unigram",
    "all_candidate_sampler": "all",
}
# (global seed, op seed) pairs by name; None = not set.
SEEDS = {"gs": (1234, 77), "s": (None, 77), "g": (1234, None),
         "gs2": (20240607, 5), "s2": (None, 424242), "g2": (99, None)}
# (num_sampled, range_max) cycled through the grid.
SIZES = [(5, 20), (16, 100), (64, 1000), (8, 50), (32, 64), (12, 12)]
CALLS = 3


def stream(op, name, seeds, num_true=1, num_sampled=8, unique=True, range_max=50,
           batch=3, calls=CALLS, unigrams=None, vocab_counts=None, extra=None,
           true_classes=None, notes=""):
    """One stream case spec."""
    g, s = SEEDS[seeds] if isinstance(seeds, str) else seeds
    kw = dict(num_true=num_true, num_sampled=num_sampled, unique=unique)
    if op != "all_candidate_sampler":
        kw["range_max"] = range_max
    kw.update(extra or {})
    return dict(kind="stream", id="tf2.stream.%s.%s" % (SHORT[op], name), op=op, kw=kw,
                global_seed=g, seed=s, batch=batch, calls=calls, unigrams=unigrams,
                vocab_counts=vocab_counts, true_classes=true_classes, notes=notes)


def stream_specs():
    out = []
    grid_ops = ["uniform_candidate_sampler", "log_uniform_candidate_sampler",
                "learned_unigram_candidate_sampler", "fixed_unigram_candidate_sampler"]
    k = 0
    for op in grid_ops:
        for unique in (True, False):
            for seeds in ("gs", "s", "g"):
                for nt in (1, 2):
                    num_sampled, range_max = SIZES[k % len(SIZES)]
                    k += 1
                    unigrams = None
                    if op == "fixed_unigram_candidate_sampler":
                        unigrams = "random"
                    out.append(stream(
                        op, "%s-%s-t%d-s%d-r%d" % ("u" if unique else "nu", seeds, nt,
                                                   num_sampled, range_max),
                        seeds, num_true=nt, num_sampled=num_sampled, unique=unique,
                        range_max=range_max, unigrams=unigrams))

    fixed = "fixed_unigram_candidate_sampler"
    counts = [5, 1, 0.5, 8, 2.25, 3, 1, 13, 4, 2, 6, 0.75]
    out += [
        stream(fixed, "vocab-file-u", "gs", vocab_counts=counts, range_max=12, num_sampled=6,
               notes="vocab_file with one 'token<i>,<count>' line per id (the last "
                     "comma-separated column is the weight); the counts are input vocab_counts"),
        stream(fixed, "vocab-file-nu-t2", "s", vocab_counts=counts, range_max=12, num_true=2,
               num_sampled=10, unique=False, notes="vocab_file as in vocab-file-u, non-unique"),
        stream(fixed, "vocab-file-distortion-reserved", "gs2", vocab_counts=counts,
               range_max=14, num_sampled=6, extra=dict(distortion=0.5, num_reserved_ids=2),
               notes="vocab_file with distortion 0.5 and 2 reserved ids (weight 0) in front"),
        stream(fixed, "distortion-0", "gs", unigrams=counts, range_max=12, num_sampled=6,
               extra=dict(distortion=0.0), notes="distortion 0: every weight becomes 1"),
        stream(fixed, "distortion-0.5-nu", "gs", unigrams=counts, range_max=12, num_sampled=9,
               unique=False, extra=dict(distortion=0.5)),
        stream(fixed, "distortion-2", "g", unigrams=counts, range_max=12, num_sampled=6,
               extra=dict(distortion=2.0)),
        stream(fixed, "reserved-3", "gs", unigrams=counts, range_max=15, num_sampled=8,
               extra=dict(num_reserved_ids=3),
               notes="range_max must equal num_reserved_ids + len(unigrams); reserved ids "
                     "have weight 0"),
        stream(fixed, "reserved-2-nu-true-reserved", "s", unigrams=counts, range_max=14,
               num_sampled=8, unique=False, extra=dict(num_reserved_ids=2),
               true_classes=[[0], [1], [5]],
               notes="true classes that are reserved ids: their expected count is 0"),
        stream(fixed, "shards-3-shard-0", "gs", unigrams=counts, range_max=4, num_sampled=3,
               extra=dict(num_shards=3, shard=0),
               notes="num_shards=3, shard=0 keeps ids 0, 3, 6, 9; range_max and true "
                     "classes are local to the shard (range_max must be the shard size)"),
        stream(fixed, "shards-3-shard-2-nu", "gs", unigrams=counts, range_max=4, num_sampled=6,
               unique=False, extra=dict(num_shards=3, shard=2), notes="shard 2 of 3"),
        stream(fixed, "shards-reserved", "gs2", unigrams=counts, range_max=7, num_sampled=4,
               extra=dict(num_shards=2, shard=1, num_reserved_ids=2),
               notes="2 reserved ids then 12 weights, sharded in 2; shard 1"),
        stream(fixed, "zero-weight-true", "gs", unigrams=[0, 3, 1, 4, 0, 5, 9, 2],
               range_max=8, num_sampled=4, true_classes=[[0], [4], [6]],
               notes="true classes with weight 0 get expected count 0"),
        stream(fixed, "unique-all", "gs", unigrams=[1, 2, 3, 4, 5, 6], range_max=6,
               num_sampled=6, notes="unique with num_sampled == range_max"),
    ]
    learned = "learned_unigram_candidate_sampler"

    def labels(ids, repeats, num_true=1):
        """``repeats`` rows of ``num_true`` labels cycling through ``ids``: a few
        classes whose learned counts grow by hundreds a call."""
        flat = [ids[i % len(ids)] for i in range(repeats * num_true)]
        return [flat[i:i + num_true] for i in range(0, len(flat), num_true)]

    tree = ("a vocabulary large enough for the counts' tree walk (range_max above 256 "
            "classes a draw), with a few labels seen hundreds of times a call (ids at the "
            "tree's power-of-two boundaries), so later calls draw them often")
    out += [
        stream(learned, "tree-u-gs-r100000", "gs", num_sampled=64, range_max=100000,
               true_classes=labels([0, 12345, 65535, 65536, 99999], 2000), notes=tree),
        stream(learned, "tree-nu-s-r65536", "s", num_sampled=64, unique=False,
               range_max=65536, true_classes=labels([1, 32767, 32768, 65535], 1000),
               notes=tree),
        stream(learned, "tree-u-g-t2-r131073", "g", num_true=2, num_sampled=32,
               range_max=131073, true_classes=labels([131072, 7, 65536, 4096, 3], 600, 2),
               notes=tree),
    ]
    alls = "all_candidate_sampler"
    out += [
        stream(alls, "u-gs-t1", "gs", num_sampled=7),
        stream(alls, "nu-s-t2", "s", num_true=2, num_sampled=5, unique=False),
        stream(alls, "u-g-t1", "g", num_sampled=3),
    ]
    lu, un = "log_uniform_candidate_sampler", "uniform_candidate_sampler"
    out += [
        stream(lu, "seed-zero-zero", (0, 0), num_sampled=8, range_max=100,
               notes="global seed 0 and op seed 0 are replaced by (0, 2**31-1)"),
        stream(un, "seed-zero-zero", (0, 0), num_sampled=8, range_max=100,
               notes="as log_uniform seed-zero-zero"),
        stream(lu, "seed-zero-global-only", (0, None), num_sampled=8, range_max=100,
               notes="global seed 0, op seeds drawn from random.Random(0)"),
        stream(lu, "seed-truncated", (2**33 + 1, 2**31 + 5), num_sampled=8, range_max=100,
               notes="seeds are reduced modulo 2**31-1"),
        stream(lu, "seed-default-global", (87654321, 77), num_sampled=8, range_max=100,
               notes="global seed 87654321 with op seed 77: the same as op seed 77 alone"),
        stream(lu, "u-gs-range-2pow31", "gs", num_sampled=16, range_max=2**31 + 11,
               notes="range above 2**31"),
        stream(un, "u-s-range-1", "s", num_sampled=1, range_max=1, true_classes=[[0], [0]],
               notes="range of one id"),
        stream(lu, "large-u-gs", "gs", num_sampled=8192, range_max=10**6, calls=1, batch=4,
               notes="8192 unique draws from a million ids: many rejected tries"),
        stream(lu, "large-u-s-t2", "s", num_sampled=8192, range_max=10**6, calls=1, batch=2,
               num_true=2, notes="8192 unique draws, op seed only"),
    ]
    return out


def step(op, seed=None, true_classes=None, hits_of=None, as_list=False, **kw):
    """One step of a sequence: a sampler call, compute_accidental_hits on the sampled
    candidates of step ``hits_of``, or a loss (``kw``: its keyword arguments and
    ``input_dim``, the width of its inputs; the weights are [num_classes, 3]);
    ``as_list``: its ids given as Python lists, not tensors."""
    return dict(op=op, seed=seed, true_classes=true_classes, hits_of=hits_of,
                as_list=as_list, kw=kw)


def ids_of(st, ids):
    """``ids`` as the step gives them: a Python list, or a tensor."""
    return ids.tolist() if st["as_list"] else tf.constant(ids)


LOSS_STEPS = ("sampled_softmax_loss", "nce_loss")
"""Loss steps of a sequence: they draw their default sample from the stream."""


def loss_step(i, st, tc, inputs, entry):
    """Run loss step ``i`` (weights of ones [num_classes, 3], zero biases, inputs of
    ones [batch, input_dim]); record its arrays in ``inputs`` and in ``entry['raises']``
    whether TensorFlow raised (after its sampler ran, which took its op seed and moved
    its kernel's stream on, as it does where the loss succeeds)."""
    kw = dict(st["kw"])
    dim = kw.pop("input_dim")
    arrays = {"weights": np.ones((kw["num_classes"], 3), F32),
              "biases": np.zeros(kw["num_classes"], F32),
              "inputs": np.ones((tc.shape[0], dim), F32)}
    for k, v in arrays.items():
        inputs[f"step{i}.{k}"] = v
    if st["op"] == "sampled_softmax_loss":
        kw["seed"] = st["seed"]
    entry["kwargs"] = dict(kw)
    try:
        getattr(tf.nn, st["op"])(labels=ids_of(st, tc), **arrays, **kw)
        entry["raises"] = False
    except (tf.errors.InvalidArgumentError, ValueError, AttributeError):  # a list: no dtype
        entry["raises"] = True


def sequence_specs():
    lu, un = "log_uniform_candidate_sampler", "uniform_candidate_sampler"
    learned, hits = "learned_unigram_candidate_sampler", "compute_accidental_hits"
    a, b = [[1], [3], [0]], [[7], [2], [2]]
    base = dict(num_true=1, num_sampled=6, unique=True, range_max=40)
    return [
        ("g-only-mixed", 1234, [step(lu, true_classes=a, **base), step(un, true_classes=a, **base),
                                step(hits, true_classes=a, hits_of=0, num_true=1),
                                step(lu, true_classes=a, **base)],
         "only the global seed: every call draws the next op seed from random.Random(G), "
         "compute_accidental_hits included"),
        ("g-only-hits-first", 1234, [step(hits, true_classes=a, hits_of=None, num_true=1),
                                     step(lu, true_classes=a, **base)],
         "compute_accidental_hits (on fixed candidates) takes the first op seed, so the "
         "sampler gets the second one"),
        ("g-explicit-and-drawn", 1234, [step(lu, seed=7, true_classes=a, **base),
                                        step(lu, true_classes=a, **base),
                                        step(lu, seed=7, true_classes=a, **base),
                                        step(un, seed=7, true_classes=a, **base)],
         "explicit op seeds do not consume the global sequence; step 2 continues step 0's "
         "kernel; the uniform sampler with the same seeds is a separate kernel"),
        ("s-only-same-seed-two-ops", None, [step(un, seed=3, true_classes=a, **base),
                                            step(lu, seed=3, true_classes=a, **base),
                                            step(un, seed=3, true_classes=a, **base)],
         "no global seed; the same op seed on two ops gives two streams"),
        ("gs-attrs-key-the-cache", 1234,
         [step(lu, seed=7, true_classes=a, **base),
          step(lu, seed=7, true_classes=a, **dict(base, num_sampled=5)),
          step(lu, seed=7, true_classes=b, **base)],
         "kernels are cached per attribute set: step 1 (num_sampled 5) starts its own "
         "stream, step 2 (other true_classes values, same attributes) continues step 0"),
        ("gs-learned-state", 1234,
         [step(learned, seed=9, true_classes=a, **base),
          step(learned, seed=9, true_classes=b, **base),
          step(learned, seed=9, true_classes=a, **base)],
         "the learned sampler's counts live in the cached kernel and grow with every "
         "batch of true classes it sees"),
        ("g-only-learned", 55,
         [step(learned, true_classes=a, **base), step(learned, true_classes=a, **base)],
         "with only the global seed each call draws a new op seed, so each call gets a "
         "fresh kernel and fresh learned counts"),
        ("losses-that-raise", 1234,
         [step(lu, seed=7, true_classes=a, **base),
          step("sampled_softmax_loss", seed=7, true_classes=a, num_sampled=6, num_classes=40,
               input_dim=4),
          step(lu, seed=7, true_classes=a, **base),
          step("nce_loss", true_classes=[[1], [45], [0]], num_sampled=5, num_classes=40,
               input_dim=3),
          step(un, true_classes=a, **base),
          step("sampled_softmax_loss", true_classes=a, num_sampled=6, num_classes=40,
               input_dim=4),
          step(lu, true_classes=a, **base)],
         ("a loss that raises (inputs 4 wide for weights 3 wide: at its matmul; a label "
          "past num_classes: in its sampler) has drawn its default sample first: with seed "
          "7 step 2 continues the kernel that steps 0 and 1 moved on, with the global seed "
          "alone steps 3 and 5 take op seeds of the global sequence")),
        ("bool-seeds-and-lists", True,
         [step(un, seed=True, true_classes=a, as_list=True, **base),
          step("sampled_softmax_loss", true_classes=a, as_list=True, num_sampled=6,
               num_classes=40, input_dim=3),
          step(lu, true_classes=a, as_list=True, **base),
          step(hits, true_classes=a, hits_of=2, as_list=True, num_true=1)],
         ("a bool seed is its int (Python's bool is an int): set_seed(True) and seed=True "
          "are 1; ids given as Python lists, which the samplers and compute_accidental_hits "
          "convert; the loss fails on a list of labels before it draws, so step 2 takes the "
          "first op seed of the global sequence")),
    ]


def loss_stream_specs():
    ssm, nce = "sampled_softmax_loss", "nce_loss"
    return [
        (ssm, "gs-rah", (1234, 77), True, 1), (ssm, "gs-norah-t2", (1234, 77), False, 2),
        (ssm, "s-rah", (None, 77), True, 1), (ssm, "g-rah", (1234, None), True, 1),
        (ssm, "g-norah", (1234, None), False, 1),
        (nce, "g-norah", (1234, None), False, 1), (nce, "g-rah", (1234, None), True, 1),
        (nce, "g-norah-t2", (99, None), False, 2),
    ]


# --------------------------------------------------------------------------

def true_classes_of(rng, spec_tc, batch, num_true, limit):
    if spec_tc is not None:
        return np.array(spec_tc, np.int64)
    return rng.integers(0, limit, (batch, num_true)).astype(np.int64)


def sampler_args(op, kw, unigrams, vocab_counts, tmpdir, case_id):
    """TensorFlow keyword arguments (the vocab file written to ``tmpdir``)."""
    args = dict(kw)
    if unigrams is not None:
        args["unigrams"] = [float(u) for u in unigrams]
    if vocab_counts is not None:
        path = os.path.join(tmpdir, case_id + ".vocab")
        with open(path, "w") as f:
            for i, c in enumerate(vocab_counts):
                f.write("token%d,%r\n" % (i, float(c)))
        args["vocab_file"] = path
    return args


def build_stream_case(group, s, tmpdir):
    rng = common.case_rng(s["id"])
    op, kw = s["op"], s["kw"]
    unigrams = s["unigrams"]
    if unigrams == "random":
        n = kw["range_max"]
        unigrams = rng.integers(1, 40, n) * rng.choice([0.25, 0.5, 1.0], n)
    if unigrams is not None:
        unigrams = np.asarray(unigrams, F32)
    limit = kw.get("range_max", kw["num_sampled"])
    if limit > 2**31:
        limit = 1000
    tc = true_classes_of(rng, s["true_classes"], s["batch"], kw["num_true"], limit)
    vc = None if s["vocab_counts"] is None else np.asarray(s["vocab_counts"], F32)
    args = sampler_args(op, kw, unigrams, vc, tmpdir, s["id"])
    common.reset_stream(s["global_seed"])
    outputs = {}
    for i in range(s["calls"]):
        values = common.SAMPLERS[op](tf.constant(tc), seed=s["seed"], **args)
        for name, v in zip(common.SAMPLED_NAMES, values):
            outputs["call%d.%s" % (i, name)] = v.numpy()
    kwargs = dict(kw, global_seed=s["global_seed"], seed=s["seed"], calls=s["calls"])
    inputs = {"true_classes": tc}
    if unigrams is not None:
        inputs["unigrams"] = unigrams
    if vc is not None:
        inputs["vocab_counts"] = vc
        kwargs["vocab_file"] = True
    notes = [s["notes"]] if s["notes"] else []
    notes.append("tf.random.set_seed(%r) then %d identical calls" % (s["global_seed"], s["calls"]))
    if unigrams is not None:
        notes.append("unigrams passed as a list of the float32 values of input 'unigrams'")
    cands = [outputs["call%d.sampled_candidates" % i] for i in range(s["calls"])]
    if kw["unique"] is False and any(len(set(c.tolist())) < len(c) for c in cands):
        notes.append("duplicated candidates occur")
    call = "tf.random.%s(true_classes, %s)" % (op, ", ".join(
        "%s=%s" % (k, "<file>" if k == "vocab_file" else ("<unigrams>" if k == "unigrams" else v))
        for k, v in sorted(dict(args, seed=s["seed"]).items())))
    group.add(s["id"], op, "tf2", call, kwargs, inputs=inputs, outputs=outputs,
              tolerance=EXACT, notes="; ".join(notes))


def build_sequence_case(name, global_seed, steps):
    case_id = "tf2.sequence." + name
    rng = common.case_rng(case_id)
    common.reset_stream(global_seed)
    inputs, outputs, seq = {}, {}, []
    for i, st in enumerate(steps):
        tc = np.array(st["true_classes"], np.int64)
        inputs["step%d.true_classes" % i] = tc
        entry = dict(op=st["op"], kwargs=dict(st["kw"], seed=st["seed"]))
        if st["as_list"]:
            entry["as_list"] = True
        if st["op"] == "compute_accidental_hits":
            if st["hits_of"] is None:
                cands = rng.integers(0, 8, 6).astype(np.int64)
                inputs["step%d.sampled_candidates" % i] = cands
                entry["sampled_candidates"] = "input"
            else:
                cands = outputs["step%d.sampled_candidates" % st["hits_of"]]
                entry["sampled_candidates"] = "step%d" % st["hits_of"]
            values = tf.nn.compute_accidental_hits(ids_of(st, tc), ids_of(st, cands),
                                                   seed=st["seed"], **st["kw"])
            names = ("indices", "ids", "weights")
        elif st["op"] in LOSS_STEPS:
            loss_step(i, st, tc, inputs, entry)
            values, names = (), ()
        else:
            values = common.SAMPLERS[st["op"]](ids_of(st, tc), seed=st["seed"], **st["kw"])
            names = common.SAMPLED_NAMES
        for n, v in zip(names, values):
            outputs["step%d.%s" % (i, n)] = v.numpy()
        seq.append(entry)
    return case_id, inputs, outputs, seq


def add_sequence_case(group, name, global_seed, steps, notes):
    case_id, inputs, outputs, seq = build_sequence_case(name, global_seed, steps)
    group.add(case_id, "sequence", "tf2",
              "tf.random.set_seed(%r); then the ops of kwargs['sequence'] in order" % global_seed,
              {"global_seed": global_seed, "sequence": seq}, inputs=inputs, outputs=outputs,
              tolerance=EXACT,
              notes=notes + "; inputs step<i>.true_classes per step; a compute_accidental_hits "
                            "step reads the candidates of the step named in 'sampled_candidates' "
                            "(or its own input); a loss step takes step<i>.weights, .biases, "
                            ".inputs and its true classes as labels, and 'raises' says whether "
                            "TensorFlow raised")


def build_loss_stream_case(group, op, name, seeds, rah, num_true):
    case_id = "tf2.stream.%s.%s" % (op, name)
    rng = common.case_rng(case_id)
    g, s = seeds
    n, d, b, num_sampled = 50, 8, 4, 8
    weights = (rng.standard_normal((n, d)) * 0.5).astype(F32)
    biases = (rng.standard_normal(n) * 0.5).astype(F32)
    inputs = (rng.standard_normal((b, d)) * 0.5).astype(F32)
    labels = np.stack([rng.choice(12, num_true, replace=False) for _ in range(b)]).astype(np.int64)
    kwargs = dict(num_sampled=num_sampled, num_classes=n, num_true=num_true,
                  remove_accidental_hits=rah)
    call_kw = dict(kwargs)
    if op == "sampled_softmax_loss":
        call_kw["seed"] = s
    common.reset_stream(g)
    outputs = {}
    for i in range(CALLS):
        loss = common.call_loss(op, "tf2", tf.constant(weights), tf.constant(biases),
                                tf.constant(labels), tf.constant(inputs), call_kw, None)
        outputs["call%d.loss" % i] = loss.numpy()
    scale = (np.abs(inputs) @ np.abs(weights).T).max() + np.abs(biases).max() + 10.0
    atol = common.magnitude_atol(1e-6, scale, *outputs.values())
    notes = ("tf.random.set_seed(%r) then %d identical calls with sampled_values=None "
             "(default log-uniform unique sampler)" % (g, CALLS))
    if op == "nce_loss":
        notes += "; nce_loss has no seed argument, so each call draws its sampler's op seed "
        notes += "from the global sequence"
        if rah:
            notes += ", and compute_accidental_hits draws one more"
    elif s is None:
        notes += "; seed=None: op seeds drawn from the global sequence"
        if rah:
            notes += " (the sampler's, then compute_accidental_hits')"
    group.add(case_id, op, "tf2",
              "tf.nn.%s(weights, biases, labels, inputs, %s)" % (op, ", ".join(
                  "%s=%r" % kv for kv in sorted(call_kw.items()))),
              dict(kwargs, global_seed=g, seed=s if op == "sampled_softmax_loss" else None,
                   calls=CALLS),
              inputs={"weights": weights, "biases": biases, "labels": labels, "inputs": inputs,
                      "sampled_values": None},
              outputs=outputs, tolerance={"rtol": 1e-5, "atol": atol}, notes=notes)


def main():
    group = VectorGroup("tf2_samplers", "tensorflow", tf.__version__, "oracles/tf2_samplers.py")
    tmpdir = tempfile.mkdtemp(prefix="tf2_samplers_")
    try:
        for s in stream_specs():
            build_stream_case(group, s, tmpdir)
    finally:
        shutil.rmtree(tmpdir)
    for name, g, steps, notes in sequence_specs():
        add_sequence_case(group, name, g, steps, notes)
    for args in loss_stream_specs():
        build_loss_stream_case(group, *args)
    path = group.save()
    print("wrote %s (%d cases)" % (path, len(group._cases)))


if __name__ == "__main__":
    main()

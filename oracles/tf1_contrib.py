"""Golden vectors for the TensorFlow 1.15 contrib losses.

Runs under the ``tf1`` oracle environment (Python 3.7, tensorflow-cpu 1.15.0,
NumPy 1.16.6) and writes ``spec/vectors/tf1_contrib.{json,npz}``:

* ``tf.contrib.nn.rank_sampled_softmax_loss``  (op ``rank_sampled_softmax_loss``)
* ``tf.contrib.nn.sampled_sparse_softmax_loss`` (op ``sampled_sparse_softmax_loss``)

Every case is one row of ``RANK_CASES``, ``SPARSE_CASES`` or ``ERROR_CASES``;
``build_case`` turns a row into arrays, runs the real op in a ``tf.Session``
and records the loss and the gradients of ``sum(loss * cotangent)``.
``sampled_values`` are always passed explicitly: either taken from a real TF
candidate sampler (run in its own session with fixed graph and op seeds) or
written by hand.  Everything is deterministic.

    .oracle-envs/tf1/bin/python oracles/tf1_contrib.py
"""
from __future__ import print_function

import os
import sys
import warnings
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vectorio import VectorGroup  # noqa: E402

tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)

GRAPH_SEED = 1234          # tf.set_random_seed for every sampler graph
LEARNED_STEPS = 3          # learned_unigram: use the 3rd session.run (counts no longer uniform)
MIN_BOUNDARY_GAP = 1e-3    # rank: required score gap between the last kept and first dropped

RANK_CALL = ("tf.contrib.nn.rank_sampled_softmax_loss(weights, biases, labels, inputs, "
             "num_sampled, num_resampled, num_classes, num_true, sampled_values, "
             "resampling_temperature, remove_accidental_hits, partition_strategy)")
SPARSE_CALL = ("tf.contrib.nn.sampled_sparse_softmax_loss(weights, biases, labels, inputs, "
               "num_sampled, num_classes, sampled_values=sampled_values, "
               "remove_accidental_hits=..., partition_strategy=...)")


# --------------------------------------------------------------------------
# Case table
# --------------------------------------------------------------------------
# Keys of a case row (defaults in RANK_DEFAULTS / SPARSE_DEFAULTS):
#   B, D, C          batch size, embedding dim, num_classes
#   num_true         true labels per row (sparse: always 1)
#   S, R             num_sampled, num_resampled (R: rank only)
#   T                resampling_temperature (rank only)
#   hits             remove_accidental_hits
#   strategy         partition_strategy
#   shards           None: one weights tensor; n: list of n shards (sizes as
#                    embedding_lookup expects for `strategy`)
#   bias_shards      shard the biases like the weights (else one tensor)
#   sampler          ("learned", seed, unique) | ("log_uniform", seed, unique) |
#                    ("hand", ids, sampled_counts, true_count)
#   labels           "random" (distinct per row) | "top" (the row's highest full
#                    logits, so resampling tends to keep them) | explicit list
#   scale            multiplies the inputs (large-logit cases)
#   need_hits        assert that accidental hits really occur among the
#                    candidates the loss sees (phase-2 kept ones for rank)
#   allow_tie        the boundary of top_k is an exact tie on purpose
#   duplicate_row    sparse only: evaluate a 1-row case as row 0 of a 2-row
#                    call with that row repeated and cotangent (c, 0)
#   data             name that seeds the random arrays (cases sharing it share
#                    weights, biases, inputs, labels and cotangent); default: id
#   note             what the case exercises

RANK_DEFAULTS = dict(B=4, D=6, C=13, num_true=1, S=8, R=3, T=1.0, hits=True,
                     strategy="div", shards=None, bias_shards=False,
                     sampler=("learned", 11, True), labels="random", scale=1.0,
                     need_hits=False, allow_tie=False, data=None, note="")

SPARSE_DEFAULTS = dict(B=4, D=6, C=13, num_true=1, S=6, hits=True, strategy="mod",
                       shards=None, bias_shards=False, sampler=("log_uniform", 21, True),
                       labels="random", scale=1.0, need_hits=False, duplicate_row=False,
                       data=None, note="")


def rank(case_id, **kw):
    row = dict(RANK_DEFAULTS, op="rank_sampled_softmax_loss", id="contrib.rank." + case_id)
    row.update(kw)
    return row


def sparse(case_id, **kw):
    row = dict(SPARSE_DEFAULTS, op="sampled_sparse_softmax_loss",
               id="contrib.sparse." + case_id)
    row.update(kw)
    return row


RANK_CASES = [
    # resampling temperature
    rank("t0p1", T=0.1, data="temperature1", B=6, S=10, R=4, need_hits=True,
         note="low temperature; t0p1, t1, t3, t10 share their data and keep different sets"),
    rank("t1", T=1.0, data="temperature1", B=6, S=10, R=4, need_hits=True),
    rank("t3", T=3.0, data="temperature1", B=6, S=10, R=4, need_hits=True),
    rank("t10", T=10.0, data="temperature1", B=6, S=10, R=4, need_hits=True,
         note="high temperature"),
    rank("t0p1_mod3", T=0.1, strategy="mod", shards=3, bias_shards=True),
    rank("t10_mod3", T=10.0, strategy="mod", shards=3, bias_shards=True),
    rank("t3_b8_d16", B=8, D=16, T=3.0, sampler=("learned", 12, True)),
    # num_sampled / num_resampled
    rank("r1", R=1, sampler=("log_uniform", 31, True), note="num_resampled = 1"),
    rank("r7", R=7, sampler=("log_uniform", 31, True), note="num_resampled = num_sampled - 1"),
    rank("r4", R=4, sampler=("log_uniform", 31, True)),
    rank("s2_r1", S=2, R=1, sampler=("log_uniform", 32, True), note="smallest legal sizes"),
    rank("s13_r12", S=13, R=12, sampler=("learned", 13, True),
         note="num_sampled = num_classes (unique sampler returns every class)"),
    rank("c64_s32_r8", B=8, D=16, C=64, S=32, R=8, sampler=("learned", 14, True), labels="top"),
    rank("c64_s32_r31", B=8, D=16, C=64, S=32, R=31, sampler=("log_uniform", 33, True)),
    # accidental hits, num_true 1 and 2
    rank("hits_on", data="hits", labels="top", T=0.5, need_hits=True),
    rank("hits_off", data="hits", labels="top", T=0.5, hits=False, need_hits=True,
         note="same data as hits_on, hits kept as negatives"),
    rank("nt2_hits_on", num_true=2, data="nt2_hits", labels="top", need_hits=True,
         sampler=("learned", 15, True)),
    rank("nt2_hits_off", num_true=2, data="nt2_hits", labels="top", hits=False, need_hits=True,
         sampler=("learned", 15, True), note="same data as nt2_hits_on"),
    rank("nt2_t0p1_r5", num_true=2, T=0.1, R=5, labels="top", need_hits=True,
         sampler=("learned", 16, True)),
    rank("nt2_div3_biasshards", num_true=2, shards=3, bias_shards=True, strategy="div",
         sampler=("learned", 17, True)),
    rank("nt2_mod3", num_true=2, shards=3, strategy="mod", sampler=("learned", 17, True)),
    rank("nt2_same_label_twice", num_true=2, labels=[[2, 2], [5, 7], [7, 5], [0, 12]],
         sampler=("log_uniform", 34, True), note="a row whose two true labels are equal"),
    # partition strategies over uneven shards
    rank("div3_c13", shards=3, strategy="div", note="13 classes in shards of 5, 4, 4"),
    rank("mod3_c13", shards=3, strategy="mod", note="13 classes in shards of 5, 4, 4"),
    rank("div3_c13_biasshards", shards=3, strategy="div", bias_shards=True),
    rank("mod3_c13_biasshards", shards=3, strategy="mod", bias_shards=True),
    rank("div4_c11", C=11, S=6, R=2, shards=4, strategy="div", sampler=("learned", 18, True),
         note="11 classes in shards of 3, 3, 3, 2"),
    rank("mod4_c11_biasshards", C=11, S=6, R=2, shards=4, strategy="mod", bias_shards=True,
         sampler=("learned", 18, True)),
    rank("div5_c64", B=6, D=8, C=64, S=24, R=10, shards=5, strategy="div", bias_shards=True,
         sampler=("log_uniform", 35, True), labels="top",
         note="64 classes in shards of 13, 13, 13, 13, 12"),
    rank("mod5_c64", B=6, D=8, C=64, S=24, R=10, shards=5, strategy="mod",
         sampler=("log_uniform", 35, True), labels="top"),
    rank("mod_single_tensor", strategy="mod", note="'mod' with one weights tensor"),
    rank("div2_c7", C=7, S=5, R=2, shards=2, strategy="div", bias_shards=True,
         sampler=("learned", 19, True), note="7 classes in shards of 4, 3"),
    # samplers
    rank("logu_unique", sampler=("log_uniform", 36, True)),
    rank("logu_nonunique", data="nonunique", sampler=("log_uniform", 38, False), labels="top",
         T=0.3, note="unique=False: natural duplicates; a duplicated true label is kept twice"),
    rank("logu_nonunique_hits_off", data="nonunique", sampler=("log_uniform", 38, False),
         labels="top", T=0.3, hits=False),
    rank("learned_nonunique", sampler=("learned", 20, False), R=4),
    # hand-built sampled values
    rank("hand_dup_hit", data="hand_dup", labels=[[8], [2], [9], [6]], R=4,
         sampler=("hand", [8, 8, 1, 7, 8, 11, 3, 0], [0.5] * 8, 0.5), need_hits=True,
         note="id 8 three times, all kept, and the true label of row 0: only one copy "
              "(the last) is masked, the other two stay as negatives of row 0"),
    rank("hand_dup_hit_off", data="hand_dup", labels=[[8], [2], [9], [6]], R=4, hits=False,
         sampler=("hand", [8, 8, 1, 7, 8, 11, 3, 0], [0.5] * 8, 0.5), need_hits=True),
    rank("hand_tie_boundary", labels=[[0], [1], [2], [3]], R=3, allow_tie=True, hits=False,
         sampler=("hand", [9, 2, 8, 8, 10, 0], [0.2, 0.3, 0.9, 0.4, 0.5, 0.6], 0.7),
         note="two copies of one id tie at the top_k boundary with different sampled "
              "counts: the lower position is kept"),
    rank("hand_all_hits", labels=[[1], [3], [1], [3]], S=4, R=2,
         sampler=("hand", [1, 3, 1, 3], [0.25, 0.25, 0.25, 0.25], 0.25),
         note="every candidate is a true label of some row"),
    rank("hand_counts_above_1", R=3, sampler=("hand", [0, 2, 5, 6, 8, 10, 12],
                                             [1.5, 0.1, 2.0, 0.01, 1.0, 3.0, 0.4], 1.8),
         note="expected counts above 1 and tiny ones; log Q is not part of the resampling score"),
    rank("b1", B=1, sampler=("learned", 21, True), note="batch of one row"),
    rank("large_inputs_t10", scale=25.0, T=10.0, sampler=("learned", 22, True),
         note="logits of a few hundred"),
]

SPARSE_CASES = [
    sparse("basic", data="sparse_basic"),
    sparse("hits_off", data="sparse_basic", hits=False, note="same data as basic"),
    sparse("hits_top", data="sparse_top", labels="top", need_hits=True,
           sampler=("log_uniform", 22, True), S=9),
    sparse("hits_top_off", data="sparse_top", labels="top", need_hits=True, hits=False,
           sampler=("log_uniform", 22, True), S=9, note="same data as hits_top"),
    sparse("learned", sampler=("learned", 23, True), need_hits=True),
    sparse("nonunique", sampler=("log_uniform", 29, False), need_hits=True,
           note="unique=False: a duplicated candidate equal to a true label"),
    sparse("div3_c13", shards=3, strategy="div"),
    sparse("mod3_c13", shards=3, strategy="mod"),
    sparse("div3_c13_biasshards", shards=3, strategy="div", bias_shards=True),
    sparse("mod3_c13_biasshards", shards=3, strategy="mod", bias_shards=True),
    sparse("div4_c11", C=11, shards=4, strategy="div", bias_shards=True),
    sparse("mod4_c11", C=11, shards=4, strategy="mod"),
    sparse("s1", S=1, sampler=("log_uniform", 25, True), note="num_sampled = 1"),
    sparse("s1_hit", S=1, labels=[[3], [7], [3], [0]], sampler=("hand", [3], [0.2], 0.2),
           note="the only candidate is the true label of rows 0 and 2: their loss is 0"),
    sparse("b1", B=1, duplicate_row=True,
           note="batch of one row; the B=1 call itself raises (see contrib.sparse.err.b1), "
                "so this is row 0 of the call with the row repeated and cotangent (c, 0)"),
    sparse("large_1e3", D=8, scale=300.0, note="logits around 1e3"),
    sparse("large_1e4", data="large_1e4", D=8, scale=3000.0, S=9, need_hits=True,
           note="logits around 1e4"),
    sparse("large_1e4_hits_off", data="large_1e4", D=8, scale=3000.0, S=9, hits=False,
           need_hits=True, note="same data as large_1e4"),
    sparse("c64_b8_d16", B=8, D=16, C=64, S=20, sampler=("learned", 26, True), labels="top"),
    sparse("hand_dup", labels=[[4], [2], [9], [6]], sampler=("hand", [4, 4, 1, 9], [0.5] * 4, 0.5),
           note="duplicate candidate equal to a true label: only its last copy is masked"),
]

# Error cases: (id, case row, note).  The row's `S` sets the number of (hand-made)
# candidates; `ns_override`, when present, is the num_sampled argument instead.
ERROR_CASES = [
    ("contrib.rank.err.nr_eq_ns", rank("x", S=8, R=8), "num_resampled == num_sampled"),
    ("contrib.rank.err.nr_gt_ns", rank("x", S=8, R=9), "num_resampled > num_sampled"),
    ("contrib.rank.err.ns_gt_nc", rank("x", S=8, R=3, C=13, ns_override=14),
     "num_sampled > num_classes (checked before num_resampled)"),
    ("contrib.rank.err.order", rank("x", S=8, R=20, ns_override=14),
     "num_sampled > num_classes and num_resampled >= num_sampled: the first check wins"),
    ("contrib.rank.err.bad_partition", rank("x", strategy="foo"),
     "unknown partition_strategy, even with one weights tensor"),
    ("contrib.rank.err.bad_partition_shards", rank("x", strategy="DIV", shards=3),
     "partition_strategy is case-sensitive"),
    ("contrib.rank.err.nr_negative", rank("x", R=-1),
     "negative num_resampled passes the Python checks and fails in top_k"),
    ("contrib.sparse.err.bad_partition_shards", sparse("x", strategy="foo", shards=3),
     "unknown partition_strategy with sharded weights (embedding_lookup raises); with one "
     "weights tensor TF accepts any string"),
    ("contrib.sparse.err.b1", sparse("x", B=1),
     "TF defect: labels are squeezed to a scalar when batch_size is 1"),
]


# --------------------------------------------------------------------------
# Builder
# --------------------------------------------------------------------------
def session():
    config = tf.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
    return tf.Session(config=config)


def shard(full, n, strategy):
    """Split rows of ``full`` the way embedding_lookup indexes ``n`` shards."""
    if n is None:
        return full
    if strategy == "mod":
        return [full[p::n] for p in range(n)]
    q, r = divmod(len(full), n)
    sizes = [q + 1] * r + [q] * (n - r)
    return np.split(full, np.cumsum(sizes)[:-1])


def shard_for_call(full, n, strategy):
    """Shard with 'div' sizes when the strategy string is not a valid one."""
    return shard(full, n, strategy if strategy in ("div", "mod") else "div")


def make_labels(spec, rng, w, b, x):
    B, C, nt = spec["B"], spec["C"], spec["num_true"]
    if isinstance(spec["labels"], list):
        return np.array(spec["labels"], np.int64)
    if spec["labels"] == "top":
        full = x.astype(np.float64).dot(w.astype(np.float64).T) + b
        return np.argsort(-full, axis=1, kind="mergesort")[:, :nt].astype(np.int64)
    return np.stack([rng.choice(C, nt, replace=False) for _ in range(B)]).astype(np.int64)


def run_sampler(spec, labels):
    """sampled_values as NumPy arrays, from a real sampler or the hand-written table."""
    kind = spec["sampler"][0]
    B, nt = labels.shape
    if kind == "hand":
        _, ids, counts, true_count = spec["sampler"]
        return [np.array(ids, np.int64), np.full((B, nt), true_count, np.float32),
                np.array(counts, np.float32)]
    _, seed, unique = spec["sampler"]
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(GRAPH_SEED)
        sampler = {"learned": tf.nn.learned_unigram_candidate_sampler,
                   "log_uniform": tf.nn.log_uniform_candidate_sampler}[kind]
        op = sampler(true_classes=tf.constant(labels), num_true=nt, num_sampled=spec["S"],
                     unique=unique, range_max=spec["C"], seed=seed)
        steps = LEARNED_STEPS if kind == "learned" else 1
        with session() as sess:
            for _ in range(steps):
                values = sess.run(op)
    return [np.asarray(values[0], np.int64), np.asarray(values[1], np.float32),
            np.asarray(values[2], np.float32)]


def sampler_note(spec, labels):
    kind = spec["sampler"][0]
    if kind == "hand":
        return "sampled_values written by hand"
    _, seed, unique = spec["sampler"]
    name = {"learned": "learned_unigram_candidate_sampler",
            "log_uniform": "log_uniform_candidate_sampler"}[kind]
    note = ("sampled_values from tf.nn.%s(labels, num_true=%d, num_sampled=%d, unique=%s, "
            "range_max=%d, seed=%d) after tf.set_random_seed(%d)"
            % (name, labels.shape[1], spec["S"], unique, spec["C"], seed, GRAPH_SEED))
    if kind == "learned":
        note += ", outputs of session.run number %d" % LEARNED_STEPS
    return note


def make_arrays(spec):
    rng = np.random.RandomState(zlib.crc32((spec["data"] or spec["id"]).encode("ascii")))
    B, D, C = spec["B"], spec["D"], spec["C"]
    w = rng.randn(C, D).astype(np.float32)
    b = (0.5 * rng.randn(C)).astype(np.float32)
    x = (spec["scale"] * rng.randn(B, D)).astype(np.float32)
    cot = rng.randn(B).astype(np.float32)
    labels = make_labels(spec, rng, w, b, x)
    return w, b, x, cot, labels


def call_op(spec, weights, biases, labels, inputs, sampled_values, num_sampled):
    if spec["op"] == "rank_sampled_softmax_loss":
        return tf.contrib.nn.rank_sampled_softmax_loss(
            weights=weights, biases=biases, labels=labels, inputs=inputs,
            num_sampled=num_sampled, num_resampled=spec["R"], num_classes=spec["C"],
            num_true=spec["num_true"], sampled_values=sampled_values,
            resampling_temperature=spec["T"], remove_accidental_hits=spec["hits"],
            partition_strategy=spec["strategy"])
    return tf.contrib.nn.sampled_sparse_softmax_loss(
        weights=weights, biases=biases, labels=labels, inputs=inputs,
        num_sampled=num_sampled, num_classes=spec["C"], sampled_values=sampled_values,
        remove_accidental_hits=spec["hits"], partition_strategy=spec["strategy"])


def kwargs_of(spec, num_sampled):
    kw = dict(num_sampled=num_sampled, num_classes=spec["C"],
              remove_accidental_hits=spec["hits"], partition_strategy=spec["strategy"])
    if spec["op"] == "rank_sampled_softmax_loss":
        kw.update(num_true=spec["num_true"], num_resampled=spec["R"],
                  resampling_temperature=spec["T"])
    return kw


def as_list(value):
    return value if isinstance(value, list) else [value]


def run_case(spec, w, b, x, cot, labels, sv):
    """Build the graph on constants, return loss, grads and rank diagnostics."""
    weights = shard(w, spec["shards"], spec["strategy"])
    biases = shard(b, spec["shards"], spec["strategy"]) if spec["bias_shards"] else b
    graph = tf.Graph()
    with graph.as_default():
        w_t = [tf.constant(a) for a in as_list(weights)]
        b_t = [tf.constant(a) for a in as_list(biases)]
        x_t = tf.constant(x)
        sv_t = tuple(tf.constant(a) for a in sv)
        loss = call_op(spec, w_t if isinstance(weights, list) else w_t[0],
                       b_t if isinstance(biases, list) else b_t[0],
                       tf.constant(labels), x_t, sv_t, len(sv[0]))
        objective = tf.reduce_sum(loss * tf.constant(cot))
        sources = w_t + b_t + [x_t]
        grads = [tf.convert_to_tensor(g) if g is not None else tf.zeros_like(s)
                 for g, s in zip(tf.gradients(objective, sources), sources)]
        fetch = {"loss": loss, "grads": grads}
        topk = [op for op in graph.get_operations() if op.type == "TopKV2"]
        if topk:
            fetch["kept"] = topk[0].outputs[1]
            fetch["scores"] = topk[0].inputs[0]
        with session() as sess:
            out = sess.run(fetch)
    nw, nb = len(w_t), len(b_t)
    g = out["grads"]
    out["grad_weights"] = g[:nw] if isinstance(weights, list) else g[0]
    out["grad_biases"] = g[nw:nw + nb] if isinstance(biases, list) else g[nw]
    out["grad_inputs"] = g[-1]
    return weights, biases, out


def boundary_gap(scores, kept, sv):
    """Smallest relative score margin between a kept and a dropped candidate.

    Copies of one id with one expected count are interchangeable, so a tie
    between them cannot change the loss and is not counted.
    """
    dropped = sorted(set(range(len(scores))) - set(kept.tolist()))
    gaps = [(scores[i] - scores[j]) / max(1.0, abs(float(scores[i])))
            for i in kept for j in dropped
            if (sv[0][i], sv[2][i]) != (sv[0][j], sv[2][j])]
    return min(gaps) if gaps else np.inf


def tolerance(loss, grads):
    gmax = max(float(np.max(np.abs(a))) if a.size else 0.0 for a in grads)
    return {"rtol": 1e-5, "atol": 1e-6 * max(1.0, float(np.max(np.abs(loss)))),
            "grad_rtol": 1e-5, "grad_atol": 1e-6 * max(1.0, gmax)}


def build_case(group, spec):
    w, b, x, cot, labels = make_arrays(spec)
    sv = run_sampler(spec, labels)
    notes = [spec["note"]] if spec["note"] else []
    notes.append(sampler_note(spec, labels))

    if spec.get("duplicate_row"):
        x2, labels2 = np.repeat(x, 2, 0), np.repeat(labels, 2, 0)
        cot2 = np.array([cot[0], 0], np.float32)
        sv2 = [sv[0], np.repeat(sv[1], 2, 0), sv[2]]
        weights, biases, out = run_case(spec, w, b, x2, cot2, labels2, sv2)
        out["loss"] = out["loss"][:1]
        out["grad_inputs"] = out["grad_inputs"][:1]
    else:
        weights, biases, out = run_case(spec, w, b, x, cot, labels, sv)

    outputs = {"loss": out["loss"]}
    label_set = set(labels.ravel().tolist())
    if "kept" in out:
        kept = sv[0][out["kept"]]
        outputs["resampled_candidates"] = np.sort(kept)
        notes.append("resampled_candidates: the kept ids sorted ascending (their order in TF "
                     "is irrelevant)")
        gap = boundary_gap(out["scores"], out["kept"], sv)
        if gap < MIN_BOUNDARY_GAP and not spec["allow_tie"]:
            raise RuntimeError("%s: top_k boundary too close (%g)" % (spec["id"], gap))
        seen = kept
    else:
        seen = sv[0]
    n_hits = sum(1 for c in seen.tolist() if c in label_set)
    if spec["need_hits"] and n_hits == 0:
        raise RuntimeError("%s: no accidental hit among the candidates" % spec["id"])
    notes.append("%d of the %d candidates the loss sees are true labels of some row"
                 % (n_hits, len(seen)))

    grads = {"weights": out["grad_weights"], "biases": out["grad_biases"],
             "inputs": out["grad_inputs"]}
    tol = tolerance(out["loss"], as_list(grads["weights"]) + as_list(grads["biases"]) +
                    [grads["inputs"]])
    group.add(spec["id"], spec["op"], "contrib",
              RANK_CALL if spec["op"] == "rank_sampled_softmax_loss" else SPARSE_CALL,
              kwargs_of(spec, len(sv[0])),
              {"weights": weights, "biases": biases, "labels": labels, "inputs": x,
               "sampled_values": sv},
              outputs=outputs, grads=grads, cotangent=cot, tolerance=tol,
              notes="; ".join(notes))


def build_error_case(group, case_id, spec, note):
    spec = dict(spec, id=case_id)
    w, b, x, _, labels = make_arrays(spec)
    sv = run_sampler(dict(spec, sampler=("hand", list(range(max(spec["S"], 1))),
                                         [0.5] * max(spec["S"], 1), 0.5)), labels)
    num_sampled = spec.get("ns_override", spec["S"])
    weights = shard_for_call(w, spec["shards"], spec["strategy"])
    graph = tf.Graph()
    with graph.as_default():
        w_t = [tf.constant(a) for a in weights] if isinstance(weights, list) else tf.constant(w)
        try:
            loss = call_op(spec, w_t, tf.constant(b), tf.constant(labels), tf.constant(x),
                           tuple(tf.constant(a) for a in sv), num_sampled)
            with session() as sess:
                sess.run(loss)
        except Exception as e:  # the oracle's exception is the expected value
            raises = {"type": type(e).__name__, "message": str(e).split("\n")[0]}
        else:
            raise RuntimeError("%s: expected an exception" % case_id)
    group.add(case_id, spec["op"], "contrib",
              RANK_CALL if spec["op"] == "rank_sampled_softmax_loss" else SPARSE_CALL,
              kwargs_of(spec, num_sampled),
              {"weights": weights, "biases": b, "labels": labels, "inputs": x,
               "sampled_values": sv},
              raises=raises, notes=note)


def main():
    group = VectorGroup("tf1_contrib", "tensorflow", tf.__version__, "oracles/tf1_contrib.py")
    for spec in RANK_CASES + SPARSE_CASES:
        build_case(group, spec)
    for case_id, spec, note in ERROR_CASES:
        build_error_case(group, case_id, spec, note)
    path = group.save()
    print("%s: %d cases" % (path, len(RANK_CASES) + len(SPARSE_CASES) + len(ERROR_CASES)))


if __name__ == "__main__":
    main()

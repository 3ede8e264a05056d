"""Golden vectors of TensorFlow 2.21's sampled losses -> spec/vectors/tf2_losses.{json,npz}.

Ops: tf.nn.sampled_softmax_loss / nce_loss (api tf2), tf.compat.v1.nn.* with
partition strategies over weight shards (api tf1), the private
nn_impl._compute_sampled_logits (op compute_sampled_logits) and
tf.nn.compute_accidental_hits.  Every loss case stores its sampled_values as an
input (drawn by a real TensorFlow sampler or built by hand), so the numbers do
not depend on the random stream; streams are covered by tf2_samplers.py.

    .oracle-envs/tf2/bin/python oracles/tf2_losses.py

The cases are the table built by ``loss_specs()``, ``hits_specs()`` and
``error_specs()``; one builder per kind turns a spec into a case.
"""
import numpy as np

import tf2_common as common
from tf2_common import tf, VectorGroup

F32 = np.float32

# Defaults of a loss case; every spec overrides some of them.
LOSS_DEFAULTS = dict(
    api="tf2",
    batch=4, dim=8, num_classes=40, num_true=1, num_sampled=8,
    sampler="log_uniform",     # log_uniform | uniform | learned | fixed | hand
    unique=True,
    candidates=None,           # sampled ids of a hand-built sampled_values
    unigrams=None,             # weights of the fixed sampler, else random counts
    labels=None,               # explicit labels, else random ones
    remove_accidental_hits=True,   # None: not passed (TensorFlow's default applies)
    partition_strategy=None,   # tf1: passed when not None; tf2 losses force 'div'
    shards=1,                  # number of weight shards (a plain array when 1)
    bias_shards=False,         # shard the biases like the weights
    label_dtype="int64",
    weight_scale=0.5, input_scale=0.5,
    positive=False,            # all weights and inputs positive, so every logit is > 0
    subtract_log_q=True,       # compute_sampled_logits only
    count_shapes=None,         # hand sampled_values: shapes of the two expected counts,
                               # else [B, T] and [S] (TensorFlow broadcasts them)
    grad_scale=1e-5,           # grad_rtol and the factor of grad_atol
    notes="",
)

SAMPLER_OPS = {
    "log_uniform": "log_uniform_candidate_sampler",
    "uniform": "uniform_candidate_sampler",
    "learned": "learned_unigram_candidate_sampler",
    "fixed": "fixed_unigram_candidate_sampler",
}
SAMPLER_SHORT = {"log_uniform": "logu", "uniform": "unif", "learned": "learned",
                 "fixed": "fixed", "hand": "hand"}
LEARNED_WARMUP = 3   # the learned sampler's values are those of its third call


def spec(op, name, **overrides):
    s = dict(LOSS_DEFAULTS)
    unknown = set(overrides) - set(s)
    if unknown:
        raise KeyError("unknown spec fields %s" % sorted(unknown))
    s.update(overrides)
    s["op"] = op
    s["id"] = "%s.%s.%s" % (s["api"], op, name)
    return s


HUGE = dict(weight_scale=1e18, input_scale=1e18, dim=4, positive=True, sampler="hand",
            num_true=2, batch=4, num_classes=12, labels=[[1, 5], [2, 5], [0, 7], [3, 9]],
            candidates=[5, 2, 8, 5, 9, 11, 0], num_sampled=7, remove_accidental_hits=True,
            grad_scale=1e-4)
"""Logits about 1e36 with accidental hits (id 5 sampled twice, a label of two rows)."""


def loss_specs():
    out = []
    ops = ("sampled_softmax_loss", "nce_loss")

    # 1. Real samplers: every op x num_true x sampler x accidental-hit removal.
    #    Non-unique samplers run on a small range so that duplicates occur.
    samplers = [("log_uniform", True), ("log_uniform", False), ("uniform", True),
                ("uniform", False), ("learned", True), ("fixed", False)]
    for op in ops:
        for nt, batch in ((1, 5), (2, 4), (3, 3)):
            for sampler, unique in samplers:
                for rah in (True, False):
                    small = not unique
                    out.append(spec(
                        op, "t%d-%s-%s-%s-b%d" % (nt, SAMPLER_SHORT[sampler],
                                                  "u" if unique else "nu",
                                                  "rah" if rah else "norah", batch),
                        batch=batch, num_true=nt, sampler=sampler, unique=unique,
                        num_classes=20 if small else 40, num_sampled=10 if small else 8,
                        remove_accidental_hits=rah))

    # 2. Hand-built sampled_values: duplicated ids, ids that are labels of several rows.
    hand = {
        1: dict(labels=[[3], [7], [3], [12], [7]], candidates=[3, 7, 7, 20, 3, 1, 12]),
        2: dict(labels=[[3, 7], [7, 1], [12, 3], [0, 5]], candidates=[7, 3, 3, 0, 9, 7, 1, 15]),
        3: dict(labels=[[1, 2, 3], [3, 4, 1], [9, 2, 8]], candidates=[2, 3, 2, 9, 10, 1, 3, 2]),
    }
    for op in ops:
        for nt, h in hand.items():
            for rah in (True, False):
                out.append(spec(
                    op, "t%d-hand-dups-hits-%s" % (nt, "rah" if rah else "norah"),
                    num_true=nt, batch=len(h["labels"]), num_classes=24,
                    num_sampled=len(h["candidates"]), sampler="hand",
                    labels=h["labels"], candidates=h["candidates"], remove_accidental_hits=rah,
                    notes="hand-built sampled_values: duplicated sampled ids that are "
                          "labels of several rows"))

    # 3. Edge cases, for both ops.
    for op in ops:
        out += [
            spec(op, "b1", batch=1, num_true=2, num_sampled=6,
                 notes="batch of one row"),
            spec(op, "s1", num_sampled=1, sampler="uniform",
                 notes="a single sampled class"),
            spec(op, "s1-hand-hit", num_sampled=1, sampler="hand", labels=[[4], [9], [4]],
                 batch=3, candidates=[4], notes="a single sampled class that is a hit in two rows"),
            spec(op, "large-logits-rah", weight_scale=30.0, input_scale=30.0, num_classes=32,
                 grad_scale=1e-4,
                 notes="logits about 1e3..1e4; atol scales with the logit magnitude, "
                       "grad bounds 1e-4 because the saturated softmax/sigmoid amplifies "
                       "rounding of logits that large"),
            spec(op, "large-logits-norah-t2", weight_scale=30.0, input_scale=30.0,
                 num_classes=32, num_true=2, remove_accidental_hits=False, grad_scale=1e-4,
                 notes="logits about 1e3..1e4 with two true classes; looser grad bounds as "
                       "in large-logits-rah"),
            spec(op, "labels-int32-t1", label_dtype="int32",
                 notes="int32 labels (TensorFlow casts them to int64)"),
            spec(op, "labels-int32-t2-hand", label_dtype="int32", num_true=2, sampler="hand",
                 labels=[[2, 5], [5, 11], [0, 2]], batch=3, candidates=[5, 2, 8, 5, 30, 0],
                 num_sampled=6, notes="int32 labels with hand-built hits"),
            spec(op, "t2-dup-label-hits", num_true=2, sampler="hand", batch=4,
                 labels=[[6, 6], [2, 9], [9, 9], [1, 6]], candidates=[6, 9, 3, 6, 0],
                 num_sampled=5,
                 notes="the same label twice in a row; that row's hit is reported twice by "
                       "compute_accidental_hits (scattered by assignment, so masked once)"),
            spec(op, "t3-dup-label-logu", num_true=3, batch=3, num_classes=16,
                 labels=[[0, 0, 5], [1, 2, 1], [3, 3, 3]], sampler="log_uniform",
                 num_sampled=6, notes="repeated labels in rows with the default sampler "
                                      "family (log-uniform, unique)"),
            spec(op, "fixed-zero-weight-label", sampler="fixed", unique=True, num_classes=10,
                 num_sampled=4, batch=3, labels=[[0], [5], [7]],
                 unigrams=[0, 3, 1, 4, 1, 5, 9, 2, 6, 5],
                 notes="label 0 has unigram weight 0: its true_expected_count is 0 and "
                       "-log(0) makes its true logit +inf, so that row's loss is NaN "
                       "(inf - inf); sampled softmax gradients of the row are NaN too, "
                       "nce_loss gradients stay finite (NaN is the expected value)"),
            spec(op, "counts-scalar", num_true=2, sampler="hand", batch=3,
                 labels=[[2, 5], [5, 11], [0, 2]], candidates=[5, 2, 8, 30, 0], num_sampled=5,
                 count_shapes=((), ()),
                 notes="hand-built sampled_values whose expected counts are 0-d: one count "
                       "for every true and every sampled class, broadcast"),
            spec(op, "counts-one", num_true=2, sampler="hand", batch=3,
                 labels=[[2, 5], [5, 11], [0, 2]], candidates=[5, 2, 8, 30, 0], num_sampled=5,
                 count_shapes=((2,), (1,)),
                 notes="hand-built sampled_values with true_expected_count [T] (one per "
                       "column) and sampled_expected_count [1], broadcast"),
            spec(op, "shards-div-13in3", shards=3, num_classes=13, num_sampled=5,
                 notes="tf2 api with a list of 3 uneven weight shards (partition 'div')"),
            spec(op, "shards-div-17in4-bias-shards", shards=4, num_classes=17, bias_shards=True,
                 num_true=2, num_sampled=6,
                 notes="tf2 api, 4 uneven weight shards and biases sharded the same way"),
        ]

    # NCE only: TensorFlow's sampled softmax is NaN at this scale (its soft-label cross
    # entropy multiplies the zero labels of masked columns by an infinite log-softmax).
    out.append(spec("nce_loss", "huge-logits-hits-rah", **HUGE,
                    notes="logits about 1e36 (weights and inputs about 1e18, all positive); "
                          "TensorFlow adds the bias, then -FLT_MAX at the last position of "
                          "each hit, so a masked logit is x.w + b - FLT_MAX and its sigmoid "
                          "cross entropy 0; a finite mask (-1e4, -1e20) leaves the hit a "
                          "loss of about 1e36"))

    # 4. TF1 api: partition strategies over uneven shards, sharded or whole biases.
    for op in ops:
        for strategy in ("mod", "div"):
            for n_classes, n_shards, nt in ((13, 3, 1), (17, 4, 2), (10, 3, 3), (12, 3, 1)):
                for bias_shards in (False, True):
                    out.append(spec(
                        op, "%s-%din%d-t%d-%s" % (strategy, n_classes, n_shards, nt,
                                                  "bias-shards" if bias_shards else "bias-whole"),
                        api="tf1", partition_strategy=strategy, shards=n_shards,
                        num_classes=n_classes, num_true=nt, batch=4, num_sampled=5,
                        bias_shards=bias_shards, sampler="uniform" if nt == 3 else "log_uniform",
                        notes="tf1 api, %d classes in %d shards (partition '%s'), biases %s"
                              % (n_classes, n_shards, strategy,
                                 "sharded the same way" if bias_shards else "one array")))
        for nt in (1, 2):
            out.append(spec(op, "defaults-t%d" % nt, api="tf1", num_true=nt,
                            remove_accidental_hits=None,
                            notes="tf1 api defaults: partition_strategy and "
                                  "remove_accidental_hits not passed, single weight array"))
        out.append(spec(op, "defaults-mod-shards-11in3", api="tf1", shards=3, num_classes=11,
                        num_sampled=5, remove_accidental_hits=None, partition_strategy=None,
                        notes="tf1 api defaults with shards: partition_strategy not passed, "
                              "so 'mod' applies (shards laid out for 'mod')"))

    # 5. compute_sampled_logits: log Q on/off x hit removal x num_true.
    op = "compute_sampled_logits"
    for nt, batch in ((1, 4), (2, 3), (3, 3)):
        for logq in (True, False):
            for rah in (True, False):
                out.append(spec(op, "t%d-logq-%s-%s" % (nt, "on" if logq else "off",
                                                        "rah" if rah else "norah"),
                                num_true=nt, batch=batch, num_classes=24, num_sampled=8,
                                subtract_log_q=logq, remove_accidental_hits=rah,
                                partition_strategy="div"))
    for rah in (True, False):
        out.append(spec(op, "t2-hand-dups-hits-%s" % ("rah" if rah else "norah"),
                        num_true=2, batch=4, num_classes=24, sampler="hand",
                        labels=hand[2]["labels"], candidates=hand[2]["candidates"],
                        num_sampled=len(hand[2]["candidates"]), remove_accidental_hits=rah,
                        partition_strategy="div",
                        notes="hand-built duplicates and hits; masked logits are -FLT_MAX "
                              "minus log Q; gradients still flow into masked columns"))
    out.append(spec(op, "huge-logits-hits-rah", partition_strategy="div", **HUGE,
                    notes="logits about 1e36 (weights and inputs about 1e18, all positive): "
                          "a masked logit is x.w + b - FLT_MAX - log Q, the bias and x.w "
                          "added before the mask, which shows at this scale"))
    out.append(spec(op, "mod-shards-13in3", shards=3, num_classes=13, num_sampled=5,
                    partition_strategy="mod", bias_shards=True,
                    notes="3 uneven shards with partition 'mod' (weights and biases)"))
    out.append(spec(op, "defaults", num_classes=24, remove_accidental_hits=None,
                    subtract_log_q=None,
                    notes="defaults of _compute_sampled_logits: subtract_log_q=True, "
                          "remove_accidental_hits=False, partition 'mod' (one array)"))
    return out


def make_labels(rng, s):
    if s["labels"] is not None:
        return np.array(s["labels"], np.int64)
    n = s["num_classes"]
    rows = []
    for _ in range(s["batch"]):
        row = []
        while len(row) < s["num_true"]:
            # Half the labels among the frequent small ids, so that samplers hit them.
            v = int(rng.integers(0, 8) if rng.random() < 0.5 else rng.integers(0, n))
            if v not in row:
                row.append(v)
        rows.append(row)
    return np.array(rows, np.int64)


def make_sampled(rng, s, labels):
    """(sampled_values, text of how they were made)."""
    if s["sampler"] == "hand":
        cands = np.array(s["candidates"], np.int64)
        true_shape, samp_shape = s["count_shapes"] or (labels.shape, cands.shape)
        true_ec = np.asarray(rng.uniform(0.05, 1.5, size=true_shape), F32)
        samp_ec = np.asarray(rng.uniform(0.05, 1.5, size=samp_shape), F32)
        return [cands, true_ec, samp_ec], "hand-built"
    name = SAMPLER_OPS[s["sampler"]]
    seed = common.case_seed(s["id"])
    kw = dict(num_true=s["num_true"], num_sampled=s["num_sampled"], unique=s["unique"],
              range_max=s["num_classes"], seed=seed)
    if s["sampler"] == "fixed":
        unigrams = s["unigrams"]
        if unigrams is None:
            unigrams = rng.integers(1, 50, s["num_classes"])
        kw.update(unigrams=[float(u) for u in unigrams], distortion=0.75)
    calls = LEARNED_WARMUP if s["sampler"] == "learned" else 1
    common.reset_stream(None)
    for _ in range(calls):
        values = common.SAMPLERS[name](tf.constant(labels), **kw)
    how = "tf.random.%s(labels, %s)" % (name, ", ".join(
        "%s=%s" % (k, v) for k, v in kw.items() if k != "unigrams"))
    if s["sampler"] == "fixed":
        how += " with unigrams=%s" % ("the first %d integers of the case generator"
                                      % s["num_classes"] if s["unigrams"] is None
                                      else [float(u) for u in s["unigrams"]])
    if calls > 1:
        how += ", call %d of one stream" % calls
    return [v.numpy() for v in values], how + " (no global seed)"


def loss_kwargs(s):
    kw = dict(num_sampled=s["num_sampled"], num_classes=s["num_classes"], num_true=s["num_true"])
    if s["remove_accidental_hits"] is not None:
        kw["remove_accidental_hits"] = s["remove_accidental_hits"]
    if s["op"] == "compute_sampled_logits" and s["subtract_log_q"] is not None:
        kw["subtract_log_q"] = s["subtract_log_q"]
    if s["partition_strategy"] is not None:
        kw["partition_strategy"] = s["partition_strategy"]
    return kw


def strategy_of(s):
    if s["api"] == "tf2" and s["op"] != "compute_sampled_logits":
        return "div"
    return s["partition_strategy"] or "mod"


def call_text(s, how):
    fn = {"tf2": "tf.nn.", "tf1": "tf.compat.v1.nn."}[s["api"]] + s["op"]
    if s["op"] == "compute_sampled_logits":
        fn = "tensorflow.python.ops.nn_impl._compute_sampled_logits"
    args = ", ".join("%s=%r" % kv for kv in sorted(loss_kwargs(s).items()))
    return "%s(weights, biases, labels, inputs, %s, sampled_values=<%s>)" % (fn, args, how)


def build_loss_case(group, s):
    rng = common.case_rng(s["id"])
    n, d, b = s["num_classes"], s["dim"], s["batch"]
    weights = (rng.standard_normal((n, d)) * s["weight_scale"]).astype(F32)
    biases = (rng.standard_normal(n) * 0.5).astype(F32)
    inputs = (rng.standard_normal((b, d)) * s["input_scale"]).astype(F32)
    if s["positive"]:
        weights, inputs = np.abs(weights), np.abs(inputs)
    labels = make_labels(rng, s)
    sampled, how = make_sampled(rng, s, labels)
    labels = labels.astype(s["label_dtype"])

    strategy = strategy_of(s)
    w_store = common.shard_rows(weights, s["shards"], strategy)
    b_store = common.shard_rows(biases, s["shards"], strategy) if s["bias_shards"] else biases
    w_vars = [tf.Variable(w) for w in common.as_list(w_store)]
    b_vars = [tf.Variable(v) for v in common.as_list(b_store)]
    w_arg = w_vars if isinstance(w_store, list) else w_vars[0]
    b_arg = b_vars if isinstance(b_store, list) else b_vars[0]
    x = tf.constant(inputs)
    kwargs = loss_kwargs(s)
    sv = [tf.constant(v) for v in sampled]

    is_logits = s["op"] == "compute_sampled_logits"
    width = s["num_true"] + s["num_sampled"]
    cot = rng.standard_normal((b, width) if is_logits else (b,)).astype(F32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = common.call_loss(s["op"], s["api"], w_arg, b_arg, tf.constant(labels), x,
                               kwargs, sv)
        target = out[0] if is_logits else out
        objective = tf.reduce_sum(target * cot)
    g = tape.gradient(objective, w_vars + b_vars + [x])
    gw = [common.dense(t, v) for t, v in zip(g[:len(w_vars)], w_vars)]
    gb = [common.dense(t, v) for t, v in zip(g[len(w_vars):-1], b_vars)]
    gx = common.dense(g[-1], x)
    if is_logits:
        outputs = {"logits": out[0].numpy(), "labels": out[1].numpy()}
    else:
        outputs = {"loss": out.numpy()}
    grads = {"weights": gw if isinstance(w_store, list) else gw[0],
             "biases": gb if isinstance(b_store, list) else gb[0],
             "inputs": gx}

    # Rounding happens at the scale of sum_d |w x| + |b| + |log Q|, which can be
    # far above the value itself (cancellation, large logits).
    with np.errstate(divide="ignore"):   # an expected count of 0 (zero unigram weight)
        log_q = np.abs(np.log(np.concatenate([sampled[1].ravel(), sampled[2].ravel()])))
    scale = ((np.abs(inputs) @ np.abs(weights).T).max() + np.abs(biases).max()
             + log_q[np.isfinite(log_q)].max())
    atol = common.magnitude_atol(1e-6, scale, *outputs.values())
    grad_atol = common.magnitude_atol(s["grad_scale"], gx, *(gw + gb))
    tolerance = {"rtol": 1e-5, "atol": atol, "grad_rtol": s["grad_scale"], "grad_atol": grad_atol}

    notes = [s["notes"]] if s["notes"] else []
    notes.append("sampled_values: " + how)
    cands = sampled[0]
    dup = len(set(cands.tolist())) < len(cands)
    hits = int(np.isin(cands, labels).sum())
    notes.append("%s duplicated sampled ids; %d sampled positions equal some label"
                 % ("has" if dup else "no", hits))
    if s["shards"] > 1:
        notes.append("weights in %d shards laid out for partition '%s'" % (s["shards"], strategy))
    if s["label_dtype"] != "int64":
        notes.append("labels stored as %s" % s["label_dtype"])
    group.add(s["id"], s["op"], s["api"], call_text(s, how), kwargs,
              inputs={"weights": w_store, "biases": b_store, "labels": labels,
                      "inputs": inputs, "sampled_values": sampled},
              outputs=outputs, grads=grads, cotangent=cot, tolerance=tolerance,
              notes="; ".join(notes))


# --------------------------------------------------------------------------
# compute_accidental_hits

def hits_specs():
    """(name, true_classes, sampled_candidates, notes)."""
    return [
        ("t1-basic", [[1], [4], [7]], [4, 0, 1, 9], "one hit per row for two rows"),
        ("t1-dup-sampled", [[3], [5]], [3, 5, 3, 3, 8, 5],
         "duplicated sampled ids: only the LAST position of each value is reported"),
        ("t1-no-hits", [[10], [11], [12]], [0, 1, 2, 3], "no hits at all: empty outputs"),
        ("t1-all-hits", [[2], [2], [2]], [2, 2, 2],
         "every sampled id is a hit of every row; only position 2 (the last) is reported"),
        ("t2-basic", [[1, 2], [3, 4]], [2, 9, 3, 1], "row-major over (row, true label)"),
        ("t2-label-order", [[9, 1], [1, 9]], [1, 5, 9],
         "order within a row follows the true labels, not the sampled positions"),
        ("t2-dup-label", [[6, 6], [2, 9]], [6, 9, 6],
         "a label twice in a row gives the same (row, position) twice"),
        ("t2-all-hits", [[0, 1], [1, 0]], [0, 1, 1, 0], "every sampled id a hit, duplicated"),
        ("t3-mixed", [[1, 2, 3], [3, 4, 1], [9, 2, 8]], [2, 3, 2, 9, 10, 1, 3, 2],
         "three true classes, duplicated sampled ids"),
        ("t3-no-hits", [[1, 2, 3]], [4, 5, 6, 7], "batch of one, no hits"),
        ("t3-all-same", [[5, 5, 5], [5, 0, 5]], [5, 5], "all labels equal, all sampled equal"),
        ("t1-single-sample", [[0], [1]], [1], "one sampled id"),
        ("t1-large-ids", [[999999], [123456]], [123456, 999999, 7], "ids far above 2**16"),
    ]


def build_hits_case(group, name, true_classes, sampled, notes):
    tc = np.array(true_classes, np.int64)
    sc = np.array(sampled, np.int64)
    num_true = tc.shape[1]
    idx, ids, w = tf.nn.compute_accidental_hits(tf.constant(tc), tf.constant(sc), num_true)
    w = w.numpy()
    mask_values = sorted(set(w.tolist()))
    group.add("tf2.compute_accidental_hits." + name, "compute_accidental_hits", "tf2",
              "tf.nn.compute_accidental_hits(true_classes, sampled_candidates, num_true=%d)"
              % num_true,
              {"num_true": num_true},
              inputs={"true_classes": tc, "sampled_candidates": sc},
              outputs={"indices": idx.numpy(), "ids": ids.numpy(), "weights": w},
              tolerance={"rtol": 0.0, "atol": 0.0},
              notes="%s; outputs int32 indices, int64 ids, float32 weights %s"
                    % (notes, mask_values or "(none)"))


# --------------------------------------------------------------------------
# Error cases: each call runs in a child process (see tf2_common.run_probe).

ERROR_BASE = dict(batch=4, dim=8, num_classes=20, num_true=1, num_sampled=5)


def error_specs():
    """(name, what changes, notes).  ``what`` maps to edits of the base arrays."""
    return [
        ("label-too-large", dict(label=(1, 20)), "label == num_classes, hand sampled_values"),
        ("label-too-large-default-sampler", dict(label=(1, 25), sampler=True),
         "label > num_classes, default log-uniform sampler"),
        ("label-negative", dict(label=(2, -1)), "label -1, hand sampled_values"),
        ("label-negative-default-sampler", dict(label=(2, -3), sampler=True),
         "label -3, default sampler"),
        ("sampled-id-too-large", dict(candidate=(3, 20)),
         "a hand-built sampled id == num_classes"),
        ("batch-mismatch", dict(input_rows=3), "4 label rows, 3 input rows"),
        ("labels-rank1", dict(labels_shape=(4,)), "labels of shape [B] instead of [B, 1]"),
        ("labels-rank1-default-sampler", dict(labels_shape=(4,), sampler=True),
         "labels of shape [B], default sampler"),
        ("labels-rank1-norah", dict(labels_shape=(4,), rah=False),
         "labels of shape [B], hand sampled_values, remove_accidental_hits=False"),
        ("labels-rank3", dict(labels_shape=(4, 1, 1)), "labels of shape [B, 1, 1]"),
        ("labels-rank3-norah", dict(labels_shape=(4, 1, 1), rah=False),
         "labels of shape [B, 1, 1], remove_accidental_hits=False"),
        ("num-true-mismatch", dict(num_true=2), "labels [B, 1] with num_true=2"),
        ("num-sampled-gt-classes", dict(num_sampled=25, sampler=True),
         "num_sampled > num_classes with the default unique sampler"),
    ]


def build_error_case(group, op, name, what, notes):
    case_id = "tf2.%s.error-%s" % (op, name)
    rng = common.case_rng(case_id)
    b, d, n = ERROR_BASE["batch"], ERROR_BASE["dim"], ERROR_BASE["num_classes"]
    num_true = what.get("num_true", ERROR_BASE["num_true"])
    num_sampled = what.get("num_sampled", ERROR_BASE["num_sampled"])
    weights = (rng.standard_normal((n, d)) * 0.5).astype(F32)
    biases = (rng.standard_normal(n) * 0.5).astype(F32)
    inputs = (rng.standard_normal((what.get("input_rows", b), d)) * 0.5).astype(F32)
    labels = rng.integers(0, n, (b, 1)).astype(np.int64)
    if "label" in what:
        row, value = what["label"]
        labels[row, 0] = value
    sampled = None
    if not what.get("sampler"):
        cands = rng.choice(n, num_sampled, replace=False).astype(np.int64)
        if "candidate" in what:
            pos, value = what["candidate"]
            cands[pos] = value
        sampled = [cands, rng.uniform(0.05, 1.5, (b, num_true)).astype(F32),
                   rng.uniform(0.05, 1.5, num_sampled).astype(F32)]
    if "labels_shape" in what:
        labels = labels.reshape(what["labels_shape"])
    kwargs = dict(num_sampled=num_sampled, num_classes=n, num_true=num_true,
                  remove_accidental_hits=what.get("rah", True))
    if sampled is None and op == "sampled_softmax_loss":
        kwargs["seed"] = common.case_seed(case_id)
    arrays = {"weights": weights, "biases": biases, "labels": labels, "inputs": inputs,
              "sampled_values": sampled}
    raises = common.run_probe(op, "tf2", arrays, kwargs)
    group.add(case_id, op, "tf2",
              "tf.nn.%s(weights, biases, labels, inputs, %s, sampled_values=%s)" % (
                  op, ", ".join("%s=%r" % kv for kv in sorted(kwargs.items())),
                  "None" if sampled is None else "<hand-built>"),
              kwargs, inputs=arrays, raises=raises,
              notes="%s; TensorFlow's behaviour recorded in raises (type 'none': it returned)"
                    % notes)
    return raises


def main():
    group = VectorGroup("tf2_losses", "tensorflow", tf.__version__, "oracles/tf2_losses.py")
    for s in loss_specs():
        build_loss_case(group, s)
    for args in hits_specs():
        build_hits_case(group, *args)
    for op in ("sampled_softmax_loss", "nce_loss"):
        for name, what, notes in error_specs():
            raises = build_error_case(group, op, name, what, notes)
            print("%-22s %-34s %s: %s" % (op, name, raises["type"], raises["message"][:90]))
    path = group.save()
    print("wrote %s (%d cases)" % (path, len(group._cases)))


if __name__ == "__main__":
    main()

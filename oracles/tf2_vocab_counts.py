"""How TensorFlow 2.21 reads the counts of a fixed unigram sampler's vocabulary file.

``FixedUnigramSampler`` reads the last comma-separated field of each line with
``strings::safe_strtof``, as ``tf.strings.to_number(..., tf.float32)`` does: this records
that op's float32 bits (or its error) for hand-picked and seeded random fields, and the
samples of ``tf.random.fixed_unigram_candidate_sampler`` from small files whose second
line is such a field (or the error it raises), and from sharded files whose lines of the
other shards do not read (TensorFlow reads only its shard's lines).

    python oracles/tf2_vocab_counts.py   # writes spec/vocab_counts/tf2_vocab_counts.json
"""
import json
import os
import random
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import tensorflow as tf

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "spec", "vocab_counts",
                   "tf2_vocab_counts.json")

HAND = ["1.", ".5", "+.5", "-.5", "1e5", "1E+05", "1e", "e5", "0x", "0x1.8", "0x1.8p1",
        "0x.8p1", "+0x10", "-0x10", " 5", "5 ", "\t5\t", "\x0b5", "5\x0c", "\xa05", "0x10p",
        "1_0", "  ", "", "inf", "Infinity", "nan", "-0", "00012", "0x1P-2", "1e-50", "1e39",
        "16777217.00000000001", "0x10", "0X1P-2", "+0x1p3", "-0x0", "1.5e+", "++1", "+-1",
        "- 1", "+ 1", "0x1g", "1.2.3", "1e5.5", "0b101", "1d5", "1f", "\u0663", "\uff11",
        "3.4028235e38", "3.40282357e38", "0x1p128", "0x1p-149", "0x1p-150", "0x1.000001p0",
        "1e-45", "7e-46", "0x.p1", "0x1p+3", "0xAbC", "0x1.fffffffffffffffp0",
        " \t 0x10 \r", "\r", "1\n", "1e99999999", "0x1p-99999999", "1" + "0" * 60]
"""Fields at the edges of the syntax, the rounding and the range."""


def random_fields(count, seed=7):
    """Seeded random fields: decimals near float32 halfway points, any magnitude, hex
    floats, and strings of the syntax's characters."""
    rng = random.Random(seed)
    fields = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.3:
            fields.append(f"{rng.randint(2**24, 2**26)}.{rng.randint(0, 10**rng.randint(1, 25))}")
        elif kind < 0.5:
            fields.append(f"{rng.uniform(0, 1):.{rng.randint(1, 30)}g}e{rng.randint(-50, 45)}")
        elif kind < 0.65:
            digits = "".join(rng.choice("0123456789abcdefABCDEF") for _ in range(rng.randint(1, 12)))
            fraction = "".join(rng.choice("0123456789abcdef") for _ in range(rng.randint(0, 10)))
            fields.append(f"{rng.choice(['', '+', '-'])}0x{digits}"
                          f"{'.' + fraction if rng.random() < 0.5 else ''}"
                          f"{'p' + str(rng.randint(-160, 130)) if rng.random() < 0.7 else ''}")
        elif kind < 0.8:
            text = str(rng.randint(0, 10**rng.randint(1, 40)))
            cut = rng.randint(0, len(text))
            fields.append(text[:cut] + "." + text[cut:]
                          + (f"e{rng.randint(-60, 40)}" if rng.random() < 0.5 else ""))
        else:
            fields.append("".join(rng.choice("0123456789.eE+-xXpP _\t")
                                  for _ in range(rng.randint(1, 8))))
    return fields


def parsed(field):
    """``[field, bits]`` (float32 bits as an int) or ``[field, None]`` for an error."""
    try:
        value = tf.strings.to_number(field, out_type=tf.float32).numpy()
    except tf.errors.InvalidArgumentError:
        return [field, None]
    return [field, int(np.float32(value).view(np.uint32))]


def sampled(field, path):
    """The sampler over a file ``a,2 / <field> / b,3 / c,1`` at ``path`` (a new path each:
    TensorFlow keeps one kernel per op attributes, the file's path among them):
    candidates and expected counts, or that it raises."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("a,2\n" + field + "\nb,3\nc,1\n")
    true_classes = tf.constant([[0], [1]], tf.int64)
    try:
        values = tf.random.fixed_unigram_candidate_sampler(true_classes, 1, 4, False, 4,
                                                            vocab_file=path, seed=5)
    except tf.errors.InvalidArgumentError:
        return {"field": field, "raises": True}
    return {"field": field, "raises": False, **drawn(values)}


def drawn(values):
    """A sampler's three outputs as JSON lists."""
    return {"sampled_candidates": values[0].numpy().tolist(),
            "true_expected_count": values[1].numpy().ravel().tolist(),
            "sampled_expected_count": values[2].numpy().tolist()}


SHARDED = [
    # lines, num_reserved_ids, num_shards, shard, range_max
    (["a,2", "count", "b,3", "c,1", "d,4"], 0, 2, 0, 3),
    (["a,2", "count", "b,3", "c,1", "d,4"], 0, 2, 1, 2),
    (["a,2", "x,-1", "y,nan", "b,3", "", "z,inf", "w,word", "c,1"], 2, 3, 1, 4),
    (["a,2", "x,-1", "y,nan", "b,3", "", "z,inf", "w,word", "c,1"], 2, 3, 2, 2),
    (["w,1", "a,5", "\u00e9t\u00e9,x", "", "b,1"], 1, 2, 0, 3),
    (["w,1", "a,5", "\u00e9t\u00e9,x", "", "b,1"], 1, 2, 1, 2),
]
"""Sharded files: TensorFlow numbers the lines on from the reserved ids of its shard and
reads only the lines of its shard; the others may hold anything."""


def sharded(lines, num_reserved_ids, num_shards, shard, range_max, path):
    """The sampler over a sharded file of ``lines`` at ``path``: its samples, or that it
    raises."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("".join(line + "\n" for line in lines))
    case = {"lines": lines, "num_reserved_ids": num_reserved_ids, "num_shards": num_shards,
            "shard": shard, "range_max": range_max}
    try:
        values = tf.random.fixed_unigram_candidate_sampler(
            tf.constant([[0], [1]], tf.int64), 1, 4, False, range_max, vocab_file=path,
            num_reserved_ids=num_reserved_ids, num_shards=num_shards, shard=shard, seed=5)
    except tf.errors.InvalidArgumentError:
        return {**case, "raises": True}
    return {**case, "raises": False, **drawn(values)}


def main():
    fields = list(dict.fromkeys(HAND + random_fields(1500)))
    with tempfile.TemporaryDirectory() as folder:
        files = [sampled(f, os.path.join(folder, f"vocab{i}.txt")) for i, f in enumerate(
            ("16777217.00000000001", "0x10", "0x1.8p3", "1_0", " ", "\t", "2"))]
        shards = [sharded(*case, os.path.join(folder, f"shard{i}.txt"))
                  for i, case in enumerate(SHARDED)]
    data = {"tensorflow": tf.__version__, "fixed_unigram_seed": 5,
            "fields": [parsed(f) for f in fields], "files": files,
            "sharded_files": shards}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=0, ensure_ascii=True)
        f.write("\n")
    print(f"wrote {len(fields)} fields, {len(files)} files and {len(shards)} sharded files "
          f"to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()

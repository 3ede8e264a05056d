"""The demo's data set: a synthetic recommendation corpus with a known law.

Each example is a context (a user described by ``dim`` features) and a class (the item
the user picked, out of ``num_classes``). The classes fall into ``num_topics`` topics; a
context picks a topic by a softmax of its features against the topic vectors, then a
class of that topic by popularity:

    p(t | x) = softmax_t(x . u_t + beta_t)
    p(v | x) = p(t(v) | x) * prior_v / Z_t(v),    Z_t = sum of prior over the classes of t

``prior`` is a Zipf law (``prior_v`` proportional to ``(v + 1) ** -exponent``), so class
ids are sorted by decreasing frequency as TensorFlow's log-uniform sampler expects, and
the topic biases ``beta`` are calibrated so that, over the contexts, each topic is
picked with probability ``Z_t``: the classes of the corpus then follow the Zipf law
exactly. The law is a softmax regression,

    log p(v | x) = x . u_t(v) + beta_t(v) + log(prior_v / Z_t(v)) - log normaliser(x),

so the demo's model (``weights [V, D]``, ``biases [V]``) can represent it, and its
entropy gives the best perplexity any model can reach (:func:`optimal_perplexity`).
Everything is drawn from one seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

__all__ = [
    "Corpus",
    "CorpusSizes",
    "Examples",
    "corpus_sizes",
    "make_corpus",
    "optimal_params",
    "optimal_perplexity",
    "popularity_perplexity",
    "topic_probabilities",
    "zipf_law",
]

_CALIBRATION_ROUNDS = 100
_CALIBRATION_TOLERANCE = 1e-5


class Examples(NamedTuple):
    """Examples as two int64 arrays ``[n]``: the context of each (a row of
    :attr:`Corpus.features`) and its class."""

    contexts: np.ndarray
    labels: np.ndarray


class CorpusSizes(NamedTuple):
    """How many topics, contexts, training and held-out examples a corpus has."""

    topics: int
    contexts: int
    train: int
    held_out: int


def corpus_sizes(num_classes: int) -> CorpusSizes:
    """The demo's sizes for ``num_classes`` classes: ``isqrt(V)`` topics (of ``isqrt(V)``
    classes each); ``20 V`` contexts, ``40 V`` training and ``4 V`` held-out examples, up
    to 10,000 contexts, 1,000,000 training and 1,000 held-out examples."""
    return CorpusSizes(topics=max(2, math.isqrt(num_classes)),
                       contexts=min(10_000, 20 * num_classes),
                       train=min(1_000_000, 40 * num_classes),
                       held_out=min(1_000, 4 * num_classes))


@dataclass(frozen=True, eq=False)
class Corpus:
    """A generated corpus and the law it was drawn from.

    Attributes:
      features: float32 ``[K, D]``, the feature vector of each context.
      class_topics: int64 ``[V]``, the topic of each class.
      topic_vectors: float64 ``[C, D]``, ``u_t``.
      topic_biases: float64 ``[C]``, ``beta_t``.
      prior: float64 ``[V]``, the Zipf law of the classes.
      train, held_out: the examples.
    """

    features: np.ndarray
    class_topics: np.ndarray
    topic_vectors: np.ndarray
    topic_biases: np.ndarray
    prior: np.ndarray
    train: Examples
    held_out: Examples

    @property
    def num_classes(self) -> int:
        """``V``."""
        return int(self.prior.shape[0])

    @property
    def dim(self) -> int:
        """``D``, the number of features of a context."""
        return int(self.features.shape[1])

    @property
    def topic_mass(self) -> np.ndarray:
        """float64 ``[C]``: ``Z_t``, the prior mass of each topic's classes."""
        return np.bincount(self.class_topics, weights=self.prior,
                           minlength=int(self.topic_vectors.shape[0]))

    def inputs(self, examples: Examples) -> tuple[np.ndarray, np.ndarray]:
        """``(features [n, D] float32, labels [n] int64)`` of ``examples``."""
        return self.features[examples.contexts], examples.labels

    def batch(self, index: int, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``index``-th batch of training examples, in order, wrapping around at the end:
        ``(features [B, D] float32, labels [B] int64)``."""
        n = int(self.train.labels.shape[0])
        rows = (index * batch_size + np.arange(batch_size)) % n
        return self.inputs(Examples(self.train.contexts[rows], self.train.labels[rows]))


def zipf_law(num_classes: int, exponent: float = 1.0) -> np.ndarray:
    """float64 ``[V]``: ``p(v)`` proportional to ``(v + 1) ** -exponent``."""
    weights = np.arange(1, num_classes + 1, dtype=np.float64) ** -float(exponent)
    return weights / weights.sum()


def _softmax_rows(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _topic_logits(features: np.ndarray, topic_vectors: np.ndarray,
                  topic_biases: np.ndarray) -> np.ndarray:
    return features.astype(np.float64) @ topic_vectors.T + topic_biases


def _calibrated_biases(features: np.ndarray, topic_vectors: np.ndarray,
                       mass: np.ndarray) -> np.ndarray:
    """``beta`` such that the mean over ``features`` of ``p(t | x)`` is ``mass``
    (iterative proportional fitting; a few dozen rounds)."""
    biases = np.log(mass)
    affinity = _topic_logits(features, topic_vectors, np.zeros_like(mass))
    for _ in range(_CALIBRATION_ROUNDS):
        mean = _softmax_rows(affinity + biases).mean(axis=0)
        step = np.log(mass / mean)
        biases += step
        if np.abs(step).max() < _CALIBRATION_TOLERANCE:
            break
    return biases


def topic_probabilities(corpus: Corpus, contexts: np.ndarray | None = None) -> np.ndarray:
    """float64 ``[n, C]``: ``p(t | x)`` of the ``contexts`` (ids; ``None``: all of them)."""
    features = corpus.features if contexts is None else corpus.features[contexts]
    return _softmax_rows(_topic_logits(features, corpus.topic_vectors, corpus.topic_biases))


def _within_topic(class_topics: np.ndarray, prior: np.ndarray, mass: np.ndarray) -> tuple:
    """``(order, cumulative)``: the class ids grouped by topic (ascending within a topic),
    and for each, its topic plus the cumulative ``p(v | t)`` of its topic up to it, so
    that one ``searchsorted`` of ``t + u`` draws a class of topic ``t``."""
    order = np.argsort(class_topics, kind="stable")
    topics = class_topics[order]
    running = np.cumsum(prior[order] / mass[topics])
    first = np.searchsorted(topics, np.arange(mass.shape[0]))
    before = np.concatenate([[0.0], running])[first]
    return order, topics + running - before[topics]


def _draw_examples(rng: np.random.Generator, topic_probs: np.ndarray, class_topics: np.ndarray,
                   order: np.ndarray, cumulative: np.ndarray, n: int) -> Examples:
    """``n`` examples: contexts uniform, topics from ``topic_probs [K, C]`` (one
    ``searchsorted`` over the rows' CDFs laid end to end, row ``k`` shifted by ``k``),
    classes from :func:`_within_topic`'s ``(order, cumulative)``."""
    num_contexts, num_topics = topic_probs.shape
    counts = np.bincount(class_topics, minlength=num_topics)
    ends = np.cumsum(counts)
    starts = ends - counts
    # context + uniform, sorted: the searchsorted below then walks its table in order
    keys = np.sort(rng.integers(0, num_contexts, n) + rng.random(n))
    contexts = keys.astype(np.int64)
    cdf = np.cumsum(topic_probs, axis=1)
    cdf /= cdf[:, -1:]
    flat = (cdf + np.arange(num_contexts)[:, None]).ravel()
    topics = np.searchsorted(flat, keys, side="right") - contexts * num_topics
    topics = np.minimum(topics, num_topics - 1)
    positions = np.searchsorted(cumulative, topics + rng.random(n), side="right")
    positions = np.clip(positions, starts[topics], ends[topics] - 1)
    shuffle = rng.permutation(n)
    return Examples(contexts[shuffle], order[positions[shuffle]])


def make_corpus(num_classes: int, dim: int = 32, *, num_topics: int | None = None,
                num_contexts: int | None = None, num_train: int | None = None,
                num_held_out: int | None = None, sharpness: float = 3.0,
                zipf_exponent: float = 1.0, seed: int = 0) -> Corpus:
    """Draw a corpus (see the module documentation) from ``seed``.

    Args:
      num_classes: ``V``, at least 2.
      dim: ``D``, the number of features of a context.
      num_topics, num_contexts, num_train, num_held_out: sizes; ``None`` takes
        :func:`corpus_sizes`'. Every class belongs to one topic, and every topic has
        ``V // C`` or ``V // C + 1`` classes.
      sharpness: standard deviation of ``x . u_t``: how much a context tells about the
        topic (0: nothing, the classes then follow the Zipf law whatever the context).
      zipf_exponent: exponent of the class law.
      seed: the one source of randomness.

    Returns:
      A :class:`Corpus`: contexts with standard normal features, ``u_t`` normal with
      standard deviation ``sharpness / sqrt(D)``, the training and held-out examples
      drawn independently (context uniform, then the class from ``p(v | x)``).
    """
    sizes = corpus_sizes(num_classes)
    num_topics = sizes.topics if num_topics is None else num_topics
    num_contexts = sizes.contexts if num_contexts is None else num_contexts
    num_train = sizes.train if num_train is None else num_train
    num_held_out = sizes.held_out if num_held_out is None else num_held_out
    for name, value, low in (("num_classes", num_classes, 2), ("dim", dim, 1),
                             ("num_topics", num_topics, 1), ("num_contexts", num_contexts, 1),
                             ("num_train", num_train, 1), ("num_held_out", num_held_out, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name}: must be an int in [{low}, inf], got {value!r}")
    if num_topics > num_classes:
        raise ValueError(f"num_topics: must be in [1, num_classes={num_classes}], got {num_topics}")
    if not (math.isfinite(sharpness) and sharpness >= 0):
        raise ValueError(f"sharpness: must be a finite number >= 0, got {sharpness!r}")
    if not (math.isfinite(zipf_exponent) and zipf_exponent >= 0):
        raise ValueError(f"zipf_exponent: must be a finite number >= 0, got {zipf_exponent!r}")
    rng = np.random.default_rng(seed)
    prior = zipf_law(num_classes, zipf_exponent)
    class_topics = rng.permutation(np.arange(num_classes) % num_topics)
    topic_vectors = rng.standard_normal((num_topics, dim)) * (sharpness / math.sqrt(dim))
    features = rng.standard_normal((num_contexts, dim), dtype=np.float32)
    mass = np.bincount(class_topics, weights=prior, minlength=num_topics)
    topic_biases = _calibrated_biases(features, topic_vectors, mass)
    topic_probs = _softmax_rows(_topic_logits(features, topic_vectors, topic_biases))
    order, cumulative = _within_topic(class_topics, prior, mass)
    train = _draw_examples(rng, topic_probs, class_topics, order, cumulative, num_train)
    held_out = _draw_examples(rng, topic_probs, class_topics, order, cumulative, num_held_out)
    return Corpus(features, class_topics, topic_vectors, topic_biases, prior, train, held_out)


def optimal_params(corpus: Corpus) -> tuple[np.ndarray, np.ndarray]:
    """``(weights [V, D], biases [V])``, float32, of the softmax regression that is the
    corpus's own law: ``softmax(x . weights.T + biases) = p(v | x)``."""
    topics = corpus.class_topics
    biases = corpus.topic_biases[topics] + np.log(corpus.prior / corpus.topic_mass[topics])
    return (corpus.topic_vectors[topics].astype(np.float32), biases.astype(np.float32))


def _entropy(p: np.ndarray, axis: int = -1) -> np.ndarray:
    return -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0), axis=axis)


def _topic_entropies(corpus: Corpus) -> np.ndarray:
    """``[C]``: the entropy of ``p(v | t)`` of each topic."""
    mass = corpus.topic_mass
    within = corpus.prior / mass[corpus.class_topics]
    terms = -within * np.log(within)
    return np.bincount(corpus.class_topics, weights=terms, minlength=mass.shape[0])


def optimal_perplexity(corpus: Corpus) -> float:
    """``exp(E_x H(p(v | x)))`` over the corpus's contexts (drawn uniformly): the held-out
    perplexity of the true law, the lowest any model can expect. ``H(v | x)`` is
    ``H(t | x) + sum_t p(t | x) H(v | t)``, as a class determines its topic."""
    probs = topic_probabilities(corpus)
    conditional = _entropy(probs, axis=1) + probs @ _topic_entropies(corpus)
    return float(np.exp(conditional.mean()))


def popularity_perplexity(corpus: Corpus) -> float:
    """``exp(H(p(v)))``: the perplexity of the class law ignoring the context, the best a
    model that knows only each class's popularity can do."""
    topic_share = topic_probabilities(corpus).mean(axis=0)
    marginal = topic_share[corpus.class_topics] * corpus.prior / corpus.topic_mass[corpus.class_topics]
    return float(np.exp(_entropy(marginal)))

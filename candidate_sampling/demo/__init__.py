"""``candidate-sampling demo``: sampled softmax against full softmax, end to end.

A synthetic corpus with a known law (:mod:`.corpus`), a softmax regression over its
classes (:mod:`.model`), trained by SGD with each method on NumPy, PyTorch, JAX or CuPy
(:mod:`.trainers`) for the same time (:mod:`.train`), compared and drawn
(:mod:`.report`) by the command (:mod:`.command`).
"""

from .corpus import Corpus, make_corpus, optimal_perplexity, popularity_perplexity
from .model import Scores, evaluate, initial_params
from .train import Budget, Run, Settings, train
from .trainers import make_trainer

__all__ = [
           "Budget",
           "Corpus",
           "Run",
           "Scores",
           "Settings",
           "evaluate",
           "initial_params",
           "make_corpus",
           "make_trainer",
           "optimal_perplexity",
           "popularity_perplexity",
           "train",
]

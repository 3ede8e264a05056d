"""The demo's training steps, one :class:`~.train.Trainer` per backend and method.

Both methods run plain SGD on the mean loss of a batch, from the same initial
parameters, on the same batches:

- ``'sampled'``: ``sampled_softmax_loss`` with ``num_sampled`` classes drawn by the
  log-uniform sampler (unique, TensorFlow's default; the corpus's class ids are sorted by
  decreasing frequency), updating only the rows a batch touches. NumPy and CuPy: the
  loss-and-gradient function :func:`candidate_sampling.sampled_softmax_loss_and_grad`
  and a scatter-add of the rows; PyTorch: the module
  :class:`candidate_sampling.layers.torch.SampledSoftmaxLoss` with ``sparse=True`` and
  ``torch.optim.SGD``; JAX: the jitted step of
  :func:`candidate_sampling.layers.jax.make_train_step`.
- ``'full'``: the cross entropy of the softmax over all ``num_classes`` classes, its
  dense gradient and a dense update (NumPy and CuPy: the gradient written out; PyTorch:
  ``F.cross_entropy``, autograd and ``torch.optim.SGD``; JAX: ``jax.grad``, jitted).
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np

from ..baselines import full_softmax_step
from ..core.gradients import sampled_softmax_loss_and_grad
from ..core.samplers import log_uniform_candidate_sampler
from ..devices import cupy_usable, torch_device
from .model import Scores, evaluate
from .train import METHODS, Settings, Trainer

__all__ = ["BACKENDS", "check_backend", "make_trainer"]

BACKENDS = {"numpy": "numpy", "torch": "torch", "jax": "jax", "cupy": "cupy"}
"""Backend name -> the module it needs."""


def check_backend(name: str) -> None:
    """Raise ``ValueError`` (naming ``--backend``) unless backend ``name`` is known,
    installed, and (CuPy) sees a GPU."""
    if name not in BACKENDS:
        raise ValueError(f"--backend: must be one of {', '.join(BACKENDS)}, got {name!r}")
    if importlib.util.find_spec(BACKENDS[name]) is None:
        extra = "" if name == "numpy" else f" (pip install 'candidate-sampling[{name}]')"
        raise ValueError(f"--backend: {name} is not installed{extra}")
    if name == "cupy" and not cupy_usable():
        raise ValueError("--backend: cupy is installed but sees no CUDA GPU")


class ArrayTrainer:
    """NumPy or CuPy (``xp``): analytic gradients, updates in place."""

    def __init__(self, xp: Any, method: str, weights: np.ndarray, biases: np.ndarray,
                 settings: Settings, held_out: tuple[np.ndarray, np.ndarray], rng: Any):
        self.xp, self.method, self.settings, self.rng = xp, method, settings, rng
        self.weights, self.biases = xp.asarray(weights).copy(), xp.asarray(biases).copy()
        self.held_out = tuple(xp.asarray(a) for a in held_out)
        self.cotangent = xp.full(settings.batch_size, 1.0 / settings.batch_size, dtype=xp.float32)

    def warm_up(self, inputs: np.ndarray, labels: np.ndarray) -> None:
        """Nothing to compile."""

    def step(self, inputs: np.ndarray, labels: np.ndarray) -> float:
        xp, s = self.xp, self.settings
        x, y = xp.asarray(inputs), xp.asarray(labels)
        if self.method == "full":
            return float(full_softmax_step(xp, self.weights, self.biases, x, y,
                                           s.learning_rate)[0])
        y = y[:, None]
        values = log_uniform_candidate_sampler(y, 1, s.num_sampled, True, s.num_classes,
                                               rng=self.rng)
        loss, grads = sampled_softmax_loss_and_grad(
            self.weights, self.biases, y, x, s.num_sampled, s.num_classes,
            sampled_values=values, cotangent=self.cotangent)
        grads.sgd_update(self.weights, self.biases, s.learning_rate)
        return float(xp.mean(loss))

    def evaluate(self) -> Scores:
        return evaluate(self.weights, self.biases, *self.held_out)


class TorchTrainer:
    """PyTorch, on the GPU when there is one: the sampled loss module (sparse gradients)
    or the full cross entropy, autograd and ``torch.optim.SGD``."""

    def __init__(self, method: str, weights: np.ndarray, biases: np.ndarray,
                 settings: Settings, held_out: tuple[np.ndarray, np.ndarray]):
        import torch

        from ..layers.torch import SampledSoftmaxLoss

        self.torch, self.method = torch, method
        self.device = torch_device()
        s = settings
        if method == "sampled":
            generator = torch.Generator(self.device).manual_seed(s.seed)
            self.module = SampledSoftmaxLoss(s.num_classes, s.dim, s.num_sampled, sparse=True,
                                             generator=generator, device=self.device)
        else:
            self.module = torch.nn.Linear(s.dim, s.num_classes, device=self.device)
        with torch.no_grad():
            self.module.weight.copy_(torch.from_numpy(weights))
            self.module.bias.copy_(torch.from_numpy(biases))
        self.optimizer = torch.optim.SGD(self.module.parameters(), lr=s.learning_rate)
        self.held_out = tuple(torch.from_numpy(a).to(self.device) for a in held_out)

    def _loss(self, x: Any, y: Any) -> Any:
        if self.method == "sampled":
            return self.module(x, y)
        return self.torch.nn.functional.cross_entropy(self.module(x), y)

    def warm_up(self, inputs: np.ndarray, labels: np.ndarray) -> None:
        """Nothing to compile."""

    def step(self, inputs: np.ndarray, labels: np.ndarray) -> float:
        x = self.torch.from_numpy(inputs).to(self.device)
        y = self.torch.from_numpy(labels).to(self.device)
        self.optimizer.zero_grad(set_to_none=True)
        loss = self._loss(x, y)
        loss.backward()
        self.optimizer.step()
        return float(loss.detach())

    def evaluate(self) -> Scores:
        with self.torch.no_grad():
            return evaluate(self.module.weight, self.module.bias, *self.held_out)


class JaxTrainer:
    """JAX: a jitted SGD step, the parameters donated (updated in place)."""

    def __init__(self, method: str, weights: np.ndarray, biases: np.ndarray,
                 settings: Settings, held_out: tuple[np.ndarray, np.ndarray]):
        import jax
        import jax.numpy as jnp

        from ..layers.jax import OutputParams, make_train_step

        self.jax, self.jnp, self.method = jax, jnp, method
        s = settings
        self.params = OutputParams(jnp.asarray(weights), jnp.asarray(biases))
        self.key = jax.random.key(s.seed)
        if method == "sampled":
            self._step = make_train_step(s.num_sampled, s.num_classes, s.learning_rate)
        else:
            self._step = jax.jit(_jax_full_step(s.learning_rate), donate_argnums=(0,))
        self.held_out = tuple(jnp.asarray(a) for a in held_out)

    def _labels(self, labels: np.ndarray) -> Any:
        y = self.jnp.asarray(labels)
        return y[:, None] if self.method == "sampled" else y

    def warm_up(self, inputs: np.ndarray, labels: np.ndarray) -> None:
        """Compile the step on a copy of the parameters (the step donates them)."""
        copy = type(self.params)(*(self.jnp.array(p, copy=True) for p in self.params))
        out = self._step(copy, self.jnp.asarray(inputs), self._labels(labels), self.key)
        self.jax.block_until_ready(out)

    def step(self, inputs: np.ndarray, labels: np.ndarray) -> float:
        self.params, self.key, loss = self._step(self.params, self.jnp.asarray(inputs),
                                                 self._labels(labels), self.key)
        return float(loss)

    def evaluate(self) -> Scores:
        return evaluate(self.params.weights, self.params.biases, *self.held_out)


def _jax_full_step(learning_rate: float) -> Any:
    """``step(params, inputs, labels, key) -> (params, key, mean loss)``: SGD on the mean
    cross entropy of the softmax over every class (the signature of
    :func:`~candidate_sampling.layers.jax.make_train_step`'s steps)."""
    import jax
    import jax.numpy as jnp

    def mean_loss(params, inputs, labels):
        logits = inputs @ params.weights.T + params.biases
        picked = jnp.take_along_axis(logits, labels[:, None], axis=1)[:, 0]
        return jnp.mean(jax.nn.logsumexp(logits, axis=1) - picked)

    def step(params, inputs, labels, key):
        loss, grads = jax.value_and_grad(mean_loss)(params, inputs, labels)
        return jax.tree.map(lambda p, g: p - learning_rate * g, params, grads), key, loss

    return step


def make_trainer(backend: str, method: str, weights: np.ndarray, biases: np.ndarray,
                 settings: Settings, held_out: tuple[np.ndarray, np.ndarray]) -> Trainer:
    """A :class:`~.train.Trainer` of ``method`` (``'sampled'`` or ``'full'``) on
    ``backend``, starting from ``weights`` and ``biases`` (NumPy, copied), evaluated on
    ``held_out = (inputs, labels)``; the sampler is seeded by ``settings.seed``."""
    if method not in METHODS:
        raise ValueError(f"method: must be one of {', '.join(METHODS)}, got {method!r}")
    check_backend(backend)
    if backend == "torch":
        return TorchTrainer(method, weights, biases, settings, held_out)
    if backend == "jax":
        return JaxTrainer(method, weights, biases, settings, held_out)
    if backend == "cupy":
        import cupy

        return ArrayTrainer(cupy, method, weights, biases, settings, held_out,
                            cupy.random.default_rng(settings.seed))
    return ArrayTrainer(np, method, weights, biases, settings, held_out,
                        np.random.default_rng(settings.seed))

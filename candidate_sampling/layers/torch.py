"""PyTorch output layers trained by sampled softmax or NCE, with gradients that touch
only the rows a batch uses.

A batch of ``B`` rows with ``T`` true classes and ``S`` sampled classes uses
``B * T + S`` of the ``V`` rows of the ``[V, D]`` output weights. Indexing
``weight[ids]`` gives a dense ``[V, D]`` gradient that is zero except on those rows, so
the optimizer step costs ``O(V D)``. With ``sparse=True`` the modules here gather the
rows with :func:`torch.nn.functional.embedding` (``sparse=True``) and give ``weight``
and ``bias`` sparse COO gradients of ``B * T + S`` rows, as ``nn.Embedding(sparse=True)``
does: :class:`torch.optim.SGD` (without weight decay), :class:`torch.optim.SparseAdam`
and :class:`torch.optim.Adagrad` then update only those rows. With ``sparse=False`` the
gradients are dense and equal TensorFlow's.

The loss and its gradient are the core's (:func:`~candidate_sampling.core.row_loss.row_loss`,
run as a ``torch.autograd.Function`` with the analytic backward), so the numbers are
those of ``tf.nn.sampled_softmax_loss`` and ``tf.nn.nce_loss`` with the same sampled
values; the step makes a few passes over the ``[B, S]`` logits and keeps one array of
that size for the backward pass.

Host synchronisation. Shape, dtype and device checks read only metadata. The value
checks (every label and sampled id in ``[0, num_classes)``, every expected count
finite and ``> 0``) need the values: with ``validate=True`` (the default) they are
reduced to a few scalars on the device and read back in one transfer, which on a GPU
is the step's one host synchronisation; a bad value raises a ``ValueError`` naming the
argument. ``validate=False`` drops that read: an out-of-range id then fails inside the
lookup (on the CPU a ``ValueError`` naming the looked-up ``ids`` and their range, on
CUDA a device-side assert) and a non-positive
expected count gives an infinite or NaN loss. ``torch._assert_async`` is not used: a
failed device assert leaves the CUDA context unusable for the rest of the process.

``torch.compile``: given ``sampled_values``, a ``sparse=False`` loss compiles to one
graph, forward and backward (``fullgraph=True`` works); with ``sparse=True`` the
gather of the bias rows, whose backward builds a sparse tensor that Dynamo cannot
trace, runs between two graphs. Inside compiled code the value checks are skipped, as
the core's are.

``torch.func``: ``torch.func.functional_call(module, params, (inputs, labels))`` runs
under ``grad``, ``vjp``, ``jacrev``, ``jvp`` and ``vmap``; functorch differentiates the
forward itself, the gradients are dense (``sparse=True`` too), a module's own draw is
the one an eager call makes from the same generator state, and the value checks run
except under ``vmap``. ``vmap`` and what is built on it (``jacfwd``, ``hessian``) refuse
random operations by default (torch's "randomness error mode"): give ``sampled_values``
drawn outside, or ``vmap(..., randomness='same')`` (one sample for every member;
``'different'`` draws one each, with ``unique=False`` only). A backward with
``create_graph=True`` gives gradients that can be differentiated again.

Sampling runs on the device of ``labels``. The built-in samplers with ``unique=True``
on a GPU draw until they have ``num_sampled`` distinct classes, reading the stop
condition once per block of draws (usually one block); pass ``unique=False`` or your
own ``sampled_values`` for a step with no synchronisation at all. The learned-unigram
sampler costs ``O(V)`` per call (its distribution and counts cover every class).
"""

from __future__ import annotations

import contextlib
import math
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from array_api_compat import array_namespace
from torch import nn

from ..backends import host_array, outside_graph
from ..backends.torch import (
    no_value_reads,
    under_torch_func,
    value_reads,
    values_unreadable,
)
from ..core import checks
from ..core.full import full_logits, full_sigmoid_loss, full_softmax_loss
from ..core.logits import SAMPLED_NAMES, prepare, touched_ids
from ..core.row_loss import LOSS_KINDS, row_loss
from ..core.samplers import (
    learned_unigram_step,
    log_uniform_candidate_sampler,
    uniform_candidate_sampler,
)
from ..core.types import SampledValues

__all__ = ["ClassEmbedding", "SampledOutputLoss", "SampledSoftmaxLoss", "NCELoss", "SAMPLERS",
           "REDUCTIONS"]

SAMPLERS = ("log_uniform", "uniform", "learned_unigram")
"""Names of the built-in samplers (TensorFlow's candidate samplers over ``[0, num_classes)``)."""

REDUCTIONS = ("none", "mean", "sum")
"""What ``forward`` returns: the ``[B]`` per-row losses, their mean, or their sum."""


class _GatherSparse(torch.autograd.Function):
    """``vector[ids]`` for a 1-D ``vector``, whose gradient is a sparse COO tensor of the
    rows ``ids`` (what ``F.embedding(sparse=True)`` gives a 2-D weight; a ``[V, 1]`` view
    of the vector cannot carry a sparse gradient back to it)."""

    @staticmethod
    def forward(ctx: Any, vector: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(ids)
        ctx.size = int(vector.shape[0])
        return vector.index_select(0, ids)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor):
        (ids,) = ctx.saved_tensors
        return torch.sparse_coo_tensor(ids[None, :], grad, (ctx.size,),
                                       check_invariants=False), None


def _bounds(x: torch.Tensor) -> torch.Tensor:
    """``[min, max]`` of a non-empty ``x`` (NaN propagates), on its device."""
    return torch.stack([x.min(), x.max()])


def _truncated_normal_(weight: torch.Tensor, std: float) -> None:
    """Fill ``weight`` in place from a normal of standard deviation ``std`` truncated at two
    standard deviations, as ``tf.random.truncated_normal``: draw, then redraw the values
    outside (about 4.6% of them, fewer each round). Much faster on large weights than
    ``nn.init.trunc_normal_``'s inverse error function."""
    flat = weight.view(-1)
    flat.normal_(0.0, std)
    if flat.is_meta:  # no values to redraw
        return
    outside = (flat.abs() > 2 * std).nonzero()[:, 0]
    while outside.numel():
        redrawn = torch.randn(outside.numel(), dtype=flat.dtype, device=flat.device) * std
        flat[outside] = redrawn
        outside = outside[redrawn.abs() > 2 * std]


def _gather_sparse(vector: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """:class:`_GatherSparse`, run outside ``torch.compile`` graphs
    (:func:`~candidate_sampling.backends.outside_graph`): Dynamo cannot trace a backward
    that builds a sparse tensor, so a compiled ``sparse=True`` loss is two graphs."""
    return outside_graph(_GatherSparse.apply, vector)(vector, ids)


def _computed_in(dtype: torch.dtype) -> bool:
    """Whether ``dtype`` is a float the losses compute in: 16 bits or more (not
    ``float8_*``)."""
    return dtype.is_floating_point and torch.finfo(dtype).bits >= 16


class ClassEmbedding(nn.Embedding):
    """The ``V`` class rows of an output layer: ``weight [V, D]`` and ``bias [V]``.

    An :class:`torch.nn.Embedding` with a bias, so that what treats embeddings apart
    treats the class rows so too: :class:`torch.nn.parallel.DistributedDataParallel`
    expects sparse gradients from the parameters of an embedding with ``sparse=True``
    (and all-reduces them as sparse tensors), dense ones from any other module's.
    Called with int64 ``ids [N]``, it returns their rows ``([N, D], [N])``; with
    ``sparse=True`` both parameters get sparse COO gradients of those ``N`` rows (under
    ``torch.func``, whose gradients are dense tensors, dense ones).

    ``weight`` is drawn as TensorFlow users draw output weights (the word2vec
    tutorial's ``truncated_normal(stddev=1/sqrt(D))``), not from ``nn.Embedding``'s
    standard normal; ``bias`` starts at zeros.
    """

    def __init__(self, num_classes: int, dim: int, *, sparse: bool = False, device: Any = None,
                 dtype: torch.dtype | None = None):
        num_classes = checks.check_int(num_classes, "num_classes", minimum=1)
        dim = checks.check_int(dim, "dim", minimum=1)
        sparse = checks.check_bool(sparse, "sparse")
        if dtype is not None and not (isinstance(dtype, torch.dtype) and _computed_in(dtype)):
            raise TypeError(f"dtype: expected a floating torch.dtype (torch.float16, "
                            f"torch.bfloat16, torch.float32, torch.float64) or None, got {dtype!r}")
        _check_room(num_classes, dim, device, dtype)
        weight = torch.empty((num_classes, dim), device=device, dtype=dtype)
        super().__init__(num_classes, dim, sparse=sparse, _weight=weight, device=device,
                         dtype=dtype)
        self.bias = nn.Parameter(torch.empty((num_classes,), device=device, dtype=dtype))
        self.reset_parameters()

    @classmethod
    def from_pretrained(cls, embeddings: torch.Tensor, freeze: bool = True, sparse: bool = False,
                        *, bias: torch.Tensor | None = None) -> ClassEmbedding:
        """The class rows ``embeddings [V, D]`` (and ``bias [V]``; zeros where None), as
        :meth:`torch.nn.Embedding.from_pretrained`: the tensors become the parameters
        (not copied), which take no gradient where ``freeze``. The padding and norm
        options of ``nn.Embedding`` do not apply to class rows."""
        if not isinstance(embeddings, torch.Tensor):
            raise TypeError(f"embeddings: expected a tensor, got {type(embeddings).__name__}")
        if embeddings.ndim != 2:
            raise ValueError(f"embeddings: expected shape [num_classes, dim], got "
                             f"{checks.described(embeddings)}")
        if not _computed_in(embeddings.dtype):
            raise TypeError(f"embeddings: expected a tensor of float16, bfloat16, float32 or "
                            f"float64, got {embeddings.dtype}")
        freeze = checks.check_bool(freeze, "freeze")
        num_classes, dim = (int(n) for n in embeddings.shape)
        if bias is None:
            bias = torch.zeros(num_classes, dtype=embeddings.dtype, device=embeddings.device)
        elif not isinstance(bias, torch.Tensor) or tuple(bias.shape) != (num_classes,):
            raise ValueError(f"bias: expected a tensor of shape [{num_classes}] (one per row of "
                             f"embeddings), got {checks.described(bias)}")
        elif bias.dtype != embeddings.dtype or bias.device != embeddings.device:
            raise TypeError(f"bias: expected {embeddings.dtype} on {embeddings.device} as "
                            f"embeddings, got {bias.dtype} on {bias.device}")
        module = cls(num_classes, dim, sparse=sparse, device="meta", dtype=embeddings.dtype)
        module.weight = nn.Parameter(embeddings, requires_grad=not freeze)
        module.bias = nn.Parameter(bias, requires_grad=not freeze)
        return module

    def reset_parameters(self) -> None:
        """Draw ``weight`` from a normal of standard deviation ``1/sqrt(dim)`` truncated at
        two standard deviations (torch's global generator, as other ``nn`` modules); set
        ``bias`` to zeros."""
        with torch.no_grad():
            _truncated_normal_(self.weight, 1.0 / math.sqrt(self.embedding_dim))
            nn.init.zeros_(self.bias)

    def forward(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The rows of ``ids`` (int32 or int64 ``[N]``, in ``[0, V)``; on a CPU an id
        outside is a ValueError naming them, as torch's gather finds it: no read of
        their values first)."""
        if not isinstance(ids, torch.Tensor) or ids.dtype not in (torch.int32, torch.int64):
            got = ids.dtype if isinstance(ids, torch.Tensor) else checks.described(ids)
            raise TypeError(f"ids: expected an int32 or int64 tensor, got {got}")
        sparse = self.sparse and not under_torch_func()
        try:
            bias_rows = (_gather_sparse(self.bias, ids) if sparse
                         else self.bias.index_select(0, ids))
            return F.embedding(ids, self.weight, sparse=sparse), bias_rows
        except IndexError:  # torch's "index out of range in self"
            raise ValueError(f"ids: every id must be in [0, {self.num_embeddings})") from None


def _check_room(num_classes: int, dim: int, device: Any, dtype: Any) -> None:
    """The weights and biases of ``num_classes`` rows of ``dim`` fit the memory of
    ``device`` (:func:`~candidate_sampling.core.checks.check_memory`; a size past it was
    torch's allocator error, naming neither, or a kill while the rows were drawn)."""
    like = torch.empty(0, device=device, dtype=dtype)
    if like.device.type == "meta":  # takes no memory
        return
    checks.check_memory((num_classes * dim + num_classes) * like.element_size(),
                        "num_classes, dim", f"a layer of [{num_classes}, {dim}] class "
                        f"weights and biases", like)


class SampledOutputLoss(nn.Module):
    """The output layer ``x W^T + b`` over ``num_classes`` classes, trained by a sampled
    loss; the common base of :class:`SampledSoftmaxLoss` and :class:`NCELoss`.

    Args:
      num_classes: ``V``, the number of classes (rows of ``weight``).
      dim: ``D``, the size of the inputs (columns of ``weight``).
      num_sampled: ``S``, the number of classes sampled per batch.
      num_true: ``T``, the number of target classes per row; each gets target
        probability ``1/T``.
      remove_accidental_hits: mask a sampled class that equals one of the row's true
        classes. ``None`` takes TensorFlow's default for the loss (True for sampled
        softmax, False for NCE).
      sampler: how to sample when ``forward`` gets no ``sampled_values``:
        ``'log_uniform'`` (TensorFlow's default; class ids sorted by decreasing
        frequency), ``'uniform'``, ``'learned_unigram'`` (counts in the buffer
        ``unigram_counts``, int64 ``[V]``, all 1 at first, plus one for every label
        seen; saved in the ``state_dict``), or a callable ``sampler(labels)`` ->
        :class:`~candidate_sampling.SampledValues` given ``labels [B, T]``.
      unique: the built-in samplers draw ``num_sampled`` distinct classes.
      subtract_log_q: subtract ``log(expected count)`` from every logit (TensorFlow
        always does; False gives the plain logits of the sampled classes).
      reduction: ``'mean'`` (default, as torch losses), ``'sum'`` or ``'none'`` (the
        ``[B]`` per-row losses, as TensorFlow returns them). The mean of an empty
        batch is NaN, as with torch's own losses (its sum is 0).
      sparse: give ``weight`` and ``bias`` sparse COO gradients of the touched rows.
      validate: check the values of the ids and expected counts each step (one read
        from the device; see the module documentation). Shapes, dtypes and devices are
        always checked.
      generator: a ``torch.Generator`` on the module's device for the built-in
        samplers; ``None`` uses torch's global generator (``torch.manual_seed``).
      device, dtype: of ``weight`` and ``bias``, as for other ``nn`` modules.

    Parameters: ``weight [V, D]``, initialised as TensorFlow users do (the word2vec
    tutorial's ``truncated_normal(stddev=1/sqrt(D))``: normal with standard deviation
    ``1/sqrt(D)``, redrawn outside two standard deviations), and ``bias [V]``, zeros.
    Call :meth:`reset_parameters` to draw them again. Both live in the child
    :class:`ClassEmbedding` ``classes`` (so their names in ``named_parameters()`` and
    the ``state_dict`` are ``classes.weight`` and ``classes.bias``); that makes
    :class:`torch.nn.parallel.DistributedDataParallel` all-reduce the sparse gradients
    of ``sparse=True`` as it does those of ``nn.Embedding(sparse=True)``.
    """

    remove_accidental_hits_default = True
    """TensorFlow's default ``remove_accidental_hits`` for this loss."""

    def __init__(self, num_classes: int, dim: int, num_sampled: int, *, num_true: int = 1,
                 remove_accidental_hits: bool | None = None,
                 sampler: str | Callable[[torch.Tensor], SampledValues] = "log_uniform",
                 unique: bool = True, subtract_log_q: bool = True, reduction: str = "mean",
                 sparse: bool = False, validate: bool = True,
                 generator: torch.Generator | None = None, device: Any = None,
                 dtype: torch.dtype | None = None):
        if self.loss_kind not in LOSS_KINDS:
            raise TypeError(f"{type(self).__name__}: no loss_kind (one of "
                            f"{', '.join(map(repr, LOSS_KINDS))}): SampledOutputLoss is the "
                            f"common base; use SampledSoftmaxLoss or NCELoss")
        super().__init__()
        self.num_classes = checks.check_int(num_classes, "num_classes", minimum=1)
        self.dim = checks.check_int(dim, "dim", minimum=1)
        self.num_sampled = checks.check_int(num_sampled, "num_sampled", minimum=1)
        self.num_true = checks.check_int(num_true, "num_true", minimum=1)
        if remove_accidental_hits is None:
            remove_accidental_hits = self.remove_accidental_hits_default
        self.remove_accidental_hits = checks.check_bool(remove_accidental_hits,
                                                        "remove_accidental_hits")
        self.unique = checks.check_bool(unique, "unique")
        self.subtract_log_q = checks.check_bool(subtract_log_q, "subtract_log_q")
        sparse = checks.check_bool(sparse, "sparse")
        self.validate = checks.check_bool(validate, "validate")
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction: must be one of {', '.join(map(repr, REDUCTIONS))}, "
                             f"got {reduction!r}")
        self.reduction = reduction
        if isinstance(sampler, str) or not callable(sampler):
            if sampler not in SAMPLERS:
                raise ValueError(f"sampler: must be one of {', '.join(map(repr, SAMPLERS))} or a "
                                 f"callable(labels) -> SampledValues, got {sampler!r}")
            if self.unique and self.num_sampled > self.num_classes:
                raise ValueError(f"num_sampled: must be in [1, num_classes={self.num_classes}] "
                                 f"when unique=True, got {self.num_sampled}")
        self.sampler = sampler
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator: expected a torch.Generator or None, got "
                            f"{type(generator).__name__}")
        self.generator = generator
        self.classes = ClassEmbedding(self.num_classes, self.dim, sparse=sparse, device=device,
                                      dtype=dtype)
        if sampler == "learned_unigram":
            self.register_buffer("unigram_counts", torch.ones((self.num_classes,),
                                                              dtype=torch.int64, device=device))

    loss_kind = ""
    """The per-row loss (:data:`~candidate_sampling.core.row_loss.LOSS_KINDS`)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("weight", "bias"):  # e.g. output weights tied to an input embedding
            setattr(self.classes, name, value)
        else:
            super().__setattr__(name, value)

    @property
    def weight(self) -> nn.Parameter:
        """``[V, D]``, the class weights (``classes.weight``; assigning ``weight`` or
        ``bias`` a parameter, to tie it to another module's, sets that of ``classes``)."""
        return self.classes.weight

    @property
    def bias(self) -> nn.Parameter:
        """``[V]``, the class biases (``classes.bias``)."""
        return self.classes.bias

    @property
    def sparse(self) -> bool:
        """Whether ``weight`` and ``bias`` get sparse gradients (``classes.sparse``)."""
        return self.classes.sparse

    @sparse.setter
    def sparse(self, value: bool) -> None:
        self.classes.sparse = checks.check_bool(value, "sparse")

    def reset_parameters(self) -> None:
        """Draw the parameters again (:meth:`ClassEmbedding.reset_parameters`) and, with
        ``sampler='learned_unigram'``, set ``unigram_counts`` back to all 1, as
        ``nn.BatchNorm1d`` resets its running statistics (so a module made on the
        ``'meta'`` device is whole after ``to_empty()`` and ``reset_parameters()``)."""
        self.classes.reset_parameters()
        counts = getattr(self, "unigram_counts", None)
        if counts is not None:
            with torch.no_grad():
                counts.fill_(1)

    def extra_repr(self) -> str:
        sampler = self.sampler if isinstance(self.sampler, str) else getattr(
            self.sampler, "__name__", type(self.sampler).__name__)
        return (f"num_classes={self.num_classes}, dim={self.dim}, "
                f"num_sampled={self.num_sampled}, num_true={self.num_true}, "
                f"sampler={sampler!r}, unique={self.unique}, "
                f"remove_accidental_hits={self.remove_accidental_hits}, "
                f"subtract_log_q={self.subtract_log_q}, reduction={self.reduction!r}, "
                f"sparse={self.sparse}, validate={self.validate}")

    def sample(self, labels: torch.Tensor) -> SampledValues:
        """Draw the sampled values for ``labels [B, T]`` with the module's sampler (the
        learned-unigram counts are updated by ``labels``)."""
        if not isinstance(self.sampler, str):
            with value_reads():  # the caller's sampler reads what it needs
                return self.sampler(labels)
        if self.sampler == "learned_unigram":
            if under_torch_func():
                raise RuntimeError(
                    "sampler: 'learned_unigram' updates the module's unigram_counts in place, "
                    "which torch.func's transforms do not allow; draw outside the transform "
                    "with module.sample(labels) and pass the result as sampled_values")
            values, counts = learned_unigram_step(
                self.unigram_counts, labels, self.num_true, self.num_sampled, self.unique,
                rng=self.generator)
            # in place, as BatchNorm's running statistics: the buffer stays the module's
            # own tensor (under torch.inference_mode too, whose new tensors could not
            # be loaded into or changed afterwards)
            self.unigram_counts.copy_(counts)
            return values
        draw = log_uniform_candidate_sampler if self.sampler == "log_uniform" \
            else uniform_candidate_sampler
        return draw(labels, self.num_true, self.num_sampled, self.unique, self.num_classes,
                    rng=self.generator)

    def forward(self, inputs: torch.Tensor, labels: torch.Tensor,
                sampled_values: Any = None) -> torch.Tensor:
        """The loss of a batch.

        Args:
          inputs: ``[B, dim]`` float, the activations fed to the output layer.
          labels: int ``[B, num_true]`` (or ``[B]`` when ``num_true == 1``), the target
            classes.
          sampled_values: ``(sampled_candidates [S], true_expected_count [B, T],
            sampled_expected_count [S])`` from a ``*_candidate_sampler``, or ``None`` to
            draw them with the module's sampler.

        Returns:
          The per-row losses ``[B]`` (``reduction='none'``), or their mean or sum, in the
          dtype of the logits.

        Raises:
          ValueError: a shape that does not fit, an argument on another device than the
            module, or (with ``validate``) an id outside ``[0, num_classes)`` or an
            expected count that is not finite and > 0; the message names the argument.
          TypeError: an argument of the wrong kind or dtype.
        """
        labels = self._label_rows(labels)
        self._check_devices(inputs=inputs, labels=labels, sampled_values=sampled_values)
        checking = self.validate and not values_unreadable()
        own_draw = sampled_values is None and isinstance(self.sampler, str)

        def draw(labels: Any, *_: Any) -> SampledValues:
            if checking and own_draw:  # the draw looks the labels up; its output is sound
                self._check_values(labels)
            return self.sample(labels)

        reads_off = contextlib.nullcontext() if values_unreadable() else no_value_reads()
        with reads_off:
            xp, labels, values = prepare(self.weight, self.bias, labels, inputs, self.num_sampled,
                                         self.num_classes, self.num_true, sampled_values, "div",
                                         None, default_sampler=draw,
                                         subtract_log_q=self.subtract_log_q)
        if checking and not own_draw:
            self._check_values(labels, values)
        ids = touched_ids(xp, labels, values.sampled_candidates).to(torch.int64)
        weight_rows, bias_rows = self.classes(ids)
        return self._reduce(row_loss(self.loss_kind, xp, inputs, labels, values, weight_rows,
                                     bias_rows, self.subtract_log_q, self.remove_accidental_hits))

    def _label_rows(self, labels: Any) -> Any:
        """``labels [B]`` as ``[B, 1]`` when ``num_true == 1``; anything else as given."""
        if isinstance(labels, torch.Tensor) and labels.ndim == 1 and self.num_true == 1:
            return labels[:, None]
        return labels

    def _reduce(self, loss: torch.Tensor) -> torch.Tensor:
        """The per-row ``loss`` reduced as ``reduction`` says."""
        if self.reduction == "mean":
            return loss.mean()
        if self.reduction == "sum":
            return loss.sum()
        return loss

    def logits(self, inputs: torch.Tensor) -> torch.Tensor:
        """The logits of every class, ``inputs @ weight.T + bias`` (``[B, num_classes]``),
        for inference: what the sampled loss trains
        (:func:`~candidate_sampling.full_logits`)."""
        self._check_devices(inputs=inputs)
        return full_logits(self.weight, self.bias, inputs)

    def full_loss(self, inputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """The loss over every class that the sampled loss approximates, as TensorFlow's
        documentation evaluates it: the softmax cross entropy
        (:func:`~candidate_sampling.full_softmax_loss`) for :class:`SampledSoftmaxLoss`,
        the sigmoid cross entropy summed over the classes
        (:func:`~candidate_sampling.full_sigmoid_loss`) for :class:`NCELoss`; reduced as
        ``forward``. It costs ``O(B V)`` memory: evaluate in batches, under
        ``torch.no_grad()``.

        Args:
          inputs: ``[B, dim]`` float.
          labels: int ``[B, num_true]`` (or ``[B]`` when ``num_true == 1``).
        """
        labels = self._label_rows(labels)
        self._check_devices(inputs=inputs, labels=labels)
        full = full_softmax_loss if self.loss_kind == "softmax" else full_sigmoid_loss
        return self._reduce(full(self.weight, self.bias, labels, inputs, self.num_classes,
                                 self.num_true))

    def _check_devices(self, **named: Any) -> None:
        """Every tensor argument is on the module's device."""
        device = self.weight.device
        for name, value in named.items():
            items = [(name, value)]
            if name == "sampled_values" and isinstance(value, (tuple, list)) and len(value) == 3:
                items = list(zip(SAMPLED_NAMES, value))
            for label, tensor in items:
                if isinstance(tensor, torch.Tensor) and tensor.device != device:
                    raise ValueError(f"{label}: is on {tensor.device}, the module's parameters "
                                     f"on {device}; move one of them with .to()")

    def _check_values(self, labels: torch.Tensor, values: SampledValues | None = None) -> None:
        """Check the ids (and expected counts) in one read of their bounds from the device."""
        ids = [("labels", labels)]
        counts = []
        if values is not None:
            ids.append((SAMPLED_NAMES[0], values.sampled_candidates))
            if self.subtract_log_q:  # else the counts are not used
                counts = list(zip(SAMPLED_NAMES[1:], values[1:]))
        ids = [(name, _bounds(x)) for name, x in ids if x.numel()]
        counts = [(name, _bounds(x)) for name, x in counts if x.numel()]
        floats = [b for _, b in counts]
        learned = values is None and self.sampler == "learned_unigram"
        if learned:  # the counts the module's own draw takes, after the expected counts
            xp = array_namespace(labels)
            floats.append(checks.learned_count_stats(xp, self.unigram_counts,
                                                     labels.clamp(0, self.num_classes - 1)))
        # float64 figures travel as their int64 bit patterns, so that one transfer carries all
        parts = [b.to(torch.int64) for _, b in ids]
        parts += [b.to(torch.float64).view(torch.int64) for b in floats]
        if not parts:
            return
        host = host_array(torch.cat(parts))  # the one read
        for k, (name, _) in enumerate(ids):
            checks.check_ids_in_range(np, host[2 * k:2 * k + 2], self.num_classes, name)
        read = host[2 * len(ids):].view(np.float64)
        for k, (name, _) in enumerate(counts):
            checks.check_positive(np, read[2 * k:2 * k + 2], name)
        if learned:
            checks.check_learned_counts("unigram_counts", read[2 * len(counts):],
                                        self.num_sampled, self.unique,
                                        checks.learned_count_limit(xp, self.unigram_counts.dtype),
                                        labels.numel())


class SampledSoftmaxLoss(SampledOutputLoss):
    """Sampled softmax loss with its own output layer (``tf.nn.sampled_softmax_loss``).

    Per row, the softmax cross entropy over the ``T`` true and ``S`` sampled classes of
    the logits ``x . w + b - log Q``, the true classes having target probability ``1/T``
    and (by default) sampled classes equal to a true class masked. A faster way to train
    a softmax classifier over many classes; for training only (it underestimates the
    full softmax loss: evaluate with :meth:`full_loss`, predict with :meth:`logits`).

    Arguments as :class:`SampledOutputLoss`; ``remove_accidental_hits`` defaults to True.

    Example::

        >>> import torch
        >>> from candidate_sampling.layers.torch import SampledSoftmaxLoss
        >>> _ = torch.manual_seed(0)
        >>> loss_fn = SampledSoftmaxLoss(num_classes=10_000, dim=16, num_sampled=64,
        ...                              sparse=True)
        >>> inputs = torch.randn(8, 16, requires_grad=True)
        >>> labels = torch.randint(0, 10_000, (8,))
        >>> loss = loss_fn(inputs, labels)
        >>> loss.shape, loss.dtype
        (torch.Size([]), torch.float32)
        >>> loss.backward()
        >>> loss_fn.weight.grad.layout, loss_fn.weight.grad.shape
        (torch.sparse_coo, torch.Size([10000, 16]))
        >>> loss_fn.weight.grad._nnz()  # 8 label rows + 64 sampled rows, not 10,000
        72
        >>> optimizer = torch.optim.SparseAdam(loss_fn.parameters(), lr=0.01)
        >>> optimizer.step()
    """

    remove_accidental_hits_default = True
    loss_kind = "softmax"


class NCELoss(SampledOutputLoss):
    """Noise-contrastive estimation loss with its own output layer (``tf.nn.nce_loss``).

    Per row, the sum over the ``T`` true and ``S`` sampled classes of the sigmoid cross
    entropy of the logits ``x . w + b - log Q`` against labels ``1/T`` (true) and 0
    (sampled).

    Arguments as :class:`SampledOutputLoss`; ``remove_accidental_hits`` defaults to
    False, as in TensorFlow (True gives "sampled logistic" training). For training only:
    evaluate with :meth:`full_loss` (the sigmoid cross entropy summed over every class),
    predict with :meth:`logits`.

    Example::

        >>> import torch
        >>> from candidate_sampling.layers.torch import NCELoss
        >>> _ = torch.manual_seed(0)
        >>> loss_fn = NCELoss(num_classes=1000, dim=8, num_sampled=16, num_true=2,
        ...                   sampler="learned_unigram", reduction="none")
        >>> labels = torch.tensor([[1, 2], [3, 3], [4, 999]])
        >>> loss_fn(torch.randn(3, 8), labels).shape
        torch.Size([3])
        >>> int(loss_fn.unigram_counts.sum()) - 1000  # every label seen adds one
        6
    """

    remove_accidental_hits_default = False
    loss_kind = "nce"

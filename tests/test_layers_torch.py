"""The PyTorch output layers: TensorFlow's losses and gradients, sparse gradients that
touch only the rows a batch uses, training, samplers, checks and ``torch.compile``."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import candidate_sampling.layers.torch as layers  # noqa: E402
from candidate_sampling import (  # noqa: E402
    SampledValues,
    log_uniform_candidate_sampler,
    nce_loss,
    sampled_softmax_loss,
)
from candidate_sampling.conformance import load_cases  # noqa: E402
from candidate_sampling.conformance.vectors import close  # noqa: E402
from candidate_sampling.layers.torch import ClassEmbedding, NCELoss, SampledSoftmaxLoss  # noqa: E402

MODULES = {"sampled_softmax_loss": SampledSoftmaxLoss, "nce_loss": NCELoss}
GOLDEN = [c for op in MODULES for c in load_cases(op=op, api="tf2")
          if c.raises is None and c.deviation is None and not c.is_stream and c.grads
          and isinstance(c.inputs["weights"], np.ndarray)
          and isinstance(c.inputs["biases"], np.ndarray)]


@pytest.fixture(autouse=True)
def _seeded():
    """The parameters are drawn from torch's global generator, as other ``nn`` modules'."""
    torch.manual_seed(0)


def _golden_module(case, **options):
    w, b = case.inputs["weights"], case.inputs["biases"]
    module = MODULES[case.op](int(w.shape[0]), int(w.shape[1]), case.kwargs["num_sampled"],
                              num_true=case.kwargs.get("num_true", 1),
                              remove_accidental_hits=case.kwargs["remove_accidental_hits"],
                              reduction="none", **options)
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(w))
        module.bias.copy_(torch.from_numpy(b))
    return module


def _values(arrays):
    return SampledValues(*(torch.from_numpy(np.array(a)) for a in arrays))


def _dense(grad):
    return (grad.to_dense() if grad.is_sparse else grad).numpy()


def test_there_are_golden_cases():
    assert len(GOLDEN) >= 100
    assert {c.op for c in GOLDEN} == set(MODULES)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("case", GOLDEN, ids=lambda c: c.id)
def test_golden_losses_and_gradients(case, sparse):
    module = _golden_module(case, sparse=sparse)
    inputs = torch.from_numpy(case.inputs["inputs"]).requires_grad_(True)
    labels = torch.from_numpy(case.inputs["labels"])
    loss = module(inputs, labels, _values(case.inputs["sampled_values"]))
    ok, worst, _ = close(loss.detach().numpy(), case.outputs["loss"], case.rtol, case.atol)
    assert ok, f"loss off by {worst:.3g}"
    (loss * torch.from_numpy(case.cotangent)).sum().backward()
    assert module.weight.grad.is_sparse == sparse and module.bias.grad.is_sparse == sparse
    got = {"weights": _dense(module.weight.grad), "biases": _dense(module.bias.grad),
           "inputs": inputs.grad.numpy()}
    for name, expected in case.grads.items():
        ok, worst, _ = close(got[name], expected, case.grad_rtol, case.grad_atol)
        assert ok, f"d/d{name} off by {worst:.3g}"


def _problem(num_classes=60, dim=8, batch=32, seed=0):
    """Inputs that a linear layer can classify: each label's input is a noisy copy of
    a fixed per-class direction."""
    gen = torch.Generator().manual_seed(seed)
    centres = torch.randn(num_classes, dim, generator=gen)
    labels = torch.randint(0, num_classes, (batch,), generator=gen)
    inputs = centres[labels] + 0.1 * torch.randn(batch, dim, generator=gen)
    return inputs, labels


@pytest.mark.parametrize("cls", [SampledSoftmaxLoss, NCELoss])
@pytest.mark.parametrize("optimizer", ["sgd", "sparse_adam"])
def test_sparse_training_lowers_the_loss_and_moves_only_touched_rows(cls, optimizer):
    num_classes, num_sampled = 60, 6
    inputs, labels = _problem(num_classes)
    module = cls(num_classes, 8, num_sampled, sparse=True,
                 generator=torch.Generator().manual_seed(1))
    # the objective: the mean loss over 20 fixed samples, the same before and after
    draws = torch.Generator().manual_seed(99)
    held_out = [log_uniform_candidate_sampler(labels[:, None], 1, num_sampled, True,
                                              num_classes, rng=draws) for _ in range(20)]

    def objective():
        with torch.no_grad():
            return sum(float(module(inputs, labels, v)) for v in held_out) / len(held_out)

    opt = (torch.optim.SGD(module.parameters(), lr=1.0) if optimizer == "sgd"
           else torch.optim.SparseAdam(module.parameters(), lr=0.2))
    before = objective()
    for _ in range(20):
        values = module.sample(labels[:, None])
        touched = torch.zeros(num_classes, dtype=torch.bool)
        touched[labels] = True
        touched[values.sampled_candidates] = True
        weight, bias = module.weight.detach().clone(), module.bias.detach().clone()
        opt.zero_grad()
        module(inputs, labels, values).backward()
        assert module.weight.grad.is_sparse and module.bias.grad.is_sparse
        opt.step()
        assert torch.equal(module.weight[~touched], weight[~touched])
        assert torch.equal(module.bias[~touched], bias[~touched])
        assert not torch.equal(module.weight[labels], weight[labels])
    after = objective()
    assert after < 0.9 * before, (before, after)


def test_sparse_gradient_size_follows_the_batch_not_the_vocabulary():
    batch, num_true, num_sampled = 4, 2, 16
    module = SampledSoftmaxLoss(1_000_000, 4, num_sampled, num_true=num_true, sparse=True,
                                generator=torch.Generator().manual_seed(0))
    labels = torch.randint(0, 1_000_000, (batch, num_true))
    module(torch.randn(batch, 4), labels).backward()
    assert module.weight.grad.shape == (1_000_000, 4)
    assert module.weight.grad._nnz() == module.bias.grad._nnz() == batch * num_true + num_sampled


def test_sparse_and_dense_gradients_agree_with_duplicate_ids():
    values = SampledValues(torch.tensor([3, 3, 7, 0]), torch.full((3, 2), 0.5),
                           torch.full((4,), 0.25))
    labels = torch.tensor([[3, 1], [1, 1], [7, 9]])
    inputs = torch.randn(3, 5)
    grads, state = [], NCELoss(10, 5, 4).state_dict()
    for sparse in (False, True):
        module = NCELoss(10, 5, 4, num_true=2, sparse=sparse)
        module.load_state_dict(state)
        module(inputs, labels, values).backward()
        grads.append((_dense(module.weight.grad), _dense(module.bias.grad)))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-6, atol=1e-7)



def _checkpointed_and_plain_gradients(cls, sparse, generator):
    """Gradients of an encoder and the module's rows from a checkpointed segment (the
    encoder and the loss, drawing its own sample), then from plain runs that draw what
    the checkpointed backward draws: the same sample with torch's global generator (which
    checkpointing restores), the next one from a module's own generator."""
    from torch.utils.checkpoint import checkpoint

    module = cls(1000, 16, 32, sparse=sparse, generator=generator)
    encoder = torch.nn.Linear(8, 16)
    inputs, labels = torch.randn(4, 8), torch.randint(0, 1000, (4, 1))
    segment = lambda x: module(encoder(x), labels)  # noqa: E731
    states = torch.get_rng_state(), generator.get_state() if generator else None
    checkpoint(segment, inputs, use_reentrant=False).backward()
    got = [encoder.weight.grad, _dense(module.weight.grad), _dense(module.bias.grad)]
    encoder.zero_grad(set_to_none=True)
    module.zero_grad(set_to_none=True)
    torch.set_rng_state(states[0])
    if generator is not None:
        generator.set_state(states[1])
        with torch.no_grad():
            segment(inputs)  # the sample behind the checkpointed loss
    segment(inputs).backward()
    want = [encoder.weight.grad, _dense(module.weight.grad), _dense(module.bias.grad)]
    return got, want


@pytest.mark.parametrize("cls", [SampledSoftmaxLoss, NCELoss])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("own_generator", [False, True])
def test_checkpointing_recomputes_consistent_gradients(cls, sparse, own_generator):
    generator = torch.Generator().manual_seed(5) if own_generator else None
    got, want = _checkpointed_and_plain_gradients(cls, sparse, generator)
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-5, atol=1e-7)
    assert np.count_nonzero(got[1].any(axis=1)) > 16  # the rows of the sample got gradients


def test_an_input_changed_in_place_before_the_backward_is_an_error():
    module = SampledSoftmaxLoss(50, 4, 8)
    inputs = torch.randn(3, 4, requires_grad=True)
    features = inputs * 1.0
    loss = module(features, torch.tensor([[1], [2], [3]]))
    with torch.no_grad():
        features.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()

@pytest.mark.parametrize("sampler", layers.SAMPLERS)
@pytest.mark.parametrize("unique", [True, False])
def test_the_built_in_samplers_draw_when_no_values_are_given(sampler, unique):
    inputs, labels = _problem(40, batch=6)
    losses = []
    for _ in range(2):
        torch.manual_seed(0)
        module = SampledSoftmaxLoss(40, 8, 10, sampler=sampler, unique=unique, reduction="none",
                                    generator=torch.Generator().manual_seed(5))
        losses.append(module(inputs, labels))
    assert losses[0].shape == (6,) and torch.isfinite(losses[0]).all()
    assert torch.equal(losses[0], losses[1])  # the generator makes the draw reproducible


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.bfloat16],
                         ids=lambda d: str(d).split(".")[1])
@pytest.mark.parametrize("cls", [SampledSoftmaxLoss, NCELoss])
def test_default_draw_equals_the_functional_loss_with_the_same_values(cls, dtype):
    from candidate_sampling import nce_loss, sampled_softmax_loss

    inputs, labels = _problem(30, batch=5)
    inputs = inputs.to(dtype)
    module = cls(30, 8, 7, num_true=1, reduction="none", dtype=dtype, sparse=True,
                 generator=torch.Generator().manual_seed(3))
    got = module(inputs, labels)
    values = log_uniform_candidate_sampler(labels[:, None], 1, 7, True, 30,
                                           rng=torch.Generator().manual_seed(3))
    functional = sampled_softmax_loss if cls is SampledSoftmaxLoss else nce_loss
    expected = functional(module.weight, module.bias, labels[:, None], inputs, 7, 30,
                          sampled_values=values)
    assert got.dtype == dtype
    torch.testing.assert_close(got, expected, rtol=0, atol=0)


def test_without_validation_bad_ids_fail_in_the_lookup():
    module = SampledSoftmaxLoss(10, 4, 2, validate=False)
    inputs, _, values = _good()
    with pytest.raises(ValueError, match=r"^ids: every id must be in \[0, 10\)$"):
        module(inputs, torch.tensor([1, 2, 10]), values)
    zero = values._replace(sampled_expected_count=torch.zeros(2))
    assert not torch.isfinite(module(inputs, torch.tensor([1, 2, 3]), zero))


def test_learned_unigram_counts_follow_the_labels_and_live_in_the_state_dict():
    module = NCELoss(12, 4, 5, num_true=2, sampler="learned_unigram",
                     generator=torch.Generator().manual_seed(0))
    assert torch.equal(module.unigram_counts, torch.ones(12, dtype=torch.int64))
    batches = [torch.tensor([[0, 3], [3, 3]]), torch.tensor([[11, 0], [5, 3]])]
    for labels in batches:
        module(torch.randn(2, 4), labels)
    expected = 1 + torch.bincount(torch.cat(batches).reshape(-1), minlength=12)
    assert torch.equal(module.unigram_counts, expected)
    assert torch.equal(module.state_dict()["unigram_counts"], expected)
    fresh = NCELoss(12, 4, 5, num_true=2, sampler="learned_unigram")
    fresh.load_state_dict(module.state_dict())
    assert torch.equal(fresh.unigram_counts, expected)
    # explicit sampled values leave the counts alone
    module(torch.randn(2, 4), batches[0], module.sample(batches[0]))
    assert int(module.unigram_counts.sum()) == int(expected.sum()) + 4


def test_learned_unigram_counts_that_cannot_be_drawn_from_are_refused_at_once():
    """Counts set by hand or loaded: in the step's one read (``validate=True``) the
    module checks them as the draw needs them. With 2 classes of nonzero count and
    ``num_sampled=3``, the unique draw ran to its limit (two minutes) before."""
    labels = torch.tensor([1, 3])
    for change, message in (
            (lambda c: (c.fill_(0), c[:2].fill_(1)),
             (r"^num_sampled: must be at most the 2 classes of nonzero count in "
              r"unigram_counts that a draw can reach .* when unique=True, got 3")),
            (lambda c: c[0].fill_(-5),
             r"^unigram_counts: every count must be finite and >= 0, got min -5.0"),
            (lambda c: c[3].fill_(0), r"^unigram_counts: a true class has count 0"),
            (lambda c: c[0].fill_(2**63 - 1),  # int64: the update wrapped it to -2**63
             r"^unigram_counts: a count of 9.22337e\+18 plus the 2 labels of this call")):
        module = NCELoss(10, 4, 3, sampler="learned_unigram")
        change(module.unigram_counts)
        before = module.unigram_counts.clone()
        with pytest.raises(ValueError, match=message):
            module(torch.randn(2, 4), labels)
        assert torch.equal(module.unigram_counts, before)  # refused before the draw


def test_reset_parameters_sets_the_learned_counts_back_to_one():
    """Made on the ``'meta'`` device, then ``to_empty()`` and ``reset_parameters()`` (torch's
    deferred initialisation, FSDP's default): the counts were uninitialised memory, and
    the first step refused them (or, where they happened to be >= 0, drew from them)."""
    with torch.device("meta"):
        module = SampledSoftmaxLoss(50, 4, 6, sampler="learned_unigram")
    module = module.to_empty(device="cpu")
    module.unigram_counts.fill_(-7)  # what to_empty may leave there
    module.reset_parameters()
    assert torch.equal(module.unigram_counts, torch.ones(50, dtype=torch.int64))
    assert torch.isfinite(module(torch.randn(3, 4), torch.tensor([1, 2, 2])))
    assert int(module.unigram_counts.sum()) == 53
    module.reset_parameters()  # a restart forgets the labels seen, as BatchNorm its stats
    assert torch.equal(module.unigram_counts, torch.ones(50, dtype=torch.int64))
    SampledSoftmaxLoss(50, 4, 6).reset_parameters()  # no counts: nothing to set


@pytest.mark.parametrize("mode", ["inference_mode", "no_grad"])
def test_learned_unigram_counts_stay_the_modules_tensor_without_grad(mode):
    """A forward under ``torch.inference_mode`` (or ``no_grad``) updates the counts in
    their own buffer: a checkpoint still loads into the module afterwards, and the
    counts can be changed in place."""
    module = SampledSoftmaxLoss(20, 4, 5, sampler="learned_unigram",
                                generator=torch.Generator().manual_seed(0))
    buffer = module.unigram_counts
    with getattr(torch, mode)():
        module(torch.randn(3, 4), torch.tensor([1, 2, 2]))
    assert module.unigram_counts is buffer
    assert not module.unigram_counts.is_inference()
    expected = torch.ones(20, dtype=torch.int64)
    expected[1] += 1
    expected[2] += 2
    assert torch.equal(module.unigram_counts, expected)
    module.load_state_dict(SampledSoftmaxLoss(20, 4, 5, sampler="learned_unigram").state_dict())
    assert torch.equal(module.unigram_counts, torch.ones(20, dtype=torch.int64))
    module.unigram_counts.zero_()
    assert int(module.unigram_counts.sum()) == 0


def test_a_callable_sampler_giving_numpy_arrays_is_named():
    """A module's sampler runs after the other arguments are checked: arrays of another
    library from it are a ``TypeError`` saying so (it said an int64 array was no int64
    array)."""
    labels = torch.tensor([1, 2, 3])
    values = log_uniform_candidate_sampler(labels[:, None], 1, 5, True, 20, seed=1)
    module = SampledSoftmaxLoss(20, 4, 5, sampler=lambda y: tuple(np.asarray(v) for v in values))
    with pytest.raises(TypeError, match=r"^sampled_values: arrays of another library "
                                        r"\(numpy.ndarray\) than the other arguments"):
        module(torch.randn(3, 4), labels)


def test_callable_sampler_and_rank1_labels():
    seen = []

    def sampler(labels):
        seen.append(labels.shape)
        return SampledValues(torch.tensor([1, 2, 4]), torch.ones(labels.shape),
                             torch.ones(3))

    module = SampledSoftmaxLoss(6, 3, 3, sampler=sampler, reduction="none")
    inputs, labels = torch.randn(4, 3), torch.tensor([0, 5, 2, 2])
    flat = module(inputs, labels)
    assert seen == [(4, 1)]
    torch.testing.assert_close(flat, module(inputs, labels[:, None]), rtol=0, atol=0)


def test_reductions_and_subtract_log_q():
    inputs, labels = _problem(20, batch=5)
    values = SampledValues(torch.tensor([1, 4, 9]), torch.full((5, 1), 0.3), torch.full((3,), 0.2))
    module = SampledSoftmaxLoss(20, 8, 3, reduction="none")
    per_row = module(inputs, labels, values)
    for reduction in ("mean", "sum"):
        module.reduction = reduction
        torch.testing.assert_close(module(inputs, labels, values), getattr(per_row, reduction)())
    plain = SampledSoftmaxLoss(20, 8, 3, subtract_log_q=False, reduction="none")
    ones = SampledValues(values[0], torch.ones(5, 1), torch.ones(3))
    torch.testing.assert_close(plain(inputs, labels, values), plain(inputs, labels, ones))
    # counts that log(Q) could not take are not read where it is not subtracted
    unused = SampledValues(values[0], torch.zeros(5, 1), torch.full((3,), float("nan")))
    torch.testing.assert_close(plain(inputs, labels, unused), plain(inputs, labels, ones))
    with pytest.raises(ValueError, match=r"^sampled_values\[1\] \(true_expected_count\): every "
                                         r"value must be finite and > 0"):
        module(inputs, labels, unused)


def test_initialisation():
    module = SampledSoftmaxLoss(5000, 64, 10)
    std = 1 / 8
    assert module.weight.shape == (5000, 64) and module.bias.shape == (5000,)
    assert float(module.weight.detach().abs().max()) <= 2 * std
    assert abs(float(module.weight.detach().std()) - 0.88 * std) < 0.02 * std  # truncated at 2 std
    assert torch.equal(module.bias, torch.zeros(5000))
    wide = NCELoss(10, 4, 3, dtype=torch.float64)
    assert wide.weight.dtype == wide.bias.dtype == torch.float64
    assert "num_sampled=3" in repr(wide)
    assert "subtract_log_q=False" in repr(NCELoss(10, 4, 3, subtract_log_q=False))
    assert NCELoss(10, 4, 3, device="meta").weight.is_meta  # nothing to redraw there


def test_the_class_rows_are_an_embedding_and_tie_to_an_input_embedding():
    """``weight`` and ``bias`` live in ``classes`` (an ``nn.Embedding`` with a bias);
    assigning the module's ``weight`` ties it, as language models tie their output
    weights to the input embedding: one parameter, whose gradient sums both uses."""
    module = SampledSoftmaxLoss(30, 4, 5, sparse=True, reduction="sum")
    assert isinstance(module.classes, torch.nn.Embedding) and module.classes.sparse
    assert [name for name, _ in module.named_parameters()] == ["classes.weight", "classes.bias"]
    assert module.weight is module.classes.weight and module.bias is module.classes.bias
    module.sparse = False
    assert not module.classes.sparse
    with pytest.raises(TypeError, match="sparse"):
        module.sparse = "yes"
    embed = torch.nn.Embedding(30, 4)
    module.weight = embed.weight
    assert module.classes.weight is embed.weight
    model = torch.nn.ModuleDict({"embed": embed, "out": module})
    assert len(list(model.parameters())) == 2  # the tied weight once, and the bias
    labels = torch.tensor([[3], [7]])
    values = log_uniform_candidate_sampler(labels, 1, 5, True, 30, seed=1)
    inputs = embed(torch.tensor([1, 2]))
    module(inputs, labels, values).backward()
    alone = torch.nn.Parameter(embed.weight.detach().clone())
    reference = SampledSoftmaxLoss(30, 4, 5, reduction="sum")
    reference.weight, reference.bias = alone, torch.nn.Parameter(torch.zeros(30))
    reference(torch.nn.functional.embedding(torch.tensor([1, 2]), alone), labels,
              values).backward()
    torch.testing.assert_close(embed.weight.grad, alone.grad)
    assert float(embed.weight.grad[[1, 2]].abs().sum()) > 0  # the input rows' share


def test_initialisation_is_the_truncated_normal_law():
    """Kolmogorov-Smirnov against the normal truncated at two standard deviations."""
    from scipy import stats

    torch.manual_seed(7)
    values = SampledSoftmaxLoss(2000, 50, 10).weight.detach().numpy().ravel() * np.sqrt(50)
    law = stats.truncnorm(-2, 2)
    assert stats.kstest(values, law.cdf).pvalue > 1e-4
    # the plain normal is rejected by the same test
    assert stats.kstest(values, stats.norm.cdf).pvalue < 1e-10


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"num_classes": 0}, "num_classes"),
    ({"dim": -1}, "dim"),
    ({"num_sampled": 0}, "num_sampled"),
    ({"num_sampled": 11}, "num_sampled"),  # unique draws from 10 classes
    ({"num_true": 0}, "num_true"),
    ({"reduction": "avg"}, "reduction"),
    ({"sampler": "zipf"}, "sampler"),
    ({"sampler": 3}, "sampler"),
])
def test_bad_options_raise_value_errors_naming_them(kwargs, name):
    args = {"num_classes": 10, "dim": 4, "num_sampled": 3, **kwargs}
    with pytest.raises(ValueError, match=f"^{name}:"):
        SampledSoftmaxLoss(args.pop("num_classes"), args.pop("dim"), args.pop("num_sampled"),
                           **args)


def test_bad_option_types_raise_type_errors():
    with pytest.raises(TypeError, match="^generator:"):
        SampledSoftmaxLoss(10, 4, 3, generator=np.random.default_rng(0))
    with pytest.raises(TypeError, match="^sparse:"):
        SampledSoftmaxLoss(10, 4, 3, sparse="yes")
    for dtype in (torch.int32, torch.bool, "float32", np.float32):
        with pytest.raises(TypeError, match=r"^dtype: expected a floating torch.dtype .*, got "):
            SampledSoftmaxLoss(10, 4, 3, dtype=dtype)
    assert NCELoss(10, 4, 3, dtype=torch.bfloat16).weight.dtype == torch.bfloat16


def _good():
    return (torch.randn(3, 4), torch.tensor([[1], [2], [9]]),
            SampledValues(torch.tensor([0, 5]), torch.full((3, 1), 0.5), torch.full((2,), 0.5)))


@pytest.mark.parametrize(("change", "name"), [
    (lambda x, y, v: (x[:, :3], y, v), "inputs"),
    (lambda x, y, v: (x[0], y, v), "inputs"),
    (lambda x, y, v: (x, y[:2], v), "labels"),
    (lambda x, y, v: (x, torch.tensor([[1], [2], [10]]), v), "labels"),
    (lambda x, y, v: (x, torch.tensor([[1], [-1], [3]]), v), "labels"),
    (lambda x, y, v: (x, y, v._replace(sampled_candidates=torch.tensor([0, 10]))),
     r"sampled_values\[0\]"),
    (lambda x, y, v: (x, y, v._replace(sampled_candidates=torch.tensor([0, 1, 2]))),
     r"sampled_values\[0\]"),
    (lambda x, y, v: (x, y, v._replace(true_expected_count=torch.zeros(3, 1))),
     r"sampled_values\[1\]"),
    (lambda x, y, v: (x, y, v._replace(sampled_expected_count=torch.tensor([0.5, float("nan")]))),
     r"sampled_values\[2\]"),
    (lambda x, y, v: (x.to("meta"), y, v), "inputs"),
    (lambda x, y, v: (x, y.to("meta"), v), "labels"),
])
def test_bad_inputs_raise_value_errors_naming_them(change, name):
    module = SampledSoftmaxLoss(10, 4, 2)
    module(*_good())
    inputs, labels, values = change(*_good())
    with pytest.raises(ValueError, match=f"^{name}"):
        module(inputs, labels, values)


@pytest.mark.parametrize("sampler", layers.SAMPLERS)
def test_labels_are_checked_before_the_sampler_looks_them_up(sampler):
    module = NCELoss(10, 4, 3, sampler=sampler)
    with pytest.raises(ValueError, match=r"^labels: every id must be in \[0, 10\), got 12"):
        module(torch.randn(2, 4), torch.tensor([3, 12]))


def test_bad_input_kinds_raise_type_errors():
    module = SampledSoftmaxLoss(10, 4, 2)
    inputs, labels, values = _good()
    with pytest.raises(TypeError, match="^labels"):
        module(inputs, labels.float(), values)
    with pytest.raises(TypeError, match="^sampled_values"):
        module(inputs, labels, values[:2])
    with pytest.raises(TypeError):
        module(inputs.numpy(), labels, values)


_READS = ("cpu", "numpy", "item", "tolist", "__bool__", "__int__", "__float__", "__index__")


@pytest.fixture
def host_reads(monkeypatch):
    """Counts of the calls that bring tensor values to the host (a sync on a GPU). The
    ids are ordered and the hits found as on a GPU (``torch.argsort``, torch
    operations), not by NumPy on the CPU tensor's memory in place, and the number of
    draws is not read back."""
    from candidate_sampling.backends import Backend
    from candidate_sampling.backends.torch import TorchBackend

    monkeypatch.setattr(TorchBackend, "argsort", Backend.argsort)
    monkeypatch.setattr(TorchBackend, "on_host", Backend.on_host)
    monkeypatch.setattr(TorchBackend, "host_int", Backend.host_int)
    counts: dict[str, int] = {}
    for name in _READS:
        original = getattr(torch.Tensor, name)

        def counted(self, *args, _name=name, _original=original, **kwargs):
            counts[_name] = counts.get(_name, 0) + 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, counted)
    return counts


@pytest.mark.parametrize("validate", [True, False])
@pytest.mark.parametrize("given", [True, False], ids=["given-values", "drawn"])
def test_a_step_reads_the_device_once_with_validate_and_never_without(host_reads, validate,
                                                                      given):
    """On the CPU a read costs nothing, but it is the same code that would wait for a GPU:
    count the calls that bring values to the host, over forward and backward. The draw
    is ``unique=False``: unique draws stop on a data-dependent condition (see the module
    documentation)."""
    module = SampledSoftmaxLoss(50, 4, 5, sparse=True, validate=validate, unique=False,
                                sampler="log_uniform", generator=torch.Generator().manual_seed(0))
    inputs, labels = torch.randn(3, 4, requires_grad=True), torch.tensor([1, 7, 49])
    values = (log_uniform_candidate_sampler(labels[:, None], 1, 5, False, 50, seed=1)
              if given else None)
    host_reads.clear()
    module(inputs, labels, values).backward()
    assert host_reads == ({"numpy": 1} if validate else {})


@pytest.mark.parametrize("sampler", layers.SAMPLERS)
def test_a_unique_draw_on_a_gpus_path_is_the_native_draw_and_reads_once_per_block(
        sampler, host_reads, monkeypatch):
    """On a GPU the unique samplers run the core's loop of blocks on the device (the NumPy
    draw serves the CPU only): run that loop here, on the CPU. From the same generator
    it draws the sample of the native draw, and the module's step gives the same losses
    and sparse gradients. It reads the device once per block of draws (one block here),
    not before the first, and once more for whether the sample is complete."""
    from candidate_sampling.backends.torch import TorchBackend, no_value_reads

    inputs, labels = _problem(60, batch=5)

    def step():
        torch.manual_seed(0)
        module = SampledSoftmaxLoss(60, 8, 20, sampler=sampler, sparse=True, validate=False,
                                    generator=torch.Generator().manual_seed(7))
        values = module.sample(labels[:, None])
        x = inputs.clone().requires_grad_()
        module(x, labels, values).backward()
        return values, module(x, labels, values), module.weight.grad.coalesce(), x.grad

    native = step()
    monkeypatch.setattr(TorchBackend, "unique_draws", lambda self, *args: None)
    host_reads.clear()
    on_device = step()
    for got, expected in zip(on_device[0], native[0]):
        assert torch.equal(got, expected)
    assert len(set(native[0].sampled_candidates.tolist())) == 20
    torch.testing.assert_close(on_device[1], native[1], rtol=0, atol=0)
    torch.testing.assert_close(on_device[2], native[2], rtol=0, atol=0)
    torch.testing.assert_close(on_device[3], native[3], rtol=0, atol=0)
    module = SampledSoftmaxLoss(60, 8, 20, sampler=sampler, validate=False,
                                generator=torch.Generator().manual_seed(7))
    host_reads.clear()
    module.sample(labels[:, None])  # the labels' check, the condition, the outcome
    counts_read = {"numpy": 1} if sampler == "learned_unigram" else {}  # the counts' check
    assert host_reads == {"__int__": 2, "__bool__": 2, **counts_read}
    host_reads.clear()
    with no_value_reads():  # as in a step: no checks, and a draw cut short gives NaN counts
        module.sample(labels[:, None])
    assert host_reads == {"__bool__": 1}


@pytest.mark.parametrize(("cls", "sparse"), [(SampledSoftmaxLoss, False), (NCELoss, True)],
                         ids=["softmax-dense", "nce-sparse"])
def test_torch_compile_matches_eager(cls, sparse):
    """``torch.compile`` of a step given its sampled values, forward and backward; a dense
    loss as one graph (``fullgraph=True``), a sparse one in two (see the module
    documentation). The ``aot_eager`` backend traces with Dynamo and AOTAutograd (the
    graphs, functionalization, the backward graph) and runs the traced ops as they are:
    what a compiled graph must get right. Inductor adds C++ code generation, twenty
    seconds or more on a small CPU, for nothing the numbers depend on."""
    inputs, labels = _problem(30, batch=6)
    values = log_uniform_candidate_sampler(labels[:, None], 1, 7, True, 30, seed=4)
    module = cls(30, 8, 7, reduction="none", sparse=sparse)
    compiled = torch.compile(lambda x, y, v: module(x, y, v), backend="aot_eager",
                             fullgraph=not sparse)
    results = []
    for run in (module, compiled):
        module.zero_grad()
        x = inputs.clone().requires_grad_(True)
        loss = run(x, labels, values)
        (loss * torch.linspace(0.5, 1.5, 6)).sum().backward()
        assert module.weight.grad.is_sparse == module.bias.grad.is_sparse == sparse
        results.append((loss.detach(), _dense(module.weight.grad), _dense(module.bias.grad),
                        x.grad.numpy()))
    for eager, got in zip(*results):
        np.testing.assert_allclose(np.asarray(got), np.asarray(eager), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dynamic", [None, True], ids=["batch-changes", "dynamic"])
def test_torch_compile_fullgraph_over_batch_sizes(dynamic):
    """One ``fullgraph=True`` compile of a dense module and of ``nce_loss`` over three
    batch sizes: the second size (or, with ``dynamic=True``, the first) traces the batch
    as a symbolic size, which the value checks' emptiness test converted with
    ``math.isnan`` ("torch.* op returned non-Tensor")."""
    module = SampledSoftmaxLoss(30, 8, 7, reduction="none")

    def nce(weight, bias, labels, inputs, values):
        return nce_loss(weight, bias, labels, inputs, 7, 30, sampled_values=values)

    compiled = [torch.compile(f, backend="aot_eager", fullgraph=True, dynamic=dynamic)
                for f in (module, nce)]
    for batch in (4, 7, 9):
        inputs, labels = _problem(30, batch=batch)
        values = log_uniform_candidate_sampler(labels[:, None], 1, 7, True, 30, seed=batch)
        nce_args = (module.weight, module.bias, labels[:, None], inputs, values)
        for want, got in ((module(inputs, labels, values), compiled[0](inputs, labels, values)),
                          (nce(*nce_args), compiled[1](*nce_args))):
            assert got.shape == (batch,)
            np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(),
                                       rtol=1e-6, atol=1e-6)


def test_torch_compile_dynamic_of_an_empty_batch_drawing_its_own_sample():
    """``torch.compile(dynamic=True)`` of the loss and the module drawing their sample,
    over an empty batch (after a batch of 3, and first): the drawn expected counts were
    refused ("expected shape [batch_size, num_true] = [0, 1], got [0, 1]"), Dynamo
    taking ``0 in (1, s)`` for False where the batch size is the symbol ``s``."""
    module = SampledSoftmaxLoss(200, 8, 16, reduction="none")
    weight, bias = module.weight.detach(), module.bias.detach()

    def functional(x, y):
        return sampled_softmax_loss(weight, bias, y, x, 16, 200)

    for batches in ((3, 0), (0,)):
        torch._dynamo.reset()
        compiled = [torch.compile(f, backend="aot_eager", dynamic=True)
                    for f in (module, functional)]
        for batch in batches:
            inputs, labels = torch.randn(batch, 8), torch.arange(batch) * 7
            for f, args in ((compiled[0], (inputs, labels)),
                            (compiled[1], (inputs, labels[:, None]))):
                torch.manual_seed(batch)
                got = f(*args)
                torch.manual_seed(batch)
                want = (module, functional)[compiled.index(f)](*args)
                assert got.shape == (batch,)
                np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(),
                                           rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_torch_compile_of_a_module_drawing_its_own_sample(sparse):
    """``torch.compile`` of a step whose module draws its sample, over more than 2^16
    classes (Dynamo failed on the NumPy draw's 32-bit shifts of such ids): the draw runs
    outside the graphs, so a compiled step draws what an eager one draws from the same
    seed, and another number of draws ("tries") does not compile the graphs again."""
    num_classes, num_sampled = 70_000, 16
    inputs, labels = _problem(num_classes, batch=6)
    module = SampledSoftmaxLoss(num_classes, 8, num_sampled, reduction="none", sparse=sparse)
    compiled = torch.compile(module, backend="aot_eager")
    true_counts = set()
    for number, seed in enumerate((1, 2, 3)):
        torch.manual_seed(seed)
        drawn = log_uniform_candidate_sampler(labels[:, None], 1, num_sampled, True, num_classes)
        true_counts.add(float(drawn.true_expected_count[0, 0]))
        results = []
        for run in (module, compiled):
            module.zero_grad()
            x = inputs.clone().requires_grad_(True)
            torch.manual_seed(seed)
            with torch._dynamo.config.patch(error_on_recompile=number > 0):
                loss = run(x, labels)
            loss.sum().backward()
            results.append((loss.detach(), _dense(module.weight.grad), x.grad))
        for eager, got in zip(*results):
            np.testing.assert_allclose(np.asarray(got), np.asarray(eager), rtol=1e-6, atol=1e-6)
    assert len(true_counts) > 1  # the seeds took different numbers of draws


def test_a_module_samples_with_tensorflows_exact_stream():
    """A callable sampler that reads the labels on the host (TensorFlow's exact stream)
    runs with reads allowed, although the module reads no values itself; compiled, it
    runs outside the graphs on every call, so TensorFlow's seed sequence moves on as it
    does eagerly, call after call."""
    from candidate_sampling.compat import tf as tfc

    num_classes, num_sampled = 70_000, 6
    inputs, labels = _problem(num_classes, batch=4)

    def sampler(rows):
        return tfc.random.log_uniform_candidate_sampler(rows, 1, num_sampled, True,
                                                        num_classes)

    module = SampledSoftmaxLoss(num_classes, 8, num_sampled, sampler=sampler,
                                reduction="none")
    tfc.random.set_seed(3)
    drawn = [sampler(labels[:, None]) for _ in range(2)]
    runs = {}
    for name, run in (("eager", module), ("compiled", torch.compile(module, backend="aot_eager"))):
        tfc.random.set_seed(3)
        runs[name] = [run(inputs, labels).detach() for _ in range(2)]
    for call in range(2):
        want = module(inputs, labels, drawn[call]).detach()
        for name in runs:
            np.testing.assert_allclose(runs[name][call], want, rtol=1e-6, atol=1e-6)
    assert not torch.equal(runs["eager"][0], runs["eager"][1])  # the stream moved on


def test_exact_streams_and_fixed_unigram_sampler_under_torch_compile():
    """Host-side samplers inside ``torch.compile``: Paddle's seeded op and the fixed
    unigram sampler's weights (given as a tensor over 70,000 classes) run outside the
    graphs and give what they give eagerly."""
    from candidate_sampling import fixed_unigram_candidate_sampler
    from candidate_sampling.compat import paddle

    num_classes = 70_000
    gen = torch.Generator().manual_seed(2)
    logits = torch.randn(4, num_classes, generator=gen)
    labels = torch.randint(0, num_classes, (4, 1), generator=gen)
    unigrams = torch.rand(num_classes, generator=gen) + 0.5

    def paddle_loss(logits, labels):
        return paddle.sampled_softmax_with_cross_entropy(logits, labels, 8, seed=5)

    def fixed(labels, unigrams):
        return fixed_unigram_candidate_sampler(labels, 1, 8, True, num_classes,
                                               unigrams=unigrams, distortion=0.75, seed=9)

    for fn, args in ((paddle_loss, (logits, labels)), (fixed, (labels, unigrams))):
        eager = fn(*args)
        compiled = torch.compile(fn, backend="aot_eager")(*args)
        for want, got in zip(torch.utils._pytree.tree_leaves(eager),
                             torch.utils._pytree.tree_leaves(compiled)):
            torch.testing.assert_close(got, want, rtol=0, atol=0)


_FRESH_COMPILE = """
import warnings
import torch
from candidate_sampling import log_uniform_candidate_sampler
from candidate_sampling.layers.torch import NCELoss, SampledSoftmaxLoss

warnings.simplefilter("always")
with warnings.catch_warnings(record=True) as caught:
    for cls, sparse, sampler in ((SampledSoftmaxLoss, False, "log_uniform"),
                                 (SampledSoftmaxLoss, True, "learned_unigram"),
                                 (NCELoss, False, "uniform"), (NCELoss, True, "log_uniform")):
        module = cls(70_000, 8, 16, sparse=sparse, sampler=sampler)
        compiled = torch.compile(module, backend="aot_eager")
        inputs, labels = torch.randn(4, 8), torch.randint(0, 70_000, (4, 1))
        compiled(inputs, labels).backward()  # first: the library's first call is traced
        values = log_uniform_candidate_sampler(labels, 1, 16, True, 70_000, seed=1)
        compiled(inputs, labels, values).backward()
print(sorted({str(w.message).splitlines()[0] for w in caught
              if "torch" in w.filename or "dynamo" in str(w.message).lower()}))
"""


def test_a_first_compile_in_a_fresh_process_gives_no_warnings():
    """``torch.compile`` of the modules as a process's first use of the library (given
    values and own draws with each sampler, dense and sparse; the first call traced):
    Dynamo traces the library and gives no warning (it warned about every ``functools``
    cache it met in the namespace, backend and device lookups)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _FRESH_COMPILE], capture_output=True,
                          text=True, timeout=240, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout


_EAGER_ONLY = """
import sys
import torch
import candidate_sampling as cs
from candidate_sampling.compat import tf
from candidate_sampling.layers.torch import SampledSoftmaxLoss

print("torch._dynamo" in sys.modules)
labels = torch.randint(0, 1000, (4, 1))
module = SampledSoftmaxLoss(1000, 8, 16, sparse=True)
module(torch.randn(4, 8), labels).backward()
cs.log_uniform_candidate_sampler(labels, 1, 16, True, 1000)
tf.random.log_uniform_candidate_sampler(labels, 1, 16, True, 1000, seed=3)
print("torch._dynamo" in sys.modules, module.weight.grad.is_sparse)
"""


def test_eager_use_leaves_dynamo_unimported():
    """Importing the modules and an eager step with their own draw (sparse gradients), a
    native and a TensorFlow-stream draw do not import ``torch._dynamo`` (seconds), which
    their ``torch.compile`` guards are only needed with: they used to, at import."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _EAGER_ONLY], capture_output=True,
                          text=True, timeout=240, check=True)
    assert done.stdout.split() == ["False", "False", "True"], done.stdout


_DDP_WORKER = """
import os, sys
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel
from candidate_sampling.layers.torch import NCELoss, SampledSoftmaxLoss

def rank_main(rank, out, port):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=port)
    dist.init_process_group("gloo", rank=rank, world_size=2)
    batch = torch.load(os.path.join(out, "batch.pt"))
    results = {}
    for cls in (SampledSoftmaxLoss, NCELoss):
        for sparse in (False, True):
            module = cls(50, 4, 6, num_true=2, reduction="sum", sparse=sparse)
            module.load_state_dict(batch["state"])
            ddp = DistributedDataParallel(module)
            ddp(*batch["ranks"][rank]).backward()
            grads = {k: p.grad for k, p in module.named_parameters()}
            torch.optim.SGD(module.parameters(), lr=0.5).step()
            results[cls.__name__, sparse] = {"grads": grads, "state": module.state_dict()}
            del ddp
    torch.save(results, os.path.join(out, f"rank{rank}.pt"))
    dist.barrier()  # without it, tearing gloo down hung now and then
    dist.destroy_process_group()

if __name__ == "__main__":
    mp.spawn(rank_main, args=tuple(sys.argv[1:3]), nprocs=2)
"""


def test_distributed_data_parallel_averages_the_gradients(tmp_path):
    """Two ranks of ``DistributedDataParallel`` (gloo) with a batch each: every rank gets
    the mean of the two ranks' gradients, sparse with ``sparse=True`` (DDP all-reduces
    the sparse gradients of an embedding, and the class rows are one), and the SGD
    step leaves both ranks with the same parameters."""
    import socket
    import subprocess
    import sys

    gen = torch.Generator().manual_seed(4)
    ranks = []
    for _ in range(2):
        labels = torch.randint(0, 50, (3, 2), generator=gen)
        values = log_uniform_candidate_sampler(labels, 2, 6, True, 50, rng=gen)
        ranks.append((torch.randn(3, 4, generator=gen), labels, tuple(values)))
    state = SampledSoftmaxLoss(50, 4, 6).state_dict()
    torch.save({"state": state, "ranks": ranks}, tmp_path / "batch.pt")
    script = tmp_path / "ddp_worker.py"
    script.write_text(_DDP_WORKER)
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = str(free.getsockname()[1])
    subprocess.run([sys.executable, str(script), str(tmp_path), port], check=True, timeout=120)
    results = [torch.load(tmp_path / f"rank{r}.pt") for r in range(2)]
    assert len(results[0]) == 4
    for (name, sparse), got in results[0].items():
        module = MODULES["nce_loss" if name == "NCELoss" else "sampled_softmax_loss"](
            50, 4, 6, num_true=2, reduction="sum")
        module.load_state_dict(state)
        want = {}
        for inputs, labels, values in ranks:
            module.zero_grad()
            module(inputs, labels, values).backward()
            for key, param in module.named_parameters():
                want[key] = want.get(key, 0) + _dense(param.grad) / 2
        assert set(want) == set(got["grads"]) == {"classes.weight", "classes.bias"}
        for result in (got, results[1][name, sparse]):
            for key, grad in result["grads"].items():
                assert grad.is_sparse == sparse, (name, key)
                np.testing.assert_allclose(_dense(grad), want[key], rtol=1e-5, atol=1e-6)
        for key, value in got["state"].items():
            torch.testing.assert_close(results[1][name, sparse]["state"][key], value,
                                       rtol=0, atol=0)
            if key in want:  # one SGD step on the mean gradient
                np.testing.assert_allclose((value - state[key]).numpy(), -0.5 * want[key],
                                           rtol=1e-4, atol=1e-6)


def test_docstring_examples():
    result = doctest.testmod(layers, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 10 and result.failed == 0


@pytest.mark.parametrize("cls", [SampledSoftmaxLoss, NCELoss])
def test_an_empty_batch_reduces_as_torchs_own_losses(cls):
    """No rows: ``'none'`` gives ``[0]``, ``'sum'`` 0 with zero gradients, ``'mean'`` NaN
    as ``torch.nn.CrossEntropyLoss`` gives."""
    torch.manual_seed(0)
    inputs, labels = torch.zeros(0, 4, requires_grad=True), torch.zeros(0, dtype=torch.int64)
    assert cls(20, 4, 5, reduction="none")(inputs, labels).shape == (0,)
    summed = cls(20, 4, 5, reduction="sum")
    loss = summed(inputs, labels)
    loss.backward()
    assert float(loss.detach()) == 0 and float(summed.weight.grad.abs().sum()) == 0
    want = torch.nn.CrossEntropyLoss()(torch.zeros(0, 20), labels)
    assert torch.isnan(want) and torch.isnan(cls(20, 4, 5)(inputs, labels))


def test_class_embedding_from_pretrained():
    """``ClassEmbedding.from_pretrained``, inherited from ``nn.Embedding``, failed on its
    ``num_embeddings`` keyword; it takes the tensors as the parameters (not copied),
    frozen by default, a bias of zeros unless given, sparse gradients where asked, and
    names a bad argument."""
    weight = torch.randn(10, 3)
    frozen = layers.ClassEmbedding.from_pretrained(weight)
    assert frozen.weight.data_ptr() == weight.data_ptr() and not frozen.weight.requires_grad
    assert torch.equal(frozen.bias, torch.zeros(10)) and not frozen.bias.requires_grad
    rows, biases = frozen(torch.tensor([4, 1]))
    assert torch.equal(rows, weight[[4, 1]]) and torch.equal(biases, torch.zeros(2))
    bias = torch.arange(10.0)
    trained = layers.ClassEmbedding.from_pretrained(weight, freeze=False, sparse=True, bias=bias)
    rows, biases = trained(torch.tensor([4, 1, 4]))
    assert torch.equal(biases, torch.tensor([4.0, 1.0, 4.0]))
    (rows.sum() + biases.sum()).backward()
    assert trained.weight.grad.is_sparse and trained.bias.grad.is_sparse
    torch.testing.assert_close(trained.bias.grad.to_dense(),
                               torch.tensor([0, 1, 0, 0, 2, 0, 0, 0, 0, 0.0]))
    for bad, error, message in (
            ([[1.0]], TypeError, "^embeddings: expected a tensor, got list"),
            (torch.randn(3), ValueError, (r"^embeddings: expected shape \[num_classes, dim\], "
                                          r"got shape \[3\]")),
            (torch.ones(2, 2, dtype=torch.int64), TypeError,
             "^embeddings: expected a tensor of float16")):
        with pytest.raises(error, match=message):
            layers.ClassEmbedding.from_pretrained(bad)
    with pytest.raises(ValueError, match=r"^bias: expected a tensor of shape \[10\]"):
        layers.ClassEmbedding.from_pretrained(weight, bias=torch.ones(9))
    with pytest.raises(TypeError, match="^bias: expected torch.float32"):
        layers.ClassEmbedding.from_pretrained(weight, bias=torch.ones(10, dtype=torch.float64))


@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")
@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors")
def test_arguments_torch_could_not_compute_with_are_named():
    """Sparse and nested tensors, 8-bit floats, the abstract base class and a bad
    ``ClassEmbedding`` size: torch's own errors came out ("Could not run 'aten::amin'
    with arguments from the 'SparseCPU' backend", "normal_kernel_cpu not implemented
    for 'Float8_e4m3fn'", a bare ``KeyError: ''``, "negative dimension -1")."""
    from candidate_sampling.layers.torch import ClassEmbedding, SampledOutputLoss

    weights, biases = torch.randn(10, 4), torch.zeros(10)
    inputs, labels = torch.randn(2, 4), torch.tensor([[1], [2]])
    dense = r": expected a dense array, got layout torch.sparse_"
    for name, args in (("weights", (weights.to_sparse(), biases, labels, inputs)),
                       ("biases", (weights, biases.to_sparse(), labels, inputs)),
                       ("labels", (weights, biases, labels.to_sparse(), inputs)),
                       ("inputs", (weights, biases, labels, inputs.to_sparse_csr())),
                       ("weights", ([weights[:5], weights[5:].to_sparse()], biases, labels,
                                    inputs))):
        with pytest.raises(TypeError, match=f"^{name}{dense}"):
            sampled_softmax_loss(*args, 3, 10)
    with pytest.raises(TypeError, match=f"^true_classes{dense}coo \\(convert it with "
                                        f"\\.to_dense\\(\\)\\)$"):
        log_uniform_candidate_sampler(labels.to_sparse(), 1, 3, True, 10)
    module = SampledSoftmaxLoss(100, 8, 16)
    x, y = torch.randn(6, 8), torch.randint(0, 100, (6,))
    with pytest.raises(TypeError, match=f"^inputs{dense}coo"):
        module(x.to_sparse(), y)
    nested = torch.nested.nested_tensor([y[:3], y[3:]])
    with pytest.raises(TypeError, match=r"^labels: expected a dense array, got a nested tensor"):
        module(x, nested)
    float8 = torch.float8_e4m3fn
    with pytest.raises(TypeError, match=r"^dtype: expected a floating torch.dtype"):
        SampledSoftmaxLoss(100, 8, 16, dtype=float8)
    with pytest.raises(TypeError, match=r"^embeddings: expected a tensor of float16"):
        ClassEmbedding.from_pretrained(torch.zeros(3, 2, dtype=float8))
    with pytest.raises(TypeError, match=r"^inputs: expected float16, bfloat16, float32 or "
                                        r"float64, got dtype torch.float8_e4m3fn"):
        sampled_softmax_loss(weights.to(float8), biases.to(float8), labels, inputs.to(float8),
                             3, 10)
    with pytest.raises(TypeError, match=r"^SampledOutputLoss: no loss_kind"):
        SampledOutputLoss(100, 8, 16)
    for args, message in (((-1, 4), r"^num_classes: must be in \[1, inf\], got -1"),
                          ((3, 0), r"^dim: must be in \[1, inf\], got 0")):
        with pytest.raises(ValueError, match=message):
            ClassEmbedding(*args)


@pytest.mark.parametrize("num_classes", [2**40, 2**63])
def test_a_layer_larger_than_memory_is_refused_by_name(num_classes):
    """torch's allocator error named neither argument (2**63: a TypeError from C++), and
    a size between the free memory and the kernel's overcommit limit was granted, then
    killed while the rows were drawn. On the 'meta' device nothing is allocated."""
    for make in (lambda **kw: SampledSoftmaxLoss(num_classes, 1, 8, **kw),
                 lambda **kw: ClassEmbedding(num_classes, 1, **kw)):
        with pytest.raises(ValueError, match=rf"^num_classes, dim: a layer of \[{num_classes}, 1\] "
                                             rf"class weights and biases takes [0-9.]+ GiB, more "
                                             rf"than the"):
            make()
    assert SampledSoftmaxLoss(2**40, 1, 8, device="meta").classes.weight.shape == (2**40, 1)


@pytest.mark.parametrize("sparse", [False, True])
def test_class_embedding_names_bad_ids(sparse):
    """The public ClassEmbedding passed torch's own errors through: "index out of range
    in self" and "index_select(): Expected dtype int32 or int64 for index"."""
    classes = ClassEmbedding(10, 3, sparse=sparse)
    with pytest.raises(ValueError, match=r"^ids: every id must be in \[0, 10\)$"):
        classes(torch.tensor([1, 10]))
    with pytest.raises(ValueError, match=r"^ids: every id must be in \[0, 10\)$"):
        classes(torch.tensor([-11]))
    with pytest.raises(TypeError, match=r"^ids: expected an int32 or int64 tensor, got "
                                        r"torch.float32$"):
        classes(torch.tensor([1.0]))
    weight_rows, bias_rows = classes(torch.tensor([3, 3], dtype=torch.int32))
    assert torch.equal(weight_rows[0], classes.weight[3]) and bias_rows.shape == (2,)

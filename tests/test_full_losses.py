"""The full losses against TensorFlow's evaluation recipes (spec/full_losses/tf2.json,
made by oracles/tf2_full_losses.py), and against the sampled losses with every class
sampled, which equal them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import candidate_sampling as cs

ORACLE = json.loads((Path(__file__).resolve().parents[1] / "spec" / "full_losses"
                     / "tf2.json").read_text())
CASES = ORACLE["cases"]
FULL = {"full_softmax_loss": cs.full_softmax_loss, "full_sigmoid_loss": cs.full_sigmoid_loss}


def _arrays(xp, case):
    inputs = case["inputs"]
    return (xp.asarray(np.asarray(inputs["weights"], np.float32)),
            xp.asarray(np.asarray(inputs["biases"], np.float32)),
            xp.asarray(np.asarray(inputs["labels"], np.int64 if xp.__name__ != "jax.numpy"
                                  else np.int32)),
            xp.asarray(np.asarray(inputs["inputs"], np.float32)))


def test_the_oracle_file_has_its_cases():
    assert ORACLE["oracle"] == "tensorflow 2.21.0" and len(CASES) == 7


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
@pytest.mark.parametrize("name", sorted(FULL))
def test_full_losses_equal_tensorflows_recipes(xp, case, name):
    weights, biases, labels, inputs = _arrays(xp, case)
    got = np.asarray(FULL[name](weights, biases, labels, inputs, case["num_classes"],
                                case["num_true"]))
    want = np.asarray(case[name], np.float32)
    scale = float(np.abs(np.asarray(case["logits"])).max())
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=2e-6 * max(scale, 1.0))
    logits = np.asarray(cs.full_logits(weights, biases, inputs))
    np.testing.assert_allclose(logits, np.asarray(case["logits"], np.float32), rtol=1e-6,
                               atol=1e-6 * max(scale, 1.0))


@pytest.mark.parametrize("case", [c for c in CASES if c["id"].startswith("confident")],
                         ids=lambda c: c["id"])
@pytest.mark.parametrize("name", sorted(FULL))
def test_full_losses_keep_a_confident_rows_small_loss(xp, case, name):
    """Rows whose loss is far below their logits, to TensorFlow's figures with no
    absolute slack: the softmax's ``log(total) + max - true`` gave 0 for TensorFlow's
    6.198864e-06 beside logits of 1000 (TensorFlow shifts the logits first), the sum of
    ``softplus(x)`` less the true logit 1.1e-7 for 2.27e-7 beside 16 (TensorFlow takes
    ``(max(x, 0) - x z) + log1p(exp(-|x|))`` class by class)."""
    weights, biases, labels, inputs = _arrays(xp, case)
    got = np.asarray(FULL[name](weights, biases, labels, inputs, case["num_classes"],
                                case["num_true"]))
    np.testing.assert_allclose(got, np.asarray(case[name], np.float32), rtol=1e-6, atol=0)


@pytest.mark.parametrize("sampled, full, hits_default", [
    (cs.sampled_softmax_loss, cs.full_softmax_loss, True),
    (cs.nce_loss, cs.full_sigmoid_loss, False)])
@pytest.mark.parametrize("num_true", [1, 3])
def test_a_sampled_loss_of_every_class_is_the_full_loss(sampled, full, hits_default, num_true):
    """Every class sampled once (``all_candidate_sampler``: expected counts 1, so no
    ``log Q``), the true ones masked as accidental hits: the sampled loss is the full one
    (where a row's true classes are distinct; a repeated one is two true columns of the
    sampled softmax)."""
    rng = np.random.default_rng(num_true)
    weights = rng.standard_normal((40, 6)).astype(np.float32)
    biases = rng.standard_normal(40).astype(np.float32)
    inputs = rng.standard_normal((7, 6)).astype(np.float32)
    labels = np.stack([rng.permutation(40)[:num_true] for _ in range(7)])
    values = cs.all_candidate_sampler(labels, num_true, 40, True)
    got = sampled(weights, biases, labels, inputs, 40, 40, num_true, sampled_values=values,
                  remove_accidental_hits=True)
    np.testing.assert_allclose(got, full(weights, biases, labels, inputs, 40, num_true),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("change, error, message", [
    (dict(labels=np.array([[1], [6]])), ValueError, r"^labels: every id must be in \[0, 6\), got 6"),
    (dict(labels=np.array([1, 2])), ValueError, r"^labels: expected shape \[batch_size, num_true\]"),
    (dict(labels=np.array([[1.0], [2.0]])), TypeError, r"^labels: expected an integer array"),
    (dict(biases=np.zeros(5, np.float32)), ValueError, r"^biases: expected shape \[num_classes\] = \[6\]"),
    (dict(inputs=np.zeros((2, 3), np.float32)), ValueError, r"^inputs: expected shape \[batch_size, dim\] with dim=2 \(from weights\)"),
    (dict(inputs=np.zeros((2, 2), np.float64)), TypeError, r"^inputs: dtype float64 differs"),
    (dict(num_classes=7), ValueError, r"^weights: expected shape \[num_classes, dim\] with num_classes = 7"),
    (dict(num_true=0), ValueError, r"^num_true: must be in \[1, inf\]"),
    (dict(weights=[np.zeros((3, 2), np.float32)] * 2), TypeError,
     r"^weights: expected one array; the full losses and logits do not take shards"),
])
@pytest.mark.parametrize("name", sorted(FULL))
def test_bad_arguments_name_themselves(name, change, error, message):
    arguments = dict(zip(("weights", "biases", "labels", "inputs"), _arrays(np, CASES[0])),
                     num_classes=6, num_true=1)
    arguments.update(change)
    with pytest.raises(error, match=message):
        FULL[name](**arguments)


def test_large_logits_stay_finite_with_gradients():
    torch = pytest.importorskip("torch")
    weights = torch.tensor([[1e4, 0.0], [-1e4, 0.0], [0.0, 1e4]], requires_grad=True)
    biases = torch.zeros(3, requires_grad=True)
    inputs = torch.tensor([[1.0, 0.5], [-1.0, 2.0]], requires_grad=True)
    labels = torch.tensor([[1], [2]])
    for full in FULL.values():
        loss = full(weights, biases, labels, inputs, 3).sum()
        loss.backward()
        assert torch.isfinite(loss) and loss.item() > 1e3
        for p in (weights, biases, inputs):
            assert torch.isfinite(p.grad).all()
            p.grad = None


@pytest.mark.parametrize("kind", ["SampledSoftmaxLoss", "NCELoss"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_the_torch_modules_evaluate_with_the_full_loss(kind, reduction):
    torch = pytest.importorskip("torch")
    import candidate_sampling.layers.torch as layers

    torch.manual_seed(0)
    module = getattr(layers, kind)(50, 8, 10, reduction=reduction)
    inputs, labels = torch.randn(4, 8), torch.randint(0, 50, (4,))
    logits = module.logits(inputs)
    torch.testing.assert_close(logits, inputs @ module.weight.T + module.bias)
    full = cs.full_softmax_loss if kind == "SampledSoftmaxLoss" else cs.full_sigmoid_loss
    rows = full(module.weight, module.bias, labels[:, None], inputs, 50)
    want = {"none": rows, "mean": rows.mean(), "sum": rows.sum()}[reduction]
    got = module.full_loss(inputs, labels)
    torch.testing.assert_close(got, want)
    got.sum().backward()  # differentiable, dense gradients of every row
    assert module.weight.grad.shape == (50, 8) and bool(module.weight.grad.abs().sum() > 0)
    with pytest.raises(ValueError, match="^labels: every id must be in"):
        module.full_loss(inputs, torch.full((4,), 50))


def test_jax_jit_and_grad_of_the_full_loss():
    jax = pytest.importorskip("jax")
    weights, biases, labels, inputs = _arrays(jax.numpy, CASES[2])
    loss = jax.jit(lambda w, b, x: cs.full_softmax_loss(w, b, labels, x, 50).sum())
    value, grads = jax.value_and_grad(loss, argnums=(0, 1, 2))(weights, biases, inputs)
    np.testing.assert_allclose(float(value), float(np.sum(CASES[2]["full_softmax_loss"])),
                               rtol=1e-5)
    assert all(np.isfinite(np.asarray(g)).all() for g in grads)

"""Differentiating the PyTorch losses beyond one ``backward()``: ``torch.func``'s
transforms over the losses and the output layers (gradients, Jacobians and per-example
gradients equal autograd's; the value checks run under ``grad`` and are skipped under
``vmap``), and second derivatives through ``backward(create_graph=True)``. (The golden
cases run under ``torch.func.vjp`` too, as the ``torch.func`` backend of the
conformance suite.)"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import candidate_sampling as cs  # noqa: E402
from candidate_sampling.backends.torch import (  # noqa: E402
    tracing,
    under_torch_func,
    values_unreadable,
)
from candidate_sampling.layers.torch import NCELoss, SampledSoftmaxLoss  # noqa: E402

# forward mode loads torch's own decompositions through torch.jit.script, which warns
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")

V, D, B, T, S = 60, 6, 5, 2, 20
LOSSES = {"sampled_softmax_loss": cs.sampled_softmax_loss, "nce_loss": cs.nce_loss}


def _problem(seed: int = 0) -> dict:
    """float64 weights, biases, inputs, labels ``[B, T]`` and a unique log-uniform sample
    of ``S`` of ``V`` classes: with so few classes some sampled classes hit true ones."""
    gen = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 12, (B, T), generator=gen)
    values = cs.log_uniform_candidate_sampler(labels, T, S, True, V, rng=gen)
    hits = (labels[:, :, None] == values.sampled_candidates).any()
    assert hits  # the masking is exercised
    return {"weights": torch.randn(V, D, generator=gen, dtype=torch.float64),
            "biases": torch.randn(V, generator=gen, dtype=torch.float64),
            "inputs": torch.randn(B, D, generator=gen, dtype=torch.float64),
            "cotangent": torch.rand(B, generator=gen, dtype=torch.float64),
            "labels": labels, "values": values}


def _loss(name: str, p: dict, hits: bool):
    """The loss's per-row values as a function of ``(weights, biases, inputs)``."""
    return lambda w, b, x: LOSSES[name](w, b, p["labels"], x, S, V, num_true=T,
                                        sampled_values=p["values"], remove_accidental_hits=hits)


def _autograd(fn, args: tuple, cotangent) -> list:
    """Gradients of ``sum(fn(*args) * cotangent)`` by ``loss.backward()`` (the analytic
    backward)."""
    leaves = [a.clone().requires_grad_() for a in args]
    (fn(*leaves) * cotangent).sum().backward()
    return [leaf.grad for leaf in leaves]


@pytest.mark.parametrize("hits", [True, False])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_grad_and_jacobians_equal_autograd(name, hits):
    p = _problem()
    fn, args = _loss(name, p, hits), (p["weights"], p["biases"], p["inputs"])
    want = _autograd(fn, args, p["cotangent"])
    got = torch.func.grad(lambda *a: (fn(*a) * p["cotangent"]).sum(), argnums=(0, 1, 2))(*args)
    for g, w in zip(got, want):
        assert g.layout == torch.strided
        torch.testing.assert_close(g, w, rtol=1e-12, atol=1e-13)
    backward = torch.func.jacrev(fn, argnums=2)(*args)  # [B, B, D]
    forward = torch.func.jacfwd(fn, argnums=2)(*args)
    assert backward.shape == (B, B, D)
    torch.testing.assert_close(forward, backward, rtol=1e-12, atol=1e-13)
    torch.testing.assert_close(torch.einsum("i,ijk->jk", p["cotangent"], backward), want[2],
                               rtol=1e-12, atol=1e-13)
    # a row's loss depends on that row's inputs only
    off_diagonal = backward * (1 - torch.eye(B, dtype=torch.float64))[:, :, None]
    assert torch.count_nonzero(off_diagonal) == 0


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_vmap_gives_per_example_losses_and_gradients(name):
    """``vmap`` over rows (each with its own labels and expected counts, one shared sample)
    gives the batch's per-row losses, and ``vmap(grad)`` each row's gradients, those of
    that row alone by autograd."""
    p = _problem(1)
    w, b, x, labels, values = (p["weights"], p["biases"], p["inputs"], p["labels"],
                               p["values"])

    def one_row(w, b, row, row_labels, row_counts):
        row_values = (values.sampled_candidates, row_counts[None], values.sampled_expected_count)
        return LOSSES[name](w, b, row_labels[None], row[None], S, V, num_true=T,
                            sampled_values=row_values, remove_accidental_hits=True)[0]

    per_row = torch.func.vmap(one_row, in_dims=(None, None, 0, 0, 0))(
        w, b, x, labels, values.true_expected_count)
    batch = LOSSES[name](w, b, labels, x, S, V, num_true=T, sampled_values=values,
                         remove_accidental_hits=True)
    torch.testing.assert_close(per_row, batch, rtol=1e-13, atol=1e-13)
    grads = torch.func.vmap(torch.func.grad(one_row, argnums=(0, 1, 2)),
                            in_dims=(None, None, 0, 0, 0))(
        w, b, x, labels, values.true_expected_count)
    assert [g.shape for g in grads] == [(B, V, D), (B, V), (B, D)]
    for i in range(B):
        def alone(w, b, row, i=i):
            return one_row(w, b, row, labels[i], values.true_expected_count[i])

        want = _autograd(alone, (w, b, x[i]), torch.ones((), dtype=torch.float64))
        for g, wanted in zip(grads, want):
            torch.testing.assert_close(g[i], wanted, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("cls", [SampledSoftmaxLoss, NCELoss])
def test_a_module_under_functional_call_draws_and_differentiates_as_eagerly(cls, sparse):
    """``torch.func.grad`` of ``functional_call(module, params, ...)``: the module draws
    the same sample from the same generator state as an eager call, and its gradients
    are autograd's (dense tensors, also where ``sparse=True`` gives sparse ones eagerly);
    ``torch.func.jvp`` gives their inner product with the tangents."""
    gen = torch.Generator().manual_seed(7)
    module = cls(V, D, S, num_true=T, sparse=sparse, generator=gen, dtype=torch.float64)
    p = _problem(2)
    x, labels = p["inputs"], p["labels"]
    gen.manual_seed(11)
    module(x, labels).backward()
    want = {n: q.grad.to_dense() if q.grad.is_sparse else q.grad
            for n, q in module.named_parameters()}
    assert want["classes.weight"].abs().sum() > 0
    gen.manual_seed(11)
    params = {n: q.detach() for n, q in module.named_parameters()}
    got = torch.func.grad(lambda ps: torch.func.functional_call(module, ps, (x, labels)))(params)
    assert sorted(got) == sorted(want)
    for n, wanted in want.items():
        assert got[n].layout == torch.strided
        torch.testing.assert_close(got[n], wanted, rtol=1e-12, atol=1e-13)
    # forward mode: the directional derivative is the gradient's inner product
    tangents = {n: torch.randn(q.shape, dtype=q.dtype, generator=torch.Generator().manual_seed(3))
                for n, q in params.items()}
    gen.manual_seed(11)
    _, slope = torch.func.jvp(lambda ps: torch.func.functional_call(module, ps, (x, labels)),
                              (params,), (tangents,))
    torch.testing.assert_close(slope, sum((want[n] * tangents[n]).sum() for n in want),
                               rtol=1e-12, atol=1e-13)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("num_sampled", [40, 100])
def test_a_module_drawing_under_functional_call_moves_its_generator_as_eagerly(num_sampled):
    """Under ``torch.func`` the module's unique draw takes the core's loop, eagerly the
    host's: both draw their first block alike, so the generator moves on by as much
    and a ``torch.func`` loop draws the negatives of the eager one at every step (the
    loop's blocks were 3 S long, the host's 2 S: from the second step on the samples
    differed, for ``S > 32``). Labels given as a strided view raise no warning (torch's
    ``searchsorted`` warned of the copy it made)."""
    module = SampledSoftmaxLoss(1000, 4, num_sampled, generator=torch.Generator(),
                                dtype=torch.float64)
    p = _problem(2)
    x, labels = p["inputs"][:, :4], p["labels"][:, :1]
    params = {n: q.detach() for n, q in module.named_parameters()}
    bias = lambda: torch.func.grad(
        lambda ps: torch.func.functional_call(module, ps, (x, labels)))(params)["classes.bias"]
    module.generator.manual_seed(5)
    eager = []
    for _ in range(3):
        module.zero_grad()
        module(x, labels).backward()
        eager.append(module.classes.bias.grad.clone())
    after_eager = module.generator.get_state()
    module.generator.manual_seed(5)
    for want in eager:
        torch.testing.assert_close(bias(), want, rtol=1e-12, atol=1e-13)
    assert torch.equal(module.generator.get_state(), after_eager)


def test_a_learned_unigram_module_draws_outside_a_transform():
    """The learned-unigram module updates its counts in place, which a transform refuses
    (torch's "mutate a captured Tensor" error before): its own draw under ``grad`` is an
    error naming ``sampler`` and the way out, ``module.sample`` outside and
    ``sampled_values`` inside, which gives autograd's gradients and counts each batch
    once."""
    module = SampledSoftmaxLoss(V, D, S, num_true=T, sampler="learned_unigram",
                                generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    p = _problem(2)
    x, labels = p["inputs"], p["labels"]
    params = {n: q.detach() for n, q in module.named_parameters()}

    def loss(ps, *values):
        return torch.func.functional_call(module, ps, (x, labels) + values)

    with pytest.raises(RuntimeError, match=r"^sampler: 'learned_unigram' updates the module's "
                                           r"unigram_counts in place"):
        torch.func.grad(loss)(params)
    assert int(module.unigram_counts.sum()) == V  # untouched
    values = module.sample(labels)
    assert int(module.unigram_counts.sum()) == V + B * T
    got = torch.func.grad(loss)(params, values)
    module(x, labels, values).backward()
    for n, q in module.named_parameters():
        torch.testing.assert_close(got[n], q.grad, rtol=1e-12, atol=1e-13)
    assert int(module.unigram_counts.sum()) == V + B * T


def test_value_checks_run_under_grad_and_not_under_vmap():
    """Under ``grad`` an id out of range is the library's error naming the argument;
    under ``vmap`` no value can be read, and torch's indexing refuses it."""
    p = _problem(3)
    w, b, x, values = p["weights"], p["biases"], p["inputs"], p["values"]
    labels = p["labels"].clone()
    labels[-1, 0] = V + 5

    def loss(x, labels, counts):
        return cs.sampled_softmax_loss(w, b, labels, x, S, V, num_true=T,
                                       sampled_values=(values[0], counts, values[2]))

    with pytest.raises(ValueError, match=r"labels: every id must be in \[0, 60\), got 65"):
        torch.func.grad(lambda x: loss(x, labels, values[1]).sum())(x)
    with pytest.raises((IndexError, RuntimeError), match="out of (bounds|range)"):
        torch.func.vmap(lambda x, y, c: loss(x[None], y[None], c[None]))(x, labels, values[1])


def test_the_states_that_tell_transforms_apart():
    """Eagerly nothing is traced; under ``grad`` the code is traced but values are read;
    under ``vmap`` (alone or around ``grad``) they are not."""
    seen = {}

    def probe(key):
        def fn(x):
            seen[key] = (under_torch_func(), tracing(), values_unreadable())
            return x.sum()
        return fn

    probe("eager")(torch.ones(2))
    torch.func.grad(probe("grad"))(torch.ones(2))
    torch.func.jvp(probe("jvp"), (torch.ones(2),), (torch.ones(2),))
    torch.func.vmap(probe("vmap"))(torch.ones(3, 2))
    torch.func.vmap(torch.func.grad(probe("vmap-grad")))(torch.ones(3, 2))
    assert seen == {"eager": (False, False, False), "grad": (True, True, False),
                    "jvp": (True, True, False), "vmap": (True, True, True),
                    "vmap-grad": (True, True, True)}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_a_gradient_taken_with_create_graph_differentiates_again(name, monkeypatch):
    """A gradient penalty (``torch.autograd.grad(..., create_graph=True)``, then
    ``backward()``) and a Hessian-vector product by double backward equal
    ``torch.func``'s; a plain ``backward()`` still takes the analytic backward."""
    import candidate_sampling.backends.torch as torch_backend

    p = _problem(4)
    fn = _loss(name, p, True)
    w, b, x = (t.clone().requires_grad_() for t in (p["weights"], p["biases"], p["inputs"]))
    (d_inputs,) = torch.autograd.grad(fn(w, b, x).sum(), x, create_graph=True)
    (d_inputs ** 2).sum().backward()

    def penalty(w, b, x):
        return (torch.func.grad(lambda x: fn(w, b, x).sum())(x) ** 2).sum()

    want = torch.func.grad(penalty, argnums=(0, 1, 2))(p["weights"], p["biases"], p["inputs"])
    for got, wanted in zip((w.grad, b.grad, x.grad), want):
        torch.testing.assert_close(got, wanted, rtol=1e-12, atol=1e-13)
    assert w.grad.abs().sum() > 0 and b.grad.abs().sum() > 0

    direction = torch.randn(B, D, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    x = p["inputs"].clone().requires_grad_()
    (d_inputs,) = torch.autograd.grad(fn(p["weights"], p["biases"], x).sum(), x,
                                      create_graph=True)
    (product,) = torch.autograd.grad((d_inputs * direction).sum(), x)
    hessian = torch.func.hessian(lambda x: fn(p["weights"], p["biases"], x).sum())(p["inputs"])
    torch.testing.assert_close(product, torch.einsum("ijkl,kl->ij", hessian, direction),
                               rtol=1e-12, atol=1e-13)

    def refuse(*args):
        raise AssertionError("recorded the gradients of a plain backward")

    monkeypatch.setattr(torch_backend, "_recorded_gradients", refuse)
    w = p["weights"].clone().requires_grad_()
    fn(w, p["biases"], p["inputs"]).sum().backward()
    assert w.grad.abs().sum() > 0


@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_forward_mode_with_dual_tensors_equals_torch_func_jvp(name, requires_grad):
    """``torch.autograd.forward_ad``'s dual tensors go through the losses' operations:
    the tangent of the loss is ``torch.func.jvp``'s. Where the tensors also require grad
    (a module's parameters always do), no analytic backward is set up either (torch
    raised that it has no ``jvp``), and a backward through the same call gives the
    gradients of a plain call."""
    from torch.autograd import forward_ad

    p = _problem(5)
    fn = _loss(name, p, True)
    gen = torch.Generator().manual_seed(6)
    args = tuple(p[k].clone().requires_grad_(requires_grad)
                 for k in ("weights", "biases", "inputs"))
    tangents = tuple(torch.randn(a.shape, dtype=a.dtype, generator=gen) for a in args)
    with forward_ad.dual_level():
        out = fn(*(forward_ad.make_dual(a, t) for a, t in zip(args, tangents)))
        got = forward_ad.unpack_dual(out).tangent
    _, want = torch.func.jvp(fn, tuple(a.detach() for a in args), tangents)
    assert got is not None and got.abs().max() > 0
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-13)
    if requires_grad:
        dual_grads = torch.autograd.grad(out.sum(), args)
        plain_grads = torch.autograd.grad(fn(*args).sum(), args)
        for a, b in zip(dual_grads, plain_grads):
            torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-13)


def test_forward_mode_through_a_module():
    """A module's parameters require grad: its loss carries the tangent of its inputs."""
    from torch.autograd import forward_ad

    from candidate_sampling.layers.torch import SampledSoftmaxLoss

    torch.manual_seed(0)
    module = SampledSoftmaxLoss(100, 8, 10, reduction="none", dtype=torch.float64)
    x = torch.randn(4, 8, dtype=torch.float64)
    y = torch.randint(0, 100, (4,))
    values = module.sample(y[:, None])
    tangent = torch.randn_like(x)
    with forward_ad.dual_level():
        out = module(forward_ad.make_dual(x, tangent), y, values)
        got = forward_ad.unpack_dual(out).tangent
    params = dict(module.named_parameters())
    _, want = torch.func.jvp(
        lambda x: torch.func.functional_call(module, params, (x, y, values)), (x,), (tangent,))
    assert got is not None and got.abs().max() > 0
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-13)


def test_without_torchs_private_interpreter_list_values_count_as_unreadable(monkeypatch):
    """``values_unreadable`` asks torch's private functorch modules whether ``vmap`` runs;
    where they have moved, it assumes so under any transform (the checks are skipped,
    nothing fails), and eagerly nothing changes."""
    from torch._functorch import pyfunctorch

    monkeypatch.delattr(pyfunctorch, "retrieve_all_functorch_interpreters")
    seen = []
    torch.func.grad(lambda x: (seen.append(values_unreadable()), x.sum())[1])(torch.ones(2))
    assert seen == [True] and not values_unreadable()


@pytest.mark.parametrize("sampler", [cs.log_uniform_candidate_sampler,
                                     cs.uniform_candidate_sampler,
                                     cs.learned_unigram_candidate_sampler])
def test_a_unique_draw_under_a_transform_is_the_eager_draw(sampler):
    """Under ``torch.func`` the unique draw takes torch's sort-based step, not NumPy's:
    from the same generator state it draws what an eager call draws."""
    labels = torch.randint(0, 12, (B, T), generator=torch.Generator().manual_seed(8))
    eager = sampler(labels, T, S, True, V, rng=torch.Generator().manual_seed(9))
    drawn = {}

    def loss(x):
        drawn["values"] = sampler(labels, T, S, True, V, rng=torch.Generator().manual_seed(9))
        assert under_torch_func()
        return x.sum()

    torch.func.grad(loss)(torch.ones(2))
    for got, want in zip(drawn["values"], eager):
        torch.testing.assert_close(got, want, rtol=0, atol=0)


def test_a_unique_draw_under_vmap_with_different_randomness_names_unique():
    """``torch.func.vmap(randomness='different')``: each member draws its own sample and
    the unique draw cannot read one stopping condition; a ValueError names ``unique``
    (torch's "data-dependent control flow" error came out). ``randomness='same'`` and
    ``unique=False`` run, a draw for each member in the latter."""
    module = SampledSoftmaxLoss(100, 4, 8, reduction="none")
    params = {n: q.detach() for n, q in module.named_parameters()}
    x = torch.randn(3, 5, 4, generator=torch.Generator().manual_seed(0))
    labels = torch.randint(0, 100, (3, 5, 1), generator=torch.Generator().manual_seed(1))
    loss = lambda m: lambda x, y: torch.func.functional_call(m, params, (x, y))
    with pytest.raises(ValueError, match=r"^unique: a unique draw reads when it holds enough "
                                         r"distinct classes, which torch.func.vmap cannot do"):
        torch.func.vmap(loss(module), randomness="different")(x, labels)
    with pytest.raises(ValueError, match="^unique: "):
        torch.func.vmap(lambda y: cs.uniform_candidate_sampler(y, 1, 8, True, 100)[0],
                        randomness="different")(labels)
    assert torch.func.vmap(loss(module), randomness="same")(x, labels).shape == (3, 5)
    plain = SampledSoftmaxLoss(100, 4, 8, reduction="none", unique=False)
    draws = torch.func.vmap(lambda y: cs.uniform_candidate_sampler(y, 1, 8, False, 100)[0],
                            randomness="different")(labels)
    assert draws.shape == (3, 8) and not torch.equal(draws[0], draws[1])
    assert torch.isfinite(torch.func.vmap(loss(plain), randomness="different")(x, labels)).all()

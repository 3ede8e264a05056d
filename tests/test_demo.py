"""The demo: its corpus and law, the training on every backend, and the command."""

from __future__ import annotations

import importlib.util
import io
import math
import re

import numpy as np
import pytest

from candidate_sampling.baselines import full_softmax_step
from candidate_sampling.cli import main
from candidate_sampling.demo.corpus import (
    make_corpus,
    optimal_params,
    optimal_perplexity,
    popularity_perplexity,
)
from candidate_sampling.demo.model import evaluate, initial_params
from candidate_sampling.demo.progress import ProgressBar
from candidate_sampling.demo.report import comparison_lines
from candidate_sampling.demo.train import Budget, Point, Run, Settings, train
from candidate_sampling.demo.trainers import make_trainer
from candidate_sampling.plot.chart import PALETTE
from candidate_sampling.plot.png import PNG_SIGNATURE, png_chunks, read_png

BACKENDS = [b for b in ("numpy", "torch", "jax") if importlib.util.find_spec(b) is not None]

TINY = ["--classes", "300", "--dim", "8", "--batch-size", "32", "--num-sampled", "32",
        "--steps", "40", "--evaluations", "2", "--learning-rate", "5"]


def _tiny_corpus(**kw):
    """12 classes in 3 topics, 4 contexts."""
    args = {"num_topics": 3, "num_contexts": 4, "num_train": 200_000, "num_held_out": 10,
            "seed": 7}
    args.update(kw)
    return make_corpus(12, 3, **args)


def _brute_force_law(corpus) -> np.ndarray:
    """``p(v | x)`` ``[K, V]`` from the generative process, by loops: a topic by the
    softmax of ``x . u_t + beta_t``, then a class of that topic by its prior."""
    num_contexts, num_classes = corpus.features.shape[0], corpus.num_classes
    num_topics = corpus.topic_vectors.shape[0]
    law = np.zeros((num_contexts, num_classes))
    for k in range(num_contexts):
        scores = [math.exp(float(corpus.features[k].astype(np.float64) @ corpus.topic_vectors[t])
                           + corpus.topic_biases[t]) for t in range(num_topics)]
        for v in range(num_classes):
            t = corpus.class_topics[v]
            mass = sum(corpus.prior[u] for u in range(num_classes) if corpus.class_topics[u] == t)
            law[k, v] = scores[t] / sum(scores) * corpus.prior[v] / mass
    return law


def test_corpus_is_deterministic_given_the_seed():
    a, b = make_corpus(500, 8, seed=3), make_corpus(500, 8, seed=3)
    c = make_corpus(500, 8, seed=4)
    for field in ("features", "class_topics", "topic_vectors", "topic_biases", "prior"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    np.testing.assert_array_equal(a.train.labels, b.train.labels)
    np.testing.assert_array_equal(a.held_out.contexts, b.held_out.contexts)
    assert not np.array_equal(a.train.labels, c.train.labels)
    assert a.train.labels.shape == (20_000,) and a.held_out.labels.shape == (1_000,)
    assert a.features.shape == (10_000, 8) and a.features.dtype == np.float32


@pytest.mark.parametrize("exponent", [1.0, 1.3])
def test_classes_follow_the_zipf_law(exponent):
    corpus = make_corpus(5000, 8, num_train=400_000, zipf_exponent=exponent, seed=1)
    counts = np.bincount(corpus.train.labels, minlength=5000)
    ranks = np.arange(1, 51)
    slope = np.polyfit(np.log(ranks), np.log(np.sort(counts)[::-1][:50]), 1)[0]
    assert slope == pytest.approx(-exponent, abs=0.06)
    # class ids are sorted by frequency: the ten first have their Zipf share
    expected = 400_000 * ranks[:10] ** -exponent / np.sum(np.arange(1, 5001) ** -exponent)
    np.testing.assert_allclose(counts[:10], expected, rtol=0.05)


def test_examples_are_drawn_from_the_law():
    corpus = _tiny_corpus()
    law = _brute_force_law(corpus)
    joint = np.zeros_like(law)
    np.add.at(joint, (corpus.train.contexts, corpus.train.labels), 1.0)
    np.testing.assert_allclose(joint / joint.sum(), law / law.shape[0], atol=3e-3)


def test_optimal_and_popularity_perplexity_by_brute_force():
    corpus = _tiny_corpus()
    law = _brute_force_law(corpus)
    entropy = -np.sum(law * np.log(law), axis=1).mean()
    assert optimal_perplexity(corpus) == pytest.approx(math.exp(entropy), rel=1e-9)
    marginal = law.mean(axis=0)
    assert popularity_perplexity(corpus) == pytest.approx(math.exp(-np.sum(marginal * np.log(marginal))),
                                                          rel=1e-9)
    assert optimal_perplexity(corpus) < popularity_perplexity(corpus)


def test_optimal_params_are_the_law_and_score_the_optimal_perplexity():
    corpus = _tiny_corpus()
    weights, biases = optimal_params(corpus)
    logits = corpus.features.astype(np.float64) @ weights.T.astype(np.float64) + biases
    softmax = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(softmax / softmax.sum(axis=1, keepdims=True),
                               _brute_force_law(corpus), rtol=1e-5)
    big = make_corpus(3000, 16, num_held_out=20_000, seed=2)
    scores = evaluate(*optimal_params(big), *big.inputs(big.held_out))
    assert scores.perplexity == pytest.approx(optimal_perplexity(big), rel=0.03)


def test_full_softmax_gradient_matches_torch_autograd():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    weights = rng.standard_normal((50, 6))
    biases = rng.standard_normal(50)
    x = rng.standard_normal((7, 6))
    y = rng.integers(0, 50, 7)
    w_t = torch.tensor(weights, requires_grad=True)
    b_t = torch.tensor(biases, requires_grad=True)
    loss_t = torch.nn.functional.cross_entropy(torch.tensor(x) @ w_t.T + b_t, torch.tensor(y))
    loss_t.backward()
    new_w, new_b = weights.copy(), biases.copy()
    loss, _ = full_softmax_step(np, new_w, new_b, x, y, 1.0)
    assert float(loss) == pytest.approx(loss_t.item(), rel=1e-12)
    np.testing.assert_allclose(weights - new_w, w_t.grad.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(biases - new_b, b_t.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_jax_full_step_gradient_matches_torch_autograd():
    torch = pytest.importorskip("torch")
    pytest.importorskip("jax")
    import jax.numpy as jnp

    from candidate_sampling.demo.trainers import _jax_full_step
    from candidate_sampling.layers.jax import OutputParams

    rng = np.random.default_rng(1)
    weights = rng.standard_normal((40, 5)).astype(np.float32)
    biases = rng.standard_normal(40).astype(np.float32)
    x = rng.standard_normal((6, 5)).astype(np.float32)
    y = rng.integers(0, 40, 6)
    w_t = torch.tensor(weights, requires_grad=True)
    b_t = torch.tensor(biases, requires_grad=True)
    torch.nn.functional.cross_entropy(torch.tensor(x) @ w_t.T + b_t, torch.tensor(y)).backward()
    params, _, _ = _jax_full_step(0.5)(OutputParams(jnp.asarray(weights), jnp.asarray(biases)),
                                       jnp.asarray(x), jnp.asarray(y), None)
    np.testing.assert_allclose((weights - np.asarray(params.weights)) / 0.5, w_t.grad.numpy(),
                               rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose((biases - np.asarray(params.biases)) / 0.5, b_t.grad.numpy(),
                               rtol=1e-4, atol=1e-6)


def _tiny_run(backend: str, method: str, steps: int = 150):
    settings = Settings(num_classes=300, dim=8, batch_size=32, num_sampled=32,
                        learning_rate=5.0, seed=0)
    corpus = make_corpus(300, 8, seed=0)
    weights, biases = initial_params(300, 8, 0)
    trainer = make_trainer(backend, method, weights, biases, settings,
                           corpus.inputs(corpus.held_out))
    return corpus, train(trainer, corpus, settings.batch_size, Budget(steps=steps, evaluations=3))


def test_numpy_sampled_training_lowers_held_out_perplexity_deterministically():
    corpus, run = _tiny_run("numpy", "sampled")
    assert [p.step for p in run.curve] == [0, 50, 100, 150]
    ppl = [p.perplexity for p in run.curve]
    assert ppl[-1] < 0.5 * ppl[0]
    assert ppl[-1] < popularity_perplexity(corpus)
    assert ppl[-1] > optimal_perplexity(corpus)
    assert run.final.recall > run.curve[0].recall
    _, again = _tiny_run("numpy", "sampled")
    assert [p.perplexity for p in again.curve] == ppl


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("method", ["sampled", "full"])
def test_every_backend_learns(backend, method):
    corpus, run = _tiny_run(backend, method, steps=60)
    assert run.steps == 60 and run.seconds > 0 and math.isfinite(run.loss)
    assert run.final.perplexity < 0.6 * run.curve[0].perplexity
    assert run.final.perplexity < popularity_perplexity(corpus)


def test_seconds_budget_stops_after_the_time_and_evaluates_regularly():
    settings = Settings(num_classes=300, dim=8, batch_size=32, num_sampled=32, learning_rate=5.0)
    corpus = make_corpus(300, 8, seed=0)
    weights, biases = initial_params(300, 8, 0)
    trainer = make_trainer("numpy", "sampled", weights, biases, settings,
                           corpus.inputs(corpus.held_out))
    run = train(trainer, corpus, 32, Budget(seconds=0.6, evaluations=3))
    assert 0.6 <= run.seconds < 0.6 + 10 * run.step_seconds + 0.2
    assert len(run.curve) == 4 and run.curve[-1].step == run.steps
    times = [p.seconds for p in run.curve[1:]]
    assert times == sorted(times) and times[0] >= 0.2


def test_comparison_lines_compute_the_speed_up_and_the_catch_up_time():
    def run(method, steps, seconds, ppls):
        points = tuple(Point(seconds * i / (len(ppls) - 1), steps * i // (len(ppls) - 1), p, 0.1)
                       for i, p in enumerate(ppls))
        return Run(method, steps, seconds, points, 1.0)

    sampled = run("sampled", 1000, 10.0, [900.0, 400.0, 200.0, 150.0, 120.0])
    full = run("full", 20, 10.0, [900.0, 500.0, 380.0])
    text = "\n".join(comparison_lines(sampled, full, Budget(seconds=10.0), 100.0))
    assert "speed-up per step: 50x" in text
    assert re.search(r"time per step\s+10\.0 ms\s+500\.0 ms", text)
    assert "held-out perplexity 120 with sampled softmax, 380 with full softmax (ideal 100)" in text
    assert "within 5.0 s of training, 2.0x sooner than full softmax's 10.0 s" in text
    assert "at equal training time" in text


def test_progress_bar_redraws_on_a_terminal_and_prints_tenths_elsewhere():
    log = io.StringIO()
    bar = ProgressBar("sampled softmax", log, tty=False)
    for step in range(1, 201):
        bar.update(step / 200, step, 5.0 - step / 100)
    bar.close()
    lines = log.getvalue().splitlines()
    assert len(lines) == 10 and "\r" not in log.getvalue()
    assert lines[0].startswith("sampled softmax") and " 10%" in lines[0]
    assert lines[-1].endswith("loss   3.000") and "100%" in lines[-1]
    term = io.StringIO()
    bar = ProgressBar("full softmax", term, tty=True, redraw_seconds=0.0)
    for step in range(1, 4):
        bar.update(step / 3, step, 1.0)
    bar.close()
    assert term.getvalue().count("\r") == 3 and term.getvalue().endswith("100%  step      3  loss   1.000\n")


def _table_value(out: str, row: str) -> tuple[float, float]:
    match = re.search(rf"^{row}\s+([\d,.]+)\s+([\d,.]+)$", out, re.MULTILINE)
    assert match, out
    return tuple(float(v.replace(",", "")) for v in match.groups())


@pytest.mark.parametrize("backend", BACKENDS)
def test_command_runs_end_to_end(backend, tmp_path, capsys):
    assert main(["demo", "--backend", backend, "--out", str(tmp_path), "--quiet", *TINY]) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert captured.err == ""
    assert _table_value(out, "steps") == (40, 40)
    s_ppl, f_ppl = _table_value(out, "held-out perplexity")
    ideal = float(re.search(r"true law \(ideal\): ([\d,]+)", out).group(1).replace(",", ""))
    assert ideal < s_ppl < 300 and ideal < f_ppl < 300
    assert all(0 < r <= 1 for r in _table_value(out, "held-out recall@10"))
    assert re.search(r"^speed-up per step: [\d.,]+x$", out, re.MULTILINE)
    assert "at equal steps: held-out perplexity" in out
    path = tmp_path / "learning_curves.png"
    assert f"learning curves: {path}" in out
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and png_chunks(data)[-1][0] == b"IEND"
    pixels = read_png(path)
    assert pixels.shape == (500, 800, 3)
    for color in PALETTE[:3]:  # the sampled, full and ideal lines are drawn
        assert np.any(np.all(pixels == np.array(color, np.uint8), axis=2))


def test_a_diverging_run_is_reported_as_diverged(tmp_path, capsys):
    """A learning rate far too large: the held-out loss overflows ``exp`` (an
    OverflowError and a traceback before) or gives a perplexity of hundreds of digits;
    the table says ``diverged`` and no 'reached within' claim is made."""
    args = [a if a != "5" else "10000" for a in TINY]
    assert main(["demo", "--out", str(tmp_path), "--quiet", *args]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^held-out perplexity\s+diverged\s+diverged$", out, re.MULTILINE), out
    assert "reached full softmax's final perplexity" not in out
    assert (tmp_path / "learning_curves.png").exists()


def test_a_model_of_nan_weights_recalls_nothing():
    """NaN logits compared False with the true one, so it ranked first: a recall of
    1.000 for a run whose weights had become NaN."""
    rng = np.random.default_rng(0)
    weights, biases = np.full((50, 4), np.nan), np.zeros(50)
    inputs, labels = rng.standard_normal((20, 4)), rng.integers(0, 50, 20)
    assert evaluate(weights, biases, inputs, labels).recall == 0
    weights = rng.standard_normal((50, 4))
    weights[7] = np.nan  # one class NaN: above every true class but its own
    scores = evaluate(weights, biases, inputs, labels, k=1)
    assert scores.recall == 0
    assert evaluate(weights, biases, inputs, labels, k=50).recall == 1


def test_a_speed_up_below_one_is_not_rounded_to_zero():
    from candidate_sampling.demo.report import _times

    assert [_times(r) for r in (83.2, 6.04, 1.0, 0.048, 0.0)] == ["83x", "6.0x", "1.0x",
                                                                 "0.048x", "0.0x"]


def test_command_prints_progress_lines_when_not_quiet(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), *TINY]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len([line for line in err if line.startswith("sampled softmax")]) == 10
    assert len([line for line in err if line.startswith("full softmax")]) == 10
    assert err[-1].startswith("full softmax") and "100%" in err[-1]


def _exit_message(argv, capsys) -> str:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err.strip()


def test_unknown_backend_exits_2_with_one_line(capsys):
    msg = _exit_message(["demo", "--backend", "nope"], capsys)
    assert msg == ("candidate-sampling demo: error: --backend: must be one of numpy, torch, jax, "
                   "cupy, got 'nope'")


@pytest.mark.parametrize("backend", ["torch", "jax", "cupy"])
def test_missing_backend_library_exits_2_with_one_line(backend, monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == backend else real(name, *a))
    msg = _exit_message(["demo", "--backend", backend, *TINY], capsys)
    assert msg == (f"candidate-sampling demo: error: --backend: {backend} is not installed "
                   f"(pip install 'candidate-sampling[{backend}]')")


def test_a_demo_larger_than_the_memory_exits_2_before_any_work(monkeypatch, capsys, tmp_path):
    """2,000,000 classes of 1,024 features (within the options' limits) need about 38 GiB:
    refused in one line, before the corpus or the weights are made."""
    from candidate_sampling.core import checks
    from candidate_sampling.demo import command

    monkeypatch.setattr(checks, "available_memory", lambda: 16 * 2**30)
    msg = _exit_message(["demo", "--classes", "2000000", "--dim", "1024", "--batch-size", "4",
                         "--out", str(tmp_path / "out")], capsys)
    need = command.memory_needed(2_000_000, 1024, 4)
    assert need == 20 * 2_000_000 * 1024 + 12 * 4 * 2_000_000
    assert msg == ("candidate-sampling demo: error: --classes, --dim: a demo of 2,000,000 "
                   f"classes of 1024 features takes {need / 2**30:.1f} GiB, more than the "
                   "16.0 GiB of memory available")
    assert not (tmp_path / "out").exists()


_LOGITS = "a full-softmax step has batch size x classes logits, at most 268,435,456"


@pytest.mark.parametrize("argv, option", [
    (["--classes", "1"], "--classes: must be in [2, 2000000], got 1"),
    (["--classes", "2000001"], "--classes: must be in [2, 2000000], got 2000001"),
    (["--classes", "2000000", "--batch-size", "135"],
     f"--batch-size: must be in [1, 134], got 135 ({_LOGITS})"),
    (["--classes", "300", "--num-sampled", "301"],
     "--num-sampled: must be in [1, 300], got 301 (at most --classes)"),
    (["--num-sampled", "0"], "--num-sampled: must be in [1, 100000], got 0 (at most --classes)"),
    (["--dim", "0"], "--dim: must be in [1, 1024], got 0"),
    (["--batch-size", "0"], f"--batch-size: must be in [1, 2684], got 0 ({_LOGITS})"),
    (["--steps", "0"], "--steps: must be in [1, inf], got 0"),
    (["--seconds", "0"], "--seconds: must be a finite number > 0, got 0.0"),
    (["--seconds", "nan"], "--seconds: must be a finite number > 0, got nan"),
    (["--learning-rate", "-1"], "--learning-rate: must be a finite number > 0, got -1.0"),
    (["--evaluations", "0"], "--evaluations: must be in [1, 1000], got 0"),
    (["--seed", "-1"], "--seed: must be in [0, 9223372036854775807], got -1"),
])
def test_bad_numeric_options_exit_2_naming_the_option(argv, option, capsys):
    msg = _exit_message(["demo", *argv], capsys)
    assert msg == f"candidate-sampling demo: error: {option}"

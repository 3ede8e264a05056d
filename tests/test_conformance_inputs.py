"""What an implementation hands back to the suite: outputs that are no real array (None,
a str, a dict, a ragged list, complex numbers, another shape), a ``sys.exit``, a
``set_seed`` that refuses ``None``. Each is that implementation's failure, in words, and
the run goes on to its report."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from candidate_sampling.cli import main
from candidate_sampling.compat.tf.nn import compute_accidental_hits, sampled_softmax_loss
from candidate_sampling.conformance.suite import run_checks, select_cases
from candidate_sampling.conformance.vectors import close, real_dtype

LOSS_CASES = select_cases("sampled_softmax_loss", "tf2")

SEED_MODULE = '''
from candidate_sampling.compat.tf import random


def set_seed(seed):
    random.set_seed(int(seed))          # refuses None


def sampler(true_classes, num_true, num_sampled, unique, range_max, seed=None, **kw):
    return random.log_uniform_candidate_sampler(true_classes, num_true, num_sampled, unique,
                                                range_max, seed=seed)
'''

EXITING_MODULE = '''
import sys


def loss(**kwargs):
    sys.exit(3)
'''


def _checks(impl, kind: str, cases=LOSS_CASES, backend: str = "numpy"):
    """The checks of ``kind`` (``values`` or ``errors``) of ``impl``, in this process."""
    checks = [c for c in run_checks(cases, [backend], impl=impl) if c.kind == kind]
    assert checks
    return checks


def _errors(checks) -> set[str]:
    """Each failed check's message, without the oracle's name."""
    return {c.result.describe().split("]: ", 1)[1].split(" (oracle:")[0]
            for c in checks if not c.ok}


def returns_complex(**kwargs):
    return np.asarray(sampled_softmax_loss(**kwargs)).astype(np.complex64) + 1j


def returns_column(**kwargs):
    return np.asarray(sampled_softmax_loss(**kwargs))[:, None]


def returns_none(**kwargs):
    return None


def returns_str(**kwargs):
    return "hello"


def returns_dict(**kwargs):
    return {"loss": 1.0}


def returns_ragged(**kwargs):
    return [np.zeros(2), np.zeros(3)]


def exits(**kwargs):
    sys.exit(3)


def test_complex_outputs_fail_the_value_checks():
    checks = _checks(returns_complex, "values")
    assert not any(c.ok for c in checks)
    assert _errors(checks) == {"loss: returned dtype complex64, expected a real float array"}


@pytest.mark.parametrize("actual", [np.array([1 + 0j, 2 + 0j]), np.array([True, True]),
                                    np.array(["1", "2"]), np.array([1.0, 2.0], dtype=object)])
def test_close_takes_only_real_numbers(actual):
    assert not real_dtype(actual.dtype)
    assert close(actual, np.array([1.0, 2.0]), 1e-5, 1e-6) == (False, float("inf"), float("inf"))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int32", "int64", "uint8"])
def test_real_dtypes(dtype):
    assert real_dtype(np.dtype(dtype))
    assert close(np.array([1, 2], dtype=dtype), np.array([1.0, 2.0]), 0.0, 0.0)[0] is True


def test_another_shape_is_named():
    checks = _checks(returns_column, "values")
    assert not any(c.ok for c in checks)
    for check in checks:
        batch = len(check.case.outputs["loss"])
        assert check.result.describe().endswith(f"loss: shape [{batch}, 1], expected [{batch}]")


@pytest.mark.parametrize("impl,what", [(returns_none, "None"), (returns_str, "str"),
                                       (returns_dict, "dict"), (returns_ragged, "list")])
def test_what_is_no_array_is_named(impl, what):
    """A value case says what came back; a bad-input case says so instead of NaN or
    NumPy's conversion error."""
    assert _errors(_checks(impl, "values")) == {f"loss: returned {what}, expected an array"}
    article = "" if what == "None" else "a "
    assert _errors(_checks(impl, "errors")) == {f"returned {article}{what} instead of raising"}


def test_torch_outputs_that_are_no_tensor_are_named():
    pytest.importorskip("torch", reason="PyTorch is not installed")
    checks = _checks(returns_none, "values", backend="torch")
    assert _errors(checks) == {"loss: returned None, expected a torch tensor"}


def test_too_few_outputs_are_named():
    cases = select_cases("compute_accidental_hits", "tf2")

    def first_only(**kwargs):
        return compute_accidental_hits(**kwargs)[0]

    assert _errors(_checks(first_only, "values", cases)) == {
        "returned ndarray, expected (indices, ids, weights)"}
    assert _errors(_checks(returns_none, "values", cases)) == {
        "returned None, expected (indices, ids, weights)"}
    assert all(c.ok for c in _checks(compute_accidental_hits, "values", cases))


def test_sys_exit_is_a_failure_not_an_exception():
    """In this process sys.exit would end the run; it fails the check, and a bad-input
    case does not count it as raising."""
    assert _errors(_checks(exits, "values")) == {"exited: the implementation called sys.exit(3)"}
    assert _errors(_checks(exits, "errors")) == {
        "exited: the implementation called sys.exit(3) instead of raising"}


@pytest.mark.parametrize("mode", [["--in-process"], []])
def test_sys_exit_in_either_process(mode, tmp_path, monkeypatch, capsys):
    (tmp_path / "exiting.py").write_text(EXITING_MODULE)
    monkeypatch.chdir(tmp_path)
    status = main(["conform", "--backend", "numpy", "--impl", "exiting:loss", "--op",
                   "sampled_softmax_loss", *mode, "--json", str(tmp_path / "r.json")])
    assert status == 1
    checks = json.loads((tmp_path / "r.json").read_text())["checks"]
    ran = [c for c in checks if c["status"] != "n/a"]
    assert ran and all(c["status"] == "failed" for c in ran)
    assert {c["error"].split(" (oracle:")[0] for c in ran} == {
        "exited: the implementation called sys.exit(3)",
        "exited: the implementation called sys.exit(3) instead of raising"}
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("conformance: 0 passed")


def _seed_run(tmp_path, mode: list[str]) -> dict:
    status = main(["conform", "--backend", "numpy", "--impl", "seeds:sampler", "--op",
                   "log_uniform_candidate_sampler", "--stream", "tf2", *mode,
                   "--json", str(tmp_path / "r.json"), "--junit", str(tmp_path / "r.xml")])
    assert status == 1
    assert (tmp_path / "r.xml").exists()
    checks = json.loads((tmp_path / "r.json").read_text())["checks"]
    return {(c["id"], c["backend"]): (c["status"], c.get("error")) for c in checks}


def test_a_set_seed_that_refuses_none_fails_its_checks(tmp_path, monkeypatch, capsys):
    """Laws and tf2 streams unset the seed with set_seed(None): where that raises, those
    checks fail with what it raised, in this process as in a worker, and the report is
    written. (The bad-input cases, which need no seed, pass.)"""
    (tmp_path / "seeds.py").write_text(SEED_MODULE)
    monkeypatch.chdir(tmp_path)
    in_process = _seed_run(tmp_path, ["--in-process"])
    out = capsys.readouterr().out
    passed = [k for k, v in in_process.items() if v[0] == "passed"]
    assert passed and all(".error-" in case_id for case_id, _ in passed)
    assert out.strip().splitlines()[-1].startswith(f"conformance: {len(passed)} passed, ")
    failed = {k: v for k, v in in_process.items() if v[0] == "failed"}
    assert {k[0].split(".")[0] for k in failed} == {"laws", "tf2"}
    errors = {error for _, error in failed.values()}
    assert len(errors) == 1 and errors.pop().startswith("set_seed(None) raised TypeError: ")
    assert _seed_run(tmp_path, []) == in_process


def returns_extra(**kwargs):
    return sampled_softmax_loss(**kwargs), None


def test_extra_outputs_are_named():
    """TensorFlow's loss returns one tensor: ``(loss, None)`` is not it (it passed)."""
    assert _errors(_checks(returns_extra, "values")) == {"returned tuple of 2, expected (loss)"}


def test_torch_outputs_are_checked_before_their_gradient():
    """On torch the gradient pass came first and reported autograd's errors ("grad can
    be implicitly created only for real scalar outputs", "does not require grad"); the
    report now says what came back, in the words of the NumPy backend."""
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    cases = LOSS_CASES[:4]
    for impl, message in (
            (lambda **kw: sampled_softmax_loss(**kw).to(torch.complex64),
             "loss: returned dtype complex64, expected a real float array"),
            (lambda **kw: sampled_softmax_loss(**kw) > 0,
             "loss: returned dtype bool, expected a real float array"),
            (lambda **kw: sampled_softmax_loss(**kw).detach(),
             ("loss: returned a tensor without a gradient (no grad_fn: computed outside "
              "autograd, or detached); the gradient checks need one that autograd "
              "differentiates")),
            (lambda **kw: sampled_softmax_loss(**kw).detach().numpy(),
             "loss: returned ndarray, expected a torch tensor")):
        assert _errors(_checks(impl, "values", cases, backend="torch")) == {message}


@pytest.mark.parametrize("backend", ["jax", "jax-jit"])
@pytest.mark.parametrize("impl,what", [(returns_none, "None"), (returns_dict, "dict"),
                                       (lambda **kw: 3, "int")])
def test_jax_outputs_that_are_no_array_are_named(backend, impl, what):
    """JAX read the output's dtype first (an AttributeError from inside)."""
    pytest.importorskip("jax", reason="JAX is not installed")
    assert _errors(_checks(impl, "values", LOSS_CASES[:4], backend=backend)) == {
        f"loss: returned {what}, expected a JAX array"}


def test_torch_sampler_outputs_that_are_no_tensor_are_named():
    """A torch sampler handing back NumPy arrays (a host-side port) or lists: the law
    checks name what came back (``'numpy.ndarray' object has no attribute 'detach'``
    before)."""
    pytest.importorskip("torch", reason="PyTorch is not installed")
    from candidate_sampling.compat.tf import random
    from candidate_sampling.conformance.laws import law_cases

    def host(*args, **kwargs):
        return tuple(np.asarray(v) for v in random.log_uniform_candidate_sampler(*args, **kwargs))

    def nested(*args, **kwargs):
        return [[1, 2], [3]], 1, 2

    cases = law_cases("log_uniform_candidate_sampler", "tf2")
    for impl, what in ((host, "ndarray"), (nested, "int")):
        checks = run_checks(cases, ["torch"], impl=impl)
        assert checks and _errors(checks) == {f"returned {what}, expected a torch tensor"}


def _zeroes_after(name):
    def impl(**kwargs):
        out = sampled_softmax_loss(**kwargs)
        value = kwargs[name]
        if hasattr(value, "mul_"):  # torch: as a port's optimizer step would
            import torch

            with torch.no_grad():
                value.mul_(0)
        else:
            value[...] = 0
        return out
    return impl


@pytest.mark.parametrize("name", ["weights", "labels", "inputs"])
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_an_implementation_that_writes_its_inputs_fails(backend, name):
    """TensorFlow's ops write none of their inputs; a port that zeroed its weights (or
    labels, inputs) after computing the loss passed every check."""
    pytest.importorskip(backend)
    checks = _checks(_zeroes_after(name), "values", LOSS_CASES[:4], backend=backend)
    want = f"changed {name} in place (TensorFlow's ops write none of their inputs)"
    assert _errors(checks) == {want}


def test_outputs_that_only_look_like_the_oracles_fail():
    """A 1-tuple for one output, a masked array whose values are masked, and float ids
    passed."""
    def one_tuple(**kwargs):
        return (sampled_softmax_loss(**kwargs),)

    def masked(**kwargs):
        return np.ma.masked_array(np.asarray(sampled_softmax_loss(**kwargs)), mask=True)

    assert _errors(_checks(one_tuple, "values", LOSS_CASES[:4])) == {
        "returned tuple of 1, expected (loss)"}
    assert _errors(_checks(masked, "values", LOSS_CASES[:4])) == {
        "returned a masked array with masked values, expected an array of values"}
    cases = select_cases("compute_accidental_hits", "tf2")

    def float_ids(**kwargs):
        indices, ids, weights = compute_accidental_hits(**kwargs)
        return indices, np.asarray(ids, np.float64), weights

    assert _errors(_checks(float_ids, "values", cases)) == {
        "ids: returned dtype float64, expected an integer array"}


class _Unprintable(Exception):
    def __str__(self):
        raise ValueError("no message")


def test_an_exception_without_a_message_is_reported():
    """Its ``__str__`` raising ended the suite (in a worker, each check "crashed" with
    the suite's own traceback; in this process the run stopped as a usage error)."""
    def raises(**kwargs):
        raise _Unprintable()

    assert _errors(_checks(raises, "values", LOSS_CASES[:4])) == {
        "_Unprintable: <its message raised ValueError>"}
    assert all(c.ok for c in _checks(raises, "errors"))


@pytest.mark.parametrize("mode", [["--in-process"], []])
@pytest.mark.parametrize("code", [0, 5])
def test_a_module_exiting_on_import_is_a_usage_error(mode, code, tmp_path, monkeypatch,
                                                     capsys):
    """In this process a ``sys.exit(0)`` at import ended the run with status 0, silently:
    a pass to CI."""
    (tmp_path / "leaves.py").write_text(f"import sys\nsys.exit({code})\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as done:
        main(["conform", "--backend", "numpy", "--impl", "leaves:loss", "--op",
              "sampled_softmax_loss", *mode])
    assert done.value.code == 2
    assert f"importing 'leaves' called sys.exit({code})" in capsys.readouterr().err


UNPRINTABLE_MODULE = '''
def hits(**kwargs):
    name = b"caf\\xe9.npz".decode("utf-8", "surrogateescape")  # as os.listdir gives it
    raise ValueError(f"\\x1b[31mcannot read {name}\\x1b[0m")
'''


@pytest.mark.parametrize("mode", [["--in-process"], []], ids=["in-process", "worker"])
def test_unprintable_messages_are_escaped_in_every_report(tmp_path, monkeypatch, capsys, mode):
    """An implementation's message with a lone surrogate (a file name that is not UTF-8)
    failed the report ("'utf-8' codec can't encode character '\\udce9'", the JUnit file
    cut short), and its colour codes made the JUnit file invalid XML: both are written
    as escapes now, the same in the table, the JSON and the JUnit report."""
    import xml.etree.ElementTree as ET

    (tmp_path / "unprintable.py").write_text(UNPRINTABLE_MODULE)
    monkeypatch.chdir(tmp_path)
    status = main(["conform", "--backend", "numpy", "--impl", "unprintable:hits", "--op",
                   "compute_accidental_hits", *mode, "--json", str(tmp_path / "r.json"),
                   "--junit", str(tmp_path / "r.xml")])
    assert status == 1
    want = r"ValueError: \x1b[31mcannot read caf\udce9.npz\x1b[0m"
    out = capsys.readouterr().out
    assert want in out and "\x1b[31m" not in out
    failures = ET.parse(tmp_path / "r.xml").getroot().iter("failure")
    messages = [f.get("message") for f in failures]
    assert messages and all(m.endswith(want) for m in messages)
    checks = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["checks"]
    assert {c["error"] for c in checks if c["status"] == "failed"} == {
        "ValueError: \x1b[31mcannot read caf\udce9.npz\x1b[0m"}


NAN_PORT_MODULE = '''
import numpy as np
from candidate_sampling.compat import tf

def loss(**kwargs):  # TensorFlow's NaN where this library raises
    try:
        return tf.nn.sampled_softmax_loss(**kwargs)
    except ValueError:
        return np.full(kwargs["inputs"].shape[0], np.nan, np.float32)
'''


def test_a_deviation_that_raises_is_not_called_the_oracles(tmp_path, monkeypatch, capsys):
    """A port returning TensorFlow's NaN for a true class of weight 0 failed with "(oracle:
    raises)", where the oracle returns NaN and raising is this library's recorded
    deviation: the message says so. A check the library adds where TensorFlow returns
    does not apply to the port (it failed with "(oracle: none)")."""
    (tmp_path / "nanport.py").write_text(NAN_PORT_MODULE)
    monkeypatch.chdir(tmp_path)
    for mode in (["--in-process"], []):
        assert main(["conform", "--backend", "numpy", "--impl", "nanport:loss", "--op",
                     "sampled_softmax_loss", *mode, "--json", str(tmp_path / "r.json")]) == 1
        checks = json.loads((tmp_path / "r.json").read_text())["checks"]
        errors = {c["id"]: c["error"] for c in checks if c["status"] == "failed"}
        assert errors["tf2.sampled_softmax_loss.fixed-zero-weight-label"] == (
            "returned NaN instead of raising (oracle: a value; raising is candidate_sampling's "
            "recorded deviation, spec/deviations.json)")
        status = {c["id"]: c["status"] for c in checks}
        assert status["tf2.sampled_softmax_loss.error-labels-rank1-norah"] == "n/a"
        assert errors["tf2.sampled_softmax_loss.error-label-negative"].endswith(
            "(oracle: InvalidArgumentError)")
    capsys.readouterr()


ZERO_SAMPLES_MODULE = '''
from candidate_sampling.compat.paddle import sampled_softmax_with_cross_entropy

def loss(logits, label, num_samples, **kwargs):
    if num_samples == 0:
        raise RuntimeError("no negatives")
    return sampled_softmax_with_cross_entropy(logits, label, num_samples, **kwargs)
'''


def test_the_paddle_case_without_negatives_is_checked(tmp_path, monkeypatch, capsys):
    """``paddle...s0-seed1`` (``num_samples=0``, a loss of the true classes alone, which
    Paddle computes) was planned neither as a check nor as not applicable: a port that
    fails on it passed the whole suite."""
    (tmp_path / "zero.py").write_text(ZERO_SAMPLES_MODULE)
    monkeypatch.chdir(tmp_path)
    assert main(["conform", "--backend", "numpy", "--impl", "zero:loss", "--op",
                 "sampled_softmax_with_cross_entropy", "--stream", "paddle", "--in-process",
                 "--json", str(tmp_path / "r.json")]) == 1
    checks = json.loads((tmp_path / "r.json").read_text())["checks"]
    failed = [c for c in checks if c["status"] == "failed"]
    assert [(c["id"], c["error"]) for c in failed] == [
        ("paddle.sampled_softmax_with_cross_entropy.s0-seed1", "RuntimeError: no negatives")]
    capsys.readouterr()


def test_a_huge_message_is_cut_and_an_unprintable_exit_code_is_named():
    """A 20 MB exception message filled the report line (and the JSON) whole; a
    ``sys.exit`` whose code's ``repr`` raises broke the runner's message."""
    def huge(**kwargs):
        raise ValueError("x" * 20_000_000)

    class Code:
        def __repr__(self):
            raise RuntimeError("repr")

    def exits(**kwargs):
        sys.exit(Code())

    (message,) = _errors(_checks(huge, "values", LOSS_CASES[:1]))
    assert message == "ValueError: " + "x" * 2000 + "... (19998000 more characters)"
    assert _errors(_checks(exits, "values", LOSS_CASES[:1])) == {
        "exited: the implementation called sys.exit(<its message raised RuntimeError>)"}


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_a_written_sampled_value_is_named_as_the_caller_sees_it(backend):
    """The runner passes the candidates and counts apart (to differentiate the counts);
    a port that wrote them was said to change ``sampled_candidates_``."""
    pytest.importorskip(backend)

    def zeroes_candidates(**kwargs):
        out = sampled_softmax_loss(**kwargs)
        candidates = kwargs["sampled_values"][0]
        if hasattr(candidates, "mul_"):
            candidates.mul_(0)
        else:
            candidates[...] = 0
        return out

    checks = _checks(zeroes_candidates, "values", LOSS_CASES[:2], backend=backend)
    name = "sampled_values" if backend == "numpy" else "sampled_values[0] (sampled_candidates)"
    want = f"changed {name} in place (TensorFlow's ops write none of their inputs)"
    assert _errors(checks) == {want}

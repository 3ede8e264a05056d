"""The conformance command: it passes this library, and it rejects wrong implementations."""

from __future__ import annotations

import json
import os
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from candidate_sampling.cli import main
from candidate_sampling.conformance.streams import stream_cases
from candidate_sampling.conformance.suite import run_checks, select_cases, load_impl

sys.path.insert(0, str(Path(__file__).parent))


def test_this_library_conforms_on_numpy(tmp_path, capsys):
    status = main(["conform", "--backend", "numpy", "--json", str(tmp_path / "r.json"),
                   "--junit", str(tmp_path / "r.xml")])
    out = capsys.readouterr().out
    assert status == 0, out
    last = out.strip().splitlines()[-1]
    assert last.startswith("conformance: ") and last.endswith(" passed, 0 failed")
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["summary"]["failed"] == 0 and data["summary"]["passed"] > 300
    suites = ET.parse(tmp_path / "r.xml").getroot()
    assert sum(int(s.get("tests")) for s in suites) == data["summary"]["passed"]


@pytest.mark.parametrize("variant", ["forgets_log_q", "small_mask", "drops_one_over_num_true",
                                     "never_raises"])
def test_wrong_implementations_are_rejected(variant, capsys):
    status = main(["conform", "--backend", "numpy", "--impl", f"wrong.ports:{variant}",
                   "--op", "sampled_softmax_loss", "--semantics", "tf2"])
    out = capsys.readouterr().out
    assert status == 1
    failed = int(out.strip().splitlines()[-1].split(", ")[1].split()[0])
    assert failed > 0


def test_never_raises_fails_the_error_cases():
    checks = run_checks(select_cases("sampled_softmax_loss", "tf2"), ["numpy"],
                        impl=load_impl("wrong.ports:never_raises"))
    out_of_range = [c for c in checks if c.kind == "errors" and "label" in c.case.id
                    and ("negative" in c.case.id or "too-large" in c.case.id)]
    assert len(out_of_range) >= 4
    assert all(not c.ok and "instead of raising" in c.result.error for c in out_of_range)


def test_xfail_file(tmp_path, capsys):
    checks = run_checks(select_cases("sampled_softmax_loss", "tf2"), ["numpy"],
                        impl=load_impl("wrong.ports:forgets_log_q"))
    failing = sorted({c.case.id for c in checks if not c.ok})
    passing = next(c.case.id for c in checks if c.ok)
    xfail = tmp_path / "xfail.txt"
    xfail.write_text("# known\n" + "\n".join(failing + [passing]) + "\n")
    status = main(["conform", "--backend", "numpy", "--impl", "wrong.ports:forgets_log_q",
                   "--op", "sampled_softmax_loss", "--xfail", str(xfail)])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "1 xpassed (remove them from the xfail file)" in out


@pytest.mark.parametrize("argv,message", [
    (["--impl", "wrong.ports:forgets_log_q"], "--impl needs --op"),
    (["--impl", "wrong.ports", "--op", "nce_loss"], "--impl: expected 'module:function'"),
    (["--impl", "nonesuch_module:f", "--op", "nce_loss"], "--impl: cannot import 'nonesuch_module'"),
    (["--impl", "wrong.ports:nope", "--op", "nce_loss"], "--impl: 'wrong.ports' has no attribute"),
    (["--backend", "nonesuch"], "--backend: must be one of ['all', "),
    (["--op", "no_such_op"], "--op: no golden cases"),
    (["--impl", "tensorflow", "--backend", "numpy"],
     "--backend: --impl tensorflow runs on TensorFlow's own tensors"),
    (["--impl", "wrong.ports:tf_port", "--op", "nce_loss", "--stream", "paddle"],
     "--stream paddle: Paddle's stream exists for"),
    # semantics an op has no cases of: named as --semantics (not --op), or run silently
    # as tf2 with --impl
    (["--op", "log_uniform_candidate_sampler", "--semantics", "contrib"],
     ("--semantics: log_uniform_candidate_sampler has no 'contrib' cases; it has native, "
      "paddle, tf2")),
    (["--impl", "wrong.ports:tf_port", "--op", "all_candidate_sampler", "--semantics",
      "paddle"], "--semantics: all_candidate_sampler has no 'paddle' cases; it has native, tf2"),
    (["--op", "sampled_softmax_loss", "--semantics", "native"],
     "--semantics: sampled_softmax_loss has no 'native' cases; it has tf1, tf2"),
    (["--impl", "wrong.ports:tf_port", "--op", "sequence"],
     "--op: 'sequence' (calls of several ops in a row on TensorFlow's stream) checks"),
    # options that only an implementation's claims use, given without one
    (["--op", "nce_loss", "--stream", "paddle"], "--stream: applies to an implementation"),
    (["--op", "nce_loss", "--set-seed", "os:getcwd"], "--set-seed: applies to an implementation"),
])
def test_bad_arguments(argv, message, tmp_path, capsys):
    reports = tmp_path / "reports"
    with pytest.raises(SystemExit) as exit_info:
        main(["conform", *argv, "--json", str(reports / "j" / "r.json"),
              "--junit", str(reports / "x" / "r.xml")])
    assert exit_info.value.code == 2
    assert f"candidate-sampling conform: error: {message}" in capsys.readouterr().err
    assert not reports.exists()  # a refused argument leaves the reports' folders unmade


def test_impl_is_imported_from_the_working_directory(tmp_path, monkeypatch, capsys):
    (tmp_path / "my_port.py").write_text(
        "from candidate_sampling.compat.tf.nn import sampled_softmax_loss as loss\n")
    monkeypatch.chdir(tmp_path)
    assert main(["conform", "--backend", "numpy", "--impl", "my_port:loss",
                 "--op", "sampled_softmax_loss"]) == 0


def _last_line(out: str) -> str:
    return out.strip().splitlines()[-1]


def test_this_library_passes_under_torch_func(capsys):
    """``--backend torch.func``: the losses' values and gradients, taken by
    ``torch.func.vjp``, are TensorFlow's."""
    pytest.importorskip("torch")
    assert main(["conform", "--backend", "torch.func", "--op", "nce_loss"]) == 0
    out = capsys.readouterr().out
    assert any(line.split()[1:3] == ["torch.func", "values"] for line in out.splitlines()
               if line.startswith("  tf"))
    assert ", 0 failed" in _last_line(out), _last_line(out)


def test_this_library_samplers_laws_and_streams(capsys):
    """Without --impl, a sampler op runs the native laws, and laws and streams of the
    exact TensorFlow and Paddle front ends."""
    assert main(["conform", "--backend", "numpy", "--op", "log_uniform_candidate_sampler"]) == 0
    out = capsys.readouterr().out
    rows = {tuple(line.split()[:3]) for line in out.splitlines() if line.startswith("  ")}
    assert {("native", "numpy", "laws"), ("tf2", "numpy", "laws"), ("tf2", "numpy", "streams"),
            ("paddle", "numpy", "laws"), ("paddle", "numpy", "streams")} <= rows
    assert _last_line(out).endswith(" passed, 0 failed")


@pytest.mark.parametrize("impl,stream,passed_kinds", [
    ("candidate_sampling.compat.tf.random:uniform_candidate_sampler", "tf2",
     {"errors", "laws", "streams"}),
    ("candidate_sampling:uniform_candidate_sampler", "none", {"errors", "laws"}),
])
def test_sampler_implementations(impl, stream, passed_kinds, tmp_path, capsys):
    """A sampler claiming TensorFlow's stream runs the stream cases too (set_seed from its
    module); one claiming none has them reported as not applicable."""
    report = tmp_path / "r.json"
    assert main(["conform", "--backend", "numpy", "--impl", impl, "--op",
                 "uniform_candidate_sampler", "--stream", stream, "--json", str(report)]) == 0
    checks = json.loads(report.read_text())["checks"]
    assert {c["kind"] for c in checks if c["status"] == "passed"} == passed_kinds
    skipped = [c for c in checks if c["status"] == "n/a"]
    assert all(c["kind"] == "streams" for c in skipped)
    assert (len(skipped) == 0) == (stream == "tf2")
    out = capsys.readouterr().out
    if stream == "none":
        assert "the implementation claims no tf2 stream (--stream tf2)" in out
        assert _last_line(out).endswith(f", {len(skipped)} not applicable")


def test_paddle_stream_of_a_sampler(capsys):
    assert main(["conform", "--backend", "numpy", "--impl",
                 "candidate_sampling.compat.paddle:log_uniform_candidate_sampler", "--op",
                 "log_uniform_candidate_sampler", "--stream", "paddle"]) == 0
    out = capsys.readouterr().out
    rows = {tuple(line.split()[:5]) for line in out.splitlines() if line.startswith("  ")}
    streams = len(stream_cases("paddle", "log_uniform_candidate_sampler"))
    assert streams >= 30
    assert ("paddle", "numpy", "laws", "2", "0") in rows
    assert ("paddle", "numpy", "streams", str(streams), "0") in rows
    errors = len(select_cases("log_uniform_candidate_sampler"))  # TensorFlow's bad-input cases
    assert errors >= 8 and ("tf2", "numpy", "errors", str(errors), "0") in rows
    unclaimed = len(stream_cases("tf2", "log_uniform_candidate_sampler"))
    assert _last_line(out) == (f"conformance: {streams + 2 + errors} passed, 0 failed, "
                               f"{unclaimed} not applicable")


def test_a_tf2_stream_needs_set_seed(tmp_path, monkeypatch, capsys):
    (tmp_path / "seedless.py").write_text(
        "from candidate_sampling.compat.tf.random import all_candidate_sampler as sample\n")
    monkeypatch.chdir(tmp_path)
    assert main(["conform", "--backend", "numpy", "--impl", "seedless:sample", "--op",
                 "all_candidate_sampler", "--stream", "tf2"]) == 1
    assert "no set_seed: a tf2 stream starts from tf.random.set_seed" in capsys.readouterr().out
    assert main(["conform", "--backend", "numpy", "--impl", "seedless:sample", "--op",
                 "all_candidate_sampler", "--stream", "tf2", "--set-seed",
                 "candidate_sampling.compat.tf.random:set_seed"]) == 0


def test_json_report_is_standard_json_with_non_finite_differences(tmp_path, monkeypatch,
                                                                 capsys):
    """A port returning NaN: the comparisons' worst differences are not finite, written
    as strings (Python's bare ``Infinity`` was refused by strict JSON parsers); the
    report names the NaN."""
    (tmp_path / "nan_port.py").write_text(
        "import numpy as np\n"
        "def loss(weights, biases, labels, inputs, *args, **kwargs):\n"
        "    return np.full(np.shape(inputs)[0], np.nan, np.float32)\n")
    monkeypatch.chdir(tmp_path)
    status = main(["conform", "--backend", "numpy", "--impl", "nan_port:loss", "--op",
                   "sampled_softmax_loss", "--json", str(tmp_path / "r.json")])
    assert status == 1
    def refuse(constant):
        raise ValueError(f"not standard JSON: {constant}")
    data = json.loads((tmp_path / "r.json").read_text(), parse_constant=refuse)
    worst = [x["worst_abs"] for c in data["checks"] for x in c["comparisons"]]
    assert worst and all(w in ("inf", "nan") or isinstance(w, float) for w in worst)
    assert "nan" in worst or "inf" in worst
    assert ("tf2.sampled_softmax_loss.b1 [numpy]: loss: NaN at 1 of 1 values where the "
            "oracle's are finite") in capsys.readouterr().out


def test_rows_where_nothing_was_compared_show_no_worst_difference(tmp_path, monkeypatch,
                                                                  capsys):
    """A port that raises on every call: its value checks compared nothing, so their
    row shows ``-`` (it showed ``0 0``, which reads as perfect agreement)."""
    (tmp_path / "raising_loss.py").write_text(
        "def loss(*args, **kwargs):\n    raise RuntimeError('not implemented')\n")
    monkeypatch.chdir(tmp_path)
    assert main(["conform", "--backend", "numpy", "--impl", "raising_loss:loss", "--op",
                 "sampled_softmax_loss"]) == 1
    row = next(line.split() for line in capsys.readouterr().out.splitlines()
               if line.split()[:3] == ["tf2", "numpy", "values"])
    assert row[3:8] == ["0", "61", "0", "-", "-"], row  # 55 cases, 6 of them +defaults too


def test_an_xfail_file_that_is_not_utf8_is_named(tmp_path, capsys):
    (tmp_path / "x.txt").write_bytes(b"ok\n\xff\xfe\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["conform", "--op", "all_candidate_sampler", "--backend", "numpy", "--xfail",
              str(tmp_path / "x.txt")])
    assert exit_info.value.code == 2
    assert (f"--xfail: cannot read '{tmp_path / 'x.txt'}': not UTF-8 text (byte 0xff at "
            f"offset 3)") in capsys.readouterr().err


def test_a_sampler_with_two_outputs_is_told_how_many(tmp_path, monkeypatch, capsys):
    (tmp_path / "two_outputs.py").write_text(
        "import candidate_sampling as cs\n"
        "def sampler(*args, **kwargs):\n"
        "    return tuple(cs.log_uniform_candidate_sampler(*args, **kwargs))[:2]\n")
    monkeypatch.chdir(tmp_path)
    assert main(["conform", "--backend", "numpy", "--impl", "two_outputs:sampler", "--op",
                 "log_uniform_candidate_sampler", "--semantics", "native"]) == 1
    assert ("expected (sampled_candidates, true_expected_count, sampled_expected_count), got "
            "a tuple of 2") in capsys.readouterr().out


@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_sequences_with_ids_as_lists_pass_on_every_backend(backend, capsys):
    """The sequence cases that give a sampler and ``compute_accidental_hits`` their ids
    as Python lists (``bool-seeds-and-lists``) accept NumPy outputs on the torch and JAX
    backends too: this library returns NumPy arrays for lists, and the torch adapter
    failed it ('returned ndarray, expected a torch tensor')."""
    pytest.importorskip(backend)
    assert main(["conform", "--backend", backend, "--op", "sequence"]) == 0
    out = capsys.readouterr().out
    assert _last_line(out) == "conformance: 9 passed, 0 failed"


@pytest.mark.parametrize("option", ["--json", "--junit"])
def test_a_report_that_cannot_be_written_is_the_one_line_error(option, tmp_path, monkeypatch,
                                                              capsys):
    """A full disk (``--json /dev/full``) ended a finished run with an OSError traceback."""
    import errno

    from candidate_sampling.conformance import report

    def full(checks, f):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(report, "to_json" if option == "--json" else "to_junit", full)
    with pytest.raises(SystemExit) as exit_info:
        main(["conform", "--backend", "numpy", "--op", "compute_accidental_hits", option,
              str(tmp_path / "r.out")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.endswith(f"candidate-sampling conform: error: {option}: cannot write "
                        f"{str(tmp_path / 'r.out')!r}: {os.strerror(errno.ENOSPC)}\n"), err

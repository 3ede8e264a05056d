"""``candidate-sampling bench``: the command end to end on tiny shapes, its files, the naive
PyTorch port it compares with, the judging of the targets, and its argument errors."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from dataclasses import replace

import numpy as np
import pytest
from candidate_sampling.benchmarks import memory, targets
from candidate_sampling.benchmarks.config import FULL, QUICK, TINY, BenchConfig
from candidate_sampling.benchmarks.harness import markdown_table, time_calls
from candidate_sampling.benchmarks.ratios import (
    case_medians,
    classes_label,
    pooled_median,
)
from candidate_sampling.benchmarks.report import summary
from candidate_sampling.benchmarks.suite import (
    _full_wanted,
    available_backends,
    run_suite,
)

import candidate_sampling as cs
from candidate_sampling.cli import main
from candidate_sampling.conformance.vectors import load_cases
from candidate_sampling.devices import cupy_usable
from candidate_sampling.plot.png import PNG_SIGNATURE, read_png

PNGS = ("sampled_softmax_step.png", "nce_step.png", "full_vs_sampled.png")


def _run_command(capsys, *args: str) -> tuple[int, str]:
    status = main(["bench", "--tiny", *args])
    return status, capsys.readouterr().out


def _check_ratios(data: dict) -> None:
    """Every ratio in results.json is the quotient of the two recorded medians."""
    medians = case_medians(data)
    samplers = {k: t["median_s"] for k, t in data["samplers"]["timings"].items()}
    assert data["ratios"]
    for r in data["ratios"]:
        med = medians[(r["num_classes"], r["backend"])] if r["section"] == "step" else samplers
        assert r["value"] == pytest.approx(med[r["numerator"]] / med[r["denominator"]], rel=1e-12)


def test_command_writes_tables_json_and_charts(tmp_path, capsys):
    status, out = _run_command(capsys, "--backend", "numpy", "--no-peers", "--out", str(tmp_path))
    assert status == 0
    for section in ("## Training step", "## Forward alone", "## Unique log-uniform sampler",
                    "## Targets", "## Notes"):
        assert section in out
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["backends"] == ["numpy"] and data["peers"] is False
    assert data["config"]["classes"] == list(TINY.classes)
    assert [(c["num_classes"], c["backend"]) for c in data["cases"]] == [(200, "numpy"),
                                                                        (2000, "numpy")]
    for case in data["cases"]:
        # the case of the flatness target's big V also times the steps at its small V
        paired = ({"sampled_softmax step at V=200", "nce step at V=200"}
                  if case["num_classes"] == 2000 else set())
        assert set(case["timings"]) == {"sampled_softmax step", "nce step", "step floor",
                                        "forward", "forward floor", "full_softmax step"} | paired
        for t in case["timings"].values():
            assert t["n"] == len(t["times_s"]) >= 1
            assert t["min_s"] <= t["median_s"] <= t["max_s"]
            assert t["median_s"] == pytest.approx(float(np.median(t["times_s"])))
    assert set(data["samplers"]["timings"]) == {"numpy (native)", "tf stream (exact)",
                                                "paddle stream (exact)"}
    _check_ratios(data)
    labels = {r["label"] for r in data["ratios"]}
    assert {"sampled_softmax / floor", "nce / floor", "full / sampled", "forward / floor",
            "nce step / nce step at V=200"} <= labels
    assert not any("/ TF" in label or "/ naive" in label for label in labels)  # peers off
    statuses = {t["name"]: t["status"] for t in data["targets"]}
    assert statuses["exact TF stream <= 3x TensorFlow's kernel (S=64 of 1e3)"] == "n/a"
    assert set(statuses.values()) <= {"met", "not met", "n/a"}
    forward = next(t for t in data["targets"] if t["name"].startswith("numpy forward"))
    med = case_medians(data)[(2000, "numpy")]
    assert forward["value"] == pytest.approx(med["forward"] / med["forward floor"])
    md = (tmp_path / "results.md").read_text()
    assert md.startswith("# candidate-sampling bench (tiny)")
    assert md.split("## All timings (ms)")[1].count("\n| 2e") == 14  # 2 x 6 timings, 2 paired
    for name in PNGS:
        path = tmp_path / name
        assert path.read_bytes()[:8] == PNG_SIGNATURE
        image = read_png(path)
        assert image.shape == (500, 800, 3)
        assert (image < 128).any() and (image == 255).any()  # ink on a white background


def test_command_with_the_naive_port_as_peer(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CS_BENCH_TF_PYTHON", str(tmp_path / "no-such-python"))
    # room for the naive port next to ours at V=200, not at V=2000 (see memory.case_bytes):
    # 0.7 * 1.1e6 lies between 704000 bytes (ours alone) and 960000 (with the naive port)
    monkeypatch.setattr(memory, "available_bytes", lambda: 1_100_000)
    status, out = _run_command(capsys, "--backend", "numpy", "--out", str(tmp_path))
    assert status == 0
    assert f"CS_BENCH_TF_PYTHON={tmp_path / 'no-such-python'} does not exist: no TensorFlow " \
        "columns." in out and "naive sampled softmax" in out
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["environment"]["naive_torch"].startswith("torch ")
    naive_steps = {"naive_torch sampled_softmax step", "naive_torch nce step"}
    assert naive_steps <= set(data["cases"][0]["timings"])
    assert not naive_steps & set(data["cases"][1]["timings"])
    assert data["skipped"] == ["the naive PyTorch port at V=2,000 next to numpy: left out for "
                               "memory (the case takes ~0.0007 GB without, 0.0011 GB available)"]
    _check_ratios(data)
    naive = [r for r in data["ratios"] if r["label"] == "sampled_softmax / naive"]
    assert [r["num_classes"] for r in naive] == [200]
    assert pooled_median(data, 200, "naive_torch nce step") == \
        data["cases"][0]["timings"]["naive_torch nce step"]["median_s"]


def test_a_tensorflow_interpreter_that_fails_is_a_note_with_its_error(tmp_path, monkeypatch):
    """``CS_BENCH_TF_PYTHON`` naming an interpreter that fails (no TensorFlow there, say),
    a folder, or nothing: no TensorFlow peer, and the reason, with the interpreter's own
    last line of error; the run went on only where the file was missing (a traceback
    ``BrokenPipeError`` or ``PermissionError`` ended it), and the note said to set the
    variable that was set."""
    from candidate_sampling.benchmarks.harness import tf_peer

    failing = tmp_path / "python"
    failing.write_text("#!/bin/sh\necho 'ModuleNotFoundError: no tensorflow here' >&2\nexit 3\n")
    failing.chmod(0o755)
    monkeypatch.setenv("CS_BENCH_TF_PYTHON", str(failing))
    peer, why = tf_peer()
    assert peer is None and why.startswith(f"TensorFlow's peer did not start with {failing} (")
    assert why.endswith("exited with status 3: ModuleNotFoundError: no tensorflow here)")
    monkeypatch.setenv("CS_BENCH_TF_PYTHON", str(tmp_path))
    peer, why = tf_peer()
    assert peer is None and "Permission denied" in why
    monkeypatch.setenv("CS_BENCH_TF_PYTHON", str(tmp_path / "missing"))
    assert tf_peer() == (None, f"CS_BENCH_TF_PYTHON={tmp_path / 'missing'} does not exist")


def test_cases_that_do_not_fit_in_memory_are_skipped_and_said_so():
    config = replace(TINY, memory_fraction=1e-12)
    lines = []
    results = run_suite(config, ["numpy"], peers=False, log=lines.append)
    assert results["cases"] == []
    assert [s.split(":")[0] for s in results["skipped"]] == ["V=200 on numpy", "V=2,000 on numpy"]
    assert "available" in results["skipped"][0] and "V=200 numpy: skipped (memory)" in lines
    text = summary(results)
    assert "## Skipped" in text and "n/a: numpy forward" in text


def test_full_softmax_is_skipped_where_a_step_would_be_too_slow():
    config = replace(FULL, full_max_step_s=4.0)
    assert _full_wanted(config, "numpy", 10_000, {}) == (True, "")
    last = {"numpy": (100_000, 0.5)}
    assert _full_wanted(config, "numpy", 200_000, last) == (True, "")  # the default V: always
    wanted, why = _full_wanted(config, "numpy", 1_000_000, last)
    assert not wanted and why == "one step would take ~5.0 s (> 4 s)"
    assert _full_wanted(config, "numpy", 2_000_000, {}) == (False, "above 1,000,000 classes")


def test_quick_preset_sweeps_three_shapes_and_the_full_one_seven():
    assert QUICK.classes == (10_000, 200_000, 2_000_000) and QUICK.rounds < FULL.rounds
    assert FULL.classes[0] == 10_000 and FULL.classes[-1] == 10_000_000
    assert len(FULL.classes) == 7 and FULL.default_classes in FULL.classes


# ---- the naive PyTorch port computes the same losses -------------------------------------

def _naive():
    pytest.importorskip("torch")
    from candidate_sampling.benchmarks.peers import naive_torch

    return naive_torch


def _golden_cases():
    """TensorFlow 2's float32 losses on one weight array with distinct sampled classes (as
    the unique sampler of the benchmark gives them: with a class sampled twice, TensorFlow
    masks an accidental hit at one of its positions only, the naive port at both)."""
    keys = {"num_classes", "num_sampled", "num_true", "remove_accidental_hits"}
    return [c for c in load_cases()
            if c.api == "tf2" and c.op in ("sampled_softmax_loss", "nce_loss")
            and c.dtype == "float32" and c.raises is None and c.deviation is None
            and set(c.kwargs) <= keys and c.inputs.get("sampled_values") is not None
            and not isinstance(c.inputs["weights"], list)
            and not isinstance(c.inputs["biases"], list)
            and len(np.unique(c.inputs["sampled_values"][0])) == len(c.inputs["sampled_values"][0])]


GOLDEN = _golden_cases()


def test_there_are_golden_cases_for_both_losses():
    assert {c.op for c in GOLDEN} == {"sampled_softmax_loss", "nce_loss"}
    assert len(GOLDEN) >= 40


@pytest.mark.parametrize("case", GOLDEN, ids=lambda c: c.id)
def test_naive_port_gives_tensorflows_losses(case):
    naive = _naive()
    import torch

    t = lambda a: torch.from_numpy(np.asarray(a))
    sampled, true_q, sampled_q = (t(v) for v in case.inputs["sampled_values"])
    fn = naive.sampled_softmax_loss if case.op == "sampled_softmax_loss" else naive.nce_loss
    default_hits = case.op == "sampled_softmax_loss"
    loss = fn(t(case.inputs["weights"]), t(case.inputs["biases"]), t(case.inputs["inputs"]),
              t(case.inputs["labels"]).to(torch.int64), sampled.to(torch.int64), true_q, sampled_q,
              remove_accidental_hits=case.kwargs.get("remove_accidental_hits", default_hits))
    np.testing.assert_allclose(loss.numpy(), case.outputs["loss"], rtol=case.rtol, atol=case.atol)


@pytest.mark.parametrize("num_true", [1, 2])
def test_naive_port_equals_ours_for_the_same_sampled_values(num_true):
    naive = _naive()
    import torch

    gen = torch.Generator().manual_seed(num_true)
    v, d, b, s = 60, 8, 16, 24
    weights, biases = torch.randn(v, d, generator=gen), torch.randn(v, generator=gen)
    inputs = torch.randn(b, d, generator=gen)
    labels = torch.randint(0, 6, (b, num_true), generator=gen)  # frequent classes: hits
    values = cs.log_uniform_candidate_sampler(labels, num_true, s, True, v, seed=5)
    assert (labels[:, :, None] == values.sampled_candidates).any()  # accidental hits occur
    ours = cs.sampled_softmax_loss(weights, biases, labels, inputs, s, v, num_true,
                                   sampled_values=values)
    theirs = naive.sampled_softmax_loss(weights, biases, inputs, labels, *values)
    torch.testing.assert_close(theirs, ours, rtol=1e-5, atol=1e-5)
    ours = cs.nce_loss(weights, biases, labels, inputs, s, v, num_true, sampled_values=values)
    theirs = naive.nce_loss(weights, biases, inputs, labels, *values)
    torch.testing.assert_close(theirs, ours, rtol=1e-5, atol=1e-5)


def test_naive_step_touches_every_row_and_samples_distinct_classes():
    naive = _naive()
    import torch

    weight, bias = naive.initial_parameters(300, 4)
    probabilities = naive.log_uniform_probabilities(300)
    assert float(probabilities.sum()) == pytest.approx(1.0, rel=1e-5)
    ids, expected = naive.sample(probabilities, 50)
    assert ids.unique().numel() == 50
    torch.testing.assert_close(expected, 50 * probabilities[ids])
    step = naive.NaiveStep("nce", weight, bias, batch=3, num_sampled=10)
    before = weight.detach().clone()
    assert step.step().shape == (3, 4)
    assert weight.grad.shape == (300, 4) and weight.grad.layout == torch.strided  # dense
    assert not torch.equal(before, weight.detach())
    with pytest.raises(ValueError, match="loss: must be one of"):
        naive.NaiveStep("hinge", weight, bias, batch=3, num_sampled=10)


# ---- targets on synthetic medians ------------------------------------------------------------

def _timing(seconds: float) -> dict:
    return {"median_s": seconds, "min_s": seconds, "max_s": seconds, "n": 1, "times_s": [seconds]}


def _results(cases: dict, samplers: dict, backends: list[str], config: BenchConfig = FULL) -> dict:
    return {"config": config.as_dict(), "backends": backends,
            "cases": [{"num_classes": v, "backend": b,
                       "timings": {k: _timing(s) for k, s in med.items()}}
                      for (v, b), med in cases.items()],
            "samplers": {"num_sampled": 8192, "range_max": 1_000_000,
                         "timings": {k: _timing(s) for k, s in samplers.items()}}}


def test_targets_are_judged_from_the_medians():
    tf = "tensorflow "
    cases = {
        (20_000, "torch"): {"sampled_softmax step": .030, "nce step": .030, "step floor": .025},
        (200_000, "torch"): {"sampled_softmax step": .030, "nce step": .030, "step floor": .020,
                             tf + "sampled_softmax step": .040, tf + "nce step": .025,
                             "full_softmax step": 1.5},
        (2_000_000, "torch"): {"sampled_softmax step": .033, "nce step": .040},
        (200_000, "jax"): {"sampled_softmax step": .010, "nce step": .010, "step floor": .009},
        (200_000, "numpy"): {"forward": .006, "forward floor": .005, "sampled_softmax step": .01,
                             "full_softmax step": .1},
    }
    samplers = {"numpy (native)": .0004, "torch (native)": .0012, "jax (native)": .001,
                "tf stream (exact)": .0025, "tensorflow kernel": .001}
    judged = {t.name: t for t in targets.judge(_results(cases, samplers,
                                                        ["torch", "jax", "numpy"]))}
    expect = {
        "torch sampled softmax step <= TensorFlow's (V=2e5)": (0.75, "met"),
        "torch sampled softmax step <= 1.25x its floor (V=2e5)": (1.5, "not met"),
        "torch sampled softmax step flat in V: V=2e6 within 1.2x of V=2e4": (1.1, "met"),
        "torch NCE step <= TensorFlow's (V=2e5)": (1.2, "not met"),
        "torch NCE step <= 1.25x its floor (V=2e5)": (1.5, "not met"),
        "torch NCE step flat in V: V=2e6 within 1.2x of V=2e4": (4 / 3, "not met"),
        "jax sampled softmax step <= TensorFlow's (V=2e5)": (None, "n/a"),
        "jax sampled softmax step <= 1.25x its floor (V=2e5)": (10 / 9, "met"),
        "jax NCE step flat in V: V=2e6 within 1.2x of V=2e4": (None, "n/a"),
        "numpy forward <= 1.5x its floor (V=2e5)": (1.2, "met"),
        "numpy native unique log-uniform sampler <= TensorFlow's kernel (S=8192 of 1e6)":
            (0.4, "met"),
        "torch native unique log-uniform sampler <= TensorFlow's kernel (S=8192 of 1e6)":
            (1.2, "not met"),
        "jax native unique log-uniform sampler <= TensorFlow's kernel (S=8192 of 1e6)":
            (1.0, "met"),
        "exact TF stream <= 3x TensorFlow's kernel (S=8192 of 1e6)": (2.5, "met"),
        "torch sampled softmax step >= 40x faster than full softmax (V=2e5)": (50, "met"),
        "numpy sampled softmax step >= 40x faster than full softmax (V=2e5)": (10, "not met"),
        "jax sampled softmax step >= 40x faster than full softmax (V=2e5)": (None, "n/a"),
    }
    for name, (value, status) in expect.items():
        assert judged[name].status == status, name
        assert judged[name].value == (None if value is None else pytest.approx(value)), name
    assert len(judged) == 3 * 2 * 2 + 1 + 3 + 1 + 3
    assert judged["jax NCE step flat in V: V=2e6 within 1.2x of V=2e4"].detail == \
        "V=2e4 and 2e6 not measured"
    line = judged["torch NCE step <= TensorFlow's (V=2e5)"].line()
    assert line == "not met: torch NCE step <= TensorFlow's (V=2e5): 1.2 (limit <= 1)"


def test_torch_floor_is_the_products_as_the_library_computes_them():
    torch = pytest.importorskip("torch")
    from candidate_sampling.benchmarks.bench_step import (
        PLAIN_FLOOR,
        STEP_FLOOR,
        StepShape,
        torch_products,
        torch_runners,
    )
    from candidate_sampling.benchmarks.report import step_table

    gen = torch.Generator().manual_seed(0)
    x, w, g = (torch.randn(*s, generator=gen) for s in ((16, 8), (32, 8), (16, 32)))
    for got, want in zip(torch_products(x, w, g), (x @ w.T, g @ w, g.T @ x)):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    runners = torch_runners(StepShape(batch=4, dim=8, num_sampled=6, num_classes=50), number=1)
    assert set(runners) == {"sampled_softmax step", "nce step", STEP_FLOOR, PLAIN_FLOOR}
    cases = {(200, "torch"): {"sampled_softmax step": .012, "nce step": .013, STEP_FLOOR: .008,
                              PLAIN_FLOOR: .016},
             (200, "numpy"): {"sampled_softmax step": .02, "nce step": .02, STEP_FLOOR: .01}}
    lines = step_table(_results(cases, {}, ["torch", "numpy"])).splitlines()
    assert lines[0].split("|")[1:5] == ["   V ", " backend ", " floor ", " floor (@) "]
    assert [c.strip() for c in lines[2].split("|")[1:7]] == ["2e2", "torch", "8", "16", "12",
                                                             "1.5"]
    assert [c.strip() for c in lines[3].split("|")[3:5]] == ["10", ""]


def test_jax_floors_are_the_products_as_computed_and_as_written():
    pytest.importorskip("jax")
    from candidate_sampling.benchmarks.bench_step import (
        PLAIN_FLOOR,
        STEP_FLOOR,
        StepShape,
        jax_products,
        jax_runners,
    )

    gen = np.random.default_rng(0)
    x, w, g = (gen.standard_normal(s).astype(np.float32) for s in ((16, 8), (32, 8), (16, 32)))
    for products in jax_products():
        for got, want in zip(products(x, w, g), (x @ w.T, g @ w, g.T @ x)):
            np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-5)
    runners = jax_runners(StepShape(batch=4, dim=8, num_sampled=6, num_classes=50), number=1)
    assert set(runners) == {"sampled_softmax step", "nce step", STEP_FLOOR, PLAIN_FLOOR}
    assert all(len(runners[name]()) == 1 for name in (STEP_FLOOR, PLAIN_FLOOR))


def test_flatness_is_judged_within_the_big_cases_interleaved_pair():
    """Where the case of the big V also timed the step at the small V, the ratio is taken
    there (drift between cases cannot tilt it), whatever the small V's own case says."""
    cases = {(20_000, "jax"): {"sampled_softmax step": .010, "nce step": .010},
             (2_000_000, "jax"): {"sampled_softmax step": .015, "nce step": .012,
                                  "sampled_softmax step at V=20000": .0140,
                                  "nce step at V=20000": .0120}}
    judged = {t.name: t for t in targets.judge(_results(cases, {}, ["jax"]))}
    flat = judged["jax sampled softmax step flat in V: V=2e6 within 1.2x of V=2e4"]
    assert flat.value == pytest.approx(.015 / .014) and flat.status == "met"
    assert flat.detail == "both V interleaved in one case"
    nce = judged["jax NCE step flat in V: V=2e6 within 1.2x of V=2e4"]
    assert nce.value == pytest.approx(1.0)


def test_flatness_uses_the_nearest_measured_shapes():
    cases = {(v, "torch"): {"sampled_softmax step": s, "nce step": s}
             for v, s in ((10_000, .020), (200_000, .021), (2_000_000, .026))}
    judged = {t.name: t for t in targets.judge(_results(cases, {}, ["torch"], QUICK))}
    flat = judged["torch sampled softmax step flat in V: V=2e6 within 1.2x of V=2e4"]
    assert flat.value == pytest.approx(1.3) and flat.status == "not met"
    assert flat.detail == "V=1e4 stands in for 2e4"
    del cases[(2_000_000, "torch")]  # 2e5 is too far from 2e6 to stand in for it
    judged = {t.name: t for t in targets.judge(_results(cases, {}, ["torch"], QUICK))}
    flat = judged["torch sampled softmax step flat in V: V=2e6 within 1.2x of V=2e4"]
    assert flat.status == "n/a" and flat.detail == "V=2e6 not measured"
    stream = judged["exact TF stream <= 3x TensorFlow's kernel (S=8192 of 1e6)"]
    assert stream.status == "n/a" and stream.line().endswith("not measured (limit <= 3)")


# ---- helpers and errors ----------------------------------------------------------------------

def test_time_calls_stops_at_the_budget(monkeypatch):
    """On a clock that each call moves by 0.25 s (a sleep's length on a busy machine is
    not a test's to rely on)."""
    clock, calls = [0.0], []

    def call():
        calls.append(1)
        clock[0] += 0.25

    monkeypatch.setattr(sys.modules[time_calls.__module__], "time",
                        types.SimpleNamespace(perf_counter=lambda: clock[0]))
    times = time_calls(call, number=50, warmup=1, budget_s=1.0)
    assert times == [0.25] * 4 and len(calls) == 5  # the warm-up call is not timed
    assert time_calls(call, number=3, warmup=0) == [0.25] * 3  # no budget: every call
    with pytest.raises(ValueError, match="number: must be >= 1"):
        time_calls(lambda: None, number=0)


def test_labels_and_tables():
    assert [classes_label(v) for v in (200, 2000, 10_000, 200_000, 12_345, 10**7, 50)] == \
        ["2e2", "2e3", "1e4", "2e5", "12345", "1e7", "50"]
    assert markdown_table(["a", "bb"], [[1.23456, 2048.0]]) == \
        "|    a |   bb |\n|------|------|\n| 1.23 | 2048 |"
    assert markdown_table(["a"], []) == "| a |\n|---|"


def test_bad_backend_exits_2_with_one_line():
    proc = subprocess.run([sys.executable, "-m", "candidate_sampling.cli", "bench", "--backend",
                           "nope"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "candidate-sampling bench: error: --backend: must be one of numpy, torch, jax, cupy, "
        "all, got 'nope'"]


@pytest.mark.parametrize("args, message", [
    (["--rounds", "0"], "--rounds: must be >= 1, got 0"),
    (["--classes", "10"], ("--classes: every number must be >= num_sampled = 32 (the "
                           "classes a step samples), got 10")),
    (["--classes", "100", "0"], ("--classes: every number must be >= num_sampled = 32 (the "
                                 "classes a step samples), got 0")),
    pytest.param(["--backend", "cupy"],
                 "--backend: cupy is not usable here (not installed, or no GPU); usable: "
                 + ", ".join(available_backends()),
                 marks=pytest.mark.skipif(cupy_usable(), reason="CuPy runs here")),
])
def test_bad_arguments_exit_2(args, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--tiny", "--no-peers", "--out", str(tmp_path), *args])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.splitlines() == [f"candidate-sampling bench: error: {message}"]


def test_charts_with_nothing_to_draw_remove_an_earlier_runs(tmp_path):
    """A run with nothing to chart (every case skipped) left the PNGs of an earlier run in
    ``--out`` beside its own results, as if they were this run's."""
    from candidate_sampling.benchmarks.plots import write_plots

    names = ["sampled_softmax_step.png", "nce_step.png", "full_vs_sampled.png"]
    for name in names + ["mine.png"]:
        (tmp_path / name).write_bytes(b"old")
    results = {"config": {"batch": 8, "dim": 16, "num_sampled": 32}, "backends": ["numpy"],
               "cases": []}
    assert write_plots(results, tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.png"]

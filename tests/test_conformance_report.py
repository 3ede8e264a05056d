"""The report: aligned columns, colour only on a terminal, progress, the digest, xfail
entries that pass or match nothing, and every kind of check in JSON and JUnit."""

from __future__ import annotations

import io
import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from candidate_sampling.conformance import report
from candidate_sampling.conformance.suite import run_target
from candidate_sampling.conformance.targets import Target

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="module")
def mixed():
    """A wrong sampler (laws fail), with n/a streams, and a wrong loss (values fail)."""
    sampler = run_target(Target(impl="wrong.samplers:tries_fixed_at_twice_s",
                                op="log_uniform_candidate_sampler"), ["numpy"], isolate=False)
    loss = run_target(Target(impl="wrong.ports:masks_every_duplicate", op="sampled_softmax_loss"),
                      ["numpy"], isolate=False)
    return sampler + loss


def test_columns_are_aligned(mixed):
    blocks = report.render_table(report.summarize(mixed)).split("\n\n")
    for block in filter(None, blocks):
        header, *rows = block.splitlines()[1:]
        for name in ("origin", "backend", "kind", "worst abs"):
            assert all(row[header.index(name) - 1] == " " for row in rows)
            assert all(row[header.index(name)] != " " for row in rows)
        for name in ("passed", "failed", "n/a"):
            end = header.index(name) + len(name)
            assert all(row[end - 1].isdigit() and row[end] == " " for row in rows)


def test_colour_only_on_a_terminal(mixed):
    rows = report.summarize(mixed)
    assert "\033[" not in report.render_table(rows, tty=False)
    coloured = report.render_table(rows, tty=True)
    assert report.RED in coloured and report.GREEN in coloured and report.DIM in coloured


def test_progress_rewrites_one_line(mixed):
    out = io.StringIO()
    progress = report.progress_printer(out, every_s=0.0)
    for i, check in enumerate(mixed[:3]):
        progress(i + 1, 3, check)
    text = out.getvalue()
    assert text.count("\r\033[K") == 3 and text.endswith("\n") and text.count("\n") == 1
    assert "3/3 checks, " in text


def test_digest_names_what_was_off(mixed):
    digest = report.digest(mixed).splitlines()
    assert digest[0] == "failed, by what was off:"
    assert any(line.split()[:4] == ["laws", "mean", "number", "of"] for line in digest)
    assert any(line.split()[:2] == ["values", "loss"] for line in digest)


def test_summary_counts_every_status(mixed):
    passed, failed, xfailed, xpassed = report.verdict(mixed)
    na = sum(c.status == "n/a" for c in mixed)
    assert failed > 0 and na > 0 and xfailed == xpassed == 0
    assert report.summary_line(mixed) == (f"conformance: {passed} passed, {failed} failed, "
                                          f"{na} not applicable")


def test_xfail_entries_that_pass_or_match_nothing():
    target = Target(impl="wrong.ports:masks_every_duplicate", op="sampled_softmax_loss")
    plain = run_target(target, ["numpy"], isolate=False)
    failing = sorted({c.case.id for c in plain if c.status == "failed"})
    passing = next(c.case.id for c in plain if c.status == "passed")
    xfail = set(failing) | {f"{passing}@numpy", "tf2.sampled_softmax_loss.no-such-case"}
    checks = run_target(target, ["numpy"], xfail=xfail, isolate=False)
    assert report.verdict(checks)[1:] == (0, len(failing), 1)
    notes = report.xfail_notes(checks, xfail).splitlines()
    assert notes == [f"xpassed: {passing} [numpy] no longer fails: remove it from the xfail file",
                     "xfail entry matches no check of this run: "
                     "tf2.sampled_softmax_loss.no-such-case"]


def test_json_and_junit_have_every_kind(mixed):
    text = io.StringIO()
    report.to_json(mixed, text)
    data = json.loads(text.getvalue())
    kinds = {(c["kind"], c["status"]) for c in data["checks"]}
    assert {("laws", "failed"), ("laws", "passed"), ("streams", "n/a"), ("values", "failed"),
            ("values", "passed"), ("errors", "passed")} <= kinds
    assert data["summary"]["not_applicable"] == sum(c.status == "n/a" for c in mixed)
    law = next(c for c in data["checks"] if c["kind"] == "laws" and c["status"] == "failed")
    assert any("mean number of tries" in x["detail"] for x in law["comparisons"])
    xml = io.StringIO()
    report.to_junit(mixed, xml)
    suites = {s.get("name"): s for s in ET.fromstring(xml.getvalue())}
    assert {"log_uniform_candidate_sampler[tf2].laws", "log_uniform_candidate_sampler[tf2].streams",
            "sampled_softmax_loss[tf2].values", "sampled_softmax_loss[tf2].errors"} <= set(suites)
    streams = suites["log_uniform_candidate_sampler[tf2].streams"]
    assert int(streams.get("skipped")) == int(streams.get("tests")) > 0
    assert streams[0][0].get("message").startswith("not applicable: the implementation claims")
    assert sum(int(s.get("failures")) for s in suites.values()) == report.verdict(mixed)[1]


def test_the_example_of_docs_conformance_is_current(capsys):
    """docs/conformance.md reads a report of a sampler that returns p * S under unique."""
    from candidate_sampling.cli import main

    page = (Path(__file__).resolve().parents[1] / "docs" / "conformance.md").read_text()
    block = re.search(r"## Reading the report\n\n```\n(.*?)```", page, re.S).group(1)
    shown = block.split("\n", 2)[2]                    # after the two lines of the command
    assert main(["conform", "--backend", "numpy", "--impl",
                 "wrong.samplers:p_times_s_under_unique", "--op",
                 "log_uniform_candidate_sampler", "--in-process"]) == 1
    assert capsys.readouterr().out == shown

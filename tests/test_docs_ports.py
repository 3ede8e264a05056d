"""docs/third_party_ports.md shows what the suite prints for the example ports now (up
to timing); refresh it with ``python docs/examples/update_reports.py``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from candidate_sampling.conformance.isolation import TIMEOUT_ENV

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"
sys.path.insert(0, str(EXAMPLES))

import update_reports  # noqa: E402


def test_page_has_a_block_per_run():
    assert set(update_reports.blocks(update_reports.PAGE.read_text())) == set(update_reports.RUNS)


@pytest.mark.parametrize("module,op", update_reports.RUNS)
def test_page_shows_the_report(module, op, monkeypatch):
    pytest.importorskip("torch")
    monkeypatch.setenv(TIMEOUT_ENV, "5")   # port_host_mask hangs once; the page says 30 s
    shown = update_reports.blocks(update_reports.PAGE.read_text())[(module, op)]
    now = update_reports.report(module, op)
    assert "conformance: " in now and " failed" in now
    assert update_reports.normalized(now) == update_reports.normalized(shown)

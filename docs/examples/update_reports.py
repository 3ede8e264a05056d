"""Run the conformance suite on the example ports and write their reports into
docs/third_party_ports.md (``python docs/examples/update_reports.py``).

tests/test_docs_ports.py runs the same commands and checks that the page shows what
they print now.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PAGE = HERE.parent / "third_party_ports.md"
RUNS = [("port_host_mask", "sampled_softmax_loss"),
        ("port_host_mask", "log_uniform_candidate_sampler"),
        ("port_multinomial_unique", "sampled_softmax_loss"),
        ("port_multinomial_unique", "log_uniform_candidate_sampler")]
BLOCK = re.compile(r"<!-- report: (\S+) (\S+) -->\n```text\n(.*?)```\n", re.S)


def arguments(module: str, op: str) -> list[str]:
    """The ``candidate-sampling`` arguments of one run (from this folder)."""
    return ["conform", "--backend", "torch", "--impl", f"{module}:{op}", "--op", op]


def report(module: str, op: str) -> str:
    """What ``candidate-sampling conform`` prints for one run, from this folder."""
    from candidate_sampling.cli import main

    before = os.getcwd()
    out = io.StringIO()
    try:
        os.chdir(HERE)
        with contextlib.redirect_stdout(out):
            main(arguments(module, op))
    finally:
        os.chdir(before)
    return f"$ candidate-sampling {' '.join(arguments(module, op))}\n{out.getvalue()}"


def normalized(text: str) -> str:
    """``text`` up to timing: the seconds a hang was given (and the column widths that
    follow from them)."""
    return re.sub(r" +", " ", re.sub(r"after \d+ s", "after N s", text)).rstrip() + "\n"


def blocks(page: str) -> dict:
    """``(module, op) -> report`` as the page shows them."""
    return {(m.group(1), m.group(2)): m.group(3) for m in BLOCK.finditer(page)}


def main() -> int:
    page = PAGE.read_text(encoding="utf-8")
    for module, op in RUNS:
        text = report(module, op)
        page, n = BLOCK.subn(
            lambda m: (f"<!-- report: {m.group(1)} {m.group(2)} -->\n```text\n{text}```\n"
                       if (m.group(1), m.group(2)) == (module, op) else m.group(0)), page)
        print(f"{module} {op}: {normalized(text).count(chr(10))} lines")
    PAGE.write_text(page, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

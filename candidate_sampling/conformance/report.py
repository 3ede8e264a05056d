"""Reports of a conformance run: a table per op, a summary line, JSON and JUnit XML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from typing import IO, Iterable

from .suite import Check

__all__ = ["Row", "summarize", "render_table", "summary_line", "to_json", "to_junit", "verdict"]

GREEN, RED, YELLOW, RESET = "\033[32m", "\033[31m", "\033[33m", "\033[0m"


@dataclass
class Row:
    """One (op, origin, backend, kind) group of checks."""

    op: str
    api: str
    backend: str
    kind: str
    passed: int = 0
    failed: int = 0
    xfailed: int = 0
    xpassed: int = 0
    worst_abs: float = 0.0
    worst_rel: float = 0.0
    worst_case: str = ""


def summarize(checks: Iterable[Check]) -> list[Row]:
    rows: dict = {}
    for c in checks:
        key = (c.case.op, c.case.api, c.backend, c.kind)
        row = rows.setdefault(key, Row(*key))
        if c.ok:
            if c.xfail:
                row.xpassed += 1
            else:
                row.passed += 1
        elif c.xfail:
            row.xfailed += 1
        else:
            row.failed += 1
        for comp in c.result.comparisons:
            score = comp.worst_abs if comp.worst_abs != float("inf") else float("inf")
            if score > row.worst_abs:
                row.worst_abs, row.worst_rel, row.worst_case = score, comp.worst_rel, c.case.id
        if not c.ok and not row.worst_case:
            row.worst_case = c.case.id
    return sorted(rows.values(), key=lambda r: (r.op, r.api, r.backend, r.kind))


def _paint(text: str, colour: str, tty: bool) -> str:
    return f"{colour}{text}{RESET}" if tty else text


def render_table(rows: list[Row], tty: bool = False) -> str:
    """Aligned columns, one block per op; colour only when ``tty``."""
    header = ["origin", "backend", "kind", "passed", "failed", "worst abs", "worst rel", "worst case"]
    out = []
    by_op = defaultdict(list)
    for r in rows:
        by_op[r.op].append(r)
    for op, group in by_op.items():
        table = [header]
        for r in group:
            failed = f"{r.failed}" + (f" (+{r.xfailed} xfail)" if r.xfailed else "") + (
                f" ({r.xpassed} xpass)" if r.xpassed else "")
            table.append([r.api, r.backend, r.kind, str(r.passed), failed,
                          f"{r.worst_abs:.2g}" if r.kind == "values" else "-",
                          f"{r.worst_rel:.2g}" if r.kind == "values" else "-",
                          r.worst_case if (r.failed or r.kind == "values") else ""])
        widths = [max(len(line[i]) for line in table) for i in range(len(header))]
        out.append(op)
        for j, line in enumerate(table):
            text = "  " + "  ".join(v.ljust(w) for v, w in zip(line, widths)).rstrip()
            if j > 0:
                r = group[j - 1]
                text = _paint(text, RED if r.failed else (YELLOW if r.xpassed else GREEN), tty)
            out.append(text)
        out.append("")
    return "\n".join(out)


def verdict(checks: list[Check]) -> tuple[int, int, int, int]:
    """``(passed, failed, xfailed, xpassed)`` over all checks."""
    passed = sum(c.ok and not c.xfail for c in checks)
    failed = sum(not c.ok and not c.xfail for c in checks)
    xfailed = sum(not c.ok and c.xfail for c in checks)
    xpassed = sum(c.ok and c.xfail for c in checks)
    return passed, failed, xfailed, xpassed


def summary_line(checks: list[Check]) -> str:
    passed, failed, xfailed, xpassed = verdict(checks)
    line = f"conformance: {passed} passed, {failed} failed"
    if xfailed or xpassed:
        line += f", {xfailed} xfailed, {xpassed} xpassed (remove them from the xfail file)"
    return line


def failures(checks: list[Check], limit: int = 20) -> str:
    bad = [c for c in checks if not c.ok and not c.xfail]
    lines = [c.result.describe() for c in bad[:limit]]
    if len(bad) > limit:
        lines.append(f"... and {len(bad) - limit} more")
    return "\n".join(lines)


def to_json(checks: list[Check], stream: IO[str]) -> None:
    json.dump({"checks": [{
        "id": c.case.id, "op": c.case.op, "origin": c.case.api, "backend": c.backend,
        "kind": c.kind, "ok": c.ok, "xfail": c.xfail, "error": c.result.error,
        "comparisons": [vars(x) for x in c.result.comparisons]} for c in checks],
        "summary": dict(zip(("passed", "failed", "xfailed", "xpassed"), verdict(checks)))},
        stream, indent=1, default=float)


def to_junit(checks: list[Check], stream: IO[str]) -> None:
    suites = ET.Element("testsuites", name="candidate-sampling conformance")
    by_op = defaultdict(list)
    for c in checks:
        by_op[(c.case.op, c.case.api)].append(c)
    for (op, api), group in by_op.items():
        suite = ET.SubElement(suites, "testsuite", name=f"{op}[{api}]", tests=str(len(group)),
                              failures=str(sum(not c.ok and not c.xfail for c in group)))
        for c in group:
            case = ET.SubElement(suite, "testcase", classname=f"{op}.{api}.{c.backend}",
                                 name=c.case.id)
            if not c.ok and not c.xfail:
                ET.SubElement(case, "failure", message=c.result.describe())
            elif c.xfail:
                ET.SubElement(case, "skipped", message="xfail" if not c.ok else "xpass")
    ET.ElementTree(suites).write(stream, encoding="unicode", xml_declaration=True)

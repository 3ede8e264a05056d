"""Reports of a conformance run: a table per op, failures in words, a one-line summary,
progress on a terminal, JSON and JUnit XML."""

from __future__ import annotations

import json
import math
import time
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import IO, Any, Callable, Iterable

from .runner import printable
from .suite import KINDS, Check

__all__ = ["Row", "summarize", "render_table", "summary_line", "digest", "failures", "not_applicable",
           "xfail_notes", "progress_printer", "to_json", "to_junit", "verdict"]

GREEN, RED, YELLOW, DIM, RESET = "\033[32m", "\033[31m", "\033[33m", "\033[2m", "\033[0m"
MEASURED_KINDS = ("values", "streams")
"""Kinds whose comparisons are numbers against the oracle's (worst errors shown)."""


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
    na: int = 0
    worst_abs: float = 0.0
    worst_rel: float = 0.0
    worst_case: str = ""
    compared: int = 0
    """Comparisons of numbers made (none where every check crashed, hung or raised)."""


def summarize(checks: Iterable[Check]) -> list[Row]:
    """One :class:`Row` per (op, origin, backend, kind), sorted."""
    rows: dict = {}
    for c in checks:
        key = (c.case.op, c.case.api, c.backend, c.kind)
        row = rows.setdefault(key, Row(*key))
        status = c.status
        if status == "n/a":
            row.na += 1
            continue
        setattr(row, status, getattr(row, status) + 1)
        if c.kind in MEASURED_KINDS:
            for comp in c.result.comparisons:
                row.compared += 1
                if comp.worst_abs > row.worst_abs:
                    row.worst_abs, row.worst_rel, row.worst_case = (comp.worst_abs, comp.worst_rel,
                                                                    c.case.id)
        if not c.ok and not c.xfail and (c.kind not in MEASURED_KINDS or not row.worst_case):
            row.worst_case = row.worst_case or c.case.id
    order = {k: i for i, k in enumerate(KINDS)}
    return sorted(rows.values(), key=lambda r: (r.op, r.api, r.backend, order.get(r.kind, 9)))


def _paint(text: str, colour: str, tty: bool) -> str:
    return f"{colour}{text}{RESET}" if tty else text


def _colour(row: Row) -> str:
    if row.failed:
        return RED
    if row.xpassed:
        return YELLOW
    if not (row.passed or row.xfailed):
        return DIM
    return GREEN


def render_table(rows: list[Row], tty: bool = False) -> str:
    """Aligned columns, one block per op; colour only when ``tty``. The ``n/a`` column
    appears when some check does not apply to the implementation."""
    with_na = any(r.na for r in rows)
    header = ["origin", "backend", "kind", "passed", "failed"] + (["n/a"] if with_na else []) + [
        "worst abs", "worst rel", "worst case"]
    out = []
    by_op = defaultdict(list)
    for r in rows:
        by_op[r.op].append(r)
    for op, group in by_op.items():
        table = [header]
        for r in group:
            failed = f"{r.failed}" + (f" (+{r.xfailed} xfail)" if r.xfailed else "") + (
                f" ({r.xpassed} xpass)" if r.xpassed else "")
            measured = r.kind in MEASURED_KINDS and r.compared > 0
            table.append([r.api, r.backend, r.kind, str(r.passed), failed]
                         + ([str(r.na)] if with_na else [])
                         + [f"{r.worst_abs:.2g}" if measured else "-",
                            f"{r.worst_rel:.2g}" if measured else "-",
                            r.worst_case if (r.failed or measured) else ""])
        widths = [max(len(line[i]) for line in table) for i in range(len(header))]
        numeric = {header.index(h) for h in ("passed", "failed", "n/a") if h in header}
        out.append(op)
        for j, line in enumerate(table):
            cells = [v.rjust(w) if i in numeric else v.ljust(w)
                     for i, (v, w) in enumerate(zip(line, widths))]
            text = "  " + "  ".join(cells).rstrip()
            if j > 0:
                text = _paint(text, _colour(group[j - 1]), tty)
            out.append(text)
        out.append("")
    return "\n".join(out)


def verdict(checks: list[Check]) -> tuple[int, int, int, int]:
    """``(passed, failed, xfailed, xpassed)`` over all checks (n/a ones aside)."""
    counts = Counter(c.status for c in checks)
    return counts["passed"], counts["failed"], counts["xfailed"], counts["xpassed"]


def summary_line(checks: list[Check]) -> str:
    """``conformance: P passed, F failed`` and, where there are any, xfailed, xpassed and
    not-applicable counts."""
    passed, failed, xfailed, xpassed = verdict(checks)
    line = f"conformance: {passed} passed, {failed} failed"
    if xfailed or xpassed:
        line += f", {xfailed} xfailed, {xpassed} xpassed (remove them from the xfail file)"
    na = sum(c.status == "n/a" for c in checks)
    if na:
        line += f", {na} not applicable"
    return line


def _failure_keys(check: Check) -> list[str]:
    if check.result.error is not None:
        text = printable(check.result.error.split(" (oracle:")[0])
        return [text if len(text) <= 70 else text[:67] + "..."]
    return [c.name for c in check.result.comparisons if not c.ok]


def digest(checks: list[Check]) -> str:
    """What failed, grouped: per kind and compared quantity (or error), how many checks
    and one of them; most frequent first."""
    groups: dict = {}
    for c in checks:
        if c.status != "failed":
            continue
        for key in _failure_keys(c):
            entry = groups.setdefault((c.kind, key), [0, f"{c.case.id} [{c.backend}]"])
            entry[0] += 1
    if not groups:
        return ""
    rows = [(kind, key, str(n), example) for (kind, key), (n, example)
            in sorted(groups.items(), key=lambda item: (-item[1][0], item[0]))]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["failed, by what was off:"]
    lines += [f"  {kind:<{widths[0]}}  {key:<{widths[1]}}  {n:>{widths[2]}}  e.g. {example}"
              for kind, key, n, example in rows]
    return "\n".join(lines)


def failures(checks: list[Check], limit: int = 20) -> str:
    """The failed checks in words, at most ``limit``: first one of each way of failing
    (see :func:`digest`), then the others, in case order."""
    bad = [c for c in checks if c.status == "failed"]
    chosen, seen = set(), set()
    for i, c in enumerate(bad):
        keys = {(c.kind, key) for key in _failure_keys(c)}
        if not keys <= seen:
            chosen.add(i)
            seen |= keys
    chosen = sorted(chosen)[:limit]
    chosen = sorted(chosen + [i for i in range(len(bad)) if i not in chosen][:limit - len(chosen)])
    lines = [bad[i].result.describe() for i in chosen]
    if len(bad) > limit:
        lines.append(f"... and {len(bad) - limit} more (--json has them all)")
    return "\n".join(lines)


def not_applicable(checks: list[Check]) -> str:
    """Why checks did not apply, one line per reason."""
    reasons = Counter(c.skip for c in checks if c.skip is not None)
    return "\n".join(f"not applicable: {n} check{'s' if n > 1 else ''}: {why}"
                     for why, n in reasons.most_common())


def xfail_notes(checks: list[Check], xfail: set[str]) -> str:
    """xfail entries that no longer fail, and entries that name no check of this run."""
    lines = [f"xpassed: {c.case.id} [{c.backend}] no longer fails: remove it from the xfail file"
             for c in checks if c.status == "xpassed"]
    known = {c.case.id for c in checks} | {f"{c.case.id}@{c.backend}" for c in checks}
    lines += [f"xfail entry matches no check of this run: {entry}"
              for entry in sorted(xfail - known)]
    return "\n".join(lines)


def progress_printer(stream: IO[str], every_s: float = 0.5) -> Callable[[int, int, Check], None]:
    """A progress callback that rewrites one line on ``stream`` (a terminal): checks done,
    failures so far, the case running."""
    state = {"last": 0.0, "failed": 0}

    def progress(done: int, total: int, check: Check) -> None:
        state["failed"] += check.status == "failed"
        now = time.monotonic()
        if done < total and now - state["last"] < every_s:
            return
        state["last"] = now
        text = f"{done}/{total} checks, {state['failed']} failed  {check.case.id} [{check.backend}]"
        stream.write("\r\033[K" + text[:120] + ("\n" if done == total else ""))
        stream.flush()

    return progress


def to_json(checks: list[Check], stream: IO[str]) -> None:
    """Every check with its status and comparisons, and the summary."""
    json.dump({"checks": [{
        "id": c.case.id, "op": c.case.op, "origin": c.case.api, "backend": c.backend,
        "kind": c.kind, "status": c.status, "ok": c.ok, "xfail": c.xfail, "skip": c.skip,
        "error": c.result.error,
        "comparisons": [_json_numbers(vars(x)) for x in c.result.comparisons]}
        for c in checks],
        "summary": {**dict(zip(("passed", "failed", "xfailed", "xpassed"), verdict(checks))),
                    "not_applicable": sum(c.status == "n/a" for c in checks)}},
        stream, indent=1, default=float, allow_nan=False)


def _json_numbers(fields: dict) -> dict:
    """``fields`` with numbers (Python's, or 0-d arrays) as floats, the non-finite ones
    as the strings ``"inf"``, ``"-inf"``, ``"nan"``: standard JSON has no literal for
    them (Python's ``Infinity`` is refused by strict parsers, JavaScript's
    ``JSON.parse`` among them)."""
    def number(value: Any) -> Any:
        if isinstance(value, bool) or not (isinstance(value, (int, float))
                                           or getattr(value, "shape", None) == ()):
            return value
        value = float(value)
        return value if math.isfinite(value) else str(value)

    return {key: number(value) for key, value in fields.items()}


def to_junit(checks: list[Check], stream: IO[str]) -> None:
    """One test suite per (op, origin, kind), one test case per check; n/a and xfail
    checks are skipped test cases."""
    suites = ET.Element("testsuites", name="candidate-sampling conformance")
    by_group = defaultdict(list)
    for c in checks:
        by_group[(c.case.op, c.case.api, c.kind)].append(c)
    for (op, api, kind), group in by_group.items():
        suite = ET.SubElement(suites, "testsuite", name=f"{op}[{api}].{kind}",
                              tests=str(len(group)),
                              failures=str(sum(c.status == "failed" for c in group)),
                              skipped=str(sum(c.status not in ("passed", "failed") for c in group)))
        for c in group:
            case = ET.SubElement(suite, "testcase", classname=f"{op}.{api}.{kind}.{c.backend}",
                                 name=c.case.id)
            if c.status == "failed":
                ET.SubElement(case, "failure", message=c.result.describe())
            elif c.status == "n/a":
                ET.SubElement(case, "skipped", message=f"not applicable: {c.skip}")
            elif c.status in ("xfailed", "xpassed"):
                ET.SubElement(case, "skipped", message=c.status)
    ET.ElementTree(suites).write(stream, encoding="unicode", xml_declaration=True)

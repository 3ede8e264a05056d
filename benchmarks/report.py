"""The report of a benchmark run: Markdown tables of medians and ratios, the targets, and
the files ``results.md`` and ``results.json``."""

from __future__ import annotations

import json
from pathlib import Path

from .bench_samplers import TF_KERNEL
from .bench_step import FORWARD, FORWARD_FLOOR, LOSSES, PLAIN_FLOOR, STEP, STEP_FLOOR
from .full_softmax import FULL_STEP
from .harness import markdown_table
from .ratios import case_medians, classes_label, pooled_median, ratios
from .suite import NAIVE, TF, peer_name
from .targets import LOSS_LABELS, judge

__all__ = ["RESULT_NAMES", "summary", "full_report", "write_results"]

RESULT_NAMES = ("results.md", "results.json")
"""The files :func:`write_results` writes into its folder."""


def _ms(seconds: float | None) -> float | str:
    return "" if seconds is None else seconds * 1e3


def _ratio_cell(med: dict[str, float], num: str, den: str) -> float | str:
    return med[num] / med[den] if num in med and den in med else ""


def _header(results: dict) -> str:
    c, env = results["config"], results["environment"]
    versions = ", ".join(f"{k} {v}" for k, v in env.items()
                         if k not in ("platform", "machine", "cpus"))
    rounds = f"{c['rounds']} interleaved round{'s' * (c['rounds'] > 1)}"
    return (f"B={c['batch']}, D={c['dim']}, S={c['num_sampled']}; {rounds} of up to "
            f"{c['number']} calls each; {env['cpus']} CPUs, {env['platform']}; {versions}; "
            f"{results['duration_s']:.0f} s")


def step_table(results: dict) -> str:
    """Per case: the floor (and PyTorch's ``@`` floor, where measured), each loss's step
    with its ratios to the floor, TensorFlow and the naive port, and full softmax with
    ``full / sampled`` (median ms)."""
    medians = case_medians(results)
    plain = any(PLAIN_FLOOR in med for med in medians.values())
    header = ["V", "backend", "floor", *(["floor (@)"] if plain else [])]
    for loss in LOSSES:
        header += [LOSS_LABELS[loss], "/ floor", "/ TF", "/ naive"]
    header += ["full softmax", "full / sampled"]
    rows = []
    for (num_classes, backend), med in medians.items():
        row = [classes_label(num_classes), backend, _ms(med.get(STEP_FLOOR)),
               *([_ms(med.get(PLAIN_FLOOR))] if plain else [])]
        for loss in LOSSES:
            step = STEP.format(loss=loss)
            row += [_ms(med.get(step)), _ratio_cell(med, step, STEP_FLOOR),
                    _ratio_cell(med, step, peer_name(TF, step)),
                    _ratio_cell(med, step, peer_name(NAIVE, step))]
        row += [_ms(med.get(FULL_STEP)),
                _ratio_cell(med, FULL_STEP, STEP.format(loss="sampled_softmax"))]
        rows.append(row)
    return markdown_table(header, rows)


def peer_table(results: dict) -> str | None:
    """The peers' medians per ``num_classes``, over every case they were measured in."""
    names = [peer_name(p, STEP.format(loss=loss)) for p in (TF, NAIVE) for loss in LOSSES]
    names.insert(2, peer_name(TF, FULL_STEP))
    labels = ["TF sampled softmax", "TF NCE", "TF full softmax", "naive sampled softmax",
              "naive NCE"]
    rows = []
    for num_classes in sorted({c["num_classes"] for c in results["cases"]}):
        cells = [_ms(pooled_median(results, num_classes, n)) for n in names]
        if any(cell != "" for cell in cells):
            rows.append([classes_label(num_classes), *cells])
    return markdown_table(["V", *labels], rows) if rows else None


def forward_table(results: dict) -> str | None:
    """The NumPy (and CuPy) forward against its one-matmul floor."""
    rows = [[classes_label(v), b, _ms(med[FORWARD]), _ms(med.get(FORWARD_FLOOR)),
             _ratio_cell(med, FORWARD, FORWARD_FLOOR)]
            for (v, b), med in case_medians(results).items() if FORWARD in med]
    return markdown_table(["V", "backend", "forward", "floor", "/ floor"], rows) if rows else None


def sampler_table(results: dict) -> str:
    """Each sampler: median, min, max (ms) and the ratio to TensorFlow's kernel."""
    timings = results["samplers"]["timings"]
    kernel = timings.get(TF_KERNEL)
    rows = [[name, t["median_s"] * 1e3, t["min_s"] * 1e3, t["max_s"] * 1e3,
             t["median_s"] / kernel["median_s"] if kernel else ""]
            for name, t in timings.items()]
    return markdown_table(["sampler", "median ms", "min ms", "max ms", "/ TF kernel"], rows)


def timings_table(results: dict) -> str:
    """Every timing: median, min, max (ms) and the number of calls."""
    rows = [[classes_label(c["num_classes"]), c["backend"], name, t["median_s"] * 1e3,
             t["min_s"] * 1e3, t["max_s"] * 1e3, t["n"]]
            for c in results["cases"] for name, t in c["timings"].items()]
    return markdown_table(["V", "backend", "what", "median ms", "min ms", "max ms", "n"], rows)


def summary(results: dict, title: str = "candidate-sampling bench") -> str:
    """The printed report: tables of medians (ms) and ratios, targets, what was skipped."""
    s = results["samplers"]
    parts = [f"# {title}", _header(results),
             "## Training step, median ms (ratios of medians measured in the same case)",
             step_table(results)]
    peers = peer_table(results)
    if peers:
        parts += ["## Peers, median ms", peers]
    forward = forward_table(results)
    if forward:
        parts += ["## Forward alone, median ms", forward]
    parts += [f"## Unique log-uniform sampler, {s['num_sampled']} of {s['range_max']:,}",
              sampler_table(results), "## Targets",
              "\n".join(f"- {t.line()}" for t in judge(results))]
    if results["skipped"]:
        parts += ["## Skipped", "\n".join(f"- {line}" for line in results["skipped"])]
    if results["notes"]:
        parts += ["## Notes", "\n".join(f"- {line}" for line in results["notes"])]
    return "\n\n".join(parts) + "\n"


def full_report(results: dict, title: str = "candidate-sampling bench") -> str:
    """:func:`summary` with every timing's median, min and max."""
    return (summary(results, title) + "\n## All timings (ms)\n\n" + timings_table(results)
            + "\n")


def write_results(results: dict, out: Path, title: str = "candidate-sampling bench") -> list[Path]:
    """Write ``results.md`` and ``results.json`` (the run's data with its ratios and
    targets) into ``out``; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    md, js = (out / name for name in RESULT_NAMES)
    md.write_text(full_report(results, title), encoding="utf-8")
    data = {**results, "ratios": ratios(results),
            "targets": [t.as_dict() for t in judge(results)]}
    js.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return [md, js]

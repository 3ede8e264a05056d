"""PNG charts of a benchmark run (:func:`candidate_sampling.plot.line_chart`): step time
against the number of classes for every backend and peer (log-log), and sampled against
full softmax."""

from __future__ import annotations

from pathlib import Path

from candidate_sampling.plot import Series, line_chart

from .bench_step import STEP
from .full_softmax import FULL_STEP
from .ratios import case_medians, pooled_median
from .suite import NAIVE, TF, peer_name
from .targets import LOSS_LABELS

__all__ = ["PEER_LABELS", "write_plots"]

PEER_LABELS = {TF: "TensorFlow", NAIVE: "naive PyTorch port"}
_PEER_STYLES = {TF: "dashed", NAIVE: "dotted"}


def _ours(results: dict, backend: str, name: str, label: str, style: str) -> Series | None:
    points = sorted((v, med[name] * 1e3) for (v, b), med in case_medians(results).items()
                    if b == backend and name in med)
    return Series(label, [p[0] for p in points], [p[1] for p in points], style) if points else None


def _peer(results: dict, peer: str, name: str, label: str, style: str) -> Series | None:
    classes = sorted({c["num_classes"] for c in results["cases"]})
    points = [(v, pooled_median(results, v, peer_name(peer, name))) for v in classes]
    points = [(v, s * 1e3) for v, s in points if s is not None]
    return Series(label, [p[0] for p in points], [p[1] for p in points], style) if points else None


def _chart(path: Path, series: list[Series | None], **labels: str) -> Path | None:
    series = [s for s in series if s is not None]
    if not series:  # an earlier run's chart of that name would pass for this run's
        path.unlink(missing_ok=True)
        return None
    return line_chart(path, series, xlabel="number of classes V", ylabel="ms per step",
                      log_x=True, log_y=True, **labels)


def chart_names() -> tuple[str, ...]:
    """The charts :func:`write_plots` may write into its folder."""
    return (*(f"{loss}_step.png" for loss in LOSS_LABELS), "full_vs_sampled.png")


def write_plots(results: dict, out: Path) -> list[Path]:
    """Write ``<loss>_step.png`` for each loss and ``full_vs_sampled.png`` into ``out``;
    returns the paths written (a chart with nothing to draw is left out, and an earlier
    run's of its name removed)."""
    c = results["config"]
    shape = f"B={c['batch']}, D={c['dim']}, S={c['num_sampled']}"
    written = []
    for loss, label in LOSS_LABELS.items():
        step = STEP.format(loss=loss)
        series = [_ours(results, b, step, b, "solid") for b in results["backends"]]
        series += [_peer(results, p, step, PEER_LABELS[p], _PEER_STYLES[p]) for p in PEER_LABELS]
        written.append(_chart(out / f"{loss}_step.png", series, title=f"{label} step ({shape})"))
    sampled = STEP.format(loss="sampled_softmax")
    series = []
    for b in results["backends"]:
        series += [_ours(results, b, FULL_STEP, f"{b} full", "solid"),
                   _ours(results, b, sampled, f"{b} sampled", "dashed")]
    series.append(_peer(results, TF, FULL_STEP, "TensorFlow full", "solid"))
    written.append(_chart(out / "full_vs_sampled.png", series,
                          title=f"full vs sampled softmax ({shape})"))
    return [p for p in written if p is not None]

"""A one-line progress bar with the running loss: redrawn in place on a terminal, a line
every tenth of the way otherwise (logs, pipes)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["ProgressBar"]


class ProgressBar:
    """Progress of one training run, written to ``stream`` (standard error by default).

    Args:
      label: what is running, written first on each line.
      stream: where to write.
      tty: whether ``stream`` is a terminal (``None``: ask it). On a terminal the bar is
        redrawn with ``\\r`` at most every ``redraw_seconds``; elsewhere a line is
        written each time another 10% is done.
      width: characters of the bar.
      redraw_seconds: least time between two redraws on a terminal.
    """

    def __init__(self, label: str, stream: TextIO | None = None, *, tty: bool | None = None,
                 width: int = 20, redraw_seconds: float = 0.1):
        self.label = label
        self.stream = sys.stderr if stream is None else stream
        self.tty = self.stream.isatty() if tty is None else tty
        self.width = width
        self.redraw_seconds = redraw_seconds
        self._last_draw = float("-inf")
        self._next_tenth = 1
        self._line = ""

    def _text(self, fraction: float, steps: int, loss: float) -> str:
        filled = round(fraction * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        return f"{self.label:<16} [{bar}] {fraction:4.0%}  step {steps:>6,}  loss {loss:7.3f}"

    def update(self, fraction: float, steps: int, loss: float) -> None:
        """Show that ``fraction`` (0 to 1) is done after ``steps`` steps, with the running
        training ``loss``."""
        if self.tty:
            now = time.monotonic()
            if now - self._last_draw >= self.redraw_seconds or fraction >= 1.0:
                self._line = self._text(fraction, steps, loss)
                self.stream.write("\r" + self._line)
                self.stream.flush()
                self._last_draw = now
        elif fraction * 10 >= self._next_tenth:
            self.stream.write(self._text(fraction, steps, loss) + "\n")
            self.stream.flush()
            self._next_tenth = int(fraction * 10) + 1

    def close(self) -> None:
        """End the bar's line on a terminal."""
        if self.tty and self._line:
            self.stream.write("\n")
            self.stream.flush()
            self._line = ""

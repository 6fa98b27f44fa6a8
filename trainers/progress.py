"""A one-line progress report on stderr: bar, iteration, loss, iterations per second, time left.

On a terminal the line is redrawn in place (at most a few times a second); otherwise (a log file
under nohup) a full line is printed every `log_seconds`, so logs stay readable.
"""
from __future__ import annotations

import sys
import time
from typing import TextIO


def _duration(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class Progress:
    def __init__(
        self,
        total: int,
        label: str = "",
        stream: TextIO | None = None,
        enabled: bool = True,
        log_seconds: float = 10.0,
    ) -> None:
        self.total, self.label = total, label
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.interactive = self.stream.isatty()
        self.min_interval = 0.2 if self.interactive else log_seconds
        self.last_draw = float("-inf")
        self.base: tuple[int, float] | None = None

    def line(self, iteration: int, loss: float, now: float) -> str:
        # The rate is measured from the first report on, so a one-off cost before it (such as
        # torch.compile on the first iteration) does not distort the speed and time left.
        if self.base is None:
            self.base = (iteration, now)
        done = iteration - self.base[0]
        rate = done / max(now - self.base[1], 1e-9)
        eta = (self.total - iteration) / rate if rate > 0 else float("inf")
        width = 24
        filled = int(width * iteration / max(self.total, 1))
        text = f"{self.label} [{'#' * filled}{'-' * (width - filled)}] {iteration}/{self.total} loss {loss:.4f}"
        if done:
            text += f" {rate:,.0f} it/s ETA {_duration(eta)}"
        return text

    def update(self, iteration: int, loss: float, force: bool = False) -> None:
        now = time.perf_counter()
        if not self.enabled or (not force and now - self.last_draw < self.min_interval):
            return
        self.last_draw = now
        text = self.line(iteration, loss, now)
        self.stream.write(f"\r{text}\x1b[K" if self.interactive else text + "\n")
        self.stream.flush()

    def close(self, iteration: int, loss: float) -> None:
        self.update(iteration, loss, force=True)
        if self.enabled and self.interactive:
            self.stream.write("\n")
            self.stream.flush()

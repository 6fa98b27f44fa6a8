"""Training progress: a tqdm bar on a terminal, readable lines in `runs/<method>/train.log`.

The log file gets a timestamped line (iteration, loss, rate, time left) at most every
`log_seconds`, plus the last one; when stderr is not a terminal (nohup, a pipe) the same lines go
there instead of a bar, since a bar redrawn with carriage returns is unreadable in a file.

What is particular to training here: the rate and time left are measured from the first report
on, because torch.compile compiles during the first iterations (seconds to minutes, paid once;
the first two calls may each compile) and would otherwise distort both for the rest of the run.
The bar appears at that first report. The loss shown is the mean meta-loss since the previous
report, as the loop computes it.
"""
from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import TextIO

from tqdm import tqdm

from trainers.interrupt import TrainingInterrupted

LOG_NAME = "train.log"
# tqdm's own meter without the bar, so the log reads like the terminal.
LINE_FORMAT = "{desc} {percentage:3.0f}% {n_fmt}/{total_fmt} [{rate_fmt}{postfix}, ETA {remaining}]"


class Progress:
    def __init__(
        self,
        total: int,
        label: str,
        log_path: Path | None = None,
        show: bool = True,
        stream: TextIO | None = None,
        log_seconds: float = 10.0,
        first_iteration: int = 0,
    ) -> None:
        self.total, self.label, self.log_seconds = total, label, log_seconds
        self.stream = stream or sys.stderr
        interactive = self.stream.isatty()
        self.show_bar = show and interactive
        self.echo_lines = show and not interactive
        self.log = self._open_log(log_path) if log_path else None
        self.bar: tqdm | None = None
        self.session_start = (first_iteration, time.perf_counter())
        self.base: tuple[int, float] | None = None  # (iteration, time) the rate is measured from
        self.last_line_time = -math.inf
        self.iteration = first_iteration  # the last reported
        self.iteration_written: int | None = None

    @staticmethod
    def _open_log(path: Path) -> TextIO:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Appended, so a resumed run continues the same log; line-buffered, so `tail -f` follows it.
        return path.open("a", encoding="utf-8", buffering=1)

    def _start(self, iteration: int, now: float) -> None:
        """At the first report: from here on the iterations run at their steady speed."""
        self.base = (iteration, now)
        warm_up_iterations, warm_up_seconds = iteration - self.session_start[0], now - self.session_start[1]
        self.note(f"{self.label}: first report after {warm_up_seconds:.1f} s ({warm_up_iterations} iterations, "
                  f"warm-up and any compilation included); rate and time left are measured from it")
        if self.show_bar:
            # smoothing=0: the average rate since the start, steady over a long run of equal steps.
            self.bar = tqdm(total=self.total, initial=iteration, desc=self.label, file=self.stream,
                            smoothing=0, dynamic_ncols=True)

    def update(self, iteration: int, loss: float, force: bool = False) -> None:
        now = time.perf_counter()
        if self.base is None:
            self._start(iteration, now)
        self.iteration = iteration
        if self.bar is not None:
            self.bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
            self.bar.update(iteration - self.bar.n)
        if force or now - self.last_line_time >= self.log_seconds:
            self.last_line_time = now
            self.iteration_written = iteration
            self.note(self.line(iteration, loss, now))

    def line(self, iteration: int, loss: float, now: float) -> str:
        assert self.base is not None, "the first update() sets the base"
        base_iteration, base_time = self.base
        return tqdm.format_meter(iteration, self.total, now - base_time, prefix=self.label,
                                 postfix=f"loss={loss:.4f}", initial=base_iteration, bar_format=LINE_FORMAT)

    def note(self, text: str) -> None:
        """A timestamped line in the log file, and on stderr when it is not a terminal."""
        stamped = f"{time.strftime('%Y-%m-%d %H:%M:%S')} {text}\n"
        for out in (self.log, self.stream if self.echo_lines else None):
            if out is not None:
                out.write(stamped)
                out.flush()

    def finish(self, iteration: int, loss: float) -> None:
        """The session's last line, unless it was just written (or the session ran no iteration)."""
        if iteration != self.session_start[0] and self.iteration_written != iteration:
            self.update(iteration, loss, force=True)

    def announce(self, text: str) -> None:
        """A line for the person at the terminal as well as for the log, whatever `show` says:
        how the session ended. The bar is closed first, so the line stands under it."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if self.log is not None:
            self.log.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {text}\n")
            self.log.flush()
        self.stream.write(f"{text}\n")
        self.stream.flush()

    def close(self, error: BaseException | None = None) -> None:
        """Close the bar and the log, saying first why the session ended early, if it did."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if isinstance(error, TrainingInterrupted):
            self.announce(str(error))
        elif isinstance(error, KeyboardInterrupt):
            self.announce(f"{self.label}: interrupted; the last report was at iteration {self.iteration}, "
                          "and nothing was saved since the last checkpoint")
        elif error is not None:
            self.note(f"{self.label}: stopped: {error}")
        if self.log is not None:
            self.log.close()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close(error)

"""Ctrl-C and SIGTERM during training: stop between two meta-iterations, never inside one.

The first signal only asks the loop to stop: the meta-iteration under way finishes, and the loop
saves the state "after iteration n", which a resumed run continues bit for bit. A meta-iteration
can take long (torch.compile compiles during the first ones, for seconds up to a minute), so a
second signal drops the iteration under way instead and stops at once, with the state of the last
finished one. A signal that arrives while the loop stores a finished iteration or writes a
checkpoint only asks to stop, so neither is ever half done.
"""
from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType, TracebackType

HANDLED = (signal.SIGINT, signal.SIGTERM)
NAMES = {signal.SIGINT: "Ctrl-C (SIGINT)", signal.SIGTERM: "SIGTERM"}


def signal_name(signum: int) -> str:
    return NAMES.get(signum, signal.Signals(signum).name)


def exit_code(signum: int) -> int:
    """What a shell reports for a process that a signal ended: 130 for SIGINT, 143 for SIGTERM."""
    return 128 + signum


class IterationDropped(BaseException):
    """A second signal arrived while the iteration under way could still be dropped.

    A BaseException, like KeyboardInterrupt, so that code which catches Exception (torch.compile's
    fallbacks among it) lets it through.
    """


class TrainingInterrupted(Exception):
    """A signal stopped the run after a clean iteration, saved in a checkpoint; the message says
    where it stopped and how to continue."""

    def __init__(self, message: str, signum: int, iteration: int) -> None:
        super().__init__(message)
        self.signum, self.iteration = signum, iteration

    @property
    def exit_code(self) -> int:
        return exit_code(self.signum)


class StopSignals:
    """While active, SIGINT and SIGTERM set `received` instead of ending the process.

    Handlers can only be installed in the main thread; elsewhere the signals keep their usual
    effect. A signal that the process was started to ignore (a background job of a
    non-interactive shell ignores SIGINT) stays ignored.
    """

    def __init__(self, label: str) -> None:
        self.label = label
        self.received: int | None = None
        self.dropped = False  # whether a second signal dropped an iteration
        self._droppable = False
        self._previous: dict[int, object] = {}

    def __enter__(self) -> "StopSignals":
        if threading.current_thread() is threading.main_thread():
            for signum in HANDLED:
                previous = signal.getsignal(signum)
                if previous is signal.SIG_IGN:
                    continue
                self._previous[signum] = previous
                signal.signal(signum, self._handle)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)  # type: ignore[arg-type]
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is None:
            self.received = signum
            # os.write, not print: a handler may run while the main code is inside a write to
            # sys.stderr (the progress bar), and a buffered stream refuses a reentrant write.
            again = "Ctrl-C" if signum == signal.SIGINT else "the signal"
            _write_stderr(f"\n{self.label}: {signal_name(signum)}: stopping after the iteration under way, "
                          f"then saving a checkpoint ({again} again drops that iteration and stops at once)\n")
        elif self._droppable:
            self._droppable = False
            self.dropped = True
            raise IterationDropped

    @contextmanager
    def droppable(self) -> Iterator[None]:
        """Inside this block a second signal raises IterationDropped; the caller must then restore
        whatever the block changed."""
        self._droppable = True
        try:
            yield
        finally:
            self._droppable = False


def _write_stderr(text: str) -> None:
    try:
        os.write(2, text.encode())
    except OSError:  # no usable stderr: the log still says what happened
        pass

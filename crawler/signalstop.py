"""A command that crawls nothing (``scrapy rebuild``) stopped by a signal between two of its
steps, never inside one: SIGTERM's default (cron's ``timeout``, ``systemctl stop``) killed
it on the spot, a post's temporary file and its version before left beside it, and
Ctrl-C raised wherever Python stood. A second signal stops it as soon, and is noted so
that the command's last line says the stop was forced. The process then ends by the
signal (``end_by``), as a crawl does: cron sees a run cut short, systemd a clean stop.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType, TracebackType
from typing import Any


class SignalStop:
    """While entered, SIGINT and SIGTERM only take note: ``stopped_by`` the first,
    ``forced_by`` a second; the command asks ``asked()`` between its steps. Python's own
    handlers come back on exit (signals reach the main thread only: elsewhere, in tests,
    nothing is changed)."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.stopped_by: signal.Signals | None = None
        self.forced_by: signal.Signals | None = None
        self._before: dict[signal.Signals, Any] = {}

    def __enter__(self) -> SignalStop:
        try:
            self._before = {number: signal.signal(number, self._note) for number in self.SIGNALS}
        except ValueError:  # not the main thread
            self._before = {}
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        for number, handler in self._before.items():
            signal.signal(number, handler)

    def hand_over(self) -> None:
        """Its handlers stay in place on exit, noting still, until the next ones replace them
        (a crawl's, as its engine starts): a signal between the two is not lost."""
        self._before = {}

    def _note(self, number: int, frame: FrameType | None) -> None:
        if self.stopped_by is None:
            self.stopped_by = signal.Signals(number)
        else:
            self.forced_by = self.forced_by or signal.Signals(number)

    def asked(self) -> bool:
        """Whether a signal asked the command to stop."""
        return self.stopped_by is not None


def forced_by_words(first: signal.Signals, second: signal.Signals) -> str:
    """The stop's cause as a last line says it: "a second SIGINT", "SIGINT after SIGTERM"."""
    return f"a second {first.name}" if first == second else f"{second.name} after {first.name}"


def end_by(number: signal.Signals) -> None:
    """End this process by signal ``number``, as if it had never been caught."""
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:  # None: the process was started with it closed (2>&-)
            stream.flush()
    signal.signal(number, signal.SIG_DFL)
    os.kill(os.getpid(), number)

"""``scrapy rebuild``: re-render every post from its newest capture, offline.

Stopped by a signal (cron's ``timeout``, Ctrl-C), it finishes the post in hand, says what it
did and left, and ends by that signal; a second signal is said as a forced stop, its last
line (``crawler.signalstop``). The next rebuild does what was left.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections import Counter

from crawler.cli import ArchiveCommand
from crawler.offline.rebuild import LEFT, rebuild
from crawler.report.logtext import counted
from crawler.report.progress import shown
from crawler.signalstop import SignalStop, end_by, forced_by_words

logger = logging.getLogger(__name__)


class Command(ArchiveCommand):
    def short_desc(self) -> str:
        return "Re-render every post from the newest capture of its article (no network)"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        with SignalStop() as stop:
            with self.archive() as (archive, config):
                progress = _tell if shown(config.progress) else None
                outcomes = rebuild(archive, config.markdown_style(), progress, config.progress_interval,
                                   config.tagger(), stop.asked)
                if stop.stopped_by is not None and stop.forced_by is not None:
                    logger.warning("%s", _forced(stop, outcomes))
                else:
                    stopped = f" (stopped by {stop.stopped_by.name})" if stop.stopped_by else ""
                    print(f"rebuild{stopped}: " + (
                        ", ".join(f"{n} {what}" for what, n in sorted(outcomes.items())) or "no posts"))
                if outcomes["not rebuilt"] or outcomes["not recorded"]:
                    self.exitcode = 1
        if stop.forced_by is not None:
            end_by(stop.forced_by)
        elif stop.stopped_by is not None and self.exitcode == 0:
            end_by(stop.stopped_by)


def _forced(stop: SignalStop, outcomes: Counter[str]) -> str:
    """The last line of a rebuild a second signal stopped: no summary."""
    assert stop.stopped_by is not None and stop.forced_by is not None
    return (f"Stopped at once by {forced_by_words(stop.stopped_by, stop.forced_by)}: no summary; the post "
            f"being written was finished whole; the next scrapy rebuild does the "
            f"{counted(outcomes[LEFT], 'post')} not rebuilt yet")


def _tell(line: str) -> None:
    print(f"rebuild: {line}", file=sys.stderr)

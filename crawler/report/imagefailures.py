"""Images that keep failing for a reason that may pass, as cron should hear of them.

Such an image is asked for again by every run that finds its article (the article stays
incomplete), and fails again while the CDN fails it: said at WARNING each time, cron mailed
the same line every day. The index remembers when each such image first failed and when a
run last said so; a run says it at WARNING when it first fails and again once it has failed
for ``IMAGE_RETRY_WARN_DAYS`` since, at INFO between (counted in the summary).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from contextlib import suppress

from crawler.store.index import Index

_DAY = 86400


class ImageFailures:
    """What a run says of an image failing for a reason that may pass. To be asked once a
    run for each image, its answer kept with what became of the image (``ImageResult``):
    asked again, the index says a run said it. Nothing is kept here, so that a run's
    memory does not grow by an entry for each failing image of its articles."""

    def __init__(self, index: Index, every_days: int, clock: Callable[[], float] = time.time):
        self.index = index
        self.every = every_days * _DAY
        self.clock = clock

    def to_say(self, url: str) -> int | None:
        """For how many days ``url``'s image has failed, if this run is to say it at WARNING
        (0: it fails for the first time); None when a run said it less than the days ago."""
        now = int(self.clock())
        try:
            known = self.index.image_failure(url)
        except sqlite3.Error:
            return 0  # said again, rather than not at all
        first, said = known or (now, now)
        # said over a day ahead of now: by a clock set wrong, else never said again
        if known and now - said < self.every and said <= now + _DAY:
            return None
        with suppress(sqlite3.Error):  # unrecorded, it is said again by the next run: no loss
            self.index.set_image_failure(url, min(first, now), now)
        return max(now - first, 0) // _DAY

"""What a crawl prints: its own lines (progress, warnings, the summary) and, of Scrapy's,
only what goes wrong. Scrapy's start-up banner, settings, component lists and stats are for
someone looking into Scrapy itself: they show at ``LOG_LEVEL=DEBUG`` (or ``-L DEBUG``).

Scrapy configures logging twice over: the crawler process, while it starts, resets the
``scrapy`` logger's level and logs its banner at once, before a command's ``run``. So the
banner's logger gets a filter (which that reset leaves alone) while the options are read,
and the ``scrapy`` logger its level once the process exists.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

_BANNER = "scrapy.utils.log"


def verbose(settings: BaseSettings) -> bool:
    """Whether Scrapy's own lines are wanted: ``LOG_LEVEL`` is ``DEBUG`` or lower."""
    level = settings.get("LOG_LEVEL")
    if not isinstance(level, int):
        level = logging.getLevelNamesMapping().get(str(level).upper(), logging.INFO)
    return level <= logging.DEBUG


def quiet_banner(settings: BaseSettings) -> None:
    """Before the crawler process starts: its banner only when ``verbose``."""
    if not verbose(settings):
        logging.getLogger(_BANNER).addFilter(_problems_only)


def quiet_scrapy(settings: BaseSettings) -> None:
    """Once the crawler process exists: Scrapy's lines below WARNING only when ``verbose``."""
    if not verbose(settings):
        logging.getLogger("scrapy").setLevel(logging.WARNING)


def _problems_only(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING


class DroppedAsSaid(LogFormatter):
    """Scrapy's lines, but for an item a pipeline dropped: the one line its reason says
    (``Not archived: URL ('title') states no publish time …``), not Scrapy's ``Dropped: …``
    with the item again on a line of its own."""

    def dropped(self, item: Any, exception: BaseException, response: Response | Failure | None,
                spider: Spider) -> LogFormatterResult:
        return {**super().dropped(item, exception, response, spider), "msg": "%(exception)s"}

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
import os
import sys
from typing import Any

from scrapy import Spider
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from scrapy.settings import BaseSettings, Settings
from scrapy.utils.log import configure_logging, get_scrapy_root_handler
from twisted.python.failure import Failure

_BANNER = "scrapy.utils.log"
_SCRAPER = "scrapy.core.scraper"


def _level(settings: BaseSettings) -> int:
    level = settings.get("LOG_LEVEL")
    if not isinstance(level, int):
        level = logging.getLevelNamesMapping().get(str(level).upper(), logging.INFO)
    return level


def verbose(settings: BaseSettings) -> bool:
    """Whether Scrapy's own lines are wanted: ``LOG_LEVEL`` is ``DEBUG`` or lower."""
    return _level(settings) <= logging.DEBUG


def quiet_banner(settings: BaseSettings) -> None:
    """Before the crawler process starts: its banner only when ``verbose``."""
    if not verbose(settings):
        logging.getLogger(_BANNER).addFilter(_problems_only)


def quiet_scrapy(settings: BaseSettings) -> None:
    """Once the crawler process exists: Scrapy's lines below WARNING only when ``verbose``.

    Nor, then, Pillow's DEBUG lines, a few for each PNG checked: Scrapy leaves the root
    logger at every level, its handler at ``LOG_LEVEL``, so each was made (and its
    arguments wrapped for escaping) to be thrown away, 1.5 % of a crawl's CPU.

    Scrapy's scraper says our pipelines' lines of items dropped (``Not archived: …``), at the
    level each gives, INFO for a post a full disk cost after the first: it stays at INFO.

    Nor the archiver's own lines below a ``LOG_LEVEL`` above INFO: at WARNING, as cron runs
    it, each article's ``Post new: …`` was made and escaped to be thrown away. At INFO and
    below its loggers take every level again (a run before in this process may have set one).
    """
    if not verbose(settings):
        logging.getLogger("scrapy").setLevel(logging.WARNING)
        logging.getLogger(_SCRAPER).setLevel(logging.INFO)
        logging.getLogger("PIL").setLevel(logging.INFO)
    level = _level(settings)
    logging.getLogger("crawler").setLevel(level if level > logging.INFO else logging.NOTSET)
    for name in _DOWNLOAD_HANDLERS:
        logging.getLogger(name).addFilter(_over_maxsize_at_info)


def log_file_falls_back() -> None:
    """Once the crawl has set up its log handler: a ``LOG_FILE`` that stops taking lines (a
    full disk, one remounted read-only) says so in one line on standard error, where the
    run's lines go from then on. Python's logging printed a traceback there for each line it
    could not write, and the line was lost."""
    handler = get_scrapy_root_handler()
    if isinstance(handler, logging.FileHandler):
        handler.handleError = _FallBack(handler)  # type: ignore[method-assign]


def log_to_file(settings: Settings) -> None:
    """For a command that starts no crawl (rebuild, verify): its log lines to ``LOG_FILE``
    (``--logfile``) when one is given, as a crawl's go, falling back as theirs do. Scrapy
    sets logging up only in a crawler process: they went to standard error whatever was
    asked. Without a file they still do, the message alone, as Python prints them."""
    if settings.get("LOG_FILE") and settings.getbool("LOG_ENABLED"):
        configure_logging(settings)
        log_file_falls_back()


class _FallBack:
    """The ``handleError`` of a log file's handler: on a write it refuses, the handler writes
    to (a copy of) standard error instead, that one line first."""

    def __init__(self, handler: logging.FileHandler):
        self.handler = handler

    def __call__(self, record: logging.LogRecord) -> None:
        error = sys.exc_info()[1]
        if not isinstance(error, OSError) or self.handler.stream is None or sys.stderr is None:
            logging.FileHandler.handleError(self.handler, record)  # None: closed (2>&-)
            return
        refused, self.handler.stream = self.handler.stream, os.fdopen(
            os.dup(sys.stderr.fileno()), "w", encoding=self.handler.encoding, buffering=1)
        try:  # what it holds is lost with the disk; its file is let go
            refused.close()
        except OSError:
            pass
        self.handler.emit(logging.makeLogRecord({
            "name": __name__, "levelno": logging.ERROR, "levelname": "ERROR",
            "msg": f"Cannot write the log file {self.handler.baseFilename} ({error.strerror}): "
                   "the run's lines go to standard error from here"}))
        self.handler.emit(record)


def _problems_only(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING


# Scrapy's loggers of a download over DOWNLOAD_MAXSIZE: as it comes, and decompressed (a bomb)
_DOWNLOAD_HANDLERS = ("scrapy.core.downloader.handlers.http11", "scrapy.core.http2.stream",
                      "scrapy.downloadermiddlewares.httpcompression")
_OVER_MAXSIZE = ("larger than download max size", "exceeded DOWNLOAD_MAXSIZE")


def _over_maxsize_at_info(record: logging.LogRecord) -> bool:
    """Scrapy's WARNING for a download over DOWNLOAD_MAXSIZE, at INFO: the request's failure
    is said in our line, which names the setting (``failure_reason``, or the picture's post's
    line); a second for cron to mail says nothing more."""
    if record.levelno == logging.WARNING and any(words in record.getMessage() for words in _OVER_MAXSIZE):
        record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
    return logging.getLogger("scrapy").isEnabledFor(record.levelno)


class DroppedAsSaid(LogFormatter):
    """Scrapy's lines, but for an item a pipeline dropped: the one line its reason says
    (``Not archived: URL ('title') states no publish time …``), not Scrapy's ``Dropped: …``
    with the item again on a line of its own."""

    def dropped(self, item: Any, exception: BaseException, response: Response | Failure | None,
                spider: Spider) -> LogFormatterResult:
        return {**super().dropped(item, exception, response, spider), "msg": "%(exception)s"}

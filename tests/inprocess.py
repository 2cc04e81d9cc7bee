"""``scrapy crawl`` in the test process: the crawl command's own steps (settings and
arguments checked, the archive opened, the exit status) on one Twisted reactor that runs
for the whole session in a thread of its own.

Starting a Python process with Scrapy costs a second or two; a test suite of a hundred
crawls spent most of its time there. What only the command line shows (its start-up
lines, the time zone, signals) is still tested through a real ``scrapy crawl`` process.
"""

from __future__ import annotations

import contextlib
import io
import logging
import subprocess
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from scrapy.crawler import CrawlerRunner
from scrapy.settings import Settings
from scrapy.utils.reactor import install_reactor, is_reactor_installed
from twisted.internet.defer import Deferred

from crawler import settings as project_settings
from crawler.commands.crawl import exit_status, prepare_crawl

T = TypeVar("T")
_FORMAT = "%(asctime)s [%(name)s] %(levelname)s: %(message)s"


class Reactor:
    """The asyncio reactor, running in a daemon thread; ``call`` runs a function there."""

    _started = False

    @classmethod
    def start(cls) -> None:
        if cls._started:
            return
        if not is_reactor_installed():
            install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
        from twisted.internet import reactor
        threading.Thread(target=reactor.run, kwargs={"installSignalHandlers": False},
                         daemon=True, name="reactor").start()
        cls._started = True

    @classmethod
    def call(cls, function: Callable[[], Deferred[T] | T], timeout: float) -> T:
        """``function()`` on the reactor's thread; its result, once a Deferred has fired."""
        cls.start()  # before the import below, which would install Twisted's default reactor
        from twisted.internet import reactor
        done = threading.Event()
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                result = function()
            except BaseException as error:  # handed to the caller's thread
                outcome["error"] = error
                done.set()
                return
            if isinstance(result, Deferred):
                result.addCallbacks(lambda value: outcome.update(value=value),
                                    lambda failure: outcome.update(error=failure.value))
                result.addBoth(lambda _: done.set())
            else:
                outcome["value"] = result
                done.set()

        reactor.callFromThread(run)
        if not done.wait(timeout):
            raise TimeoutError(f"no answer from the reactor in {timeout} s")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]  # type: ignore[no-any-return]


class Crawled(subprocess.CompletedProcess[str]):
    """A crawl run here: what the command would exit with and log, and the crawl's stats
    (empty when the command refused to start it)."""

    def __init__(self, args: list[str], returncode: int, stderr: str, stats: dict[str, Any]):
        super().__init__(args, returncode, "", stderr)
        self.stats = stats


def run_crawl(spider: str, args: list[str], options: dict[str, str],
              timeout: float = 120) -> Crawled:
    """What ``scrapy crawl SPIDER ARGS -s NAME=VALUE…`` would exit with and log, run here."""
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    spargs: dict[str, str] = {}
    words = iter(args)
    for word in words:
        if word == "-a":
            name, _, value = next(words).partition("=")
            spargs[name] = value
        elif word == "-L":
            settings.set("LOG_LEVEL", next(words), priority="cmdline")
        elif word == "-s":
            name, _, value = next(words).partition("=")
            settings.set(name, value, priority="cmdline")
        else:
            raise ValueError(f"not an option run_crawl knows: {word}")
    for name, value in options.items():
        settings.set(name, value, priority="cmdline")
    log, errors = io.StringIO(), io.StringIO()
    handler = logging.StreamHandler(log)
    handler.setFormatter(logging.Formatter(_FORMAT, "%Y-%m-%d %H:%M:%S"))
    handler.setLevel(settings.get("LOG_LEVEL"))
    root = logging.getLogger()
    level, root.level = root.level, logging.DEBUG
    root.addHandler(handler)
    try:
        status, stats = Reactor.call(lambda: _crawl(settings, spider, spargs, errors), timeout)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    return Crawled(["scrapy", "crawl", spider, *args], status,
                   errors.getvalue() + log.getvalue(), stats)


def _crawl(settings: Settings, spider: str, spargs: dict[str, str],
           errors: io.StringIO) -> Deferred[tuple[int, dict[str, Any]]] | tuple[int, dict[str, Any]]:
    runner = CrawlerRunner(settings)
    with contextlib.redirect_stderr(errors):
        prepared = prepare_crawl(runner, settings, spider, spargs)
    if isinstance(prepared, int):
        return prepared, {}
    crawler, params = prepared
    crawled = runner.crawl(crawler, params=params)
    assert crawler.stats is not None
    stats = crawler.stats
    return crawled.addBoth(lambda _: (exit_status(runner, crawler), stats.get_stats()))

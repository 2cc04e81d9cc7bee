"""``scrapy crawl`` in the test process: the crawl command's own steps (settings and
arguments checked, the archive opened, the exit status) on one Twisted reactor that runs
for the whole session in a thread of its own; and the project's other commands (verify,
rebuild, versions, accounts-report), as Scrapy's command line runs them.

Starting a Python process with Scrapy costs a second or two; a test suite of a hundred
crawls spent most of its time there. What only the command line shows (its start-up
lines, the time zone, signals) is still tested through a real ``scrapy crawl`` process.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import subprocess
import sys
import threading
from collections.abc import Callable
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any, TypeVar

from scrapy.commands import ScrapyCommand
from scrapy.crawler import CrawlerRunner
from scrapy.exceptions import UsageError
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


def run_archive_command(command: str, args: list[str]) -> subprocess.CompletedProcess[str]:
    """What ``scrapy COMMAND ARGS…`` (a command that crawls nothing) would exit with and
    print, run here: its class, options and ``run`` as ``scrapy.cmdline`` calls them. Its
    log lines go to standard error as Python prints them when nothing configured logging
    (WARNING and above, the message alone), which is what such a command's process does."""
    out, errors = io.StringIO(), io.StringIO()
    handler = logging.StreamHandler(errors)
    handler.setLevel(logging.WARNING)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(errors):
            status = run_command_object(_command_class(command)(), args)
    finally:
        root.removeHandler(handler)
    return subprocess.CompletedProcess(["scrapy", command, *args], status, out.getvalue(), errors.getvalue())


def run_command_object(cmd: ScrapyCommand, args: list[str],
                       overrides: dict[str, Any] | None = None) -> int:
    """The exit status of command ``cmd`` given ``args`` (and settings ``overrides``, as
    ``-s`` gives them), run as ``scrapy.cmdline`` runs it; it prints where it prints."""
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    settings.setdict(cmd.default_settings, priority="command")
    settings.update(overrides or {}, priority="cmdline")
    cmd.settings = settings
    parser = argparse.ArgumentParser(prog="scrapy", conflict_handler="resolve")
    cmd.add_options(parser)
    return _run(cmd, parser, args)


def _command_class(name: str) -> type[ScrapyCommand]:
    """The project's command ``name``: from its entry points, else ``crawler.commands``."""
    for entry in entry_points(group="scrapy.commands"):
        if entry.name == name:
            found: type[ScrapyCommand] = entry.load()
            return found
    found = import_module(f"crawler.commands.{name}").Command
    return found


def _run(cmd: ScrapyCommand, parser: argparse.ArgumentParser, args: list[str]) -> int:
    """The command's exit status; what ``sys.exit`` would print, printed."""
    try:
        try:
            opts, rest = parser.parse_known_args(args)
            cmd.process_options(rest, opts)
            cmd.run(rest, opts)
        except UsageError as error:
            parser.error(str(error))  # exit status 2, as Scrapy's command line says it
    except SystemExit as exit:
        if exit.code is None or isinstance(exit.code, int):
            return exit.code or 0
        print(exit.code, file=sys.stderr)
        return 1
    return cmd.exitcode

"""Put first on a crawl's PYTHONPATH by a test: sends the process SIGTERM at the moment
``SIGNAL_AT`` names, between two steps of the crawl command, where no delay could aim:

- ``prepared``: as ``prepare_crawl`` returns its crawler, after its last look for a signal;
- ``handed``: as the command hands the crawler to Scrapy (``CrawlerProcess.crawl``);
- ``opening``: as the spider opens, before the engine has started (the writer's ``open``).
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec, PathFinder
from types import ModuleType
from typing import Any

AT = os.environ.get("SIGNAL_AT", "")


def signalled(function: Callable[..., Any], after: bool = False) -> Callable[..., Any]:
    def send_then_call(*args: Any, **kwargs: Any) -> Any:
        if not after:
            os.kill(os.getpid(), signal.SIGTERM)
        result = function(*args, **kwargs)
        if after:
            os.kill(os.getpid(), signal.SIGTERM)
        return result
    return send_then_call


def patch(module: ModuleType) -> None:
    if AT == "prepared":
        module.prepare_crawl = signalled(module.prepare_crawl, after=True)
    elif AT == "handed":
        from scrapy.crawler import AsyncCrawlerProcess, CrawlerProcess

        for process in (CrawlerProcess, AsyncCrawlerProcess):
            process.crawl = signalled(process.crawl)
    elif AT == "opening":
        from crawler.distributed.writer import Writer

        opening = Writer.open

        async def open(self: Writer) -> None:  # Scrapy gives a receiver the arguments it names
            os.kill(os.getpid(), signal.SIGTERM)
            await opening(self)

        Writer.open = open


class Patcher(MetaPathFinder):
    """Patches the crawl command's module once it is loaded."""

    def find_spec(self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
                  ) -> ModuleSpec | None:
        if name != "crawler.commands.crawl":
            return None
        spec = PathFinder.find_spec(name, path)
        assert spec is not None and spec.loader is not None
        load = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            load(module)
            patch(module)

        spec.loader.exec_module = exec_module
        return spec


if AT:
    sys.meta_path.insert(0, Patcher())

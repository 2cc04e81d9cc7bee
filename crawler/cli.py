"""What the project's commands share: settings checked first, the archive opened once.

A bad setting is one line and exit status 2; an archive that cannot be opened (locked by a
running crawl, a damaged index) one line and exit status 1. (Not in ``crawler/commands``:
Scrapy makes a command of every command class it finds there.)
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from scrapy.commands import ScrapyCommand

from crawler.config import Config, ConfigError
from crawler.store.archive import Archive, ArchiveError


class ArchiveCommand(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_LEVEL": "WARNING"}
    read_only = False  # only looks: no lock, so it can run beside a crawl

    @contextmanager
    def archive(self) -> Iterator[tuple[Archive, Config]]:
        assert self.settings is not None
        try:
            config = Config.from_settings(self.settings)
        except ConfigError as error:
            sys.exit(self._refuse(str(error), 2))
        try:
            archive = Archive(config.archive_dir, read_only=self.read_only)
        except ArchiveError as error:
            sys.exit(self._refuse(str(error), 1))
        try:
            yield archive, config
        finally:
            archive.close()

    def _refuse(self, message: str, status: int) -> int:
        return refuse(type(self).__module__.rsplit(".", 1)[-1], message, status)


def refuse(command: str, message: str, status: int) -> int:
    """Say in one line why ``scrapy COMMAND`` does not run; the exit status to end with."""
    print(f"scrapy {command}: {message}", file=sys.stderr)
    return status
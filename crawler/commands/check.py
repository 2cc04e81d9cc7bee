"""``scrapy check``: verify the archive and say what is wrong (exit status 1 if anything).

This project's ``check`` replaces Scrapy's spider-contract check, which it does not use.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from scrapy.commands import ScrapyCommand

from crawler.store.check import check_archive


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def short_desc(self) -> str:
        return "Verify the archive: front matter, image links, orphans, twins, the index"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        archive = Path(self.settings["ARCHIVE_DIR"])
        problems = 0
        for problem in check_archive(archive):
            print(problem)
            problems += 1
        if problems:
            print(f"check: {problems} problem{'s' * (problems > 1)} in {archive}")
            self.exitcode = 1
        else:
            posts = len(list((archive / "_posts").glob("*.md")))
            print(f"check: {archive} is sound ({posts} posts)")

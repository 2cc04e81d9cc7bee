"""``scrapy rebuild``: re-render every post from its newest capture, offline."""

from __future__ import annotations

import argparse

from crawler.cli import ArchiveCommand
from crawler.rebuild import rebuild


class Command(ArchiveCommand):
    def short_desc(self) -> str:
        return "Re-render every post from the newest capture of its article (no network)"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        with self.archive() as (archive, config):
            outcomes = rebuild(archive, config.markdown_style())
            print("rebuild: " + (", ".join(f"{n} {what}" for what, n in sorted(outcomes.items()))
                                 or "no posts"))
            if outcomes["not rebuilt"]:
                self.exitcode = 1

"""``scrapy rebuild``: re-render every post from its newest capture, offline."""

from __future__ import annotations

import argparse
import sys

from crawler.cli import ArchiveCommand
from crawler.offline.rebuild import rebuild
from crawler.report.progress import shown


class Command(ArchiveCommand):
    def short_desc(self) -> str:
        return "Re-render every post from the newest capture of its article (no network)"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        with self.archive() as (archive, config):
            progress = _tell if shown(config.progress) else None
            outcomes = rebuild(archive, config.markdown_style(), progress, config.progress_interval,
                               config.tagger())
            print("rebuild: " + (", ".join(f"{n} {what}" for what, n in sorted(outcomes.items()))
                                 or "no posts"))
            if outcomes["not rebuilt"] or outcomes["not recorded"]:
                self.exitcode = 1


def _tell(line: str) -> None:
    print(f"rebuild: {line}", file=sys.stderr)

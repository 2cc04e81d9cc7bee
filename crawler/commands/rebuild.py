"""``scrapy rebuild``: re-render every post from its newest capture, offline."""

from __future__ import annotations

import argparse
from pathlib import Path

from scrapy.commands import ScrapyCommand

from crawler.rebuild import rebuild


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def short_desc(self) -> str:
        return "Re-render every post from the newest capture of its article (no network)"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        outcomes = rebuild(Path(self.settings["ARCHIVE_DIR"]), self.settings["MARKDOWN_BULLET"])
        print("rebuild: " + (", ".join(f"{n} {what}" for what, n in sorted(outcomes.items()))
                             or "no posts"))

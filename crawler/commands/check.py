"""``scrapy check``: the old name of ``scrapy verify``, kept so that scripts still work.

Scrapy's own ``check`` runs spider contracts, which this project does not use; the
archive check is ``scrapy verify``, so that a Scrapy user is not surprised.
"""

from __future__ import annotations

import argparse
import sys

from crawler.commands.verify import Command as Verify


class Command(Verify):
    def short_desc(self) -> str:
        return "Old name of 'scrapy verify' (this project's check replaces Scrapy's contracts)"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        print("scrapy check: this is now 'scrapy verify'; running it", file=sys.stderr)
        super().run(args, opts)

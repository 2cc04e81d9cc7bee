"""``scrapy versions URL``: the captures of one article, when, and what changed; with
``--show N``, its post as it was at capture N."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from crawler.cli import ArchiveCommand
from crawler.offline.versions import versions_of
from crawler.report.logtext import shown
from crawler.store.archive import Layout
from crawler.wechat.urls import BadArticleURL, article_link


class Command(ArchiveCommand):
    read_only = True

    def syntax(self) -> str:
        return "URL [--show N]"

    def short_desc(self) -> str:
        return "List an article's captures and what changed; print its post at one (--show N)"

    def folders_read(self, layout: Layout) -> tuple[Path, ...]:
        """The captures' too: a file there was "no capture of URL", as of an article never fetched."""
        return layout.state, layout.captures

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--show", metavar="N",  # read in run: argparse's error is a usage
                            help="print the post as it was at capture N")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            sys.exit(self._refuse("give one article URL: scrapy versions URL [--show N]", 2))
        try:
            show = None if opts.show is None else int(opts.show)
        except ValueError:
            sys.exit(self._refuse("--show takes a capture's number (scrapy versions URL lists them), "
                                  f"not {opts.show!r}", 2))
        with self.archive() as (archive, config):
            try:
                url = article_link(args[0], config.article_hosts)
            except BadArticleURL as error:
                sys.exit(self._refuse(str(error), 2))
            versions = list(versions_of(archive, url, config.markdown_style()))
            if not versions:
                sys.exit(self._refuse(f"no capture of {url} in {archive.layout.captures}", 1))
            if show is None:
                for version in versions:
                    print(shown(version.line()))  # it quotes what the page carries
                return
            chosen = [version for version in versions if version.number == show]
            if not chosen:
                sys.exit(self._refuse(f"capture {show} is no version of the article "
                                      f"(captures 1 to {len(versions)}: see scrapy versions URL)", 1))
            if chosen[0].post is None:
                sys.exit(self._refuse(f"capture {show} is no version of the article: "
                                      f"{chosen[0].answer}", 1))
            sys.stdout.write(chosen[0].post)

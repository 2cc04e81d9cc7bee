"""``scrapy verify``: check the archive and say what is wrong (exit status 1 if anything)."""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path

from crawler.cli import ArchiveCommand
from crawler.logtext import counted, escape_controls
from crawler.store.archive import Archive
from crawler.store.check import check_archive, posts_with_remote_images
from crawler.store.index import ArticleState
from crawler.store.postfiles import PostError, archived_url, post_files
from crawler.store.watchbook import WatchBook


class Command(ArchiveCommand):
    read_only = True

    def short_desc(self) -> str:
        return ("Verify the archive: front matter, image links, orphans, twins, the index, "
                "captures")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        with self.archive() as (archive, config):
            problems = 0
            for problem in check_archive(archive):
                print(escape_controls(problem))  # a file's name cannot write a line of its own
                problems += 1
            incomplete = 0
            for path, count in posts_with_remote_images(archive, config.image_hosts):
                print(escape_controls(f"{path}: incomplete, {counted(count, 'image')} "
                                      f"still on the CDN ({_tried_again(archive, path)})"))
                incomplete += 1
            if incomplete:
                print(f"verify: {counted(incomplete, 'post')} with images not stored "
                      "yet (a warning: the archive is sound)")
            root = archive.layout.root
            if problems:
                print(f"verify: {counted(problems, 'problem')} in {root}")
                self.exitcode = 1
            else:
                posts = len(post_files(archive.layout.posts))  # also those in folders
                print(f"verify: {root} is sound ({counted(posts, 'post')})")


def _tried_again(archive: Archive, path: Path) -> str:
    """When a run asks for the images again that the post at ``path`` left on the CDN."""
    try:
        url = archived_url(path)
    except PostError:
        url = None
    key = archive.index.article_of(url) if url else None
    if key and archive.index.article_state(key) == ArticleState.GONE_INCOMPLETE:
        return "its original is gone: tried again by the next run, from its raw capture"
    if key and _gone(archive, key):  # lost for good (404), or no capture left: no run finds it
        return "its original is gone: not tried again"
    return "tried again when a run finds the article"


def _gone(archive: Archive, key: str) -> bool:
    """Whether the watch found the original of article ``key`` deleted or removed."""
    try:
        return WatchBook(archive.index).state(key).status is not None
    except sqlite3.OperationalError:  # an index no run of the watch has opened yet
        return False

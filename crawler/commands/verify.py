"""``scrapy verify``: check the archive and say what is wrong (exit status 1 if anything)."""

from __future__ import annotations

import argparse
from pathlib import Path

from crawler.cli import ArchiveCommand
from crawler.logtext import counted, escape_controls
from crawler.store.archive import Archive
from crawler.store.check import check_archive, posts_with_remote_images
from crawler.store.index import ArticleState
from crawler.store.postfiles import PostError, archived_url, post_files


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
            waiting = lost = 0
            for path, count in posts_with_remote_images(archive, config.image_hosts):
                state = _state(archive, path)
                if state == ArticleState.ARCHIVED:  # each failed for good (404, not an image …)
                    print(escape_controls(f"{path}: {counted(count, 'image')} left on the CDN for good "
                                          "(gone there, not an image, or over a limit: the post shows "
                                          "the link, and no run asks for it again)"))
                    lost += 1
                    continue
                when = "its original is gone: tried again by the next run, from its raw capture" \
                    if state == ArticleState.GONE_INCOMPLETE else "tried again when a run finds the article"
                print(escape_controls(f"{path}: incomplete, {counted(count, 'image')} still on the CDN "
                                      f"({when})"))
                waiting += 1
            if waiting:
                print(f"verify: {counted(waiting, 'post')} with images not stored "
                      "yet (a warning: the archive is sound)")
            if lost:
                print(f"verify: {counted(lost, 'post')} with images left on the CDN for good "
                      "(nothing to do)")
            root = archive.layout.root
            if problems:
                print(f"verify: {counted(problems, 'problem')} in {root}")
                self.exitcode = 1
            else:
                posts = len(post_files(archive.layout.posts))  # also those in folders
                print(f"verify: {root} is sound ({counted(posts, 'post')})")


def _state(archive: Archive, path: Path) -> str | None:
    """The index's state of the article whose post is at ``path``; None when it has none."""
    try:
        url = archived_url(path)
    except PostError:
        return None
    key = archive.index.article_of(url) if url else None
    return archive.index.article_state(key) if key else None

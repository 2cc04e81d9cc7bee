"""``scrapy verify``: check the archive and say what is wrong (exit status 1 if anything)."""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path

from crawler.cli import ArchiveCommand
from crawler.report.logtext import counted, shown
from crawler.store.archive import Archive, writer_of
from crawler.store.check import (
    Unsettled,
    check_archive,
    images_awaiting_posts,
    images_read_only_posts_lack,
    posts_with_remote_images,
)
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
            problems = unjudged = 0
            writer = writer_of(archive.layout)
            found = list(check_archive(archive))
            writer = writer or writer_of(archive.layout)  # one that began meanwhile
            for problem in found:
                if writer and isinstance(problem, Unsettled):  # it may be writing the file now
                    print(shown(f"{problem.path}: not judged: {writer} is writing the archive"))
                    unjudged += 1
                else:
                    print(shown(problem))  # a file's name cannot write a line of its own
                    problems += 1
            if unjudged:
                print(f"verify: {counted(unjudged, 'file')} not judged: {writer} was writing the "
                      "archive (run verify again once it has finished)")
            unwritten = images_awaiting_posts(archive)
            for path in unwritten:
                print(shown(f"{path}: an image of an article whose post is not written yet "
                            "(a run stopped before it): the next run that finds the "
                            "article writes it"))
            if unwritten:
                print(f"verify: {counted(len(unwritten), 'image')} of articles whose posts are not "
                      "written yet (a warning: the archive is sound)")
            for path, post in images_read_only_posts_lack(archive):
                print(shown(f"{path}: an image the read-only post {post} does not show "
                            "(left as it is: made writable, chmod u+w, the next run that "
                            "fetches its article shows it)"))
            waiting = lost = 0
            for path, count in posts_with_remote_images(archive, config.image_hosts):
                for_good, why = _images_wait(archive, path)
                if for_good:
                    print(shown(f"{path}: {counted(count, 'image')} left on the CDN for good "
                                f"({why}: the post shows the link, and no run asks for it "
                                "again)"))
                    lost += 1
                else:
                    print(shown(f"{path}: incomplete, {counted(count, 'image')} still on the "
                                f"CDN ({why})"))
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
                judged = f"; {counted(unjudged, 'file')} not judged" if unjudged else ""
                print(f"verify: {root} is sound{' as far as judged' if unjudged else ''} "
                      f"({counted(posts, 'post')}{judged})")


def _images_wait(archive: Archive, path: Path) -> tuple[bool, str]:
    """Whether the images the post at ``path`` left on the CDN are left there for good (no
    run asks for them again), and why; else, when they are tried again."""
    try:
        url = archived_url(path)
    except PostError:
        url = None
    key = archive.index.article_of(url) if url else None
    state = archive.index.article_state(key) if key else None
    if state == ArticleState.ARCHIVED:  # each failed for good (404, not an image …)
        return True, "gone there, not an image, or over a limit"
    if state == ArticleState.GONE_INCOMPLETE:
        return False, "its original is gone: tried again by the next run, from its raw capture"
    if key and _gone(archive, key):  # failed for good, or no capture left: no run finds it
        return True, "its original is gone"
    return False, "tried again when a run finds the article"


def _gone(archive: Archive, key: str) -> bool:
    """Whether the watch found the original of article ``key`` deleted or removed."""
    try:
        return WatchBook(archive.index).state(key).status is not None
    except sqlite3.OperationalError:  # an index no run of the watch has opened yet
        return False

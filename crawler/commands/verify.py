"""``scrapy verify``: check the archive and say what is wrong (exit status 1 if anything)."""

from __future__ import annotations

import argparse

from crawler.cli import ArchiveCommand
from crawler.logtext import counted, escape_controls
from crawler.store.check import check_archive, posts_with_remote_images
from crawler.store.postfiles import post_files


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
                                      "still on the CDN (tried again when a run finds the article)"))
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

"""Verifying an archive: what ``scrapy verify`` reports.

The folders runs write in are folders; every post reads as UTF-8 and its front matter as
YAML that Jekyll's reader takes too, every local image link resolves, no file in
``postimg/`` is unreferenced (but those of an article whose post is not written yet, which
are no fault), no two posts share a date and slug (Jekyll would drop one) or an article
(the blog would show it twice), no post is dated before WeChat or in the future (Jekyll
leaves it out), every post's article is in the index, no half-written file is left, and
every stretch of the raw captures reads back.
"""

from __future__ import annotations

import glob
import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Collection, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crawler.convert.relink import remote_images
from crawler.reading import open_regular
from crawler.store.archive import Archive
from crawler.store.files import is_leftover, kept_as_it_was, leftovers, taken_by_no_folder
from crawler.store.images import damage
from crawler.store.postfiles import PostError, front_matter, post_files, read_post
from crawler.store.readonly import read_only
from crawler.wechat.article import CHINA_TIME, trusted_publish_time
from crawler.wechat.urls import host_of

_POST_URL = re.compile(r"\{% post_url (\S+) %\}")
_POST_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})-(.+)\.(md|markdown)$")
# What libyaml (Jekyll's reader, through Ruby's Psych) refuses: written as they are, the
# characters YAML does not print; written as escapes, lone surrogates, U+FFFE and U+FFFF.
_NOT_PRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
_NOT_ESCAPABLE = re.compile("[\ud800-\udfff\ufffe\uffff]")
_LEFT_OVER = "a half-written file left by an interrupted run"
_PRETTY = frozenset("._~!$&'()+,;=@")  # besides letters, marks and digits, kept in a page's name


class Unsettled(str):
    """A problem of a file that a run writing the archive now may be in the middle of: a
    temporary file, an image whose post is not written yet, a post not indexed yet. A
    problem once no run writes."""

    path: Path

    def __new__(cls, path: Path, problem: str) -> Unsettled:
        line = super().__new__(cls, f"{path}: {problem}")
        line.path = path
        return line


def check_archive(archive: Archive, now: datetime | None = None) -> Iterator[str]:
    """Each problem of the archive, as one line naming the file (``Unsettled``, those a run
    writing it may be in the middle of); ``now``, the time it is checked at (the clock's by
    default), tells dates in the future."""
    now = now or datetime.now(UTC)
    layout = archive.layout
    local_image = re.compile(re.escape(layout.image_link("")) + r"([^)\s\"']+)")
    # a lost index (or none: a blog checkout without .state/) is one line, not one per post
    indexed = archive.index.archived_urls() if layout.index.is_file() else None
    referenced: set[str] = set()
    slugs: dict[tuple[str, str], list[str]] = defaultdict(list)
    articles: dict[str, list[tuple[tuple[str, str], str]]] = defaultdict(list)  # its posts
    for folder, what in ((layout.posts, "post"), (layout.images, "picture"),
                         (layout.captures, "raw capture")):
        if taken_by_no_folder(folder):
            yield f"{folder}: not a folder, so no run can write a {what} there (each crawl fails)"
    if not layout.lock_is_usable():
        yield f"{layout.lock}: not a regular file, so no run can take the archive's lock (each crawl fails)"
    for leftover in leftovers(layout.posts):
        kept = kept_as_it_was(leftover)
        yield Unsettled(leftover, _LEFT_OVER if kept is None else (
            f"{kept} as it was, kept by an interrupted run to put it back: the next run puts it "
            "back, if that is the version the index records, or removes it; do not delete it"))
    for entry in sorted(layout.posts.glob("*")) if layout.posts.is_dir() else []:
        if entry.name.startswith("."):
            continue
        # a folder of the blog's own posts, or of ours a person moved there, which Jekyll
        # publishes beside the others
        for path in post_files(entry) if entry.is_dir() else [entry]:
            shown = path.relative_to(layout.posts).as_posix()
            name = _POST_NAME.match(path.name)
            if not name:
                if path.parent != layout.posts:  # one of the blog's own files in a folder
                    referenced.update(local_image.findall(_lenient_text(path)))  # no orphans
                else:
                    yield f"{path}: not named YYYY-MM-DD-slug.md, so Jekyll does not publish it"
                continue
            page = (name.group(1), jekyll_slug(name.group(2)))  # the page Jekyll makes of it
            slugs[page].append(shown)
            if (problem := _implausible_date(name.group(1), now)):
                yield f"{path}: {problem}"
            try:
                text = read_post(path)
            except PostError as error:
                yield str(error)
                referenced.update(local_image.findall(_lenient_text(path)))  # no orphans either
                continue
            images = local_image.findall(text)
            referenced.update(images)  # also when its front matter is wrong: they are no orphans
            try:
                front = front_matter(path)
            except PostError as error:
                yield str(error)
                continue
            if bad := _NOT_PRINTABLE.search(text[:text.find("\n---", 3) + 1]):
                yield f"{path}: front matter holds U+{ord(bad.group()):04X}, which Jekyll cannot read"
            yield from (f"{path}: {problem}" for problem in _jekyll_refuses(front))
            url = (front.get("wechat") or {}).get("url")
            if not url:
                if "wechat" in front:  # without the block, it is one of the blog's hand-made posts
                    yield f"{path}: front matter has no wechat.url"
            elif not isinstance(url, str):  # a hand edit YAML reads as a list, a number…
                yield f"{path}: wechat.url is no URL ({url!r})"
            else:
                articles[url].append((page, shown))
                if indexed is not None and url not in indexed:
                    yield Unsettled(path, f"its article ({url}) is not in the index")
            for image in images:
                if not _is_file(layout.images / image):
                    yield f"{path}: links to {layout.images.name}/{image}, which does not exist"
            for stem in _POST_URL.findall(text):
                if not _post_url_finds(layout.posts, stem):
                    yield (f"{path}: links to the post {stem}, which does not exist (the site build "
                           "fails; scrapy rebuild restores an archived article's post)")
    if indexed is None and articles:
        yield f"{layout.index}: missing: the next run (or scrapy rebuild) rebuilds it from the posts"
    for (date, slug), names in sorted(slugs.items()):
        if len(names) > 1:
            yield f"{layout.posts}: {', '.join(names)} share the date {date} and slug {slug!r}"
    for url, posts in sorted(articles.items()):
        if len({page for page, _ in posts}) > 1:  # one page: its twins are said above
            yield (f"{layout.posts}: {', '.join(name for _, name in posts)} are posts of one "
                   f"article ({url}): the blog shows it twice")
    digests = archive.index.blob_digests()
    awaiting = archive.index.images_awaiting_posts()  # said by ``images_awaiting_posts``
    awaiting |= {path.name for path, _ in images_read_only_posts_lack(archive)}  # said there too
    for path in sorted(layout.images.glob("*")) if layout.images.is_dir() else []:
        if is_leftover(path):
            yield Unsettled(path, _LEFT_OVER)
        elif not path.name.startswith(".") and path.name not in referenced | awaiting:
            yield Unsettled(path, "no post links to it")
        elif path.name in digests and _digest(path) not in (digests[path.name], None):
            yield (f"{path}: not the bytes archived (torn or changed): a crawl of its "
                   "article fetches it again")
        elif not path.name.startswith(".") and path.name not in digests \
                and (why := _damage(path)) is not None:
            yield f"{path}: {why}: a crawl of an article showing it fetches it again"
    for path, offset in archive.captures.damaged():
        yield f"{path}: the capture at byte {offset} cannot be read (torn or damaged)"


def posts_with_remote_images(archive: Archive, hosts: Collection[str]) -> Iterator[tuple[Path, int]]:
    """Posts that still show images of the CDN (``hosts``), and how many (an image shown
    twice is one): incomplete, not wrong (an image that failed is written as a remote link,
    and tried again later)."""
    for path in post_files(archive.layout.posts):
        try:
            targets = remote_images(read_post(path))  # as a run tries them again: not code
        except PostError:
            continue  # reported by check_archive
        remote = {target for target in targets if host_of(target) in hosts}
        if remote:
            yield path, len(remote)


def images_awaiting_posts(archive: Archive) -> list[Path]:
    """The image files of articles whose posts are not written yet: a run stopped between
    an article's images and its post (a second Ctrl-C, a kill), or one writing it now. No
    fault of the archive: the next run that finds the article writes the post, its images
    taken from these files."""
    folder = archive.layout.images
    return sorted(folder / name for name in archive.index.images_awaiting_posts()
                  if _is_file(folder / name))


def images_read_only_posts_lack(archive: Archive) -> list[tuple[Path, Path]]:
    """(image file, post) of the images stored for articles whose posts a person made
    read-only, which a run leaves as they are: pictures their pages show now, kept for the
    run that writes the post once it is writable. No fault of the archive."""
    images, posts = archive.layout.images, archive.layout.posts
    return [(images / name, posts / post) for name, post in archive.index.images_of_posts()
            if read_only(posts / post) and _is_file(images / name)
            and images.name + "/" + name not in _lenient_text(posts / post)]


def _is_file(path: Path) -> bool:
    """Whether a post's link names a file; not when the file system refuses to look the name
    up (over 255 bytes: pathlib raises for that one)."""
    try:
        return path.is_file()
    except OSError:
        return False


def _post_url_finds(posts: Path, stem: str) -> bool:
    """Whether Jekyll's ``{% post_url stem %}`` finds a post: ``.md`` or ``.markdown``, at
    that path or (Jekyll's older matching, which it still falls back to) by its name in a
    folder. The folders are searched only for a link not found at its path."""
    suffixes = (".md", ".markdown")
    if any(_is_file(posts / f"{stem}{suffix}") for suffix in suffixes):
        return True
    if "/" in stem:
        return False
    try:  # a name the file system cannot look up (over 255 bytes) is no post
        return any(path.is_file() for suffix in suffixes
                   for path in posts.rglob(f"{glob.escape(stem)}{suffix}"))
    except OSError:
        return False


def _digest(path: Path) -> str | None:
    """The SHA-256 of an image file's bytes; None for one that cannot be read (a folder)."""
    try:
        with open_regular(path) as file:
            return hashlib.file_digest(file, "sha256").hexdigest()
    except OSError:
        return None


def _damage(path: Path) -> str | None:
    """Why an image file the index records no bytes for (one left out of an index rebuilt
    from the posts) is no readable image; None for one that is, or cannot be read."""
    try:
        with open_regular(path) as file:
            return damage(file.read())
    except OSError:
        return None


def _lenient_text(path: Path) -> str:
    """What can be read of a post that is not UTF-8 (an editor saved it as GBK): the names
    of the images it links are ASCII."""
    try:
        with open_regular(path) as file:
            return file.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _implausible_date(date: str, now: datetime) -> str:
    """Why a post named with ``date`` (``YYYY-MM-DD``) has a date no article can have, or ""."""
    try:
        day = datetime.strptime(date, "%Y-%m-%d").replace(tzinfo=CHINA_TIME)
    except ValueError:
        return f"dated {date}, which is no date, so Jekyll does not publish it"
    if not trusted_publish_time(day, now):
        return (f"dated {date}, before WeChat existed or in the future (Jekyll does not "
                "publish a post dated in the future): its publish time is not to be trusted")
    return ""


def jekyll_slug(name: str) -> str:
    """The name Jekyll gives the page of a post's file-name part (``:title``, a "pretty",
    cased slug): its letters, marks, decimal digits and ``._~!$&'()+,;=@``, a run of any
    other characters one ``-``."""
    kept = "".join(char if char in _PRETTY or unicodedata.category(char) == "Nd"
                   or unicodedata.category(char)[0] in "LM" else "-" for char in name)
    return re.sub("-+", "-", kept).removeprefix("-").removesuffix("-")


def _jekyll_refuses(value: Any, where: str = "front matter") -> Iterator[str]:
    """Characters in front-matter values that make Jekyll's YAML reader fail the site."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _jekyll_refuses(item, f"{where}: {key}")
    elif isinstance(value, list):
        for item in value:
            yield from _jekyll_refuses(item, where)
    elif isinstance(value, str) and (bad := _NOT_ESCAPABLE.search(value)):
        yield f"{where} holds U+{ord(bad.group()):04X}, which Jekyll cannot read"

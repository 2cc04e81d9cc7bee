"""The archive: its tree (``Layout``) and its one writer (``Archive``), opened once per run.

Posts, images, raw captures and the index are written only through an ``Archive``. A run
holds the archive's lock while it is open, so that two runs (an overlapping cron job, a
rebuild during a crawl) never write one archive at once; a lock dies with its process.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote

from crawler.convert.relink import relink_images, remote_images
from crawler.reading import open_regular
from crawler.report.logtext import counted
from crawler.store.captures import CaptureError, CaptureStore, read_capture
from crawler.store.files import (
    NotPutBack,
    Staged,
    make_folder,
    not_a_folder,
    put_back_on_failure,
    stage_many,
    taken_by_no_folder,
)
from crawler.store.images import ImageStore, silence_pillow_warnings
from crawler.store.index import ArticleState, Index
from crawler.store.links import PostLinks
from crawler.store.places import PostPlaces
from crawler.store.postfiles import (
    PostError,
    archived_identity,
    front_matter,
    front_matter_tags,
    post_files,
    read_post,
    with_tags,
)
from crawler.store.posts import Outcome, PostStore, is_worse
from crawler.store.readonly import PostWrites
from crawler.store.rewrites import Rewrites
from crawler.store.watchbook import WatchBook, Watched
from crawler.watch.state import WatchState
from crawler.wechat.article import Article
from crawler.wechat.urls import article_key, normalise_image_url

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Standing:
    """An article's post where it is (None: the index records none) and the state the
    index records of the article (None: none)."""

    path: Path | None
    state: str | None


class ArchiveError(Exception):
    """An archive that cannot be opened; the message says why and what to do."""


@dataclass(frozen=True)
class Layout:
    """Where things are under ``ARCHIVE_DIR``: the blog's folders, and the archiver's state
    in a dot-folder, which Jekyll never publishes."""

    root: Path

    @property
    def posts(self) -> Path:
        return self.root / "_posts"

    @property
    def images(self) -> Path:
        return self.root / "postimg"

    @property
    def state(self) -> Path:
        return self.root / ".state"

    @property
    def index(self) -> Path:
        return self.state / "index.sqlite"

    @property
    def captures(self) -> Path:
        return self.state / "warc"

    @property
    def lock(self) -> Path:
        return self.state / "lock"

    @property
    def folders(self) -> tuple[Path, ...]:
        """The folders a run writes in."""
        return self.posts, self.images, self.state, self.captures

    def exists(self) -> bool:
        """Whether ``root`` holds an archive: the blog's posts folder, or the state a run
        leaves (a run that wrote no post yet)."""
        return self.posts.is_dir() or self.state.is_dir()

    def lock_is_usable(self) -> bool:
        """Whether a run can take the archive's lock: ``.state/lock`` is a regular file, or
        none is there yet. A folder, a FIFO or a link to a device there (made by hand, or by
        a sync tool) failed every crawl and rebuild in words that did not name it ("Invalid
        argument"), and verify called the archive sound."""
        return self.lock.is_file() or not self.lock.exists()

    def image_link(self, name: str) -> str:
        """How a post links to a stored image (the site may live under a base URL)."""
        return f"{{{{site.baseurl}}}}/{self.images.name}/{name}"


class Archive:
    """The archive tree and its state. ``read_only`` opens it for looking, without the lock."""

    def __init__(self, root: Path, *, read_only: bool = False):
        silence_pillow_warnings()
        self.layout = Layout(root)
        self._lock = None if read_only else _lock(self.layout)
        try:
            self.index = Index(self.layout.index, read_only=read_only)
        except sqlite3.DatabaseError as error:
            raise self._unusable(error) from None
        self.captures = CaptureStore(self.layout.captures)
        self.places = PostPlaces(self.layout.posts, self.index)
        self.post_writes = PostWrites()
        self.links = PostLinks(self.index, self.layout.posts, self.places, self.post_writes)
        if read_only:
            return
        self.rewrites = Rewrites(self.layout.posts, self.index.connection)
        try:
            # before PostStore removes the leftovers
            self.posts_not_put_back = self.rewrites.put_back_unrecorded()
            self.posts = PostStore(self.layout.posts, self.index, self.places, self.post_writes,
                                   self._image_identity)
            self.images = ImageStore(self.layout.images, self.index)
            self.watched = Watched(WatchBook(self.index), self.post_writes, self._image_identity)
            if not self.index.has_articles():
                self._rebuild_index()
        except sqlite3.DatabaseError as error:  # a full disk: the next run rebuilds it again
            raise self._unusable(error) from None

    def _unusable(self, error: sqlite3.DatabaseError) -> ArchiveError:
        """The archive closed, and why its index cannot be used."""
        self.close()
        return ArchiveError(f"the index {self.layout.index} cannot be used "
                            f"({error}{_room_left(self.layout.state, error)}); {_what_to_do(error)}")

    def close(self) -> None:
        if getattr(self, "index", None) is not None:
            self.index.close()
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def image_links(self, image_names: Mapping[str, str]) -> dict[str, str]:
        """How a post links to its stored images: image URL → link, from image URL → file."""
        return {url: self.layout.image_link(name) for url, name in image_names.items()}

    def write_post(self, article: Article, text: str, *, tags: Sequence[str], complete: bool,
                   fetched: bool = False, made: Sequence[str] | None = None,
                   configured: Sequence[str] | None = None,
                   staged: Staged | None = None, link: str = "") -> tuple[Outcome, Path]:
        """Write ``text`` as the post of ``article``, unless that makes the archived one worse;
        record it, and relink the posts that link to it.

        ``complete`` is False when an image failed for a reason that may pass; ``fetched``
        when the page was fetched from WeChat now (see ``Watched.stamp``). ``made``: those of
        ``tags`` the tool made, and ``configured``: all an account's configuration has given
        it, recorded with the post: unrecorded, a later rewrite would take them for a
        person's and keep them for good. ``OSError``, ``sqlite3.Error`` or ``PostError`` when
        it cannot be written or recorded: then nothing is recorded, and a later run writes it
        again. ``staged``: the new post's bytes fsynced already (``PostStore.write``).
        ``link``: the link the page was fetched by, recorded with the post (``Index.add_link``)
        in its one commit, not in a commit of its own.
        """
        placed = self.places.placed(article.key)
        path = self.posts.path_for(article, placed)
        watch = self.watched.book.record(article.key)
        gone = fetched and watch.state.status is not None
        # A post written by a run that could not record it (a full disk, a kill) is new yet
        recorded = placed is not None
        new, linked_to = not path.exists(), False
        try:
            # recorded with the relinks, or not at all: else a failure (a full disk, a kill)
            # between them leaves the article settled and the posts linking to it never
            # relinked; and a post rewritten but not recorded is put back as the index has it
            with self._rewriting(path, recorded=recorded):
                text = self.watched.stamp(article, text, path, fetched=fetched, record=watch)
                outcome, path = self.posts.write(article, text, complete=complete, tags=tags, path=path,
                                                 staged=staged)
                if not (fetched or complete) and self.watched.book.state(article.key).status:
                    # not fetched now, its original gone: no run finds it to try its images again
                    self.index.set_article_state(article.key, article.url, ArticleState.GONE_INCOMPLETE)
                if gone and outcome is Outcome.UNCHANGED:  # the same page, back: stamp took the marks off
                    outcome = Outcome.UPDATED
                elif not recorded and outcome is Outcome.UNCHANGED:
                    outcome = Outcome.NEW
                if outcome is Outcome.KEPT:
                    self._show_stored_images(path)
                    self.watched.restamp(article.key, path)
                elif made is not None:  # a kept post has the tags it was made with
                    self.index.set_tool_tags(article.key, made)
                if configured is not None:
                    self.index.set_configured_tags(article.key, configured)
                self.links.record(article)
                if link:
                    self.index.add_link(link, article.key)
                if outcome is Outcome.NEW or not recorded:
                    linked_to = True  # from the first relink written, should one fail
                    relinked = self.links.relink(article.key, path)
                    linked_to = bool(relinked)
                    for name in relinked:
                        logger.info("Post %s now links to the post %s", name, path.name)
        except BaseException as failed:
            # A new post not recorded (a full disk) goes, as the run says "Not archived": else
            # verify finds a post its index lacks, as a lost index leaves. Not once posts link
            # to it: their build would break; the next run records it.
            if new and not linked_to:
                try:
                    # not written (_posts a file, or on a read-only disk, which refuses to
                    # unlink even a name it does not hold): nothing to take away
                    if os.path.lexists(path):
                        path.unlink()
                except (FileNotFoundError, NotADirectoryError):
                    pass
                except OSError as error:
                    raise NotPutBack(path, failed, f"taking it away failed ({error})", new=True,
                                     recorded=recorded) from failed
            elif new and isinstance(failed, Exception):  # a Ctrl-C stays one
                raise NotPutBack(path, failed, "it stays: posts linking to it may have been "
                                 "relinked to it", new=True, recorded=recorded) from failed
            raise
        return outcome, path

    @contextlib.contextmanager
    def _rewriting(self, path: Path, *, recorded: bool) -> Iterator[None]:
        """What is inside written to the index in one transaction, and ``path`` put back as
        it was should it fail; noted as being written over meanwhile (``Rewrites``), when
        the index records it as it was (unrecorded, a kill leaves it to be taken over)."""
        with put_back_on_failure(path, recorded=recorded) as kept:
            if kept is not None and recorded:
                self.rewrites.begun(path, kept)
            with self.index.transaction():
                yield
                if kept is not None and recorded:
                    self.rewrites.recorded(path)

    def keep_imported(self, url: str, html: bytes, saved_at: datetime | None) -> bool:
        """Keep an imported page as a capture of ``url``, unless these very bytes were kept
        under it before (and their capture is still there): importing a folder again would
        append each of its pages again, and ``scrapy versions`` list each once more.
        Whether it was kept now. Recorded in the index before it is written, so that no
        capture is written that the index cannot find again."""
        digest = hashlib.sha256(html).hexdigest()
        if self._kept(url, digest):
            return False

        def recorded_first(path: Path, start: int) -> None:  # else a failing record leaves it unknown
            try:
                self.index.add_imported(url, digest, path.name, start)
            except sqlite3.Error as error:
                raise CaptureError(f"its capture not kept, the index refusing its record ({error}): "
                                   "importing the page again keeps it") from error
        try:
            self.captures.add_resource(url, html, saved_at, recorded_first)
        except OSError:  # not written (``CaptureError``), or not cut back to before it
            with contextlib.suppress(sqlite3.Error):  # else ``_kept`` reads what is not there
                self.index.forget_imported(url, digest)
            raise
        return True

    def _kept(self, url: str, digest: str) -> bool:
        """Whether the capture the index records of page ``digest`` under ``url`` is there:
        the one record where it went read, not its whole file."""
        kept = self.index.imported_capture(url, digest)
        if kept is None:
            return False
        path = self.layout.captures / kept[0]
        if kept[1] is None:  # recorded before where it went was
            return path.is_file()
        try:
            capture = read_capture(path, kept[1])
        except CaptureError:
            return False
        return capture.url == url and hashlib.sha256(capture.body).hexdigest() == digest

    def import_leaves(self, article: Article, text: str, saved_at: datetime | None,
                      imported_before: bool) -> Path | None:
        """The post of ``article`` when the saved page of which ``text`` is made is to leave
        it: a page imported before, or saved (at ``saved_at``, when its file says) before the
        article's page was last fetched. What the archive made since (of a page fetched later, or
        re-rendered by a rebuild from its newest capture) stands, unless worse than
        ``text``; a ``text`` worse than the post is left to ``write_post``, which keeps the
        post and says so."""
        fetched = self.watched.book.fetched(article.key)
        saved_before = saved_at is not None and fetched is not None and saved_at.timestamp() < fetched
        path = self.posts.path_for(article, self.places.placed(article.key))
        if not (imported_before or saved_before) or not path.is_file():
            return None
        post, identity = read_post(path), self.posts.image_identity
        return None if is_worse(post, text, identity) or is_worse(text, post, identity) else path

    def retag(self, key: str, path: Path, retagged: Callable[[list[str]], Sequence[str]],
              configured: Sequence[str] | None = None) -> bool:
        """Give the post of article ``key`` at ``path``, which stands as it is, the tags
        ``retagged`` makes of its own (``with_tags``: its body, and what a person wrote, as
        they are); whether it changed. Recorded with them, and with ``configured``
        (``write_post``), or put back as it was."""
        return self._put_retag(key, path, retagged_post(path, retagged), configured)

    def put_retag(self, key: str, path: Path, made: Retagged | None,
                  retagged: Callable[[list[str]], Sequence[str]],
                  configured: Sequence[str] | None = None) -> bool:
        """``retag`` with the post's new text ``made`` before (``staged_retags``, on a writer
        thread): worked out again if the post is no longer the text it was made of (written
        meanwhile, by this run or a person), else put there as staged."""
        if made is not None and read_post(path) != made.old:
            made = retagged_post(path, retagged)
        return self._put_retag(key, path, made, configured)

    def _put_retag(self, key: str, path: Path, made: Retagged | None,
                   configured: Sequence[str] | None) -> bool:
        if made is None:
            if configured is not None:
                self.index.set_configured_tags(key, configured)
            return False
        with self._rewriting(path, recorded=True):
            if not self.post_writes.write(path, made.text.encode("utf-8"), made.staged):
                return False  # nor are the tags recorded given: asked again next run
            self.index.set_article_tags(key, made.tags)
            if configured is not None:
                self.index.set_configured_tags(key, configured)
        return True

    def post_tags(self, key: str, path: Path | None) -> list[str]:
        """The tags in the front matter of article ``key``'s post at ``path`` (where
        ``PostPlaces.placed`` finds it), as a person may have edited them; those it was last
        written with when its file is gone (a rebuild restores it with them too); none when
        it has no post. ``PostError`` for a post whose front matter does not read (a
        person's edit gone wrong): written over, it would lose what they added."""
        if path is None:
            return []
        if not path.is_file():
            return self.index.article_tags(key) or []
        return front_matter_tags(front_matter(path))

    def standing(self, key: str) -> Standing:
        """Where article ``key``'s post is (as ``PostPlaces.placed`` finds it) and its state,
        read from the index in one statement: the pictures' pipeline asks both of each
        article. Nothing known when the index cannot be read: what writing the post says."""
        try:
            recorded, state = self.index.article_row(key)
            return Standing(self.places.at(key, recorded), state)
        except sqlite3.Error:
            return Standing(None, None)

    def images_left_on_cdn(self, standing: Standing) -> list[str]:
        """The URLs of the images that an article's post (``standing``) left on the CDN,
        while one of them failed for a reason that may pass (the article is incomplete):
        asked for again with its page, they reach the post even when the page no longer
        shows them, and the post is kept for that very loss (also when its original is gone)."""
        return self._on_cdn(standing, ArticleState.INCOMPLETE, ArticleState.GONE_INCOMPLETE)

    def images_lost(self, standing: Standing) -> list[str]:
        """The URLs of the images that an article's complete post (``standing``) left on the
        CDN: each failed for a lasting reason (404, not an image), and would fail again."""
        return self._on_cdn(standing, ArticleState.ARCHIVED)

    @staticmethod
    def _on_cdn(standing: Standing, *states: ArticleState) -> list[str]:
        if standing.path is None or standing.state not in states:
            return []
        try:
            text = read_post(standing.path)
        except PostError:
            return []  # what writing the post says
        return [_image_url(target) for target in remote_images(text)]

    def _show_stored_images(self, path: Path) -> None:
        """The kept post at ``path`` showing from their files the images it left on the CDN
        that are stored now (one failed for a reason that passed): else the index, which
        takes the article as complete, would never have it fetched again to mend them."""
        old = read_post(path)
        text = relink_images(old, self._stored_link)
        if text != old:
            self.post_writes.write(path, text.encode("utf-8"))

    def _stored_link(self, target: str) -> str | None:
        """How a post links to the stored file of the image at a post's ``target``, if any."""
        name = self.images.stored_name(_image_url(target))
        return self.layout.image_link(name) if name else None

    def _image_identity(self, target: str) -> str:
        """The stored file a post's image link shows, when there is one, else its URL."""
        prefix = self.layout.image_link("")
        if target.startswith(prefix):
            return target[len(prefix):]
        url = _image_url(target)
        return self.index.image_name(url) or url

    def _rebuild_index(self) -> None:
        """Recover a lost index from the posts' ``wechat:`` blocks (read once, only then):
        the articles, and what the watch found of them; and the images' files by their bytes.
        Of two posts of one article (a copy a person made), the index takes the later by
        name, and says so: the other stays as it is, and no run writes it again."""
        rebuilt: dict[str, str] = {}  # each article's post, by its key
        captured = any(self.layout.captures.glob("*.warc.gz"))  # not a clone of the blog alone
        with self.index.transaction():  # an index of some of the posts stays so
            self.images.recover()
            for post in post_files(self.layout.posts):
                try:
                    url, published = archived_identity(post)
                    text = read_post(post)
                    state = WatchState.of_post(text)
                except PostError as error:
                    logger.warning("Not in the rebuilt index: %s", error)
                    continue
                key = article_key(url or "") or url
                if key:
                    name = self.places.name_of(post)
                    if key in rebuilt:
                        logger.warning("Two posts of one article: the index takes %s, and %s stays as "
                                       "it is: delete one (the blog shows the article twice)",
                                       name, rebuilt[key])
                    self.index.add_article(key, url or "", name,
                                           _rebuilt_state(text, state, captured), published)
                    if state != WatchState():
                        self.watched.book.save(key, state)
                    rebuilt[key] = name
        if rebuilt:
            logger.info("Rebuilt the index of %s from %s", counted(len(rebuilt), "archived article"),
                        self.layout.posts)


@dataclass(frozen=True)
class Retagged:
    """A post's text as read (``old``), and with its tags written anew (``text``, ``tags``);
    ``staged``: those bytes fsynced beside it, to be renamed into place."""

    old: str
    text: str
    tags: list[str]
    staged: Staged | None = None


def retagged_post(path: Path, retagged: Callable[[list[str]], Sequence[str]]) -> Retagged | None:
    """The post at ``path`` with the tags ``retagged`` makes of its own (``with_tags``); None
    when it stays as it is. Reads the file only: safe on a writer thread."""
    old = read_post(path)
    made = with_tags(old, retagged, path)
    return None if made is None or made[0] == old else Retagged(old, *made)


@dataclass(frozen=True)
class StagedRetags:
    """What ``staged_retags`` made of each post: its ``Retagged`` (staged, unless staging
    failed: then written as ever), None (it stays as it is), or why it cannot be read."""

    posts: list[Retagged | None | PostError]

    def discard(self) -> None:
        """Delete the staged bytes that ``Archive.put_retag`` did not put in place."""
        for made in self.posts:
            if isinstance(made, Retagged) and made.staged is not None:
                made.staged.discard()


def staged_retags(paths: Sequence[Path], retagged: Callable[[list[str]], Sequence[str]]) -> StagedRetags:
    """Each post at ``paths`` read, given the tags ``retagged`` makes of its own, and its new
    bytes staged beside it, their fsyncs together: a writer thread's work (files only, no
    index), which a tag added to an account asks of each of its posts; on the reactor's
    thread, 2,000 posts held the crawl some 10 s (2 ms of YAML and an fsync each)."""
    made: list[Retagged | None | PostError] = []
    for path in paths:
        try:
            made.append(retagged_post(path, retagged))
        except PostError as error:
            made.append(error)
    changed = [(n, post) for n, post in enumerate(made) if isinstance(post, Retagged)]
    staged = stage_many([(paths[n].parent, post.text.encode("utf-8")) for n, post in changed])
    for (n, post), one in zip(changed, staged, strict=True):
        if isinstance(one, Staged):
            made[n] = replace(post, staged=one)
    return StagedRetags(made)


def not_recorded(error: NotPutBack, again: str) -> str:
    """The line of a post written whose index record failed, and that could not be put
    back as it was either: what is true of it, and ``again``, the command that records it."""
    index = "the index still records the post before" if error.recorded \
        else "the index has no record of it (scrapy verify reports it)"
    return f"Not recorded: {error}; {index}: once that is mended, {again} records it"


def _rebuilt_state(text: str, state: WatchState, captured: bool) -> ArticleState:
    """The state of the article of a post ``text`` found with no index. Why an image it
    left on the CDN failed is not known (a full disk failing the index's writes leaves such
    posts), so it is tried again, as a passing failure is: with its page when a run finds
    the article; from its capture (``crawler.watch.mend``) once its original is gone."""
    if not remote_images(text):
        return ArticleState.ARCHIVED
    if state.status is None:
        return ArticleState.INCOMPLETE
    return ArticleState.GONE_INCOMPLETE if captured else ArticleState.ARCHIVED


def _image_url(target: str) -> str:
    """The image URL of a post's image ``target``, as the index knows images."""
    return normalise_image_url(unquote(target))


def _room_left(folder: Path, error: sqlite3.DatabaseError) -> str:
    """SQLite says "disk I/O error" when a full disk leaves no room for the file it shares
    the index through: read as a failing disk. The room left tells which."""
    if not getattr(error, "sqlite_errorname", "").startswith("SQLITE_IOERR"):
        return ""
    try:
        return f"; its disk has {shutil.disk_usage(folder).free // 1024} KiB free"
    except OSError:
        return ""


def _what_to_do(error: sqlite3.DatabaseError) -> str:
    """Deleting the index loses what only it holds (albums read, links refused, what the
    watch saw): advised for a damaged file alone, not for a full disk or a failing one."""
    if getattr(error, "sqlite_errorname", "") in ("SQLITE_CORRUPT", "SQLITE_NOTADB"):
        return "it is damaged: delete it, and the next run rebuilds it from the posts"
    if getattr(error, "sqlite_errorname", "") == "SQLITE_BUSY":
        return ("another process is writing it (a SQLite tool with a change not saved?): "
                "nothing was changed: run again once it has finished")
    return "nothing was changed: run again once that is mended"


def check_folders(layout: Layout, folders: Sequence[Path]) -> None:
    """``ArchiveError`` naming the first of ``folders`` that is no folder (``taken_by_no_folder``:
    a folder replaced by hand, or by a sync tool, a link to one moved away): a rebuild went
    on to say it had no post to rebuild, or none with a capture, and a reader took the index
    it could not reach for an empty one, exit status 0; a crawl fetched every page, to fail
    each write."""
    for folder in folders:
        if taken_by_no_folder(folder):
            raise ArchiveError(f"cannot open the archive at {layout.root}/: {not_a_folder(folder)}")


def _lock(layout: Layout) -> int:
    """Hold ``.state/lock`` for this process, or say which process holds it."""
    cannot = f"cannot open the archive at {layout.root}/"
    try:
        make_folder(layout.state)
        if not layout.lock_is_usable():
            raise ArchiveError(f"{cannot}: not a regular file, where the archive keeps its lock "
                               f"(move it away): {str(layout.lock)!r}")
        fd = os.open(layout.lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise ArchiveError(f"{cannot}: {error}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(fd)
        os.close(fd)
        raise ArchiveError(f"another run is writing the archive at {layout.root}/ ({holder}); "
                           "try again when it has finished") from None
    except OSError as error:  # a share without locks (NFS with no lock daemon): ENOLCK
        os.close(fd)
        raise ArchiveError(f"cannot lock the archive at {layout.root}/ ({error}), which keeps "
                           "two runs from writing it at once: put it on a disk of this "
                           "machine, or a share that takes locks") from None
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
    except OSError as error:  # a full disk
        os.close(fd)
        raise ArchiveError(f"{cannot}: {error}") from None
    return fd


def writer_of(layout: Layout) -> str | None:
    """Which process holds the archive's lock (``process 1234``), writing it now; None when
    none does. Only looks: the lock is taken for an instant, shared, and let go."""
    try:
        lock = open_regular(layout.lock)  # a FIFO's open would wait for a writer
    except OSError:  # no run has locked it yet, or none can (``Layout.lock_is_usable``)
        return None
    with lock:  # closed, and the shared lock let go with it
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _holder(lock.fileno())
        except OSError:  # a share that takes no lock: no run writes it either
            return None
    return None


def _holder(fd: int) -> str:
    """The process a held lock file names (``_lock`` writes its id there)."""
    pid = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    return f"process {pid}" if pid else "another process"

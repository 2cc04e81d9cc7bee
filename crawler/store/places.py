"""Where each archived article's post is now, which a person may have changed."""

from __future__ import annotations

from pathlib import Path

from crawler.store.index import Index
from crawler.store.postfiles import PostError, archived_url, post_files, posts_in_folders
from crawler.wechat.urls import article_key


class PostPlaces:
    """Where each archived article's post is now: a person may have renamed it, or moved it
    into a folder of ``_posts/`` (Jekyll publishes those too)."""

    def __init__(self, folder: Path, index: Index):
        self.folder = folder
        self.index = index
        self._renamed: dict[str, str] | None = None  # read when first asked: see ``renamed``
        self._in_folders: set[str] | None = None  # listed when first asked

    def placed(self, key: str) -> Path | None:
        """Where article ``key``'s post is: the file the index records (also when it was
        deleted by hand), or the one a person renamed it to; None when the index has none."""
        return self.at(key, self.index.article_path(key))

    def at(self, key: str, recorded: str | None) -> Path | None:
        """Where article ``key``'s post is, whose path the index records as ``recorded``
        (read with its state: ``Index.article_row``); see ``placed``."""
        if not recorded:
            return None
        path = self.folder / recorded
        return path if path.exists() else self.renamed(key) or path

    def renamed(self, key: str) -> Path | None:
        """The post of article ``key`` under a name a person gave it, whose ``wechat:`` block
        names the article while the index knows it by its old name: written again under that
        one, the blog would show the article twice. The posts are read for this once, when
        first asked (a file is missing): only a person renames them."""
        if self._renamed is None:
            self._renamed = {}
            for post in post_files(self.folder):
                try:
                    url = archived_url(post) if post.is_file() and not post.is_symlink() else None
                except PostError:
                    continue
                found, name = article_key(url or "") or url, self.name_of(post)
                if found and self.index.article_path(found) != name:
                    self._renamed.setdefault(found, name)
        renamed = self._renamed.get(key)
        return self.folder / renamed if renamed and (self.folder / renamed).is_file() else None

    def in_a_folder(self, name: str) -> bool:
        """Whether a post in a folder of ``_posts/`` has the file name ``name`` (case aside):
        Jekyll would make one page of it and a post of that name at the top. The folders are
        listed once, when first asked."""
        if self._in_folders is None:
            self._in_folders = {path.name.casefold() for path in posts_in_folders(self.folder)}
        return name.casefold() in self._in_folders

    def name_of(self, path: Path) -> str:
        """How the index names the post at ``path``: its path in ``_posts/``; "" for a path
        that is not inside it (a name in the index leading out of it)."""
        try:
            parts = path.relative_to(self.folder).parts
        except ValueError:
            return ""
        return "" if ".." in parts else "/".join(parts)

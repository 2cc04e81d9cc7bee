"""Links between posts: a link in a post to an archived article points at that article's
post (``{% post_url … %}``), and the posts linking to an article archived later are
updated when it is (table ``post_links`` of the index: which post links to which article,
by key, or by link while the key is not known).
"""

from __future__ import annotations

import re
from pathlib import Path

from crawler.convert.relink import link_identity, relink
from crawler.store.index import Index
from crawler.store.places import PostPlaces
from crawler.store.postfiles import read_post
from crawler.store.readonly import PostWrites
from crawler.wechat.article import Article
from crawler.wechat.urls import article_key, link_as_given

# A post's file name that can stand in a Liquid tag: ours are date, slug (letters, digits,
# marks) and "-"; a name of a post placed by hand (rebuilt into the index) may be anything,
# and lie in a folder of _posts/ (Jekyll's post_url names the folder, and puts it into a
# regular expression unescaped: a folder's "(", "+" or "[" matches no post, or fails the build).
_LINKABLE = re.compile(r"(?:[^\s%{}'\"<>\\/()\[\]*+?|^$]+/)*\d{4}-\d\d-\d\d-[^\s%{}'\"<>\\/]+\.md")


def linkable(name: str) -> bool:
    """Whether a post file ``name`` can be linked with ``{% post_url %}``."""
    return _LINKABLE.fullmatch(name) is not None


class PostLinks:
    def __init__(self, index: Index, folder: Path, places: PostPlaces, writes: PostWrites):
        self.index = index
        self.db = index.connection
        self.folder = folder
        self.places = places
        self.writes = writes

    def targets(self, article: Article) -> dict[str, str]:
        """``link_identity`` → post name without ``.md``, for the articles ``article`` links
        to that have a post file now (under the name a person may have given it)."""
        targets = {}
        for link in article.links:
            key = self._key(link)
            path = self.places.placed(key) if key else None
            if path and linkable(name := self.places.name_of(path)) and path.is_file():
                targets[link_identity(link)] = name[:-3]
        return targets

    def record(self, article: Article) -> None:
        """Remember which articles the post of ``article`` links to."""
        ids = {self._key(link) or link_identity(link) for link in article.links}
        self.db.execute("DELETE FROM post_links WHERE from_key = ?", (article.key,))
        self.db.executemany("INSERT OR IGNORE INTO post_links VALUES (?, ?)",
                            [(article.key, to) for to in sorted(ids)])

    def relink(self, key: str, post: Path) -> list[str]:
        """Point the links of the posts that link to article ``key`` at its new ``post``;
        the names of the posts changed."""
        stem = self.places.name_of(post)[:-3]
        if not linkable(f"{stem}.md"):
            return []
        ids = {key, *(url for (url,) in self.db.execute("SELECT url FROM links WHERE key = ?",
                                                       (key,)))}
        marks = ",".join("?" * len(ids))
        linking = [from_key for (from_key,) in self.db.execute(
            f"SELECT DISTINCT a.key FROM post_links l JOIN articles a ON a.key = l.from_key "
            f"WHERE l.to_id IN ({marks}) AND a.path != '' ORDER BY a.path", sorted(ids))]
        changed = []
        for from_key in linking:
            path = self.places.placed(from_key)  # where a person may have put it
            name = self.places.name_of(path) if path else ""
            if path is None or not name or not path.is_file():
                continue
            text = read_post(path)
            relinked = relink(text, ids, stem)
            if relinked != text and self.writes.write(path, relinked.encode("utf-8")):
                changed.append(name)
        return changed

    def _key(self, link: str) -> str | None:
        return article_key(link) or self.index.link_key(link_as_given(link))

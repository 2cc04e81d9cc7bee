"""An archive's life from cron, its story chosen by hypothesis (a stateful test).

``tests/test_cronlife.py`` tells hand-written stories; here hypothesis tells them, from
rules: the account publishes (in its album, or an article only another one links to), edits,
deletes, reorders its album or takes an article out of it; WeChat blocks or fails the next
article pages, or the CDN an image for a day; a person edits a post's tags or deletes a
post file. A day is the cron run and its checks (``Life``): its exit status and its WARNING
and ERROR lines are what the day deserves, ``Life.check`` holds (each article one post, none
worse, the index agrees, ``scrapy verify`` finds it sound, Jekyll builds it), and the day
after trouble archives whatever the trouble kept out, and a tag a person added stays.

Deterministic (``derandomize``); ``CRONLIFE_EXAMPLES`` sets how many stories (a hunt:
``CRONLIFE_EXAMPLES=40``), ``CRONLIFE_STEPS`` their length; ``CRONLIFE_RANDOM=1`` tells
other stories each time.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from tests.conftest import crawl, scrapy_command
from tests.mockserver import MockWeChat, Route
from tests.site import VERIFICATION, Art, Site
from tests.test_cronlife import Life, answer, first_day, front, said, summed_up

EXAMPLES = int(os.environ.get("CRONLIFE_EXAMPLES", "8"))
STEPS = int(os.environ.get("CRONLIFE_STEPS", "18"))
# a hunt runs as long as it was asked to, past the suite's limit of a test's time
pytestmark = [pytest.mark.timeout(0)] if {"CRONLIFE_EXAMPLES", "CRONLIFE_STEPS"} & set(os.environ) else []
ALBUM = "7001"
BAD_GATEWAY = Route(502, "text/html", b"Bad Gateway")
# Lines a day may say of what the account did (not trouble): a deletion and its alarm.
UPSTREAM = re.compile(r"deleted by its publisher|within 7 days")


class CronLife(RuleBasedStateMachine):
    """The model: which articles are served, which are gone upstream, what trouble the next
    day brings, and the tags a person added."""

    life: Life
    arts: list[Art]  # every article published, as now served

    def __init__(self) -> None:
        super().__init__()
        self.server = MockWeChat().start()
        self.site = Site(self.server)
        self.tmp = Path(tempfile.mkdtemp(prefix="cronlife-"))
        self.next_mid = 2247530000
        self.deleted: set[str] = set()  # articles' mids deleted upstream
        self.trouble: Route | None = None  # what the next article pages answer
        self.troubled = 0  # how many of them (0: all that day)
        self.deleted_by_hand: set[str] = set()  # mids of posts a person deleted
        self.broken_images: list[str] = []
        self.imageless: set[str] = set()  # mids of articles an image failed of
        # mids of incomplete posts whose originals were deleted: good days since
        self.mending: dict[str, int] = {}
        self.hand_tags: dict[str, str] = {}  # mid: the tag a person added to its post
        self.pending: list[Art] = []  # published, not yet archived
        self.said_deleted: set[str] = set()  # mids of deletions the mail told of

    @initialize()
    def first_day(self) -> None:
        self.life, self.arts = first_day(self.site, self.tmp, self.take_mids(3), ALBUM, 3)
        self.take_mids(11)  # the entry's id, 10 after the first

    def take_mids(self, count: int) -> int:
        first = self.next_mid
        self.next_mid += count
        return first

    def teardown(self) -> None:
        self.server.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def alive(self) -> list[Art]:
        """The articles archived and not deleted upstream, newest version of each."""
        return [art for art in self.arts if art.mid not in self.deleted]

    @rule(count=st.integers(1, 3), linked_only=st.booleans())
    def publish(self, count: int, linked_only: bool) -> None:
        """New articles in the album; with ``linked_only``, all but the first are only
        linked from the first one's 往期推荐."""
        first = self.take_mids(count)
        others = [Art(str(first + n), albums=() if linked_only else (ALBUM,), days_ago=0)
                  for n in range(1, count)]
        head = Art(str(first), albums=(ALBUM,), days_ago=0,
                   links=tuple(self.site.body_link(art) for art in others) if linked_only else ())
        self.site.serve([*others, head])
        self.site.albums[ALBUM] += [head] if linked_only else [*others, head]
        self.pending += [head, *others]
        self.arts += [head, *others]

    @precondition(lambda self: self.alive())
    @rule(data=st.data())
    def edit(self, data: st.DataObject) -> None:
        art = data.draw(st.sampled_from(self.alive()))
        edited = replace(art, items=(*art.items, f"改{len(art.items)}"))
        self.site.article(edited)
        self.arts[self.arts.index(art)] = edited
        self.pending = [edited if a == art else a for a in self.pending]
        for album in self.site.albums.values():
            album[:] = [edited if a == art else a for a in album]

    def deletable(self) -> list[Art]:
        """Articles the account may delete: not one the only link to another not yet had
        is in (that one would be out of reach, rightly)."""
        return [a for a in self.alive() if a not in self.pending or not a.links]

    @precondition(lambda self: self.deletable())
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        self.delete_upstream(data.draw(st.sampled_from(self.deletable())))

    def incomplete(self) -> list[Art]:
        """Articles the account may delete whose posts lack an image that failed."""
        return [a for a in self.deletable() if a in self.pending and a.mid in self.imageless
                and self.life.has_post(a)]

    @precondition(lambda self: self.incomplete())
    @rule(data=st.data())
    def delete_incomplete(self, data: st.DataObject) -> None:
        """The account deletes an article whose post lacks an image: the images come from
        its raw capture (crawler/watch/mend.py)."""
        self.delete_upstream(data.draw(st.sampled_from(self.incomplete())))

    def delete_upstream(self, art: Art) -> None:
        if art in self.incomplete():
            self.mending[art.mid] = 0
        self.site.pages[art.path] = answer("deleted.html")
        self.site.albums[ALBUM] = [a for a in self.site.albums[ALBUM] if a.mid != art.mid]
        self.deleted.add(art.mid)
        self.pending = [a for a in self.pending if a.mid != art.mid]

    @rule(seed=st.randoms(use_true_random=False), leave=st.booleans())
    def reorder(self, seed: object, leave: bool) -> None:
        """The album reordered; with ``leave``, an article had leaves it (one not had yet,
        only in the album, would be out of reach, rightly)."""
        album = self.site.albums[ALBUM]
        seed.shuffle(album)  # type: ignore[attr-defined]
        had = [art for art in album if art not in self.pending]
        if leave and len(album) > 1 and had:
            album.remove(had[0])

    @rule(kind=st.sampled_from([VERIFICATION, BAD_GATEWAY]), pages=st.integers(0, 3))
    def wechat_fails(self, kind: Route, pages: int) -> None:
        """WeChat answers the next ``pages`` article pages (0: all that day) with ``kind``."""
        self.trouble, self.troubled = kind, pages

    @rule()
    def image_fails(self) -> None:
        """The CDN fails an image of the newest article not yet had (one published now, if
        none) for a day."""
        if not self.pending:
            self.publish(1, False)
        art = self.pending[-1]
        path = f"/mmbiz_png/Img{art.mid}x{art.idx}/640"
        self.server.image(path, b"busy", status=503)
        self.broken_images.append(path)
        self.imageless.add(art.mid)

    def posted(self) -> list[Art]:
        """The articles with a post a person may edit or delete."""
        return [a for a in self.alive() if a not in self.pending and a.mid not in self.deleted_by_hand]

    @precondition(lambda self: self.posted())
    @rule(data=st.data())
    def tag_by_hand(self, data: st.DataObject) -> None:
        art = data.draw(st.sampled_from(self.posted()))
        path = self.life.post_path(art)
        tag = f"手加{art.mid[-3:]}"
        path.write_text(path.read_text(encoding="utf-8").replace("tags:\n", f"tags:\n    - {tag}\n", 1),
                        encoding="utf-8")
        self.hand_tags[art.mid] = tag

    @rule()
    def a_day(self) -> None:
        trouble, images = self.trouble, self.broken_images
        if trouble:
            self.server.route("/s", self.failing(trouble, self.troubled))
        self.life.next_day()
        asked = len(self.server.hits("/mp/appmsgalbum"))
        result = crawl("accounts", self.life.archive, settings=self.life.settings)
        self.server.route("/s", self.site._long_link)
        for art in self.pending:
            self.site.article(art)  # its images served again
        self.trouble, self.broken_images = None, []
        lines = said(result)
        story = (f"day {self.life.day}, album {[a.mid[-3:] for a in self.site.albums[ALBUM]]}, read "
                 f"{self.server.hits('/mp/appmsgalbum')[asked:]}:\n{result.stderr}")
        if trouble:
            assert result.returncode in (0, 1), story
            if self.pending and not self.troubled:
                assert result.returncode == 1, story
            assert summed_up(result) == bool(lines), story  # a failed run says why
            assert bool(lines) or result.returncode == 0, story
        else:
            assert result.returncode == 0, story
            expected = [line for line in lines if UPSTREAM.search(line)
                        or (images and "Images not stored" in line)]
            assert lines == expected, story
            assert summed_up(result) == bool(lines), story
            self.pending = [art for art in self.pending if not self.life.archived(art)]
            assert images or not self.pending, (self.pending, story)
        told = {mid for line in lines if "deleted by its publisher" in line for mid in re.findall(r"mid=(\d+)", line)}
        assert told <= self.deleted and not told & self.said_deleted, story  # each deletion told once
        self.said_deleted |= told
        if self.deleted_by_hand:
            restored = scrapy_command("rebuild", self.life.archive)  # as the maintainer would
            assert restored.returncode == 0, restored.stdout + restored.stderr
            assert all(self.life.post_path(art).exists() for art in self.arts
                       if art.mid in self.deleted_by_hand), restored.stdout
            self.deleted_by_hand = set()
        self.mended(good=not trouble)
        # a post that lacks an image is incomplete until a good day fetches its page again
        # (or, its original deleted, reads it from its capture)
        if not self.mending and not [art for art in self.pending
                                     if art.mid in self.imageless and not self.life.archived(art)]:
            self.life.check()

    def mended(self, good: bool) -> None:
        """Each incomplete post whose original was deleted is complete by its third good day:
        the watch finds the deletion by the second (30 a run, the most overdue first), the
        next run tries the images from its capture."""
        for art in [art for art in self.arts if art.mid in self.mending]:
            if "/mmbiz_png/" not in self.life.post_path(art).read_text(encoding="utf-8"):
                del self.mending[art.mid]
            elif good:
                self.mending[art.mid] += 1
                assert self.mending[art.mid] < 3, f"day {self.life.day}: {art.mid} never mended"

    def failing(self, trouble: Route, pages: int) -> Callable[[str], Route]:
        """The article pages' route: ``trouble`` for the first ``pages`` (0: every one)."""
        asked = iter(range(pages or 10**9))

        def route(query: str) -> Route:
            return trouble if next(asked, None) is not None else self.site._long_link(query)
        return route

    @precondition(lambda self: self.posted())
    @rule(data=st.data())
    def delete_by_hand(self, data: st.DataObject) -> None:
        art = data.draw(st.sampled_from(self.posted()))
        self.life.post_path(art).unlink()
        self.deleted_by_hand.add(art.mid)
        self.hand_tags.pop(art.mid, None)  # gone with its file

    @invariant()
    def hand_tags_stay(self) -> None:
        for art in self.arts:
            if art.mid in self.hand_tags and art.mid not in self.deleted_by_hand:
                text = self.life.post_path(art).read_text(encoding="utf-8")
                assert self.hand_tags[art.mid] in front(text)["tags"], text  # type: ignore[operator]


CronLife.TestCase.settings = settings(
    max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None,
    derandomize="CRONLIFE_RANDOM" not in os.environ,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
test_cron_life = CronLife.TestCase

"""An archive's life from cron, its story chosen by hypothesis (a stateful test).

``tests/test_cronlife.py`` tells hand-written stories; here hypothesis tells them, from
rules real WeChat gives: the account publishes (in its album, in a second album too, only
linked from another article's 往期推荐, by a short link another page gives while the album gives
the long one, a push of several articles some in no album, only on its homepage), adds an
old article to an album at any position, edits (its title, a line added or dropped), deletes
or has WeChat remove for violating its rules (and a deleted page answering again, archived
before or not, its albums listing it again or not: nobody knows), moves an article to the
other album, reorders an album or takes an article out of it, sets an album to list its
oldest first, empties an album (answered as empty, or as an album that is no more: nobody
knows) and fills it again; renames itself; days pass with the machine off; WeChat refuses
links without ``chksm`` or not, starts an album's next page after the cursor's item or its
whole push, honours ``is_reverse`` or not (what nobody knows: each drawn once a story),
blocks or fails the next article pages (short links too: it answers the client), answers one
article's page with its verification page or its 该内容暂时无法查看 for a day, an album with freq
control (ret 200013) or its verification page, or the CDN fails an image for a day; a person
edits a post's tags or deletes a post file. A day is the cron run and its checks (``Life``):
its exit status and its WARNING and ERROR lines are what the day deserves, ``Life.check``
holds (each article one post, none worse, the index agrees, ``scrapy verify`` finds it
sound, Jekyll builds it), a tag a person added stays, and the watch's keys follow the
contract (``watch_says``): ``updated`` only after an edit, ``status`` only while deleted or
removed, as the page says, and once the watch has had its week the post shows the page as it
is.

What must be archived: every article served and reachable from what the run knows (the
account's link, an album a page it fetched or archived names, a link on such a page, the
homepage such a page links), by the first day without trouble (``reachable``), or named in
the mail (refused without ``chksm``, no album listing it); an article added deep in an album
while another left it there (first page and count as they were) by the album's weekly
recheck, one deleted before it was archived whose page answers again by the run that reads
an album listing it anew (one it did not list at the read that last had it whole) on a day
without trouble, else within the week (the watch's turn). None is archived twice, and a day
without trouble mails nothing but deletions.

Deterministic (``derandomize``); ``CRONLIFE_EXAMPLES`` sets how many stories (a hunt:
``CRONLIFE_EXAMPLES=40``), ``CRONLIFE_STEPS`` their length; ``CRONLIFE_RANDOM=1`` tells
other stories each time.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import HealthCheck, event, settings
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
ALBUM, SECOND = "7001", "7002"
BAD_GATEWAY = Route(502, "text/html", b"Bad Gateway")
FREQ_CONTROL = 200013
ALBUM_GONE = -2  # what an album deleted answers (tests/test_scheduled.py)
# Lines a day may say of what the account did (not trouble): a deletion or removal and its alarm.
GONE = re.compile(r"deleted by its publisher|removed for violating platform rules")
UPSTREAM = re.compile(rf"{GONE.pattern}|within 7 days")
REFUSED = "refused by a link without chksm"
RECHECK_DAYS = 7  # ALBUM_RECHECK_DAYS
WATCH_PER_RUN = 30
SETTLE = 8  # good days by which the watch has seen a page's change (WATCH_OLD_EVERY_DAYS + 1)
Key = tuple[str, str]  # an article's mid and idx


def key(art: Art) -> Key:
    return art.mid, art.idx


def named(lines: list[str], saying: str) -> set[Key]:
    """The articles the lines ``saying`` so name by their links."""
    return {(mid, idx) for line in lines if saying in line
            for mid, idx in re.findall(r"mid=(\d+)&(?:amp;)?idx=(\d+)", line)}


class CronLife(RuleBasedStateMachine):
    """The model: which articles are served and what leads to them, which are gone
    upstream, what trouble the next day brings, and the tags a person added."""

    life: Life
    entry: Art  # the article the accounts file links

    def __init__(self) -> None:
        super().__init__()
        self.server = MockWeChat().start()
        self.site = Site(self.server)
        self.tmp = Path(tempfile.mkdtemp(prefix="cronlife-"))
        self.next_mid = 2247530000
        self.arts: dict[Key, Art] = {}  # every article published, as now served
        self.links: dict[Key, list[Key]] = {}  # the articles each one's body links
        self.home: list[Key] = []  # what the homepage lists, newest first
        self.home_heads: set[Key] = set()  # the articles whose body links the homepage
        self.deleted: set[Key] = set()  # articles deleted upstream
        self.removed: set[Key] = set()  # of those, the ones WeChat removed for violating its rules
        self.trouble: Route | None = None  # what the next article pages answer
        self.troubled = 0  # how many of them (0: all that day)
        self.album_trouble: str | None = None  # "freq" or "verify": what albums answer the next day
        self.deleted_by_hand: set[Key] = set()  # posts a person deleted
        self.broken_images: list[Key] = []  # articles whose picture the CDN fails the next day
        self.imageless: set[Key] = set()  # articles an image failed of
        # incomplete posts whose originals were deleted: good days since
        self.mending: dict[Key, int] = {}
        self.hand_tags: dict[Key, str] = {}  # the tag a person added to an article's post
        self.pending: set[Key] = set()  # published, not yet archived
        self.late: dict[Key, int] = {}  # articles allowed until that day (a deep swap)
        self.emptied: dict[str, list[Art]] = {}  # albums emptied, and what they held
        self.places: dict[tuple[str, Key], int] = {}  # where a deleted article was in an album
        self.said_deleted: set[Key] = set()  # deletions the mail told of
        self.said_refused: set[Key] = set()  # articles refused without chksm the mail told of
        self.verified: Key | None = None  # the article whose page answers verification the next day
        self.verified_with = VERIFICATION  # or WeChat's page of an article unavailable for now
        self.edits: dict[Key, int] = {}  # how often each article was edited
        self.edited_posts: set[Key] = set()  # articles edited after they had a post
        self.changed: dict[Key, int] = {}  # articles whose page changed: good days since
        # the members each album may be recorded as listing (joined at any read, left at a
        # read to its end), a superset where a day's trouble leaves it unsure
        self.album_listed: dict[str, set[Key]] = {}
        self.restored: set[Key] = set()  # articles restored before they were archived
        self.renames = 0  # how often the account renamed itself

    @initialize(refuse=st.booleans(), skips=st.booleans(), honours=st.booleans(), empty_gone=st.booleans())
    def first_day(self, refuse: bool, skips: bool, honours: bool, empty_gone: bool) -> None:
        """The first day; with ``refuse``, WeChat answers a link without ``chksm`` (a page's
        往期推荐, the homepage's) with its verification page: an article only such links
        lead to is named once in the mail, not archived, until an album lists it; so is one
        such a link led to on a day WeChat answered it with its verification page. What
        nobody knows of WeChat is drawn for the whole life too: whether an album's next page
        starts after the cursor's whole push (``skips``), whether it honours ``is_reverse``,
        whether an album its owner emptied answers as one that is no more (``empty_gone``,
        ret -2; no capture shows an empty album)."""
        self.empty_gone = empty_gone
        self.site.refuse_without_chksm = refuse
        self.site.cursor_skips_message, self.site.honours_reverse = skips, honours
        self.life, arts = first_day(self.site, self.tmp, self.take_mids(3), ALBUM, 3)
        self.entry = self.site.albums[ALBUM][-1]
        self.arts = {key(art): art for art in arts}
        self.album_listed[ALBUM] = {key(art) for art in self.site.albums[ALBUM]}  # read whole
        self.take_mids(11)  # the entry's id, 10 after the first

    def take_mids(self, count: int) -> int:
        first = self.next_mid
        self.next_mid += count
        return first

    def teardown(self) -> None:
        self.server.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def alive(self) -> list[Art]:
        """The articles published and not deleted upstream, newest version of each."""
        return [art for k, art in self.arts.items() if k not in self.deleted]

    def reachable(self, unlisted: bool = True, deleted: bool = False) -> set[Key]:
        """The articles a run may find: from the accounts file's link, the albums and the
        homepage pages name, the links on pages (but for ``unlisted``, only short links:
        those without ``chksm`` WeChat may refuse); a page's albums, homepage and links are
        remembered once it is archived, whatever becomes of its original. ``deleted``: those
        deleted too (a link without ``chksm`` to one is refused as to any other)."""
        found: set[Key] = set()
        albums: set[str] = set()
        home = False
        todo = [key(self.entry), *(k for k, art in self.arts.items() if self.life.has_post(art))]
        while todo:
            k = todo.pop()
            if k in found:
                continue
            found.add(k)
            art = self.arts.get(k, self.entry if k == key(self.entry) else None)
            if art is None or (k in self.deleted and not self.life.has_post(art)):
                continue
            todo += [link for link in self.links.get(k, []) if unlisted or self.arts[link].token]
            for album in set(art.albums) - albums:
                albums.add(album)
                todo += [key(a) for a in self.site.albums.get(album, [])]
            if k in self.home_heads and not home and unlisted:
                home = True
                todo += self.home
        return found if deleted else found - self.deleted

    def publish_arts(self, arts: list[Art], listed: list[Art]) -> None:
        """Serve ``arts`` (oldest first), those ``listed`` appended to their albums."""
        self.site.serve(arts)
        for art in arts:
            for name in art.albums if art in listed else ():
                self.site.albums.setdefault(name, []).append(art)
            self.arts[key(art)] = art
            self.pending.add(key(art))

    @rule(count=st.integers(1, 3), how=st.sampled_from(["album", "linked", "second", "short", "push", "homepage"]),
          linked=st.booleans())
    def publish(self, count: int, how: str, linked: bool) -> None:
        """New articles, the last the push's head (idx 1), in the album; the others, by
        ``how``: in the album too; only linked from the head's 往期推荐 (``linked``: else
        nowhere); in a second album, the head also; in the album and linked from the head by
        their short links; of the head's push (idx 2…), in the album or (``linked``: linked
        from the head) in none; only on the homepage (``publish_on_homepage``)."""
        if how == "homepage":
            self.publish_on_homepage(count)
            return
        first = self.take_mids(count)
        push = how == "push"
        albums = {"album": (ALBUM,), "second": (SECOND,), "short": (ALBUM,)}.get(how, ())
        others = [Art(str(first if push else first + n), idx=str(n + 1) if push else "1",
                      albums=(ALBUM,) if push and n % 2 else albums, days_ago=0,
                      token=f"T{first + n}" if how == "short" else "") for n in range(1, count)]
        listed = [art for art in others if art.albums]
        heard = [art for art in others if how == "short" or (linked and not art.albums)]
        head = Art(str(first), albums=(ALBUM, SECOND) if how == "second" else (ALBUM,), days_ago=0,
                   links=tuple(self.site.short(art) if art.token else self.site.body_link(art) for art in heard))
        self.links[key(head)] = [key(art) for art in heard]
        self.publish_arts([*others, head], [*listed, head])

    def publish_on_homepage(self, count: int) -> None:
        """New articles only the account's homepage lists; the first time, an article of the
        album links the homepage."""
        arts = [Art(str(self.take_mids(1)), days_ago=0) for _ in range(count)]
        if not self.home_heads:
            head = Art(str(self.take_mids(1)), albums=(ALBUM,), days_ago=0, links=(self.serve_home(),))
            self.home_heads.add(key(head))
            arts.append(head)
        self.home[:0] = [key(art) for art in reversed(arts) if not art.albums]
        self.publish_arts(arts, arts)
        self.serve_home()

    def serve_home(self) -> str:
        """Serve the homepage as it now lists; return its link as a page gives it."""
        return self.site.homepage("1", [[self.arts[k] for k in self.home if k in self.arts and k not in self.deleted]])

    @rule(how=st.sampled_from(["deep", "deep swap", "also", "reorder", "leave", "oldest first", "empty", "refill"]),
          album=st.sampled_from([ALBUM, SECOND]), seed=st.randoms(use_true_random=False), data=st.data())
    def curate(self, how: str, album: str, seed: random.Random, data: st.DataObject) -> None:
        """The owner changes ``album``: ``how`` names the method that says how."""
        if how in ("deep", "deep swap"):
            self.add_deep(how == "deep swap", album, data.draw(st.integers(0, 10**6)))
        elif how == "also" and self.alive() and SECOND in self.site.albums:
            self.also_in_second(data.draw(st.sampled_from(self.alive())))
        elif how in ("reorder", "leave"):
            self.reorder(seed, how == "leave", album)
        elif how == "oldest first":
            self.site.ascending_albums ^= {album}  # 正序, or back
        elif how == "empty":
            self.empty(album)
        elif how == "refill" and album in self.emptied:
            self.site.albums[album] = self.emptied.pop(album) + self.site.albums[album]

    def add_deep(self, swap: bool, album: str, place: int) -> None:
        """An old article added to an album at any position (``place``, modulo); with
        ``swap``, at its oldest, and a member had leaves it there the same day: its first
        page and count are as they were, and it is read whole only at its weekly recheck."""
        members = self.site.albums.get(album)
        if not members:
            return
        old = Art(str(self.take_mids(1)), albums=(album,), days_ago=40)
        self.site.serve([old])
        self.arts[key(old)] = old
        self.pending.add(key(old))
        deep = [a for a in members[:-3] if key(a) not in self.pending and key(a) != key(self.entry)]
        if swap and deep:
            members.remove(deep[0])
            self.late[key(old)] = self.life.day + RECHECK_DAYS + 1
        members.insert(0 if swap else place % (len(members) + 1), old)

    def also_in_second(self, art: Art) -> None:
        """``art`` put in the second album too (its page not changed)."""
        if art not in self.site.albums[SECOND]:
            self.site.albums[SECOND].append(art)

    @precondition(lambda self: self.alive())
    @rule(data=st.data(), how=st.sampled_from(["add", "drop", "title", "title and add"]))
    def edit(self, data: st.DataObject, how: str) -> None:
        """The account edits an article: adds a line to its list, drops its last, or
        changes its title (and adds a line)."""
        art = data.draw(st.sampled_from(self.alive()))
        self.edits[key(art)] = self.edits.get(key(art), 0) + 1
        if self.life.has_post(art):
            self.edited_posts.add(key(art))
        items = art.items[:-1] if how == "drop" else art.items
        if how.endswith("add") or not art.items:
            items = (*art.items, f"改{len(art.items)}")
        title = f"{art.name}（更正{self.edits[key(art)]}）" if how.startswith("title") else art.title
        self.serve_instead(art, replace(art, items=items, title=title))

    def serve_instead(self, art: Art, new: Art) -> None:
        """``new`` served instead of ``art``, in ``art``'s places; a page changed."""
        self.site.article(new)
        self.arts[key(art)] = new
        self.changed[key(art)] = 0
        for album in [*self.site.albums.values(), *self.emptied.values()]:
            album[:] = [new if a == art else a for a in album]

    def movable(self) -> list[Art]:
        return [a for a in self.alive() if len(a.albums) == 1 and a.albums[0] in self.site.albums
                and key(a) != key(self.entry) and key(a) not in self.home_heads]

    @precondition(lambda self: SECOND in self.site.albums and self.movable())
    @rule(data=st.data())
    def move(self, data: st.DataObject) -> None:
        """The owner moves an article from its album to the other (its page names the
        other): not an edit a reader sees."""
        art = data.draw(st.sampled_from(self.movable()))
        there = SECOND if art.albums == (ALBUM,) else ALBUM
        moved = replace(art, albums=(there,))
        self.site.article(moved)
        self.arts[key(art)] = moved
        self.site.albums[art.albums[0]][:] = [a for a in self.site.albums[art.albums[0]] if a != art]
        self.site.albums[there].append(moved)
        for album in self.emptied.values():
            album[:] = [a for a in album if a != art]

    def restorable(self) -> list[Key]:
        return [k for k in self.deleted if k not in self.mending]

    @precondition(lambda self: self.restorable())
    @rule(data=st.data(), relisted=st.booleans())
    def restore(self, data: st.DataObject, relisted: bool) -> None:
        """A deleted article's page answers again (its publisher restored it, or WeChat's
        deleted page was a mistake), archived or not before; its albums list it again where
        it was (``relisted``: nobody knows) or not. One never archived is had by the run
        that reads an album listing it anew, unless that day has trouble, else within the
        week (the watch asks again for it then)."""
        k = data.draw(st.sampled_from(sorted(self.restorable())))
        art = self.arts[k]
        self.site.article(art)
        self.deleted.discard(k)
        self.said_deleted.discard(k)
        self.removed.discard(k)
        self.changed[k] = 0
        event(f"restored {'with' if self.life.has_post(art) else 'before'} a post, {'re' if relisted else 'not '}listed")
        if not self.life.has_post(art):
            self.pending.add(k)
            self.late[k] = self.life.day + RECHECK_DAYS + 1
            self.restored.add(k)
        for album in art.albums if relisted else ():
            members = self.site.albums.setdefault(album, [])
            members.insert(self.places.get((album, k), len(members)), art)
        if k in self.home:
            self.serve_home()

    @precondition(lambda self: self.alive())
    @rule(data=st.data(), unavailable=st.booleans())
    def verify_one(self, data: st.DataObject, unavailable: bool) -> None:
        """The next day, one article's page (new or archived) answers WeChat's verification
        page, or (``unavailable``) its 该内容暂时无法查看 (``../shared/fixtures/wechat/
        unavailable_temporarily_1.html``); the day after, the article again."""
        self.verified = key(data.draw(st.sampled_from(self.alive())))
        self.verified_with = answer("unavailable.html") if unavailable else VERIFICATION

    @precondition(lambda self: self.alive())
    @rule(data=st.data(), fresh=st.booleans(), removed=st.booleans())
    def delete(self, data: st.DataObject, fresh: bool, removed: bool) -> None:
        """The account deletes an article, or (``removed``) WeChat removes it for violating
        its rules (``../shared/fixtures/wechat/violation_1.html``); with ``fresh``, one not
        yet archived if any (a mistake mended at once)."""
        young = [a for a in self.alive() if key(a) in self.pending]
        self.delete_upstream(data.draw(st.sampled_from(young if fresh and young else self.alive())), removed)

    @rule(days=st.integers(2, 4))
    def days_pass(self, days: int) -> None:
        """``days`` days, a run each, the first with what trouble was drawn: a rule among a
        score, a day alone came once in some twenty steps, and a week's promises (the
        watch's turn, an album's recheck) were seldom reached."""
        for _ in range(days):
            self.a_day()

    @rule(days=st.integers(1, 7))
    def cron_off(self, days: int) -> None:
        """``days`` pass without a run (the machine off): the next run finds the watch's
        checks and the albums' rechecks due."""
        for _ in range(days):
            self.life.next_day()

    def incomplete(self) -> list[Art]:
        """Articles the account may delete whose posts lack an image that failed."""
        return [a for a in self.alive() if key(a) in self.pending and key(a) in self.imageless
                and self.life.has_post(a)]

    @precondition(lambda self: self.incomplete())
    @rule(data=st.data())
    def delete_incomplete(self, data: st.DataObject) -> None:
        """The account deletes an article whose post lacks an image: the images come from
        its raw capture (crawler/watch/mend.py)."""
        self.delete_upstream(data.draw(st.sampled_from(self.incomplete())))

    def delete_upstream(self, art: Art, removed: bool = False) -> None:
        if art in self.incomplete():
            self.mending[key(art)] = 0
        self.site.pages[art.path] = answer("violation.html" if removed else "deleted.html")
        (self.removed.add if removed else self.removed.discard)(key(art))
        if art.token:
            self.server.route(f"/s/{art.token}", self.site.pages[art.path])
        for name, album in [*self.site.albums.items(), *self.emptied.items()]:
            if art in album:
                self.places[(name, key(art))] = album.index(art)
            album[:] = [a for a in album if key(a) != key(art)]
        self.deleted.add(key(art))
        self.pending.discard(key(art))
        self.changed[key(art)] = 0
        if key(art) in self.home:
            self.serve_home()

    def reorder(self, seed: random.Random, leave: bool, album: str) -> None:
        """An album reordered; with ``leave``, an article had leaves it."""
        members = self.site.albums.get(album, [])
        seed.shuffle(members)
        had = [art for art in members if key(art) not in self.pending]
        if leave and len(members) > 1 and had:
            members.remove(had[0])

    def empty(self, album: str) -> None:
        """The owner takes every article out of an album (until ``curate`` refills it)."""
        if self.site.albums.get(album) and album not in self.emptied:
            self.emptied[album] = self.site.albums[album]
            self.site.albums[album] = []

    @rule(kind=st.sampled_from([VERIFICATION, BAD_GATEWAY, "freq", "verify"]), pages=st.integers(0, 3))
    def wechat_fails(self, kind: Route | str, pages: int) -> None:
        """WeChat answers the next ``pages`` article pages (0: all that day) with ``kind``;
        or, the next day, the album's JSON with freq control (``freq``), or every album's
        with its verification page (``verify``)."""
        if isinstance(kind, str):
            self.album_trouble = kind
        else:
            self.trouble, self.troubled = kind, pages

    @rule()
    def image_fails(self) -> None:
        """The CDN fails an image of the newest article not yet had (one published now, if
        none) for a day."""
        if not self.pending:
            self.publish(1, "album", False)
        art = self.arts[max(self.pending)]
        self.break_picture(art)
        self.broken_images.append(key(art))
        self.imageless.add(key(art))

    def break_picture(self, art: Art) -> None:
        self.server.image(self.site.picture(art), b"busy", status=503)

    @rule()
    def rename_account(self) -> None:
        """The account renames itself (WeChat allows it a few times a year): every page
        names it anew, the homepage too; not an edit a reader sees, so the posts archived
        keep the name they had (README: The watch), new ones take the new."""
        self.renames += 1
        self.site.account = f"测试反诈中心改名{self.renames}"
        for art in [self.entry, *self.alive()]:
            self.site.article(art)
        for k in self.broken_images:  # still failing until the day is over
            self.break_picture(self.arts[k])
        if self.home_heads:
            self.serve_home()

    def posted(self) -> list[Art]:
        """The articles with a post a person may edit or delete."""
        return [a for a in self.alive() if self.life.archived(a) and key(a) not in self.deleted_by_hand]

    @precondition(lambda self: self.posted())
    @rule(data=st.data())
    def tag_by_hand(self, data: st.DataObject) -> None:
        art = data.draw(st.sampled_from(self.posted()))
        path = self.life.post_path(art)
        tag = f"手加{art.mid[-3:]}{art.idx}"
        path.write_text(path.read_text(encoding="utf-8").replace("tags:\n", f"tags:\n    - {tag}\n", 1),
                        encoding="utf-8")
        self.hand_tags[key(art)] = tag

    def start_trouble(self) -> None:
        for name, members in self.site.albums.items() if self.empty_gone else ():
            if not members:
                self.site.album_errors[name] = ALBUM_GONE
        if self.verified and self.verified not in self.deleted:
            art = self.arts[self.verified]
            self.site.pages[art.path] = self.verified_with
            if art.token:
                self.server.route(f"/s/{art.token}", self.verified_with)
        if self.trouble:
            failing = self.failing(self.trouble, self.troubled)
            self.server.route("/s", failing(self.site._long_link))
            for art in self.short_linked():
                self.server.route(f"/s/{art.token}", failing(self.site.pages[art.path]))
        if self.album_trouble == "freq":
            self.site.album_errors[ALBUM] = FREQ_CONTROL
        elif self.album_trouble == "verify":
            self.server.route("/mp/appmsgalbum", lambda query: VERIFICATION)

    def end_trouble(self) -> None:
        self.server.route("/s", self.site._long_link)
        self.server.route("/mp/appmsgalbum", self.site._album_json)
        self.site.album_errors.clear()
        for art in self.short_linked():
            self.server.route(f"/s/{art.token}", self.site.pages[art.path])
        for k in self.pending | ({self.verified} - self.deleted if self.verified else set()):
            self.site.article(self.arts[k])  # its images served again
        for k in self.broken_images:
            self.site.picture(self.arts[k])  # also of an article deleted since: the CDN keeps it
        self.trouble, self.album_trouble, self.broken_images, self.verified = None, None, [], None

    @rule()
    def a_day(self) -> None:
        trouble, album_trouble, images = self.trouble, self.album_trouble, self.broken_images
        verified = self.verified is not None and self.verified not in self.deleted
        reachable = self.reachable()
        # only links without chksm lead to these: refused (by WeChat's rule, or by a block
        # that passes), each is named once instead
        may_refuse = self.site.refuse_without_chksm or trouble == VERIFICATION or verified
        refusable = self.reachable(deleted=True) - self.reachable(unlisted=False) if may_refuse else set()
        self.start_trouble()
        self.life.next_day()
        asked = len(self.server.hits("/mp/appmsgalbum"))
        result = crawl("accounts", self.life.archive, settings=self.life.settings)
        shown = self.shown(self.server.hits("/mp/appmsgalbum")[asked:]) if album_trouble != "verify" else {}
        self.end_trouble()
        if may_refuse:  # also those linked from a page archived this run, whatever led to it
            refusable |= self.reachable(deleted=True) - self.reachable(unlisted=False)
        lines = said(result)
        story = (f"day {self.life.day}, albums {({n: [(a.mid[-3:], a.idx) for a in m] for n, m in self.site.albums.items()})}"
                 f", oldest first {self.site.ascending_albums}, read "
                 f"{self.server.hits('/mp/appmsgalbum')[asked:]}:\n{result.stderr}")
        had = {k for k in self.pending if self.life.archived(self.arts[k])}
        self.pending -= had
        good = not (trouble or album_trouble or verified)
        # listed anew by an album the run read: asked by that run (README: The watch)
        anew = {k for album, (keys, _) in shown.items() for k in keys - self.album_listed.get(album, set())}
        self.remember_reads(shown, good)
        for mark in (5, 10, 20):  # the hunt's statistics: how long stories live
            if self.life.day >= mark:
                event(f"a run on day {mark} or later")
        for k in had & set(self.late):  # what the hunt's statistics show of the late ones
            event(f"{'restored' if k in self.restored else 'added deep'}: archived "
                  f"{'by a read listing it anew' if k in anew else 'by the watch or the recheck'}")
        refused = named(lines, REFUSED)
        assert refused <= refusable and not refused & self.said_refused, story  # each told once
        self.said_refused |= refused
        if trouble or album_trouble or verified:
            assert result.returncode in (0, 1), story
            if trouble and self.pending & reachable and not self.troubled:
                assert result.returncode == 1, story
            assert summed_up(result) == bool(lines), story  # a failed run says why
            assert bool(lines) or (result.returncode == 0 and not album_trouble), story
        else:
            assert result.returncode == 0, story
            expected = [line for line in lines if UPSTREAM.search(line) or REFUSED in line
                        or (images and "Images not stored" in line)]
            assert lines == expected, story
            assert summed_up(result) == bool(lines), story
            missed = {k for k in self.pending & reachable - (self.said_refused - self.reachable(unlisted=False))
                      if self.late.get(k, 0) <= self.life.day or k in anew}
            assert images or not missed, (sorted(missed), story)
        told = named([line for line in lines if GONE.search(line)], "")
        assert told <= self.deleted and not told & self.said_deleted, story  # each deletion told once
        self.said_deleted |= told
        if self.deleted_by_hand:
            restored = scrapy_command("rebuild", self.life.archive)  # as the maintainer would
            assert restored.returncode == 0, restored.stdout + restored.stderr
            assert all(self.life.post_path(self.arts[k]).exists() for k in self.deleted_by_hand), restored.stdout
            self.deleted_by_hand = set()
        self.mended(good=good)
        self.watch_says(good=good, story=story)
        # a post that lacks an image is incomplete until a good day fetches its page again
        # (or, its original deleted, reads it from its capture)
        if not self.mending and not [k for k in self.pending if k in self.imageless
                                     and self.life.has_post(self.arts[k])]:
            self.life.check()

    def shown(self, hits: list[tuple[str, dict[str, str]]]) -> dict[str, tuple[set[Key], bool]]:
        """What the run's reads (``hits``) of each album listed, and whether they listed
        every member: the stand-in's answers to them again, the albums as served then."""
        listed: dict[str, set[Key]] = {}
        for path, _ in hits:
            query = urlsplit(path).query
            answer = self.site._album_json(query)
            answered = json.loads(answer.body).get("getalbum_resp") if answer.status == 200 else None
            if answered is not None:
                items = answered["article_list"]
                listed.setdefault(parse_qs(query)["album_id"][0], set()).update(
                    (item["msgid"], item["itemidx"]) for item in ([items] if isinstance(items, dict) else items))
        return {album: (keys, keys >= {key(a) for a in self.site.albums.get(album, [])})
                for album, keys in listed.items()}

    def remember_reads(self, shown: dict[str, tuple[set[Key], bool]], good: bool) -> None:
        """The members each album read is recorded as listing: any page read adds its own; a
        read to the end on a good day is the album's (on a day with trouble, the run may
        have stopped before it recorded that read: both kept)."""
        for album, (keys, whole) in shown.items():
            if whole and good:
                self.album_listed[album] = set(keys)
            self.album_listed.setdefault(album, set()).update(keys)

    def mended(self, good: bool) -> None:
        """Each incomplete post whose original was deleted is complete by its third good day:
        the watch finds the deletion by the second (30 a run, the most overdue first), the
        next run tries the images from its capture."""
        for k in list(self.mending):
            if "/mmbiz_png/" not in self.life.post_path(self.arts[k]).read_text(encoding="utf-8"):
                del self.mending[k]
            elif good:
                self.mending[k] += 1
                assert self.mending[k] < 3, f"day {self.life.day}: {k} never mended"

    def watch_says(self, good: bool, story: str) -> None:
        """The watch's keys in each post follow the contract (``../shared/ARCHIVE_FORMAT.md``):
        ``status`` with ``gone_since`` only of an original deleted (or back since), ``updated``
        with ``versions`` only of one edited once it had a post; and, ``SETTLE`` good days
        after a page last changed (the watch comes to an old article once a week, to every
        one while they are no more than it checks a run), they say what the page is now, and
        the post shows its title and list as they are."""
        if good:
            self.changed = {k: days + 1 for k, days in self.changed.items()}
        posts = {k: self.life.post_path(art) for k, art in self.arts.items() if self.life.has_post(art)}
        for k, path in posts.items():
            text = path.read_text(encoding="utf-8")
            block = front(text)["wechat"]
            assert isinstance(block, dict), text
            keys = {name: block[name] for name in ("status", "gone_since", "updated", "versions") if name in block}
            assert ("status" in keys) == isinstance(keys.get("gone_since"), date), (keys, story)
            assert ("updated" in keys) == isinstance(keys.get("updated"), date), (keys, story)
            assert ("updated" in keys) == (isinstance(keys.get("versions"), int) and keys["versions"] >= 2), keys
            assert keys.get("status", "deleted") in ("deleted", "removed"), keys
            assert "status" not in keys or k in self.deleted or k in self.changed, (k, keys, story)
            assert "updated" not in keys or k in self.edited_posts, (k, keys, story)
            if self.changed.get(k, SETTLE) < SETTLE or len(posts) > WATCH_PER_RUN or k in self.pending:
                continue
            art = self.arts[k]
            assert keys.get("status") == (("removed" if k in self.removed else "deleted") if k in self.deleted
                                          else None), (k, keys, story)
            if k not in self.deleted:
                assert front(text)["title"] == art.name, (k, story)
                shown = set(re.findall(r"改\d+", text.split("\n---\n", 1)[1]))
                assert shown == set(art.items), (k, shown, art.items, story)

    def failing(self, trouble: Route, pages: int) -> Callable[[Route | Callable[[str], Route]], Callable[[str], Route]]:
        """The article pages' routes, of long and short links alike (WeChat answers the
        client, whatever link it asks by): ``trouble`` for the first ``pages`` asked of them
        all (0: every one), else each its own answer."""
        asked = iter(range(pages or 10**9))

        def failing(answer: Route | Callable[[str], Route]) -> Callable[[str], Route]:
            def route(query: str) -> Route:
                if next(asked, None) is not None:
                    return trouble
                return answer(query) if callable(answer) else answer
            return route
        return failing

    def short_linked(self) -> list[Art]:
        """The articles served at a short link, the accounts file's among them."""
        return [art for art in [self.entry, *self.arts.values()] if art.token]

    @precondition(lambda self: self.posted())
    @rule(data=st.data())
    def delete_by_hand(self, data: st.DataObject) -> None:
        art = data.draw(st.sampled_from(self.posted()))
        self.life.post_path(art).unlink()
        self.deleted_by_hand.add(key(art))
        self.hand_tags.pop(key(art), None)  # gone with its file

    @invariant()
    def hand_tags_stay(self) -> None:
        for k, tag in self.hand_tags.items():
            if k not in self.deleted_by_hand:
                text = self.life.post_path(self.arts[k]).read_text(encoding="utf-8")
                assert tag in front(text)["tags"], text  # type: ignore[operator]


CronLife.TestCase.settings = settings(
    max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None,
    derandomize="CRONLIFE_RANDOM" not in os.environ,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
test_cron_life = CronLife.TestCase

"""Fuzzing whole posts as a reader gets them: built by Jekyll, shown by Chromium (hypothesis).

Each batch is articles whose title, account name, albums and account's tag hold YAML's,
kramdown's and Liquid's own syntax (``tests/test_fuzz.py``'s pieces: anchors, aliases,
``!!str``, ``...``, NEL, U+2028, a BOM; ``{%raw%}``, ``{{`` split by the script's escapes),
and whose bodies are the body fuzz's (``tests/test_fuzz_body.py``: kramdown's footnotes,
abbreviations, definition lists, attribute lists, header ids, extensions, math,
typography, HTML blocks read as Markdown, Liquid split across elements), with pictures
whose alt text is such text. The posts are built by Jekyll into the Hux-like site
(``tests/browser.py``) and each opened in Chromium, where:

- no script runs, no dialog opens, no console error;
- the title and each tag are, in the page's attributes, what the front matter says;
- the post's text is the attribution's, then the article's text (as the body fuzz reads
  both): nothing Liquid or kramdown took for its own syntax is lost or added;
- no element or attribute shows that the article did not ask for: only the elements
  the converter writes, with only links' ``href``, pictures' ``src`` and ``alt`` and
  headings' ``id``; every picture loads from the blog.

And bodies of the body fuzz are shown by Chromium as articles and as their posts: the
text of each is the same, and the report's.

Deterministic (``derandomize``); ``FUZZ_EXAMPLES`` / 150 builds (at least one), ``FUZZ_EXAMPLES``
/ 10 bodies.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from crawler.convert.markdown import to_markdown
from crawler.convert.post import compose_post, post_filename
from crawler.offline.fidelity import as_read, shown_in_article
from crawler.offline.kramdown import Kramdown
from crawler.wechat import dom
from crawler.wechat.article import Article, NotAnArticle, PageReason
from crawler.wechat.page import parse_page
from tests.browser import BASEURL, STANDARD, PageView, build_site, chromium_text, view_posts
from tests.mockserver import png
from tests.test_fidelity import article_of
from tests.test_fuzz import TAGGER, js_text, with_albums
from tests.test_fuzz import text as fuzz_text
from tests.test_fuzz_body import as_typed, block, read_on_wechat, words
from tests.test_fuzz_body import body as block_body
from tests.test_hostile import page

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
pytestmark = [pytest.mark.browser, *([pytest.mark.timeout(0)] if "FUZZ_EXAMPLES" in os.environ
                                      else [])]
URL = "https://mp.weixin.qq.com/s/SiteFuzz"
PUBLISHED = datetime(2024, 1, 2, tzinfo=UTC)
IMAGE = "https://mmbiz.qpic.cn/mmbiz_png/SiteFuzz{}/640?wx_fmt=png"
STORED = "fuzz.png"
# What the converter writes, as Jekyll's kramdown renders it, and the attributes each may
# carry; code is wrapped and classed by Jekyll's highlighter (Rouge), as plain text
ELEMENTS = {"p", "br", "strong", "em", "del", "code", "pre", "a", "img", "ul", "ol", "li",
            "blockquote", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th",
            "td", "hr", "div"}
ATTRIBUTES = {"a": {"href"}, "img": {"src", "alt"}, "div": {"class"}, "pre": {"class"},
              "code": {"class"}, **{f"h{level}": {"id"} for level in range(2, 7)}}
HIGHLIGHTER_CLASSES = {"language-plaintext highlighter-rouge", "highlight"}

picture = st.builds(lambda number, alt: f'<p><img data-src="{IMAGE.format(number)}" alt="{alt}"></p>',
                    st.integers(0, 3), words)
body = st.lists(st.one_of(block, picture), min_size=1, max_size=4).map("".join)


@st.composite
def articles(draw: st.DrawFn) -> str:
    """A page whose every part a reader sees is hostile text (its title not blank: a page
    of a blank title is no article to the parser)."""
    return with_albums(page(draw(body), title=draw(js_text) + "题", nickname=draw(js_text)),
                       draw(st.lists(js_text, max_size=3)))


@dataclass(frozen=True)
class Written:
    article: Article
    front: dict[str, object]  # as PyYAML reads it


@pytest.mark.jekyll
@settings(max_examples=max(1, EXAMPLES // 150), deadline=None, derandomize=True,
          phases=[Phase.generate],  # a build per try: shrinking would take hours
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(batch=st.lists(st.tuples(articles(), fuzz_text), min_size=12, max_size=12))
def test_a_built_post_shows_what_the_article_said_and_nothing_else(
        batch: list[tuple[str, str]], tmp_path_factory: pytest.TempPathFactory) -> None:
    work = tmp_path_factory.mktemp("site")
    (work / "archive" / "_posts").mkdir(parents=True)
    (work / "archive" / "postimg").mkdir()
    (work / "archive" / "postimg" / STORED).write_bytes(png((200, 30, 30)))
    made = {f"/2024/01/02/{number}.html": write(html, tag, number, work / "archive")
            for number, (html, tag) in enumerate(batch)}
    written = {path: post for path, post in made.items() if post is not None}
    views = view_posts(build_site(work / "archive", work))
    assert sorted(views) == sorted(written)
    for path, post in written.items():
        check_view(views[path], post)


def write(html: str, tag: str, number: int, archive: Path) -> Written | None:
    """The post of ``html``, tagged with its account's ``tag``, written as post ``number``;
    None if ``html`` is no article (its title, also in its HTML, opened a comment there)."""
    parsed = parse_page(html, URL)
    if isinstance(parsed, NotAnArticle):
        assert parsed.reason != PageReason.UNPARSEABLE, parsed.message
        return None
    article = replace(parsed, published=PUBLISHED)
    links = {url: f"{{{{site.baseurl}}}}/postimg/{STORED}" for url in article.image_urls}
    text = compose_post(article, links, TAGGER.tags(article, configured=[tag]))
    name = post_filename(replace(article, title=str(number)))
    (archive / "_posts" / name).write_text(text, encoding="utf-8")
    return Written(article, yaml.safe_load(text[len("---\n"):].split("\n---\n", 1)[0]))


def check_view(view: PageView, post: Written) -> None:
    where = (view.url, post.article.title)
    assert (view.dialogs, view.event_handlers, view.console_errors) == ([], [], []), where
    assert view.metas["og:title"] == post.front["title"], where
    assert [link.title for link in view.links if "/tags/#" in link.href] == post.front["tags"], where
    attribution, _, shown = view.post_text.partition("来源：微信公众号")
    assert attribution.startswith("转载："), (where, view.post_text)
    assert as_typed(as_read(shown)) == read_on_wechat(post.article), (where, view.post_text)
    for name, attributes in view.post_elements:
        assert name in ELEMENTS, (where, name, attributes)
        assert set(attributes) <= ATTRIBUTES.get(name, set()), (where, name, attributes)
        assert attributes.get("class", "highlight") in HIGHLIGHTER_CLASSES, (where, attributes)
    for image in view.images:
        assert image.src.endswith(f"{BASEURL}/postimg/{STORED}") and image.natural_width, where



@pytest.fixture(scope="module")
def chromium() -> Iterator[Callable[[str], str]]:
    with chromium_text() as shown:
        yield shown


@pytest.fixture(scope="module")
def kramdown() -> Iterator[Kramdown]:
    with Kramdown() as renderer:
        yield renderer


@settings(max_examples=max(1, EXAMPLES // 10), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(html=block_body)
def test_chromium_shows_of_a_post_what_it_shows_of_the_article(
        html: str, chromium: Callable[[str], str], kramdown: Kramdown) -> None:
    """The text Chromium shows of a generated body (every ``<details>`` open) is the text it
    shows of its post, as kramdown renders it, and the text the report counts, in order,
    both pages in standards mode, as WeChat's and the blog's are:
    ``read_on_wechat`` reads the article as the converter does, this reads it as a browser
    does (what it draws of a ``<select>``, a ``<q>``, an ``<object>``, a summary's place).

    The original's ``<details>`` are open from the start: opened by a script, Chromium leaves
    an ``<object>``'s fallback in one undrawn after other objects."""
    article = article_of(html)
    post = lxml.html.tostring(dom.fragment(kramdown.render(
        to_markdown(article, {}).replace('{{ "{" }}', "{"))), encoding="unicode")
    original, shown = (as_typed(as_read(chromium(STANDARD + document)))
                       for document in (html.replace("<details>", "<details open>"), post))
    assert original == shown == as_typed(shown_in_article(article)), post


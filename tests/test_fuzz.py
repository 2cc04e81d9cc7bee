"""Fuzzing the parser → converter → post path with hostile pages (hypothesis).

Pages are made of markup WeChat's editor and an attacker can produce: tags nested in any
order, attributes lxml cannot read, URLs Python cannot split, Markdown, kramdown, Liquid
and YAML syntax split across elements, JS string escapes of surrogates and controls; also
our own fixture pages with such fragments dropped in anywhere; the ids the page's script
states, which make the article's URL, and the text of text and image posts, which it
states too, are such text, and so are the names of the albums it states. The post is
tagged by the real tagger (its scam types, its albums, an account's tag made of such text)
and links to one archived article. For every page:

- no exception escapes, and the parser's safety net (``unparseable``) is never needed;
- the front matter reads back with PyYAML as exactly what was meant, each album a tag;
- a title or tag printed raw into HTML shows as written (no character reference), and none
  is read by jQuery (Hux's archive page) as a number, a boolean or null;
- the post written before the linked article was archived, then relinked, is the post
  written after (front matter, attribution, code and formulas untouched);
- the attribution is its two lines, then a blank line;
- no ``{{`` or ``{%`` reaches Liquid but our own escape and image links;
- the body, rendered by kramdown as the blog renders it, holds no element or attribute
  that runs script (a marker glued to a closing fence, ```` ```** ````, left the block
  open and the next one's text was read as HTML; so did code spans whose backticks touch);
- nor does the text of a heading, which Hux's side catalog writes back as HTML, where it
  shows as written (no character reference).

Code blocks come inside inline elements (bold, italics, strike-through, code, links) and
inside headings long enough to be written as bold text, followed by a code block of HTML.
The slower variant builds the posts with Jekyll, into a layout that prints the title in
attribute values, double-quoted as Hux does and single-quoted as other themes do, and into
the JSON strings of Hux's search index, where each title and tag must be what was written
(Jekyll's YAML reader is Ruby's Psych, not PyYAML), and into Hux's archive page. Deterministic (``derandomize``);
``FUZZ_EXAMPLES`` sets how many pages (the figures in the README come from
``FUZZ_EXAMPLES=20000``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from html import unescape
from types import SimpleNamespace

import lxml.etree
import lxml.html
import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from crawler.convert.archivepage import reads_as_text
from crawler.convert.headings import LONGEST_HEADING
from crawler.convert.post import compose_post, post_filename, tag_safe, theme_safe, yaml_readable
from crawler.convert.relink import link_identity, post_url, relink
from crawler.offline.kramdown import Kramdown
from crawler.tagging.tags import Tagger, album_tag
from crawler.wechat.article import Article, NotAnArticle
from crawler.wechat.page import parse_page
from crawler.wechat.shown import shows_no_character
from tests.browser import ARCHIVE_SCRIPT, BASEURL, CATALOG_SCRIPT, FEED_PATH, build_site
from tests.conftest import PAGES, pytest_collection_modifyitems
from tests.test_hostile import page

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
# a hunt runs as long as it was asked to, past the suite's limit of a test's time
pytestmark = [pytest.mark.timeout(0)] if "FUZZ_EXAMPLES" in os.environ else []
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
URL = "https://mp.weixin.qq.com/s/FuzzToken"
LOCAL = "{{site.baseurl}}/postimg/"

PIECES = [*"{}%#*_[]()<>&;|\\`~$:!-+=.\"' \n\t/@?", "\u00a0", "\u200b", "\u3000", "\ufeff",
          "\ufffe", "\uffff", "\x01", "\x0b", "\x85", "\u2028", "\U0001f600", "反", "诈", "a", "1",
          "²", "٣", "{{", "{%", "%}", "}}", "{{ site.title }}", "{% include x %}", "{%- raw -%}",
          "{: .x}", "{::comment}", "$$", "&amp;", "&lt;", "&#0;", "&#xd800;", "&#x1F600;", "&#1;",
          "&#x1b", "&#65535;",
          "javascript:", "]]>", "<!--", "-->", "yes", "null", "---", "~~~", "```", "1.", "# ",
          "> ", "- ", "^", "http://[::1", "<script>alert(1)</script>", "<b>", "</b>", "<p>",
          "&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(1)&gt;",
          "&copy", "&#60;", "2024", "true", "\u202e", "\u2066", "{%- endraw %}", "个", "＃",
          "](https://mp.weixin.qq.com/s?__biz=MzA=&mid=1&idx=1)",
          '](https://mmbiz.qpic.cn/mmbiz_png/Fuzz1/640){: referrerpolicy="no-referrer"}',
          # YAML's own: anchors, aliases, tags, documents' ends, directives, keys, merges
          "&a ", "*a", "!!str ", "!!binary ", "!<x> ", "...", "? ", "%YAML 1.2", "<<: *a", ": ",
          # kramdown's own: definitions, attribute lists, header ids, extensions, math, notes
          ": 定义", "{:zz: .zzc}", "{: .zzc #zzid zz=1}", "{#zzid}", "{::nomarkdown}", "{:/}",
          '{::options parse_block_html="true" /}', "$$x$$", "*[反诈]: 反诈骗", "[^zz]", "[^zz]: 注",
          '<div markdown="1">', "</div>", "--", "<<", "{%raw%}", "{%endraw%}", "{{-", "-}}"]
URLS = ["https://mmbiz.qpic.cn/mmbiz_png/Fuzz1/640?wx_fmt=png", "http://[::1",
        "http://[CDATA[x", "javascript:alert(1)", "JaVaScRiPt:x", "data:text/html,<b>", "//x.y/z",
        "https://a.example/{{x}}", "https://a.example/%7B%25", "mailto:a@b", "http://a:99999/",
        "https://mp.weixin.qq.com/s?__biz=MzA=&mid=1&idx=1", "", " ", "\x00"]
TAGS = ["p", "b", "i", "em", "strong", "span", "section", "div", "a", "code", "pre", "h1", "h2",
        "h4", "blockquote", "ul", "ol", "li", "table", "tr", "td", "th", "font", "sup", "iframe",
        "mpvoice", "mp-common-mpaudio", "qqmusic", "mp-miniprogram", "svg", "script", "style",
        "img", "br", "embed", "mp-common-profile", "wx-formula", "hr", "u", "thead",
        # the editor's other widgets, and what a browser draws of its own
        "mp-common-videosnap", "mp-common-miniprogram", "mp-common-vote", "mp-common-article",
        "select", "option", "optgroup", "object", "param", "details", "summary", "q"]
ATTRIBUTES = st.sampled_from([
    ("href", URLS), ("data-src", URLS), ("src", URLS), ("alt", PIECES), ("name", PIECES),
    ("style", ["display:none", "visibility:hidden", "background-image:url(http://[::1)",
               "background:url('https://mmbiz.qpic.cn/mmbiz_png/Bg/0')", "font-size:0",
               "font-weight:bold", "font-weight: normal", "font-weight:700;display:block"]),
    ("class", ["code-snippet__js", "line-index", "js_plain-music_entry"]),
    ("selected", [""]), ("multiple", [""]), ("size", ["3", "1", "3px", "-1"]), ("label", PIECES),
    ("disabled", [""]), ("hidden", [""]), ("open", [""]),
    ("data-formula", PIECES), ("{x}", PIECES), ("a\x01b", PIECES), ("on", PIECES),
    ("colspan", ["2", "²", "½", "9" * 5000]), ("start", ["3", "²", "½", "9" * 5000]),
]).flatmap(lambda pair: st.tuples(st.just(pair[0]), st.sampled_from(pair[1])))

text = st.lists(st.sampled_from(PIECES), max_size=10).map("".join)


def element(tag: str, attributes: list[tuple[str, str]], children: list[str]) -> str:
    attrs = "".join(f' {name}="{value.replace(chr(34), "&quot;")}"' for name, value in attributes)
    return f"<{tag}{attrs}>{''.join(children)}</{tag}>"


INLINE = ["strong", "b", "em", "i", "del", "s", "code", "a", "sup", "span"]
LONG_HEADING = "长" * (LONGEST_HEADING + 1)
code_block = st.builds(lambda body: f"<pre>{body}</pre>", text)
# A code block inside an inline element or a long heading, then one of HTML.
wrapped_code = st.builds(
    lambda tag, before, code, after, html: (
        f"<{tag}>{LONG_HEADING if tag[0] == 'h' else ''}{before}{code}{after}</{tag}>"
        f"<pre>{html}</pre>"),
    st.sampled_from(INLINE + ["h1", "h2", "h4"]), st.sampled_from(["", "前", " "]), code_block,
    st.sampled_from(["", "后", " ", "<code>```</code>"]),
    st.sampled_from(["&lt;script&gt;alert(1)&lt;/script&gt;", "{: onclick=alert(1)}", "```"]))
# A link to the article archived as TARGET (``post_of``)
archived_link = st.builds(
    lambda inside: f'<a href="https://mp.weixin.qq.com/s?__biz=MzA=&amp;mid=1&amp;idx=1">{inside}</a>',
    text)
markup = st.recursive(st.one_of(text, wrapped_code, archived_link), lambda inner: st.builds(
    element, st.sampled_from(TAGS), st.lists(ATTRIBUTES, max_size=3), st.lists(inner, max_size=4)),
    max_leaves=25)
JS_ESCAPES = ["\\ud800", "\\udc80", "\\ud83d\\ude00", "\\u0000", "\\x00", "\\x85", "\\ufffe",
              "\\n", "\\'", '\\"', "\\\\"]
js_text = st.lists(st.one_of(st.sampled_from(JS_ESCAPES),
                             st.sampled_from(PIECES).map(lambda p: p.replace("\\", "\\\\")
                                                         .replace("'", "\\'").replace('"', '\\"')
                                                         .replace("\n", "\\n"))),
                   max_size=8).map("".join)
OWN_PAGES = ["album_article.html", "legacy_shape.html", "hostile.html", "image_post.html",
             "text_post.html", "shared_post.html", "classic_2018.html", "scriptless.html"]


@st.composite
def pages(draw: st.DrawFn) -> str:
    """A hostile page: made up, or one of ours with a fragment dropped in anywhere."""
    if draw(st.booleans()):
        return with_albums(page(
            draw(markup), title=draw(js_text) or "t", nickname=draw(js_text),
            mid=draw(st.one_of(st.just("2247499001"), js_text)),
            ct=draw(st.sampled_from(["1700000000", "²", "9" * 40, "-5", "", "1e9"])),
            show_type=draw(st.sampled_from(["0", "8", "10", "²", "x"])),
            copyright=draw(st.sampled_from(["1", "2", "²"])),
            share=draw(st.sampled_from(["", '<span id="js_share_source" data-url="'
                                            'javascript:alert(1)">x</span>']))),
            draw(st.lists(js_text, max_size=3)))
    own = (PAGES / draw(st.sampled_from(OWN_PAGES))).read_text(encoding="utf-8")
    if _POST_TEXT.search(own) and draw(st.booleans()):  # a text or image post's text
        content = draw(st.lists(js_text, max_size=4).map("\\n".join)).replace("<", "\\x3c")
        return _POST_TEXT.sub(lambda _: f"content_noencode: JsDecode('{content}')", own)
    at = draw(st.integers(0, len(own)))
    return own[:at] + draw(markup) + own[at:]


_POST_TEXT = re.compile(r"content_noencode: JsDecode\('.*'\)")


def with_albums(html: str, names: list[str]) -> str:
    """``html``, a page of ``page``'s, naming albums ``names`` (JS string text) in its script."""
    albums = ", ".join(f"{{ title: '{name}', size: '3' * 1, albumId: '{number}' }}"
                       for number, name in enumerate(names, 1))
    return html.replace("</script>", f"window.album_info_list = [ {albums} ];\n</script>")


# A link the generated pages hold, to an article archived as the post TARGET.
ARCHIVED = link_identity("https://mp.weixin.qq.com/s?__biz=MzA=&mid=1&idx=1")
TARGET = "2024-01-01-目标"
TAGGER = Tagger.packaged()


@dataclass(frozen=True)
class Made:
    article: Article
    text: str
    tags: list[str]  # as the tagger gives them: the page's albums, then the configured tag


def post_of(html: str, tag: str) -> Made | None:
    """The post made of ``html`` as the pipeline makes it, tagged as its account's tags were
    ``[tag]``, checked; None if no article. The same post written before the article it
    links to was archived, then relinked, is this one."""
    result = parse_page(html, URL)
    if isinstance(result, NotAnArticle):
        assert result.reason != "unparseable", result.message
        return None
    article = result if result.published else replace(
        result, published=datetime(2024, 1, 2, tzinfo=UTC))
    links = {url: f"{LOCAL}img{number}.png" for number, url in enumerate(article.image_urls)}
    tags = TAGGER.tags(article, configured=[tag])
    text = compose_post(article, links, tags, post_links={ARCHIVED: TARGET})
    text.encode("utf-8")
    assert relink(compose_post(article, links, tags), {ARCHIVED}, TARGET) == text
    return Made(article, text, tags)


def check_post(made: Made) -> None:
    article, text = made.article, made.text
    front_text, body = text[4:].split("\n---\n", 1)
    front = yaml.safe_load(front_text)
    assert front["title"] == yaml_readable(theme_safe(article.title))
    assert front["tags"] == list(dict.fromkeys(map(tag_safe, made.tags)))
    for shown in (front["title"], *front["tags"]):  # printed raw into HTML, they show as written
        assert unescape(shown) == shown, shown
    for tag in front["tags"]:  # Hux's archive page reads each with jQuery's .data(): as text
        assert reads_as_text(tag), tag  # as jQuery does (test_browser.py)
    albums = {tag_safe(album_tag(album.title)) for album in article.albums}  # as written
    shown = {album for album in albums if not shows_no_character(album)}  # the others are none
    assert shown <= set(front["tags"]), (albums, front["tags"])
    assert front["wechat"]["url"] == yaml_readable(article.url)
    assert front["wechat"]["account"] == yaml_readable(article.account or article.account_id
                                                       or "微信公众号")
    attribution = body.lstrip("\n").split("\n")[:3]
    assert attribution[0].startswith("<blockquote><p>转载："), body
    assert attribution[1].startswith("来源：") and attribution[1].endswith("</p></blockquote>"), body
    assert attribution[2] == "", body
    liquid = re.sub(re.escape(LOCAL) + r"img\d+\.png", "", body).replace('{{ "{" }}', "")
    assert not re.search(r"\{[{%]", liquid.replace(post_url(TARGET), "")), liquid


@pytest.fixture(scope="module")
def kramdown() -> Iterator[Kramdown]:
    with Kramdown() as renderer:
        yield renderer


@FUZZ
@given(html=pages(), tag=text)
def test_no_page_breaks_the_path_to_a_post_or_makes_it_unsafe(html: str, tag: str,
                                                              kramdown: Kramdown) -> None:
    made = post_of(html, tag)
    if made is not None:
        check_post(made)
        body = made.text.split("\n---\n", 1)[1]
        rendered = kramdown.render(body.replace('{{ "{" }}', "{").replace("{{site.baseurl}}", "")
                                   .replace(post_url(TARGET), "/target"))
        check_html(rendered, "body")
        # Hux's side catalog writes each heading's text back as HTML
        for heading in lxml.html.fragment_fromstring(rendered, create_parent="div").iter(*HEADINGS):
            check_html(heading.text_content(), "side catalog")
            assert unescape(heading.text_content()) == heading.text_content()  # shows as written


HEADINGS = [f"h{level}" for level in range(1, 7)]


DANGEROUS_TAGS = {"script", "iframe", "style", "object", "embed", "form", "svg", "base", "link"}
DANGEROUS_URL = re.compile(r"\s*(javascript|data|vbscript):", re.I)


@pytest.mark.jekyll
@settings(max_examples=max(1, EXAMPLES // 100), deadline=None, derandomize=True,
          phases=[Phase.generate],  # a Jekyll build per try: shrinking would take hours
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(batch=st.lists(st.tuples(pages(), text), min_size=20, max_size=20))
def test_jekyll_builds_fuzzed_posts_without_error_and_runs_nothing(
        batch: list[tuple[str, str]], tmp_path_factory: pytest.TempPathFactory) -> None:
    work = tmp_path_factory.mktemp("fuzz")
    posts = work / "archive" / "_posts"
    posts.mkdir(parents=True)
    (work / "archive" / "postimg").mkdir()
    (posts / f"{TARGET}.md").write_text("---\ntitle: 目标\ntags: [其他]\n---\n", encoding="utf-8")
    written = [("目标", "其他")]
    for number, (html, tag) in enumerate(batch):
        made = post_of(html, tag)
        if made is None:
            continue
        name = post_filename(replace(made.article, title=str(number)))
        (posts / name).write_text(made.text, encoding="utf-8")
        written.append((theme_safe(made.article.title),
                        ", ".join(dict.fromkeys(map(tag_safe, made.tags)))))
    out = build_site(work / "archive", work)
    for built in out.rglob("*.html"):
        check_html(built.read_text(encoding="utf-8").replace(CATALOG_SCRIPT, "")
                   .replace(ARCHIVE_SCRIPT, ""), built)
    # Jekyll's YAML reader (Ruby's Psych) reads each title and tag as PyYAML does
    index = json.loads((out / BASEURL.strip("/") / "search.json").read_text(encoding="utf-8"))
    assert sorted((post["title"], post["tags"]) for post in index) == sorted(written)
    lxml.etree.fromstring((out / FEED_PATH.lstrip("/")).read_bytes())  # the feed is XML
    assert len(list(out.rglob("*.html"))) >= len(written)


def check_html(html: str, where: object) -> None:
    """No element or attribute in ``html`` runs script or loads a page (the layout's own
    script taken out)."""
    for element in lxml.html.document_fromstring(f"<html><body>{html}</body></html>").iter():
        if not isinstance(element.tag, str):
            continue
        assert element.tag.lower() not in DANGEROUS_TAGS, (where, html)
        assert not any(name.lower().startswith("on") for name in element.attrib), (where, html)
        for name in ("href", "src", "action", "formaction"):
            assert not DANGEROUS_URL.match(element.get(name) or ""), (where, html)


def test_fuzz_seed_draws_other_examples_and_the_same_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """``FUZZ_SEED`` (tests/conftest.py) reaches a ``derandomize``d test: the same seed the
    same examples, another seed others; none, the test's own."""
    def drawn(fuzz_seed: str | None) -> list[bytes]:
        seen: list[bytes] = []

        @settings(max_examples=8, derandomize=True, database=None, phases=[Phase.generate])
        @given(st.binary(min_size=8, max_size=8))
        def example(data: bytes) -> None:
            seen.append(data)

        if fuzz_seed is None:
            monkeypatch.delenv("FUZZ_SEED", raising=False)
        else:
            monkeypatch.setenv("FUZZ_SEED", fuzz_seed)
        pytest_collection_modifyitems([SimpleNamespace(obj=example)])  # type: ignore[list-item]
        example()
        return seen

    assert drawn(None) == drawn(None)
    assert drawn("1") == drawn("1") != drawn(None)
    assert drawn("2") != drawn("1")
    with pytest.raises(pytest.UsageError, match="FUZZ_SEED takes a whole number, not 'x'"):
        drawn("x")

"""Hostile pages and faults, each a case that once crashed, hung or wrote an unsafe post.

Pure functions are tested directly; what a crawl does with such pages is tested by running
the real ``scrapy crawl`` against the local server.
"""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import lxml.html
import pytest
import yaml

from crawler.convert.markdown import to_markdown
from crawler.convert.post import compose_post, converted, post_filename, render_post, theme_safe
from crawler.offline.fidelity import shown_in_article
from crawler.store.posts import distinct_images, is_worse, visible_length
from crawler.wechat import dom
from crawler.wechat.article import FIRST_PUBLISH_TIME, Article, NotAnArticle, PageReason, trusted_publish_time
from crawler.wechat.page import parse_page
from tests.conftest import PAGES, PROJECT, crawl, crawl_cli, crawl_env
from tests.mockserver import MockWeChat, Route, png
from tests.test_images import icon_holding

URL = "https://mp.weixin.qq.com/s/HostileToken"


def page(body: str = "<p>正文。</p>", *, title: str = "反诈提醒", ct: str = "1700000000",
         nickname: str = "测试反诈中心", mid: str = "2247499001", show_type: str = "0",
         copyright: str = "1", share: str = "") -> str:
    """A small article page with the given parts (``tests/pages/minimal_article.html``)."""
    template = (PAGES / "minimal_article.html").read_text(encoding="utf-8")
    for name, value in (("BODY", body), ("TITLE", title), ("CT", ct), ("NICKNAME", nickname),
                        ("MID", mid), ("SHOW_TYPE", show_type), ("COPYRIGHT", copyright),
                        ("SHARE", share)):
        template = template.replace("{{" + name + "}}", value)
    return template


def parsed(html: str) -> Article:
    result = parse_page(html, URL)
    assert isinstance(result, Article), result
    return result


def post(html: str) -> str:
    article = parsed(html)
    return compose_post(article, {}, ["其他"])


# -- 2. pages that crashed the pipeline ----------------------------------------------------
@pytest.mark.parametrize("field", ["ct", "show_type", "copyright"])
def test_digits_that_are_not_ascii_are_no_number(field: str) -> None:
    article = parsed(page(**{field: "²"}))
    assert {"ct": article.published, "show_type": article.item_show_type,
            "copyright": article.copyright_stat}[field] in (None, 0)


@pytest.mark.parametrize("number", ["²", "½", "9" * 5000])
def test_a_list_or_a_cell_numbered_by_no_number_is_converted(number: str) -> None:
    """markdownify reads a list's start and a cell's colspan with int(), after isnumeric()
    or isdigit(), which take what int() refuses: the article got no post."""
    body = (f'<ol start="{number}"><li>第一条</li></ol><table><tr><td colspan="{number}">表头'
            "</td></tr><tr><td>格</td></tr></table>")
    assert "1. 第一条\n\n| 表头 |\n| --- |\n| 格 |" in to_markdown(parsed(page(body)), {})


@pytest.mark.parametrize("ct", ["99999999999999999", "9" * 5000])
def test_a_publish_time_beyond_any_date_is_no_publish_time(ct: str) -> None:
    assert parsed(page(ct=ct)).published is None


def test_a_publish_time_is_trusted_from_wechats_launch_to_a_day_after_the_fetch() -> None:
    fetched = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)
    assert trusted_publish_time(fetched + timedelta(hours=23), fetched)
    assert trusted_publish_time(FIRST_PUBLISH_TIME, fetched)
    assert not trusted_publish_time(fetched + timedelta(hours=25), fetched)
    assert not trusted_publish_time(FIRST_PUBLISH_TIME - timedelta(seconds=1), fetched)
    assert not trusted_publish_time(datetime(9999, 12, 31, tzinfo=UTC), fetched)


def test_a_post_of_an_untrusted_publish_time_is_neither_written_nor_sound(wechat: MockWeChat,
                                                                         tmp_path: Path) -> None:
    """Year 9999 made _posts/9999-12-31-….md, which Jekyll never publishes, and verify
    called the archive sound."""
    from tests.test_captures import scrapy
    stamps = {"Future": "253402214399", "Epoch": "100000",
              "Tomorrow": str(int(datetime.now(UTC).timestamp()) + 3 * 86400)}
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join(wechat.page(f"/s/{name}", page(ct=ct, mid=f"224749960{n}"))
                                 for n, (name, ct) in enumerate(stamps.items())), encoding="utf-8")
    archive = tmp_path / "archive"
    result = crawl("article", archive, "-a", f"urls_file={listing}")
    assert result.returncode == 0, result.stderr
    assert not list((archive / "_posts").glob("*.md"))
    assert len(re.findall(r"WARNING: Not archived: \S+ \('反诈提醒'\) states the publish "
                          r"time [-\d]+T[\d:+]+, [^\n]*not to be trusted", result.stderr)) == 3
    article = parsed(page(ct=stamps["Future"], mid="2247499609"))
    (archive / "_posts").mkdir(exist_ok=True)
    (archive / "_posts" / post_filename(article)).write_text(compose_post(article, {}, ["其他"]))
    verify = scrapy("verify", archive)
    assert verify.returncode == 1
    assert re.search(r"_posts/9999-12-31-反诈提醒\.md: dated 9999-12-31, [^\n]* future",
                     verify.stdout), verify.stdout


def test_attribute_names_lxml_cannot_look_up_are_dropped() -> None:
    body = '<p {x}="1" a\x01b="2" class="c" style="color:red">正文{x}</p><section {y}="">二</section>'
    markdown = to_markdown(parsed(page(body)), {})
    assert "正文" in markdown and "二" in markdown


def test_a_tag_name_lxml_cannot_set_again_is_converted() -> None:
    """"<s<p" parses as an element named "s<p", a name lxml refuses when set: setting it
    again, unchanged, raised ValueError (found by the fuzz test)."""
    body = '<p>前<s<p style="font-weight: bold">粗</p>后</p>'
    assert "前**粗**" in to_markdown(parsed(page(body)), {})


@pytest.mark.parametrize("odd", ["\x01", "\x1f", "\ufffe", "\uffff"])
def test_characters_xml_has_no_place_for_are_gone_from_a_page_given_as_bytes(odd: str) -> None:
    """A page arrives as UTF-8 bytes; what XML refuses is found in them (not in the decoded
    text): in an attribute the converter writes back, lxml would refuse it."""
    body = f'<p>正{odd}文</p><p><img data-src="https://mmbiz.qpic.cn/a.png" alt="图{odd}说"></p>'
    article = parse_page(page(body).encode(), "https://mp.weixin.qq.com/s/x")
    assert isinstance(article, Article)
    markdown = to_markdown(article, {})
    assert "正文" in markdown and "![图说](https://mmbiz.qpic.cn/a.png)" in markdown


@pytest.mark.parametrize("odd", ["&#1;", "&#x1F;", "&#X0b", "&#12;", "&#xFFFE;", "&#65534;", "&#65535;"])
def test_references_to_characters_xml_has_no_place_for_are_gone_too(odd: str) -> None:
    """lxml reads a character reference to one as that character, and refuses it when the
    converter writes it back (an attribute kept among others dropped, a code line after a
    ``<br>``, two italics made one): the article got no post."""
    body = (f'<p><em>正{odd}</em><em>文</em></p><pre>代码<br>{odd}行</pre><p class="a{odd}" '
            f'style="color:red"><img data-src="https://mmbiz.qpic.cn/a.png" alt="图{odd}说" '
            'data-ratio="1"></p>')
    article = parse_page(page(body).encode(), "https://mp.weixin.qq.com/s/x")
    assert isinstance(article, Article)
    markdown = converted(article, {}, ["其他"])
    assert all(shown in markdown for shown in ("*正文*", "代码\n行", "![图说](https://mmbiz.qpic.cn/a.png)"))


@pytest.mark.parametrize("src", ["http://[::1", "http://[CDATA[x", "http://a:99999/x.png",
                                 "javascript:alert(1)", "http:<a href=x>"])
def test_image_urls_python_cannot_split_or_that_are_not_web_urls_are_dropped(src: str) -> None:
    article = parsed(page(f'<p>甲</p><p><img data-src="{src}"></p><p>乙</p>'))
    markdown = to_markdown(article, {})
    assert "甲" in markdown and "乙" in markdown and "![" not in markdown


def test_js_escapes_become_whole_characters_and_lone_surrogates_replacement_ones() -> None:
    article = parsed(page(nickname="a\\ud800b\\ud83d\\ude00c", title="标题\\udc80"))
    assert article.account == "a\ufffdb😀c"
    assert article.title == "标题\ufffd"
    compose_post(article, {}, ["其他"]).encode("utf-8")  # no UnicodeEncodeError


@pytest.mark.parametrize("depth", [300, 3000])
@pytest.mark.parametrize("style", ["", "font-weight: bold"])  # bold to the depth, and no more
def test_deep_nesting_keeps_its_text(depth: int, style: str) -> None:
    deepest = '<span style="font-weight: normal">最深处的文字</span>'
    body = f'<section style="{style}">' * depth + deepest + "</section>" * depth + "<p>之后的段落</p>"
    markdown = to_markdown(parsed(page(body)), {})
    assert "最深处的文字" in markdown and "之后的段落" in markdown


LONG = 200_000
# Styles no editor writes, each of which a backtracking regex read in time growing with the
# square of its length: about ten minutes each at this length.
LONG_STYLES = [
    "a" * LONG,  # a property's name with no colon after it
    "color:x" + " " * LONG + "y",  # a value of spaces
    "font-size:" + "1" * LONG + "x",  # a number that is not one
    "background:" + "url(" * (LONG // 4),  # pictures that never close
    "background:" * (LONG // 11),
]


def in_a_process(script: str, given: str) -> str:
    """What ``script`` prints, given ``given`` on its input, in a process of its own stopped if
    it outlives a minute: work on one page that takes that long never ends for the crawl either."""
    import subprocess
    import sys
    return subprocess.run([sys.executable, "-c", script], input=given, capture_output=True,
                          text=True, timeout=60, check=True, cwd=Path(__file__).parent.parent).stdout


def named_and_converted_in_a_process(html: str) -> str:
    """The file name, the tags and the post of ``html`` (``in_a_process``)."""
    return in_a_process("import sys; from tests.test_hostile import parsed, post, post_filename; "
                        "from crawler.tagging.tags import Tagger; html = sys.stdin.read(); "
                        "print(post_filename(parsed(html))); "
                        "print(Tagger.packaged().tags(parsed(html))); print(post(html))", html)


def test_a_page_of_long_styles_is_converted_and_does_not_hang() -> None:
    body = "".join(f'<p style="{style}">正文{n}</p><section style="{style}"></section>'
                   for n, style in enumerate(LONG_STYLES))
    made = named_and_converted_in_a_process(page(body))
    assert all(f"正文{n}" in made for n in range(len(LONG_STYLES))), made


def test_an_ordered_list_of_50_000_items_is_converted_and_does_not_hang() -> None:
    """markdownify counted the items before each item of an ordered list: 4,000 items took
    1.3 s, 50,000 some minutes."""
    body = "<ol>" + "".join(f"<li>第{n}项</li>" for n in range(50_000)) + "</ol>"
    made = named_and_converted_in_a_process(page(body))
    assert "\n1. 第0项\n" in made and "\n50000. 第49999项\n" in made


def test_a_page_of_a_long_title_is_named_and_does_not_hang() -> None:
    """The file name was cut a character at a time, the whole name encoded each time."""
    name = named_and_converted_in_a_process(page(title="标题" * 500_000)).split("\n", 1)[0]
    assert name.startswith("2023-11-15-标题") and len(name.encode()) <= 200


def test_a_title_and_an_album_name_of_a_long_run_of_underscores_do_not_hang() -> None:
    """A run of underscores before "SEPARATOR__" loses all but one (``theme_safe``): the run
    was looked for from each of its underscores to its end."""
    run = "_" * 300_000
    script = (f"<script>window.album_info_list = [ {{ title: '{run}', size: '1' * 1, "
              "albumId: '1' } ];</script>")
    name, tags, made = named_and_converted_in_a_process(page(title=run, share=script)).split("\n", 2)
    assert tags == repr([run]) and f"title:      {run}\n" in made


def test_a_page_of_a_long_album_name_is_tagged_and_does_not_hang() -> None:
    """The count after an album's name ("15个") was looked for from each of its digits."""
    album = "反诈" + "1" * 300_000 + "期"
    script = (f"<script>window.album_info_list = [ {{ title: '{album}', size: '1' * 1, "
              "albumId: '1' } ];</script>")
    tags = named_and_converted_in_a_process(page(share=script)).split("\n")[1]
    assert tags == repr([album])


def test_relinking_a_post_of_long_bracket_text_does_not_hang() -> None:
    """A link's target was looked for from each "](" of the text to the end of the run."""
    target = "https://mp.weixin.qq.com/s/Target"
    html = page("<p>" + "](" * 300_000 + f'</p><p><a href="{target}">往期</a></p>')
    relinked = in_a_process("import sys; from crawler.convert.relink import relink; "
                            "from tests.test_hostile import post; "
                            f"print(relink(post(sys.stdin.read()), {{'{target}'}}, '2023-11-15-x'))",
                            html)
    assert "[往期]({% post_url 2023-11-15-x %})" in relinked


def test_reading_a_post_of_long_bracket_runs_does_not_hang() -> None:
    """What a reader sees of a post (compared when a post is replaced, and by the watch) was
    read with a search for a link's end from each "[" of the text, and each "![" of code."""
    html = page("<p>" + "![" * 150_000 + "</p><pre>" + "![" * 150_000 + "</pre>")
    seen = in_a_process("import sys; from crawler.store.posts import distinct_images, "
                        "visible_length; from tests.test_hostile import post; "
                        "made = post(sys.stdin.read()); "
                        "print(visible_length(made), len(distinct_images(made)))", html)
    assert seen.split() == ["0", "0"]


def test_verifying_an_archive_of_a_post_of_long_bracket_runs_does_not_hang(tmp_path: Path) -> None:
    """``verify`` looked for an image's end from each "![" of a post's code."""
    posts = tmp_path / "_posts"
    posts.mkdir()
    (tmp_path / "postimg").mkdir()
    (posts / "2023-11-15-t.md").write_text(post(page("<pre>" + "![" * 300_000 + "</pre>")),
                                           encoding="utf-8")
    found = in_a_process("import sys; from pathlib import Path; from crawler.store.archive import Archive; "
                         "from crawler.store.check import posts_with_remote_images; "
                         "root = Path(sys.stdin.read()); Archive(root).close(); "
                         "print(list(posts_with_remote_images(Archive(root, read_only=True), "
                         "{'mmbiz.qpic.cn'})))", str(tmp_path))
    assert found.strip() == "[]"


def test_a_page_the_parser_still_fails_on_is_one_reason(monkeypatch: pytest.MonkeyPatch,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    def broken(*arguments: object) -> None:
        raise RuntimeError("a bug nobody found yet")

    monkeypatch.setattr("crawler.wechat.page._parse", broken)
    with caplog.at_level(logging.DEBUG, logger="crawler.wechat.page"):
        result = parse_page(page(), URL)
    assert isinstance(result, NotAnArticle) and result.reason == "unparseable"
    assert "RuntimeError: a bug nobody found yet" in result.message
    [record] = caplog.records  # the stack, for whoever mends the parser, at DEBUG
    assert record.levelno == logging.DEBUG and record.exc_info and "broken" in caplog.text


# -- 3. javascript: in a shared article's source --------------------------------------------
def test_a_shared_articles_javascript_source_link_reaches_no_post() -> None:
    share = ('<span id="js_share_source" data-url="javascript:alert(document.domain)">阅读全文</span>'
             '<span id="original_panel_title">原文标题</span>')
    article = parsed(page("", copyright="2", share=share))
    assert article.share_source_url == ""
    assert "javascript" not in compose_post(article, {}, ["其他"])


def test_the_ids_a_page_states_cannot_break_the_attribution(tmp_path: Path) -> None:
    """The canonical URL is made of the ids the page's script states (``var mid``): a blank
    line in one cut the attribution's link in two, and the excerpt Hux prints into
    ``og:description`` (the post's first paragraph) ended inside it: its quote closed the
    attribute, and the rest of the id were attributes of the page's ``<meta>``."""
    from tests.browser import BASEURL, build_site
    posts = tmp_path / "archive" / "_posts"
    posts.mkdir(parents=True)
    (tmp_path / "archive" / "postimg").mkdir()
    article = parsed(page(mid="1 onfocus=alert(1) x=\\n\\n[点我](javascript:alert(2))"))
    text = compose_post(article, {}, ["其他"])
    assert text.split("\n---\n\n", 1)[1].split("\n")[2:4] == ["", "正文。"], text
    (posts / post_filename(article)).write_text(text, encoding="utf-8")
    [built] = (build_site(tmp_path / "archive", tmp_path) / BASEURL.strip("/")).glob("20*/**/*.html")
    html = lxml.html.fromstring(built.read_bytes())
    [meta] = html.xpath("//meta[@property='og:description']")
    assert sorted(meta.attrib) == ["content", "property"], meta.attrib
    [link] = html.xpath("//blockquote//a")
    assert link.get("href").startswith("https://mp.weixin.qq.com/s?__biz=")
    assert "javascript" not in html.text_content()


@pytest.mark.parametrize("href", ["javascript:alert(1)", "JaVaScRiPt:x", "data:text/html,x",
                                  "vbscript:x", "file:///etc/passwd", "mailto:a@b.c", "///x", "//"])
def test_only_http_links_are_links(href: str) -> None:
    markdown = to_markdown(parsed(page(f'<p><a href="{href}">点这里</a></p>')), {})
    assert markdown.strip() == "点这里"


def test_a_link_without_a_scheme_is_on_the_page_s() -> None:
    """``//x``: a browser follows it on the scheme of the page it is on, WeChat's https."""
    markdown = to_markdown(parsed(page('<p><a href="//x">点这里</a></p>')), {})
    assert markdown.strip() == "[点这里](https://x)"


@pytest.mark.parametrize("video", [
    '<video src="javascript:alert(1)">乙</video>', '<video poster="javascript:x">乙</video>',
    '<video src="https://e.com/v.mp4" poster="data:text/html,x">乙)](javascript:x)</video>',
    '<video><source src="javascript:alert(1)">乙</video>',
])
def test_a_video_element_is_its_one_line_linking_the_original(video: str) -> None:
    """markdownify wrote a <video> as a link to its ``src`` (or ``poster``), whatever its
    scheme: ``[乙](javascript:alert(1))``, a link kramdown rendered. A browser shows a player
    and not the text inside; WeChat's own video is one line linking the original article (and
    the fidelity report reads it so)."""
    article = parsed(page(f"<p>甲{video}丙</p>"))
    assert shown_in_article(article) == "甲丙"
    markdown = to_markdown(article, {})
    assert "javascript" not in markdown and "data:" not in markdown and "乙" not in markdown
    assert f"[视频（在微信中观看）]({article.url})" in markdown
    assert markdown.startswith("甲") and markdown.endswith("丙")


# -- 4. Liquid split across tags ------------------------------------------------------------
@pytest.mark.parametrize("body", [
    "{<b></b>% include x %}", "{<em></em>% comment %}藏起来{% endcomment %}",
    "{<!-- -->% increment n %}", "{<span></span>{ site.title }}", "{<i></i>{<b></b>{ x }}",
    "<code>{</code><code>% raw %}</code>", "<pre>{</pre><p>% x %}</p>",
    '<a href="https://a.example/">{</a>{ site.url }}', "{<br>% include x %}",
])
def test_liquid_cannot_come_together_across_elements(body: str) -> None:
    text = post(page(f"<p>{body}</p>"))
    assert not re.search(r"\{[{%]", text.replace('{{ "{" }}', "")), text


# -- a code block inside an inline element (#22) --------------------------------------------
LONG_HEADING = "<h2>" + "长" * 41 + "{}</h2>"
CODE_WRAPPERS = ["<strong>{}</strong>", "<b>{}</b>", "<em>{}</em>", "<i>{}</i>", "<del>{}</del>",
                 "<s>{}</s>", "<code>{}</code>", "<strong><em>{}</em></strong>", LONG_HEADING]
SCRIPT = "<pre>&lt;script&gt;alert(document.domain)&lt;/script&gt;</pre>"


def test_a_code_block_in_a_quote_in_inline_code_keeps_its_text() -> None:
    """A code block inside a quote inside inline code was left as its placeholder, two NUL
    characters around ``code0``: its text lost, and the site's feed, which carries the post's
    HTML, no longer XML (found by the fuzz test's Jekyll variant)."""
    markdown = to_markdown(parsed(page(
        "<p><code><blockquote>甲<span>前<pre>x = 1</pre>后</span></blockquote></code></p>")), {})
    assert "\0" not in markdown and "x = 1" in markdown, markdown


def test_a_code_block_in_an_inline_element_closes_and_the_next_stays_code(tmp_path: Path) -> None:
    """A wrapper's marker glued to a closing fence (```**) left the block open in kramdown:
    the next code block's text became raw HTML (a stored XSS)."""
    from tests.browser import CATALOG_SCRIPT, build_site
    posts = tmp_path / "archive" / "_posts"
    posts.mkdir(parents=True)
    (tmp_path / "archive" / "postimg").mkdir()
    shapes = ["<p>" + wrapper.format(inside) + "</p>" for wrapper in CODE_WRAPPERS
              for inside in ("<pre>x = 1</pre>", "前<pre>x = 1</pre>后", "<code>```</code>后",
                             "<code>```</code><pre>x = 1</pre>")]
    # A table row, which kramdown reads for code spans before escapes: the text's escaped
    # backticks paired with the code's (found by the fuzz test).
    shapes.append("<td>`<strong><code>```</code></strong>"
                  "<code>&lt;script&gt;alert(document.domain)&lt;/script&gt;</code></td>")
    for number, shape in enumerate(shapes):
        body = shape + SCRIPT
        text = post(page(body, title=f"t{number}"))
        assert not re.search(r"^\s*```+[^`\n]*[*~`]+\s*$", text.split("---\n", 2)[2], re.M), text
        (posts / f"2023-11-15-t{number}.md").write_text(text, encoding="utf-8")
    built = [p.read_text(encoding="utf-8").replace(CATALOG_SCRIPT, "")  # the layout's own
             for p in build_site(tmp_path / "archive", tmp_path)
             .rglob("2023/**/*.html")]  # the posts, not the site's tag index
    assert len(built) == len(shapes)
    for html in built:
        assert "<script" not in html
        assert "&lt;script&gt;alert(document.domain)&lt;/script&gt;" in html


# -- text kramdown would read as markup, on the page Jekyll builds ---------------------------
# (body, what the post shows of it, the elements it is, besides paragraphs)
SHOWN_AS_TEXT = [
    ("<p>大家好~~今天讲讲骗局~~</p>", "大家好~~今天讲讲骗局~~", set()),  # GFM strike-through
    ("<p>好的~~~~再见~~~</p>", "好的~~~~再见~~~", set()),
    ("<p>好<u>~</u>~骗局~<u>~</u>好</p>", "好~~骗局~~好", set()),  # tildes of two elements
    # a table of one row (a layout box): a header without rows is a paragraph to kramdown
    ("<table><tr><td>左</td><td>右</td></tr></table>", "左 右", {"table", "tbody", "tr", "td"}),
    ("<table><thead><tr><th>表头</th></tr></thead></table>", "表头", {"table", "tbody", "tr", "td"}),
    # a line's number and its dot in two elements: a list would number it 1
    ("<p>注意：<br><u>3</u>. 不要转账</p>", "注意： 3. 不要转账", set()),
    ('<p><a href="javascript:;">2</a>. 不要扫码</p>', "2. 不要扫码", set()),
    # a colon in an element of its own at a line's start: a definition of the line before
    ("<p>名词</p><p><u>:</u> 定义</p>", "名词 : 定义", set()),
    # an image's alt text of lines: its blank line parted the image into two paragraphs
    ('<p><img data-src="https://mmbiz.qpic.cn/a.png" alt="第一行\n\n# 第二行"></p>', "", {"img"}),
    # a heading's last word of hashes: kramdown read them as the heading's closing marks
    ("<h2>防骗第一期 #</h2>", "防骗第一期 #", {"h2"}),
    # a line of one caret: kramdown's end-of-block mark, gone from the page
    ("<p>上面说的没错<br>^</p><ul><li>^</li></ul>", "上面说的没错 ^ ^", {"ul", "li"}),
    # a rule in a cell: its "---" showed as a dash, or made its row a header rule and the
    # whole table a paragraph
    ("<table><tr><td>项目</td></tr><tr><td><hr></td></tr><tr><td>甲<hr>乙</td></tr></table>",
     "项目 甲 乙", {"table", "thead", "tbody", "tr", "th", "td"}),
    # an exclamation mark before a link: kramdown read the two as an image of the link's URL
    ('<p>快看!<a href="https://a.example/x">链接</a></p>', "快看!链接", {"a"}),
    # an entity's text in two elements: kramdown read the two as the entity
    ("<p>转义写作<u>&amp;</u>lt;，或<u>&amp;am</u>p;</p>", "转义写作&lt;，或&amp;", set()),
    # italics beside italics: kramdown read "*防骗**提醒*" as one, its "**" shown
    ("<p><em>防骗</em><i>提醒</i>，<em>别</em><em>信</em></p>", "防骗提醒，别信", {"em"}),
    # and bold beside bold in italics: "***甲****乙**丙*", its "**" shown (as the page's
    # styles make it of two bold runs side by side)
    ('<p><em><strong>甲</strong><span style="font-weight: bold">乙</span>丙</em></p>', "甲乙丙",
     {"em", "strong"}),
    # code whose text starts as a block would: it was written as it is, its HTML raw
    ("<p><code>|&lt;script&gt;alert(1)&lt;/script&gt;</code></p>",
     "|<script>alert(1)</script>", {"code"}),
    ("<p><code>- &lt;b&gt;粗&lt;/b&gt;</code> 与 <kbd># 标题</kbd></p>", "- <b>粗</b> 与 # 标题",
     {"code"}),
    # a heading's code in code: its code span's mark (a NUL) was left in the post, its text
    # lost, and the heading's "####" or "**" shown (found by the fuzz test's feed)
    ("<div><code>前<h4><pre>x = 1</pre></h4>后</code></div>", "前x = 1后", {"code"}),
    ("<div><code>前<h4>" + "长" * 41 + "<pre>x</pre></h4></code></div>", "前" + "长" * 41 + "x",
     {"code"}),
    # a link at a line's start whose text holds "]:": kramdown took the line for a link
    # definition, and it was gone
    ('<p><a href="https://a.example/">[通知]: 点击查看</a></p>', "[通知]: 点击查看", {"a"}),
    ('<p><a href="https://a.example/">[通知]<u>:点击</u></a></p>', "[通知]:点击", {"a"}),
    # a formula's bars in a cell: they parted the cell (LaTeX's \\| is a double bar)
    ('<table><tr><td>公式</td></tr><tr><td><span data-formula="P(A|B) \\le \\|x\\|"></span>'
     "</td></tr></table>", "公式 \\(P(A|B) \\le \\Vert x\\Vert\\)",
     {"table", "thead", "tbody", "tr", "th", "td"}),
    # a formula's bars in a paragraph: kramdown read the line as a table's row, the paragraph
    # parted into cells at them (|x| is LaTeX's \\vert x\\vert, \\| its \\Vert)
    ('<p>绝对值<span data-formula="|x| \\le \\|y\\|"></span>很小</p>',
     "绝对值\\(\\vert x\\vert \\le \\Vert y\\Vert\\)很小", set()),
    # a quote right after text in bold or a link: the quote began on the text's next line, in
    # the same paragraph for the markers, and the "**" or "[…](…)" around the two showed
    ("<section><strong>注意<blockquote>引用的话</blockquote>结束</strong></section>",
     "注意 引用的话 结束", {"strong", "blockquote"}),
    ('<section><a href="https://a.example/">见<blockquote><p>引</p></blockquote>文</a></section>',
     "见 引 文", {"a", "blockquote"}),
    # a table in a cell: its pipes parted the cell, its header rule showed as dashes
    ("<table><tr><td>外</td></tr><tr><td><table><tr><td>a</td><td>b</td></tr>"
     "<tr><td>c</td><td>d|e</td></tr></table></td></tr></table>", "外 a b c d|e",
     {"table", "thead", "tbody", "tr", "th", "td"}),
    # a link's or an image's text that starts with a caret: kramdown read a footnote's mark,
    # and showed the link, or the image, as its Markdown
    ('<p>见<a href="https://a.example/n">^注1</a>。</p>', "见^注1。", {"a"}),
    ('<p><img data-src="https://mmbiz.qpic.cn/a.png" alt="^图注"></p>', "", {"img"}),
    # code in a cell that holds "</code>": kramdown parts a row at "<code…>…</code>" before
    # reading its code spans, so the span did not close, its bar parted the cell, and the
    # HTML after it ran (found by the fuzz test)
    ('<table><tr><td>标签</td></tr><tr><td><code>&lt;code&gt;x&lt;/code&gt; | '
     '&lt;script&gt;alert(1)&lt;/script&gt;</code></td></tr></table>',
     "标签 <code>x</code> | <script>alert(1)</script>",
     {"table", "thead", "tbody", "tr", "th", "td"}),
]


def test_text_that_reads_as_markup_shows_as_text_on_the_built_page(tmp_path: Path) -> None:
    from tests.browser import build_site
    posts = tmp_path / "archive" / "_posts"
    posts.mkdir(parents=True)
    (tmp_path / "archive" / "postimg").mkdir()
    for number, (body, _, _) in enumerate(SHOWN_AS_TEXT):
        html = page(body, title=f"t{number}")
        (posts / post_filename(parsed(html))).write_text(post(html), encoding="utf-8")
    containers = {}
    for built in build_site(tmp_path / "archive", tmp_path).rglob("2023/**/*.html"):
        document = lxml.html.document_fromstring(built.read_text(encoding="utf-8"))
        [container] = document.find_class("post-container")
        container.remove(container.find("blockquote"))  # the attribution
        containers[document.findtext(".//h1")] = container
    for number, (body, shown, elements) in enumerate(SHOWN_AS_TEXT):
        container = containers[f"t{number}"]
        assert " ".join(container.text_content().split()) == shown, body
        shown_elements = {e.tag for e in container.iterdescendants() if isinstance(e.tag, str)}
        assert shown_elements - {"p", "br"} == elements, body  # a comment is none


def test_titles_and_tags_keep_the_themes_search_index_readable(tmp_path: Path) -> None:
    """Hux prints every title and tag raw into the JSON strings of its search.json: one
    backslash or control character, and the search of the whole site read nothing."""
    import json

    from tests.browser import BASEURL, build_site
    posts = tmp_path / "archive" / "_posts"
    posts.mkdir(parents=True)
    (tmp_path / "archive" / "postimg").mkdir()
    # as the page's script writes them: \\(^o^)/, C:\\Users\\x, a tab, a bell
    titles = ["\\\\(^o^)/ 防骗", "C:\\\\Users\\\\x", "制表\\t符", "响铃\\x07"]
    for number, title in enumerate(titles):
        article = parsed(page(title=title, mid=f"224749970{number}"))
        (posts / post_filename(article)).write_text(
            compose_post(article, {}, [f"标签{article.title}"]), encoding="utf-8")
    out = build_site(tmp_path / "archive", tmp_path)
    index = json.loads((out / BASEURL.strip("/") / "search.json").read_text(encoding="utf-8"))
    assert sorted(entry["title"] for entry in index) == sorted(
        ["＼(^o^)/ 防骗", "C:＼Users＼x", "制表 符", "响铃 "])
    assert all(entry["tags"] == f"标签{entry['title']}" for entry in index)


# -- 5, 6. front matter ------------------------------------------------------------------
def test_a_titles_quotes_and_angle_brackets_are_full_width() -> None:
    assert theme_safe('x" onmouseover="alert(1)" <b>') == "x＂ onmouseover=＂alert(1)＂ ＜b＞"
    assert theme_safe("x' onmouseover='alert(1)") == "x＇ onmouseover=＇alert(1)"


@pytest.mark.parametrize("title", ["a\ufffeb", "a\uffffb", "a\\udc80b", "\\ud800"])
def test_front_matter_holds_nothing_jekyll_cannot_read(title: str) -> None:
    text = post(page(title=title))
    front = text.split("---\n")[1]
    assert not re.search("[\ud800-\udfff\ufffe\uffff]", yaml.safe_load(front)["title"])
    assert not re.search(r"\\u[dD][89a-fA-F]|\\ufff[eEfF]", front)


# -- 7. never worse ------------------------------------------------------------------------
def _post(body: str) -> str:
    article = parsed(page())
    return render_post(article, body, ["其他"])


def test_attribution_and_markup_are_not_text() -> None:
    assert visible_length(_post("**一二三** [四](https://mp.weixin.qq.com/s/abcdefg)\n\n"
                                "![](https://mmbiz.qpic.cn/x/640)")) == 4


def test_digits_are_text_and_punctuation_is_not() -> None:
    """A post of hotline numbers loses what a reader reads when it loses its digits."""
    assert visible_length(_post("反诈专线：96110！")) == 9


def test_a_link_to_an_archived_post_counts_as_its_text_alone() -> None:
    """The target of a link to an archived post (``{% post_url 2021-07-28-<slug> %}``) is no
    more text a reader sees than a WeChat URL: a page that lost most of its text, whose links
    now point at archived posts, still does not replace the post."""
    link = "[往期推荐]({% post_url 2021-07-28-网购物品丢失的退款-清远大姐为什么不要 %})"
    assert visible_length(_post(f"**一二三** {link}")) == 7
    old = _post("字" * 300 + "\n\n[往期推荐](https://mp.weixin.qq.com/s/abcdefg)" * 5)
    assert is_worse(_post("字" * 100 + f"\n\n{link}" * 5), old)


def test_a_page_with_a_third_of_the_text_does_not_replace_a_post() -> None:
    images = "".join(f"\n\n![](img{i}.png)" for i in range(5))
    old = _post("字" * 300 + images)
    assert is_worse(_post("字" * 105 + images), old)
    assert not is_worse(_post("字" * 200 + images), old)


def test_a_page_without_text_does_not_replace_a_twenty_image_post() -> None:
    images = "".join(f"\n\n![](img{i}.png)" for i in range(20))
    assert is_worse(_post(images), _post("正文" * 50 + images))


def test_one_image_five_times_is_not_five_images() -> None:
    old = _post("正文" + "".join(f"\n\n![](img{i}.png)" for i in range(5)))
    new = _post("正文" + "\n\n![](img0.png)" * 5)
    assert len(distinct_images(new)) == 1 and is_worse(new, old)


def test_two_urls_of_one_stored_image_are_one_image() -> None:
    old = _post("正文\n\n![](https://cdn/a)\n\n![](https://cdn/b)")
    new = _post("正文\n\n![](local.png)\n\n![](local.png)")
    stored = {"https://cdn/a": "local.png", "https://cdn/b": "local.png"}
    assert not is_worse(new, old, lambda target: stored.get(target, target))


# -- a crawl over all of them -----------------------------------------------------------
def test_a_crawl_over_hostile_pages_ends_each_as_a_post_or_one_line(wechat: MockWeChat,
                                                                  tmp_path: Path) -> None:
    pages = {
        "Digits": page(ct="²", mid="2247499101"),
        "Huge": page(ct="9" * 30, mid="2247499102"),
        "Attributes": page('<p {x}="1">属性</p>', mid="2247499103"),
        "Urls": page('<img data-src="http://[::1"><img data-src="http://a b/x.png"><p>地址</p>',
                     mid="2247499104"),
        "Surrogate": page(nickname="a\\ud800b", mid="2247499105"),
        "Deep": page("<section>" * 3000 + "深" + "</section>" * 3000, mid="2247499106"),
        "Liquid": page("<p>{<b></b>% include x %}</p>", mid="2247499107"),
    }
    urls = [wechat.page(f"/s/{name}", html) for name, html in pages.items()]
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join(urls) + "\n", encoding="utf-8")
    archive = tmp_path / "archive"
    result = crawl("article", archive, "-a", f"urls_file={listing}")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and " ERROR: " not in result.stderr
    posts = list((archive / "_posts").glob("*.md"))
    not_archived = re.findall(r"Not archived: (\S+)", result.stderr)
    assert len(posts) + len(not_archived) == len(pages), result.stderr
    assert len(posts) == 5  # the two without a usable publish time are one line each
    assert (result.stats["posts/new"], result.stats["posts/no_publish_time"]) == (5, 2)


# -- 1. redirects --------------------------------------------------------------------------
def test_a_redirected_article_page_is_followed_and_the_run_ends(wechat: MockWeChat,
                                                               tmp_path: Path) -> None:
    real = wechat.page("/s?__biz=MzA5OTk5OTk5OQ==&mid=2247499201&idx=1&sn=x",
                       page(mid="2247499201"))
    moved = wechat.redirect("/s/Moved", real)
    away = wechat.redirect("/s/Away", "https://example.com/s/elsewhere", status=301)
    wechat.page("/cgi-bin/loginpage", "<html><body><h3>使用账号登录</h3></body></html>")
    login = wechat.redirect("/s/ToLogin", wechat.base + "/cgi-bin/loginpage")
    after = wechat.page("/s/After", page(mid="2247499202", title="之后"))
    listing = tmp_path / "urls.txt"
    listing.write_text(f"{moved}\n{away}\n{login}\n{after}\n", encoding="utf-8")
    result = crawl("article", tmp_path, "-a", f"urls_file={listing}")
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "_posts").glob("*.md"))) == 2
    assert re.search(r"Not archived: could not fetch \S+/s/Away: IgnoreRequest: redirected to "
                     r"'https://example.com/s/elsewhere', not an article host", result.stderr)
    # which of the links given it was: the line named the login page alone
    assert f"WARNING: Not archived: {login}, redirected to {wechat.base}/cgi-bin/loginpage, is not " \
           "an article page ('使用账号登录')\n" in result.stderr, result.stderr
    assert [path for path, _ in wechat.hits("/s")].count("/s/Moved") == 1


def test_an_image_of_too_many_pixels_is_refused(wechat: MockWeChat, tmp_path: Path) -> None:
    """Its line said "12000 x 9000 pixels, more than an article image can be (50,000,000:
    IMAGE_MAX_PIXELS)": not which picture, nor what to do to keep it. Now as a picture over
    DOWNLOAD_MAXSIZE is said."""
    huge = wechat.image("/mmbiz_png/Huge/640", png((1, 1, 1), (12000, 9000)))
    url = wechat.page("/s/Big", page(f'<p><img data-src="{huge}"></p>'))
    result = crawl("article", tmp_path, "-a", f"url={url}")
    assert result.returncode == 0, result.stderr
    assert f"({huge}: 12000 x 9000 pixels, more than IMAGE_MAX_PIXELS (50000000): raise it and give " \
           "the article again to keep the picture)\n" in result.stderr, result.stderr
    assert not list((tmp_path / "postimg").glob("*"))


def test_a_picture_pillow_warns_of_is_our_one_line_not_pillow_s_warning_too(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """Pillow warns of a picture above its own limit (89 million pixels) as it opens it,
    and of an icon whose picture is not its directory's size (kept); Scrapy logs Python's
    warnings: a second WARNING in the cron mail beside the post's line."""
    wechat.image("/mmbiz_png/Huge/640", png((1, 1, 1), (12000, 9000)))
    wechat.image("/mmbiz_png/Icon/640", icon_holding(png((1, 2, 3), (40, 30))))
    url = wechat.page("/s/Big", page(f'<p><img data-src="{wechat.base}/mmbiz_png/Huge/640"></p>'
                                     f'<p><img data-src="{wechat.base}/mmbiz_png/Icon/640"></p>'))
    result = crawl_cli("article", tmp_path, "-a", f"url={url}")
    assert result.returncode == 0, result.stderr
    assert re.search(r"WARNING: Images not stored[^\n]*: 1 of 2 [^\n]*12000 x 9000 pixels", result.stderr)
    assert [path.suffix for path in (tmp_path / "postimg").iterdir()] == [".ico"]
    assert "py.warnings" not in result.stderr and "Warning:" not in result.stderr, result.stderr


@pytest.mark.parametrize("command", ["verify", "rebuild", "crawl"])
def test_an_icon_pillow_warns_of_read_again_from_the_archive_is_no_warning_either(
        wechat: MockWeChat, tmp_path: Path, command: str) -> None:
    """The icon the crawl kept without Pillow's warning is read again from ``postimg/`` once
    the index is lost: by ``verify`` (an image whose bytes the index does not record), by
    ``rebuild`` and a crawl, which rebuild the index from the files. Each printed Python's
    warning (two lines in the cron mail; a ``py.warnings`` WARNING in ``--logfile``)."""
    wechat.image("/mmbiz_png/Icon/640", icon_holding(png((1, 2, 3), (40, 30))))
    url = wechat.page("/s/Icon", page(f'<p><img data-src="{wechat.base}/mmbiz_png/Icon/640"></p>'))
    assert crawl("article", tmp_path, "-a", f"url={url}").returncode == 0
    for index in (tmp_path / ".state").glob("index.sqlite*"):
        index.unlink()
    if command == "crawl":
        result = crawl_cli("article", tmp_path, "-a", f"url={url}")
    else:
        result = subprocess.run([sys.executable, "-m", "scrapy", command, "-s", f"ARCHIVE_DIR={tmp_path}"],
                                cwd=PROJECT, env=crawl_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == (1 if command == "verify" else 0), result.stderr  # verify: the index is missing
    assert "py.warnings" not in result.stderr and "Warning:" not in result.stderr, result.stderr


def test_article_pages_that_fail_to_decode_end_as_lines_and_the_run_goes_on(
        wechat: MockWeChat, tmp_path: Path) -> None:
    import gzip
    encoded = (("Content-Encoding", "gzip"),)
    wechat.route("/s/Torn", Route(200, "text/html", gzip.compress(page().encode())[:30], encoded))
    wechat.route("/s/Bomb", Route(200, "text/html", gzip.compress(b" " * 3_000_000), encoded))
    after = wechat.page("/s/After", page(mid="2247499401"))
    listing = tmp_path / "urls.txt"
    listing.write_text(f"{wechat.base}/s/Torn\n{wechat.base}/s/Bomb\n{after}\n", encoding="utf-8")
    result = crawl("article", tmp_path, "-a", f"urls_file={listing}",
                   settings={"DOWNLOAD_MAXSIZE": "1000000"})
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "_posts").glob("*.md"))) == 1
    assert re.search(r"Not archived: could not fetch \S+/s/Torn: EOFError", result.stderr)
    assert re.search(r"Not archived: could not fetch \S+/s/Bomb: \d+ bytes sent, larger than "
                     r"DOWNLOAD_MAXSIZE \(\d+\) once decompressed: raise it", result.stderr)


def test_liquid_titles_and_front_matter_build_with_a_hux_like_layout(wechat: MockWeChat,
                                                                    tmp_path: Path) -> None:
    from tests.browser import build_site
    pages = {
        "Split": page("<p>{<b></b>% include x %}与{<span></span>{ site.title }}</p>", mid="2247499501"),
        "Quote": page(title='标题" onmouseover="alert(1)" x="', mid="2247499502"),
        "Apostrophe": page(title=r"标题\x27 onmouseover=\x27alert(1)\x27 x=\x27", mid="2247499505"),
        # the account is in the first paragraph, which the layout prints into og:description
        "Account": page(nickname=r"号\x22 onmouseover=\x22alert(1)\x22 x=\x22", mid="2247499506"),
        "Nonchar": page(title="标题\ufffe\uffff", mid="2247499503"),
        "Surrogate": page(title="标题\\udc80", nickname="号\\ud800", mid="2247499504"),
    }
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join(wechat.page(f"/s/{name}", html) for name, html in pages.items()),
                       encoding="utf-8")
    archive = tmp_path / "archive"
    assert crawl("article", archive, "-a", f"urls_file={listing}").returncode == 0
    out = build_site(archive, tmp_path)  # fails the test if Jekyll errors or warns
    built = {p.read_text(encoding="utf-8") for p in out.rglob("*.html")}
    assert any("{% include x %}与{{ site.title }}" in html for html in built)
    for html in built:
        for element in lxml.html.document_fromstring(html).iter():
            assert not [name for name in element.attrib if name.startswith("on")]


def test_titles_of_one_day_numbered_by_no_digit_are_two_pages(wechat: MockWeChat,
                                                              tmp_path: Path) -> None:
    """Jekyll makes a post's URL of the letters, marks and decimal digits of its file name:
    of "防骗课堂❶" and "防骗课堂❷", published the same day, it made one page and warned (the
    other post lost), and of a title all "❶", a page named ".html" and a warning."""
    from tests.browser import build_site
    titles = ["防骗课堂❶", "防骗课堂❷", "❶", "〡刷单", "刷单"]
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join(
        wechat.page(f"/s/Numbered{number}", page(title=title, mid=f"224749970{number}"))
        for number, title in enumerate(titles)), encoding="utf-8")
    archive = tmp_path / "archive"
    assert crawl("article", archive, "-a", f"urls_file={listing}").returncode == 0
    assert len(list((archive / "_posts").glob("*.md"))) == len(titles)
    out = build_site(archive, tmp_path)  # fails the test if Jekyll errors or warns
    shown = {title.text_content() for built in out.rglob("2023/**/*.html")
             for title in lxml.html.fromstring(built.read_bytes()).iter("h1")}
    assert shown == set(titles)


@pytest.mark.parametrize("levels", [1, 2, 3, 4, 8])
def test_flattening_unwraps_the_levels_beyond_the_limit_and_only_those(levels: int) -> None:
    root = dom.fragment("".join(f"<section id='s{n}'>{n}" for n in range(levels)) + "</section>" * levels)
    dom.flatten_deeper_than(root, 3)  # the root is the first level
    assert [e.get("id") for e in root.iter("section")] == [f"s{n}" for n in range(min(levels, 2))]
    assert root.text_content() == "".join(map(str, range(levels)))


def test_escaped_characters_are_no_stored_images() -> None:
    """A rewrite that escapes less (``\\*``) shows the same stored image: it is not worse."""
    old = _post("正文 \\* \\* \\* \\_\n\n![](local.png)")
    new = _post("正文 * * * _\n\n![](local.png)")
    assert not is_worse(new, old)
    assert is_worse(_post("正文\n\n![](https://cdn/a)"), _post("正文\n\n![](local.png)"))


# -- an article whose title is blank ---------------------------------------------------
@pytest.mark.parametrize("title", ["", " ", "\u3000", "&nbsp;", "\u200b", "&#8203; "],
                         ids=["empty", "space", "ideographic", "nbsp", "zero-width", "zero-width-entity"])
def test_an_article_of_a_blank_title_is_titled_by_its_first_sentence(title: str) -> None:
    """WeChat's editor asks for a title, yet nobody knows that every page carries one; a
    page with a body and no title was "not an article page" and its article lost."""
    article = parsed(page("<p>接到自称客服的电话，一律是诈骗！请立即挂断。</p><p>第二段。</p>", title=title))
    assert article.title == "接到自称客服的电话，一律是诈骗！"


@pytest.mark.parametrize("hiding", ['hidden', 'style="visibility: hidden"'])
def test_a_body_hidden_until_wechats_scripts_run_is_the_post(hiding: str) -> None:
    """WeChat hides ``#js_content`` until its scripts have run; hidden so by the ``hidden``
    attribute, the post was empty and the report counted no text."""
    article = parsed(page("<p>正文。</p>").replace('id="js_content"', f'id="js_content" {hiding}'))
    assert to_markdown(article, {}) == "正文。"
    assert shown_in_article(article) == "正文。"


@pytest.mark.parametrize("title", ["&#x200f;&#x200e;", " &#x202e;&#x2066;", "&#x61c;\u3000"])
def test_a_title_of_bidi_marks_alone_is_blank(title: str) -> None:
    """A title of bidi marks and controls alone shows nothing: the post had a title of no
    character, linked from the tag index as nothing."""
    article = parsed(page("<p>接到自称客服的电话，一律是诈骗！</p>", title=title))
    assert article.title == "接到自称客服的电话，一律是诈骗！"


@pytest.mark.parametrize("title", ["&lt;!--重要--&gt;", "&lt;script&gt;诈骗&lt;/script&gt;",
                                   "&amp;nbsp;", "&lt;b hidden&gt;标题&lt;/b&gt;", "&lt;style&gt;"])
def test_a_title_that_spells_markup_is_that_text(title: str) -> None:
    """A page's title is text (WeChat shows ``<!--重要-->`` as it is): one that spells markup
    showing nothing as HTML was judged blank, and the post titled by the body's first
    sentence."""
    article = parsed(page("<p>接到自称客服的电话，一律是诈骗！</p>", title=title))
    assert article.title == unescape(title)


@pytest.mark.parametrize("nickname", ["&#x200b;", "&#x200f;\u3000&#x202e;"])
def test_an_account_name_that_shows_nothing_is_the_name_the_page_shows(nickname: str) -> None:
    """A ``nickname`` of zero-width characters or bidi marks alone was the account's name:
    the post's attribution read "转载：" and nothing, where the page shows the name."""
    assert parsed(page(nickname=nickname)).account == "测试反诈中心"


def test_a_title_from_the_first_sentence_shows_a_quotes_marks_as_the_post_does() -> None:
    """The post shows the marks a browser draws around a <q>; the title made of the same
    sentence had none (警方提醒不要相信客服！)."""
    body = '<p>警方提醒<q>不要相信<q>客服</q></q>！</p><p style="quotes: none"><q>第二段</q>。</p>'
    article = parsed(page(body, title=" "))
    assert article.title == "警方提醒“不要相信‘客服’”！"
    assert to_markdown(article, {}).startswith(article.title)


def test_an_article_of_a_blank_title_and_no_text_is_titled_untitled() -> None:
    body = '<p><img data-src="https://mmbiz.qpic.cn/mmbiz_png/a/0?wx_fmt=png"></p>'
    article = parsed(page(body, title=" "))
    assert article.title == "无标题" and article.image_urls


@pytest.mark.parametrize("notice, reason", [("该内容已被发布者删除", PageReason.DELETED),
                                           ("此内容因违规无法查看", PageReason.VIOLATION)])
@pytest.mark.parametrize("body", ["", "<p>\u00a0</p>", '<p style="display:none">正文。</p>'],
                         ids=["empty", "blank", "hidden"])
def test_a_page_of_a_blank_title_and_a_body_showing_nothing_is_what_its_notice_says(
        body: str, notice: str, reason: PageReason) -> None:
    """No title and a body that shows nothing is no article: a post 无标题 of nothing would
    be archived (and the watch not told) for a page that says its article was deleted."""
    shown = f'<div class="weui-msg"><p class="weui-msg__title">{notice}</p></div></body>'
    result = parse_page(page(body, title=" ").replace("</body>", shown), URL)
    assert isinstance(result, NotAnArticle) and result.reason == reason, result

"""Jekyll builds what the crawler wrote, with no warning, and shows it as the article showed it."""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
import yaml
from lxml import etree

from tests.browser import FEED_PATH, build_site
from tests.conftest import crawl, jekyll_build, page_text
from tests.mockserver import MockWeChat


def test_jekyll_builds_the_crawled_archive_without_warnings(archived: tuple[Path, str],
                                                            tmp_path: Path) -> None:
    out, log = jekyll_build(archived[0], tmp_path)
    assert not re.search(r"warn|error|deprecat", log, re.IGNORECASE), log
    pages = list(out.glob("2021/07/28/*.html"))
    assert len(pages) == 1
    html = pages[0].read_text(encoding="utf-8")
    assert '<img src="/blog/postimg/HeaderGifMediaId001.gif" alt="" />' in html
    assert "<p>*在接到疑似售后电话时，一定要首先核实对方身份。</p>" in html
    assert "当你欣然同意<br />\n按照对方的要求实施操作时，<br />" in html
    for image in re.findall(r'src="/blog/(postimg/[^"]+)"', html):
        assert (out / image).is_file()


# The page's title is '*注意*: 这是 "标题" #1 {{ site.title }}'; its " is written full-width,
# as themes print page.title raw into attribute values.
HOSTILE_TITLE = '*注意*: 这是 ＂标题＂ #1 {{ site.title }}'
HOSTILE_TEXTS = [
    '<script>alert("escaped-text")</script>', "<img src=x onerror=alert(1)> 与 <!-- 注释 -->",
    "# 井号开头", "> 大于号开头", "+ 加号开头", "- 减号开头", "1. 数字点开头", "2) 数字括号开头",
    "*星号包围* 与 _下划线包围_ 与 **双星号**",
    "[链接文字](https://evil.example/) 与 ![图](https://evil.example/i.png)",
    "竖线 | 分隔 | 文本", "{{ site.title }}", "{% include x %}", "{% endraw %}",
    "{%- raw -%} {{- page.url -}}", '{: .evil onclick="alert(1)"}', "{::comment}隐藏{:/comment}",
    "$$ \\alert{math} $$", "&lt;b&gt; 与 &amp; 与 &#60;", "反斜杠 \\ 与 `反引号` 与 ~~~ 波浪",
    "带事件属性的段落", "脚本链接 大小写脚本链接 数据链接 空格脚本链接",
    # an emoji of several joined by U+200D (a policeman; a family) stays one emoji
    "\U0001f46e\u200d\u2642\ufe0f 民警提醒：\U0001f468\u200d\U0001f469\u200d\U0001f467 一家人",
    "运行 curl https://evil.example/a 即可",  # a link in code is the code's text
    "正文最后一句。",
]
DANGEROUS = [
    r"<(script|iframe|style|object|embed|form|input|button|svg|textarea|link|meta)\b",
    r"<[^>]*\son\w+\s*=", r"(href|src)\s*=\s*[\"']?\s*(javascript|data|vbscript):",
    r'class="evil"',
]
# kramdown's typography (the site's setting, not ours) turns quotes and dashes curly.
TYPOGRAPHY = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "--", "—": "---", "…": "..."})


def test_a_hostile_page_builds_and_shows_everything_literally(wechat: MockWeChat,
                                                              tmp_path: Path) -> None:
    url = wechat.page("/s/Hostile", page_text("hostile.html"))
    archive = tmp_path / "archive"
    result = crawl("article", archive, "-a", f"url={url}",
                   settings={"DEFAULT_TAGS": "yes,2021,null: x,@at"})
    assert result.returncode == 0, result.stderr
    [post] = (archive / "_posts").glob("*.md")
    front = yaml.safe_load(post.read_text(encoding="utf-8").split("---\n")[1])
    assert front["title"] == HOSTILE_TITLE
    assert front["tags"] == ["yes", "２０２１", "null: x", "@at"]  # a number to jQuery: text
    assert front["wechat"]["account"] == "@反诈 &amp; <b>中心</b> {{ site.title }}"

    out, log = jekyll_build(archive, tmp_path)
    assert not re.search(r"warn|error", log, re.IGNORECASE), log
    [page] = out.glob("2023/11/15/*.html")
    built = page.read_text(encoding="utf-8")
    for pattern in DANGEROUS:
        assert not re.search(pattern, built, re.IGNORECASE), pattern
    document = lxml.html.document_fromstring(built)
    shown = document.text_content().translate(TYPOGRAPHY)
    assert document.findtext(".//h1") == HOSTILE_TITLE
    assert "转载：@反诈 &amp; <b>中心</b> {{ site.title }}" in shown
    for text in HOSTILE_TEXTS:
        assert text in shown, text


def test_a_title_cannot_inject_html_into_the_layout(wechat: MockWeChat, tmp_path: Path) -> None:
    page = page_text("hostile.html").replace("*注意*: 这是 &quot;标题&quot;", "<img src=x onerror=alert(1)>")
    url = wechat.page("/s/Hostile", page)
    assert crawl("article", tmp_path / "archive", "-a", f"url={url}").returncode == 0
    out, _ = jekyll_build(tmp_path / "archive", tmp_path)
    [built] = out.glob("2023/11/15/*.html")
    assert not re.search(r"<img[^>]*onerror", built.read_text(encoding="utf-8"))


def test_the_feed_is_xml_whatever_characters_the_page_holds(wechat: MockWeChat,
                                                             tmp_path: Path) -> None:
    """U+FFFE and U+FFFF in the text, and control characters in the account's name, which no
    XML holds, made the theme's RSS feed unreadable to every feed reader (``post.content |
    xml_escape`` keeps them)."""
    nonchars = "<p>甲&#xFFFE;乙&#xFFFF;丙</p><pre>代码&#xFFFE;</pre>" \
               '<p><img data-src="https://example.com/a.png" alt="图&#xFFFF;说">链&#xFFFE;接</p>'
    page = page_text("hostile.html").replace("<p>正文最后一句。</p>", nonchars + "<p>正文最后一句。</p>") \
        .replace('htmlDecode("@反诈', 'htmlDecode("@反\\ufffe\\x00\\x01诈')  # the attribution's
    url = wechat.page("/s/Hostile", page)
    assert crawl("article", tmp_path / "archive", "-a", f"url={url}").returncode == 0
    feed = build_site(tmp_path / "archive", tmp_path) / FEED_PATH.lstrip("/")
    [item] = etree.fromstring(feed.read_bytes()).iter("item")
    shown = lxml.html.fragment_fromstring(item.findtext("description"), create_parent="div")
    assert "甲乙丙" in shown.text_content() and "正文最后一句。" in shown.text_content()


def built_post(wechat: MockWeChat, tmp_path: Path, body: str) -> lxml.html.HtmlElement:
    """The page Jekyll builds, without a warning, of the hostile page with ``body`` added."""
    page = page_text("hostile.html").replace("<p>正文最后一句。</p>", body + "<p>正文最后一句。</p>")
    assert crawl("article", tmp_path / "archive", "-a", f"url={wechat.page('/s/Lists', page)}").returncode == 0
    out, log = jekyll_build(tmp_path / "archive", tmp_path)
    assert not re.search(r"warn|error", log, re.IGNORECASE), log
    [built] = out.glob("2023/11/15/*.html")
    return lxml.html.document_fromstring(built.read_text(encoding="utf-8"))


def lists_of(document: lxml.html.HtmlElement, words: str) -> list[tuple[str, str | None, list[str]]]:
    """Each list holding one of ``words``, in order: its tag, its start, its items' first words."""
    return [(items.tag, items.get("start"), [item.text_content().split()[0] for item in items.iterchildren("li")])
            for items in document.iter("ol", "ul") if any(word in items.text_content() for word in words)]


def test_a_list_in_a_heading_a_cell_or_a_term_builds_as_its_markers_and_items_on_one_line(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """A list in a heading, a table cell or a term is its markers and items as text (the
    post wrote its items alone, without the bullets and numbers a browser shows): Jekyll
    builds it without a warning, in the heading, the cell and the term, and no list of it."""
    lists = ("<h2><ul><li>甲</li><li>乙</li></ul></h2><table><tr><td>格</td><td>头</td></tr><tr><td>二"
             "</td><td><ol><li>丙</li><li>丁</li></ol></td></tr></table><dl><dt><ol start='2'><li>戊</li>"
             "</ol></dt><dd>己</dd></dl>")
    document = built_post(wechat, tmp_path, lists)
    shown = {element.tag: " ".join(element.text_content().split())
             for element in document.xpath("//h2[contains(., '甲')] | //td[contains(., '丙')] | //dt")}
    assert shown == {"h2": "• 甲 • 乙", "td": "1. 丙 2. 丁", "dt": "2. 戊"}
    assert not document.xpath("//h2//li | //td//li | //dt//li")


def test_lists_right_after_one_another_build_as_lists_of_their_own(wechat: MockWeChat,
                                                                   tmp_path: Path) -> None:
    """kramdown made one list of two right after one another (a bulleted and a numbered one
    too, and in a list item), its items spaced out as paragraphs and numbered on; a browser
    shows each list as written."""
    lists = ('<ol start="3"><li>甲</li><li>乙</li></ol><ol><li>丙</li></ol><ul><li>丁</li></ul>'
             "<ul><li>戊<ul><li>己</li></ul><ol><li>庚</li></ol></li></ul>")
    document = built_post(wechat, tmp_path, lists)
    assert lists_of(document, "甲丙丁戊己庚") == [
        ("ol", None, ["甲", "乙"]), ("ol", None, ["丙"]), ("ul", None, ["丁"]), ("ul", None, ["戊"]),
        ("ul", None, ["己"]), ("ol", None, ["庚"])]
    assert not document.xpath("//li[contains(., '乙') or contains(., '丙') or contains(., '丁')]/p")

"""``python -m crawler.offline.fidelity``: the measure, its report, and the thresholds it must show."""

from __future__ import annotations

import subprocess
from pathlib import Path

import lxml.html
import pytest

from crawler.convert.markdown import to_markdown
from crawler.offline.fidelity import Fidelity, main, measure, shown_in_article
from crawler.offline.kramdown import Kramdown, RenderError
from crawler.wechat import dom
from crawler.wechat.article import Article
from crawler.wechat.page import parse_page
from crawler.wechat.shown import shown_text
from tests.conftest import PAGES, SHARED_FIXTURES


def test_report_over_our_pages(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(PAGES)]) == 0
    out = capsys.readouterr().out
    assert "deleted.html" in out and "not an article: deleted" in out
    assert "legacy_shape.html" in out
    assert out.splitlines()[-1].split()[:2] == ["total", "100.0%"]


def test_a_page_that_loses_text_is_flagged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    import crawler.offline.fidelity as fidelity
    convert = fidelity.to_markdown
    monkeypatch.setattr(fidelity, "to_markdown",
                        lambda article, links: convert(article, links).replace("精选蔬菜。", ""))
    (tmp_path / "lossy.html").write_bytes((PAGES / "scriptless.html").read_bytes())
    assert main([str(tmp_path)]) == 1
    assert "SUSPICIOUSLY SHORT" in capsys.readouterr().out


def test_a_page_keeping_93_percent_of_its_text_is_flagged_by_default(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Without ``--min-text``, a post that lost 7 characters in 100 is suspiciously short."""
    import crawler.offline.fidelity as fidelity
    convert = fidelity.to_markdown
    monkeypatch.setattr(fidelity, "to_markdown",
                        lambda article, links: convert(article, links).replace("乙" * 7, ""))
    saved = (PAGES / "scriptless.html").read_text(encoding="utf-8")
    body = saved[saved.index("<p>"):saved.index("</ul>") + 5]
    (tmp_path / "lossy.html").write_text(
        saved.replace(body, f"<p>{'甲' * 93}</p><p>{'乙' * 7}</p>"), encoding="utf-8")
    assert main([str(tmp_path)]) == 1
    assert "93.0%" in (out := capsys.readouterr().out) and "SUSPICIOUSLY SHORT" in out


def test_the_shared_pages_meet_the_thresholds() -> None:
    if not SHARED_FIXTURES.is_dir():
        pytest.skip(f"{SHARED_FIXTURES} is absent: the third-party pages live beside the project")
    total = Fidelity()
    with Kramdown() as kramdown:
        results = {path.name: measure(article, kramdown)
                   for path in sorted(SHARED_FIXTURES.glob("*.html"))
                   if isinstance(article := parse_page(path.read_text(encoding="utf-8"),
                                                       path.as_uri()), Article)}
    for name, result in results.items():
        assert result.text_share >= 0.95, name
        assert result.images_kept == result.images_source, name
        assert result.code_lines_kept == result.code_lines_source, name
        assert result.leftovers == 0, name
        total.add(result)
    assert total.text_share == 1.0
    assert total.images_source > 200 and total.code_lines_source > 900


def test_markup_or_widget_text_shown_as_text_is_flagged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    import crawler.offline.fidelity as fidelity
    convert = fidelity.to_markdown
    leaked = '\\<a class="wx\\_topic\\_link" style="color: \\#576B95"\\>\\#反诈\\</a\\>'
    monkeypatch.setattr(fidelity, "to_markdown",
                        lambda article, links: convert(article, links) + "\n\n" + leaked)
    (tmp_path / "page.html").write_bytes((PAGES / "scriptless.html").read_bytes())
    assert main([str(tmp_path)]) == 1
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("page.html"))
    assert row.split()[-2:] == ["2", "LEFTOVERS"]  # the tag and its closing tag


def leftovers_before_and_after(monkeypatch: pytest.MonkeyPatch, body: str,
                               added: str) -> tuple[int, int]:
    """The leftovers measured of ``body``, and again with ``added`` at the end of its post."""
    import crawler.offline.fidelity as fidelity
    article = Article(url="https://mp.weixin.qq.com/s/x", title="t", account="a", published=None,
                      body_html=body)
    before = measure(article).leftovers
    convert = fidelity.to_markdown
    monkeypatch.setattr(fidelity, "to_markdown",
                        lambda article, links: convert(article, links) + "\n\n" + added)
    return before, measure(article).leftovers


def test_a_players_text_beside_its_one_line_is_a_leftover(monkeypatch: pytest.MonkeyPatch) -> None:
    body = ('<div id="js_content"><mpvoice name="早安" play_length="1000"></mpvoice>'
            '<span class="js_audio_frame"><strong>早安</strong><span>来自力哥理财</span>'
            '<em>13:45</em></span><p>正文</p></div>')
    assert leftovers_before_and_after(monkeypatch, body, "来自力哥理财 13:45") == (0, 2)


def test_emphasis_markers_a_reader_sees_are_leftovers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bold across paragraphs showed ** on the page and the report said 0 leftovers."""
    body = '<div id="js_content"><p>星号 * 是原文的字，<code>a*b</code></p><p><strong>加粗</strong></p></div>'
    assert leftovers_before_and_after(monkeypatch, body, "**跨段\n\n加粗**") == (0, 4)


@pytest.mark.parametrize("dead", [False, True], ids=["dying", "dead"])
def test_kramdown_renders_as_the_blog_does_and_says_when_it_fails(dead: bool) -> None:
    """Dead before the Markdown is sent (a busy machine), the process was a BrokenPipeError
    from closing what it could not be sent, not the RenderError that says so."""
    with Kramdown() as kramdown:
        assert kramdown.render("**粗** `a*b`") == "<p><strong>粗</strong> <code>a*b</code></p>\n"
        assert kramdown.render("x\n\n```\n<b>\n```") == \
            "<p>x</p>\n\n<pre><code>&lt;b&gt;\n</code></pre>\n"
        kramdown.process.kill()
        if dead:
            kramdown.process.wait()
        with pytest.raises(RenderError, match="kramdown failed"):
            kramdown.render("x")


def test_text_written_as_an_entity_is_text_kept() -> None:
    body = '<div id="js_content"><p>没错<br>^</p><p>好的~~再见~~ `引号`</p></div>'
    article = Article(url="https://mp.weixin.qq.com/s/x", title="t", account="a", published=None,
                      body_html=body)
    result = measure(article)
    assert result.text_kept == result.text_source


# WeChat's editor (2025) sets bold in a style, and leaves <strong> around text it sets of
# normal weight (as ../shared/fixtures/wechat/article_normal_xiaoshuoshiyi-longtext_2026.html).
STYLED_BOLD = (
    '<div id="js_content"><section><span leaf="" style="font-size: 17px;font-weight: normal;">'
    '<span textstyle="" style="color: rgb(171, 25, 66);font-weight: bold;">《直言怪话》</span>'
    '<span textstyle="" style="font-size: 16px;">拟态，</span></span>'
    '<strong data-pm-slice="0 0 []"><span leaf="" style="font-weight: normal;">'
    '<span textstyle="" style="font-weight: bold;">白话小品文。</span><span textstyle="">本书</span>'
    '</span>并非<span style="font-weight: 700">典型</span></strong></section>'
    '<p style="font-weight: bold">整段加粗<a href="https://a.example/">链接</a>'
    '<span style="font-weight: normal">不粗</span></p>'
    '<p><b>粗体<span style="font-weight: 400">细体</span></b><strong>又粗</strong></p>'
    '<h2><span style="font-weight: bold">标题</span></h2></div>')


def test_text_the_pages_styles_show_bold_is_bold_in_the_post() -> None:
    """The post showed the editor's bold as plain text, and its <strong>s of normal weight
    bold: the emphasis of a 2025 page, the other way round."""
    article = Article(url="https://mp.weixin.qq.com/s/x", title="t", account="a", published=None,
                      body_html=STYLED_BOLD)
    with Kramdown() as kramdown:
        html = kramdown.render(to_markdown(article, {}))
    rendered = dom.fragment(html)
    assert [strong.text_content() for strong in rendered.iter("strong")] == [
        "《直言怪话》", "白话小品文。", "并非典型", "整段加粗", "链接", "粗体", "又粗"]
    assert " ".join(rendered.text_content().split()) == \
        "《直言怪话》拟态，白话小品文。本书并非典型 整段加粗链接不粗 粗体细体又粗 标题"


def test_a_cell_spanning_rows_leaves_the_next_rows_cells_in_their_columns() -> None:
    """markdownify writes each row's cells in turn: under a cell that spans rows, the next
    rows' cells moved a column left, under the wrong heads."""
    body = ('<div id="js_content"><table><tr><th>类型</th><th>手法</th><th>提醒</th></tr>'
            '<tr><td rowspan="2">刷单</td><td>垫付</td><td>不要</td></tr>'
            '<tr><td>返利</td><td>别信</td></tr>'
            '<tr><td>贷款</td><td colspan="2" rowspan="2">先交费</td></tr>'
            '<tr><td>征信</td></tr><tr><td>末行</td><td>甲</td><td>乙</td></tr></table></div>')
    article = Article(url="https://mp.weixin.qq.com/s/x", title="t", account="a", published=None,
                      body_html=body)
    with Kramdown() as kramdown:
        html = kramdown.render(to_markdown(article, {}))
    rows = [[cell.text_content().strip() for cell in row.iter("td", "th")]
            for row in dom.fragment(html).iter("tr")]
    assert rows == [["类型", "手法", "提醒"], ["刷单", "垫付", "不要"], ["", "返利", "别信"],
                    ["贷款", "先交费", ""], ["征信", "", ""], ["末行", "甲", "乙"]]


def article_of(body: str) -> Article:
    """An article whose body is ``body``."""
    return Article(url="https://mp.weixin.qq.com/s/x", title="t", account="a", published=None,
                   body_html=body)


def rendered(body: str) -> lxml.html.HtmlElement:
    """The post of ``body`` as kramdown renders it, under one element."""
    with Kramdown() as kramdown:
        return dom.fragment(kramdown.render(to_markdown(article_of(body), {})))


def rendered_text(body: str) -> str:
    """The text a reader sees of the post of ``body``, rendered by kramdown, lines kept."""
    rendered_body = rendered(body)
    for line_break in rendered_body.iter("br"):
        line_break.tail = "\n" + (line_break.tail or "")
    lines = (" ".join(line.split()) for line in rendered_body.text_content().split("\n"))
    return "\n".join(line for line in lines if line)


def test_the_space_or_line_break_at_a_links_edge_stays() -> None:
    """A link's own leading or trailing space or line break went with the link's markup:
    "Click here now" read "Clickherenow", and a line after a link ran on from it."""
    assert rendered_text('<p>Click<a href="https://a.example/"> here </a>now</p>'
                         '<p><a href="https://a.example/">第一行<br></a>第二行</p>'
                         '<p>上一行<a href="https://a.example/"><br>下一行</a></p>') == \
        "Click here now\n第一行\n第二行\n上一行\n下一行"


def test_italics_beside_italics_across_an_invisible_character_or_empty_element_show_no_marks() -> None:
    """Italics next to italics are joined, or kramdown shows the "**" between them; but not
    across a zero-width space (WeChat's editor writes them), an empty element or a comment,
    which show nothing, and "*前**后*" was written."""
    assert rendered_text('<p><em>前</em>\u200b<em>后</em></p>'
                         '<p><i>左</i><span>\ufeff</span><i>右</i></p>'
                         '<p><em>甲</em><strong></strong><em>乙</em></p>'
                         '<p><em>上</em><!--StartFragment--><em>下</em></p>') == \
        "前后\n左右\n甲乙\n上下"


def test_a_link_around_paragraphs_and_pictures_links_each_of_them() -> None:
    """A link around blocks (an editor's "往期推荐" card: a picture and a title in a link)
    was its text alone: the post kept no link to the article at all."""
    post = rendered('<a href="https://mp.weixin.qq.com/s/past"><section>'
                    '<img data-src="https://mmbiz.qpic.cn/mmbiz_png/Cover/640">'
                    '<p>往期：警惕刷单</p><mpvoice name="早安"></mpvoice>'
                    '<p>点击阅读</p></section></a>')
    links = [(a.get("href"), a.text_content(), [img.get("src") for img in a.iter("img")])
             for a in post.iter("a")]
    assert links == [("https://mp.weixin.qq.com/s/past", "", ["https://mmbiz.qpic.cn/mmbiz_png/Cover/640"]),
                     ("https://mp.weixin.qq.com/s/past", "往期：警惕刷单", []),
                     ("https://mp.weixin.qq.com/s/x", "音频：早安", []),  # no link in a link
                     ("https://mp.weixin.qq.com/s/past", "点击阅读", [])]


@pytest.mark.parametrize("tag", ["mp-miniprogram", "mp-vote", "mp-common-videosnap", "qqmusic"])
def test_a_widget_of_no_length_holding_text_is_measured(tag: str) -> None:
    """The report read a widget's length from the attribute of no name for the widgets that
    have none, which lxml refuses: a page with a card holding text (as a browser renders
    it) stopped the whole report with a traceback."""
    article = Article(url="https://mp.weixin.qq.com/s/x", title="t", account="a", published=None,
                      body_html=f'<p>正文</p><{tag} data-title="反诈"><span>卡片里的字</span></{tag}>')
    result = measure(article)
    assert (result.text_source, result.text_kept, result.leftovers) == (2, 2, 0)


def test_a_short_heading_holding_a_link_or_a_picture_stays_a_heading() -> None:
    """A heading's length, by which one as long as a paragraph is bold text, counted the
    target of its link or picture: a four-character heading linking an article became a
    paragraph in bold."""
    post = rendered('<h2><a href="https://mp.weixin.qq.com/s?__biz=MzA5ODk2NTQ2MQ=='
                    '&amp;mid=2650&amp;idx=1&amp;sn=0123456789abcdef">往期回顾</a></h2>'
                    '<h2>案例<img data-src="https://mmbiz.qpic.cn/mmbiz_png/Icon/640'
                    '?wx_fmt=png&amp;from=appmsg"></h2><p>正文</p>')
    headings = [(h.tag, h.text_content(), len(list(h.iter("a", "img")))) for h in post if h.tag != "p"]
    assert headings == [("h2", "往期回顾", 1), ("h2", "案例", 1)]


def test_an_empty_line_of_a_wechat_code_block_is_one_empty_line() -> None:
    """WeChat's code block is a <code> a line, an empty one holding a <br>: the <br> was a
    newline of its own beside the line's, and each empty line of the code two."""
    body = ('<pre class="code-snippet__js" data-lang="python"><code><span leaf="">a = 1</span></code>'
            '<code><span leaf=""><br></span></code><code><span leaf="">b = 2<br></span></code>'
            '<code><span leaf="">c = 3</span></code></pre>')
    assert [pre.text_content() for pre in rendered(body).iter("pre")] == ["a = 1\n\nb = 2\nc = 3\n"]
    result = measure(Article(url="https://mp.weixin.qq.com/s/x", title="t", account="a",
                             published=None, body_html=body))
    assert (result.code_lines_source, result.code_lines_kept) == (4, 4)


def test_a_widgets_title_of_tildes_or_asterisks_is_no_leftover() -> None:
    """A "~" or "*" of an audio's, a video's or a shared article's title, which the post's
    one line for it shows, was counted as an emphasis marker left over: a sound post
    ("晚安~") was flagged and the report's exit status was 1."""
    article = Article(url="https://mp.weixin.qq.com/s/x", title="t", account="a", published=None,
                      body_html='<p>正文</p><mpvoice name="晚安~"></mpvoice>'
                                '<mpvideo data-title="*重要*提醒"></mpvideo>',
                      share_source_url="https://mp.weixin.qq.com/s/y", share_source_title="好文~~推荐")
    assert measure(article).leftovers == 0


def test_a_widgets_text_that_the_article_says_too_is_no_leftover() -> None:
    """Text inside a widget (a card as a browser renders it) found in the post was counted as
    the widget's text shown, even where the article's own text says it."""
    article = Article(url="https://mp.weixin.qq.com/s/x", title="t", account="a", published=None,
                      body_html='<p>请下载国家反诈中心</p><mp-miniprogram data-miniprogram-title="反诈">'
                                '<span>国家反诈中心</span></mp-miniprogram>')
    assert measure(article).leftovers == 0


JEKYLL_MARKDOWN = """
require "jekyll"
print Jekyll::Converters::Markdown.new(Jekyll.configuration({"quiet" => true})).convert(STDIN.read)
"""


def test_kramdown_renders_a_line_of_a_paragraph_as_jekyll_does() -> None:
    """kramdown's GFM reader breaks a paragraph's every line unless told not to, as Jekyll
    tells it: the report and the tests saw line breaks the blog does not show."""
    markdown = "第一行\n第二行\n\n**硬换行**  \n下一行\n\n## 标题\n\n| 甲 | 乙 |\n| --- | --- |\n| 1 | 2 |"
    blog = subprocess.run(["ruby", "-e", JEKYLL_MARKDOWN], input=markdown, capture_output=True,
                          text=True, check=True, timeout=120).stdout
    with Kramdown() as kramdown:
        assert kramdown.render(markdown) == blog


def test_a_link_holding_an_empty_line_links_each_of_its_paragraphs() -> None:
    """Two line breaks in a link part its text with a line of spaces, the end of a paragraph,
    which the link's brackets were written across: "[甲" and "乙](https://…)" showed as text."""
    post = rendered('<p><a href="https://a.example/">甲<br><br>乙</a></p>')
    assert [(a.get("href"), a.text_content()) for a in post.iter("a")] == \
        [("https://a.example/", "甲"), ("https://a.example/", "乙")]
    assert " ".join(post.text_content().split()) == "甲 乙"


def test_a_line_break_at_an_edge_of_emphasis_or_code_stays() -> None:
    """A <br> first or last in bold, italics, struck or code text went with the markers'
    trimming: "**标题：**正文" for a title over its line (the editor's "<strong><br></strong>",
    joined to the bold before it)."""
    assert rendered_text('<p><strong>标题：</strong><strong><br></strong>正文</p>'
                         '<p>上一行<em><br>斜</em></p><p><del>删<br></del>下一行</p>'
                         '<p><code>码<br></code>下一行</p>') == \
        "标题：\n正文\n上一行\n斜\n删\n下一行\n码\n下一行"


def test_text_the_pages_styles_show_italic_is_italic_in_the_post() -> None:
    """WeChat's editor (2025) sets italics in a style, as it sets bold
    (``<span textstyle style="font-style: italic">``): the post showed the text upright."""
    post = rendered('<p>这是<span textstyle="" style="font-style: italic;">斜体</span>和'
                    '<span textstyle="" style="font-weight: bold; font-style: italic">粗斜体</span>'
                    '<span style="font-style: normal">正体</span></p>')
    assert sorted((em.tag, em.text_content()) for em in post.iter("em", "strong")) == \
        [("em", "斜体"), ("em", "粗斜体"), ("strong", "粗斜体")]
    assert post.text_content().strip() == "这是斜体和粗斜体正体"


def test_a_line_break_in_inline_code_stays() -> None:
    """A code span cannot hold a line break: the lines of inline code with a <br> between
    them ran together as one ("ls -la   cd /tmp")."""
    assert rendered_text('<p>运行<code>ls -la<br>cd /tmp</code>即可</p>') == "运行ls -la\ncd /tmp即可"


def test_a_link_around_one_heading_quote_or_list_shows_no_markup() -> None:
    """A link around a single block wrote its brackets around the block's Markdown: the
    reader saw "## 往期回顾", "> 引用" and "- 项" as the link's text. What the block holds
    is linked, as a browser links it."""
    post = rendered('<a href="https://a.example/"><h2>往期回顾</h2></a>'
                    '<a href="https://a.example/"><blockquote>引用</blockquote></a>'
                    '<a href="https://a.example/"><ul><li>项</li></ul></a>'
                    '<p><a href="https://a.example/">a](b)</a></p>'
                    '<p><a href="https://a.example/x"><span data-formula="x"></span></a></p>')
    assert [element.tag for element in post] == ["h2", "blockquote", "ul", "p", "p"]
    assert post.text_content().split()[:4] == ["往期回顾", "引用", "项", "a](b)"]
    assert [(a.get("href"), a.text_content()) for a in post.iter("a")] == \
        [*(("https://a.example/", text) for text in ("往期回顾", "引用", "项", "a](b)")),
         ("https://a.example/x", "\\(x\\)")]  # a formula stays linked


def test_a_link_around_text_and_a_picture_in_a_cell_stays_a_link() -> None:
    """In a table's cell a picture is inline, in its link's brackets: the link is kept."""
    post = rendered('<table><tr><td><a href="https://a.example/">看<img '
                    'data-src="https://mmbiz.qpic.cn/mmbiz_png/Cell/640"></a></td><td>乙</td></tr>'
                    '<tr><td>1</td><td>2</td></tr></table>')
    assert [(a.get("href"), a.text_content(), len(list(a.iter("img")))) for a in post.iter("a")] == \
        [("https://a.example/", "看", 1)]


def test_a_link_in_a_link_after_an_exclamation_mark_shows_no_markup() -> None:
    """Text's escaped "!" before a link ("\\![-](…)") was read as a picture, so the link in
    it went unseen and the outer link's brackets went around it: its Markdown showed."""
    post = rendered('<a href="https://a.example/out"><p>甲</p><p>注意!<a href="https://a.example/in">'
                    '这里</a></p></a>')
    assert post.text_content().split() == ["甲", "注意!这里"]


def test_a_page_keeping_exactly_the_share_asked_for_is_not_flagged(tmp_path: Path) -> None:
    """``--min-text 1``: flag what keeps less than all of its text, not what keeps all."""
    (tmp_path / "whole.html").write_bytes((PAGES / "scriptless.html").read_bytes())
    assert main([str(tmp_path), "--min-text", "1"]) == 0


@pytest.mark.parametrize("value", ["95", "-1", "nan", "inf", "1.01"])
def test_a_share_that_is_no_fraction_is_refused_before_any_page_is_measured(
        tmp_path: Path, value: str, capsys: pytest.CaptureFixture[str]) -> None:
    """README writes the threshold as "95 %": ``--min-text 95`` flagged every page, even one
    keeping all of its text, and ``-1`` or ``nan`` flagged none, however little it kept,
    with exit status 0."""
    (tmp_path / "whole.html").write_bytes((PAGES / "scriptless.html").read_bytes())
    with pytest.raises(SystemExit) as refused:
        main([str(tmp_path), "--min-text", value])
    assert refused.value.code == 2
    output = capsys.readouterr()
    assert output.out == ""
    assert output.err.endswith(f"error: argument --min-text: takes a fraction from 0 to 1 (0.95 for "
                               f"95 %), not {value!r}\n"), output.err


@pytest.mark.parametrize("body", [
    '<p><span style="display:none">藏</span>看得见</p>',
    '<p>甲<mpvoice name="早安"></mpvoice>看得见</p>',
])
def test_text_after_hidden_text_or_a_widget_is_text_the_source_shows(body: str) -> None:
    """lxml gives a text after an element (its tail) that element as its parent: the report
    read text after hidden text or a widget as theirs, counted none of it, and measured a
    post that lost it as keeping all its text."""
    article = Article(url="https://mp.weixin.qq.com/s/x", title="t", account="a", published=None,
                      body_html=body)
    assert shown_in_article(article).endswith("看得见")
    lost = Article(url=article.url, title="t", account="a", published=None,
                   body_html=body.replace("看得见", ""))
    converted = measure(article)
    assert converted.text_kept == converted.text_source > 0
    assert measure(lost).text_source == converted.text_source - 3


def test_an_element_a_browser_shows_as_a_block_is_a_block_and_strike_is_struck() -> None:
    """Elements markdownify has no handler for were written as their text alone: <center>,
    <header> or <aside> ran into the text before and after them on one line ("甲乙丙"), with
    italics across them shown as "**"; <strike> lost its line."""
    assert rendered_text("<center>甲</center><header>乙</header><p><i>丙</i></p>"
                         "<aside><i>丁</i></aside><menu><li>戊</li></menu>") == "甲\n乙\n丙\n丁\n戊"
    assert [struck.text for struck in rendered("<p>甲<strike>删</strike></p>").iter("del")] == ["删"]


def test_a_quotes_marks_are_the_posts_text_and_the_reports() -> None:
    """A browser draws a <q>'s quotation marks (CSS's open-quote and close-quote: “ ”, within
    a quote ‘ ’; none under ``quotes: none``, which WeChat's editor sets on its quote blocks).
    markdownify wrote '"乙"' (kramdown curled each mark by the characters beside it, or not;
    and under ``quotes: none`` a reader saw marks the page did not show), and the report read
    no marks in the source at all."""
    body = ('<p>甲<q>乙<q>丙</q></q>丁</p><blockquote style="color: red; quotes: none">'
            '<p><q>戊</q></p></blockquote><p style=\'quotes: "«" "»"\'><q>己</q></p>')
    article = Article(url="https://mp.weixin.qq.com/s/x", title="t", account="a", published=None,
                      body_html=body)
    assert to_markdown(article, {}) == "甲“乙‘丙’”丁\n\n> 戊\n\n«己»"
    assert shown_in_article(article) == "甲“乙‘丙’”丁戊«己»"
    assert rendered_text(body) == "甲“乙‘丙’”丁\n戊\n«己»"
    result = measure(article)
    assert (result.text_source, result.text_kept, result.leftovers) == (12, 12, 0)


# What a browser shows nothing of (Chromium's own style sheet hides it), beside text it shows
SHOWN_NOTHING = {
    "title": "<p>甲<title>藏</title>乙</p>",
    "rp": "<p><ruby>甲<rp>藏</rp><rt>乙</rt><rp>藏</rp></ruby></p>",
    "datalist": "<p>甲<datalist><option>藏</option></datalist>乙</p>",
    "noembed": "<p>甲<noembed>藏</noembed>乙</p>",
    "noframes": "<p>甲<noframes>藏</noframes>乙</p>",
    "template": "<p>甲<template>藏</template>乙</p>",
    "dialog": "<p>甲</p><dialog><p>藏</p></dialog><p>乙</p>",
    "hidden": '<p>甲<span hidden>藏</span>乙</p><div hidden=""><p>藏</p></div>',
    "meter": "<p>甲<meter>藏</meter><progress>藏</progress>乙</p>",
    "iframe": "<p>甲<iframe>藏</iframe>乙</p>",
}


@pytest.mark.parametrize("body", SHOWN_NOTHING.values(), ids=SHOWN_NOTHING.keys())
def test_what_a_browser_shows_nothing_of_the_post_and_the_report_show_nothing_of(body: str) -> None:
    """A <title> in the body, ruby's fallback parentheses (<rp>), a <datalist>'s options,
    <noembed>, <noframes>, a <dialog> not open, an element marked ``hidden`` and what a
    gauge (<meter>, <progress>) holds show nothing in a browser; the post showed their text,
    and the report counted it as the page's, and a frame's (which the post leaves out)."""
    article = article_of(body)
    assert "藏" not in to_markdown(article, {})
    assert shown_in_article(article) == "甲乙"
    assert "".join(rendered_text(body).split()) == "甲乙"


@pytest.mark.parametrize("body", ['<dialog open><p>甲</p></dialog>',
                                  '<p><span hidden style="display: inline">甲</span></p>'])
def test_an_open_dialog_or_hidden_text_a_style_shows_is_text(body: str) -> None:
    """A style's ``display`` wins over the browser's own for ``hidden`` and a closed dialog."""
    article = article_of(body)
    assert (to_markdown(article, {}), shown_in_article(article)) == ("甲", "甲")


def test_a_closed_details_shows_its_summary_then_its_body_as_text() -> None:
    """A reader of the original sees a closed <details>'s body once they open it: the post
    keeps it, after the summary, and the report counts it."""
    body = "<details><summary>摘要</summary><p>细节</p></details>"
    article = article_of(body)
    assert to_markdown(article, {}) == "摘要\n\n细节"
    assert shown_in_article(article) == "摘要细节"


# What a browser draws of a control or a fallback, and the text it shows so, in order
DRAWN = {
    "drop-down": ('<p>甲<select><option>一</option><option selected>二</option></select>乙</p>',
                  "甲二乙"),
    "first-enabled": ('<p><select><optgroup disabled><option>一</option></optgroup>'
                      '<option hidden>二</option></select></p>', "二"),
    "list-box": ('<select size="2"><optgroup label="组"><option>一</option></optgroup>'
                 '<option label="二">藏</option>藏</select>', "组一二"),
    "hidden": ('<p>甲<select hidden><option>藏</option></select>'
               '<select multiple><option style="display:none">藏</option></select>乙</p>', "甲乙"),
    "quote-in-option": ('<p><select><option><q>引</q>文</option></select></p>', "引文"),  # no marks
    "object": ('<p>甲<object data="x.swf"><param name="a" value="b">后备</object>乙</p>', "甲后备乙"),
    "summary": ("<details>前<p>中</p><summary>摘要</summary>尾</details>", "摘要前中尾"),
    "no-summary": ("<details>前<p>中</p></details><details open><p>后</p></details>",
                   "Details前中Details后"),
    "hidden-summary": ('<details><p>中</p><summary hidden>藏</summary></details>', "中"),
    # what an SVG draws: its <text>s and <foreignObject>s (of a size), none of what is only defined
    "svg": ('<p>前<svg><defs><text>藏</text></defs><clipPath><text>藏</text></clipPath>'
            '<symbol><text>藏</text></symbol><g display="none"><text>藏</text></g>'
            '<g style="opacity: 0"><text>藏</text></g><text>图<tspan display="none">藏</tspan>'
            '<title>藏</title>字</text><foreignObject width="100" height="20"><p>外<q>引</q></p>'
            '</foreignObject><foreignObject><p>藏</p></foreignObject>'
            '<svg><text>内</text></svg></svg>后</p>', "前图字外“引”内后"),
}


@pytest.mark.parametrize("body,shown", DRAWN.values(), ids=DRAWN.keys())
def test_the_post_and_the_report_show_what_a_browser_draws(body: str, shown: str) -> None:
    """A <select> showed nothing in the post and the report, an <object>'s fallback neither,
    and a <details>'s summary after what came before it: a browser draws a drop-down's
    chosen option, a list box's options, the fallback of an object that loads nothing (as in
    a reprint), and the first summary first, the browser's own where there is none
    (tests/test_browser.py checks it in Chromium). The text tags are read from kept a
    summary in its place."""
    article = article_of(body)
    assert "".join(to_markdown(article, {}).split()) == shown_in_article(article) == shown
    assert "".join(shown_text(dom.fragment(body)).split()) == shown

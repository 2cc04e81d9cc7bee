"""Posts the blog's maintainer edited, renamed or re-saved by hand, and what a crawl, the
watch, ``verify`` and ``rebuild`` then do with them: never a post made worse, never a
person's edit lost, never two posts of one article."""

from __future__ import annotations

import json
import os
import re
import sqlite3
from pathlib import Path

import pytest
import yaml

from crawler.convert.post import compose_post
from crawler.store.archive import Archive
from crawler.store.postfiles import post_files, posts_in_folders
from crawler.store.posts import Outcome
from crawler.wechat.article import Article
from crawler.wechat.page import parse_page
from tests.conftest import crawl, jekyll_build, scrapy_command, serve_legacy_shape
from tests.mockserver import MockWeChat, Route, png
from tests.site import Art, Site
from tests.test_check import NOT_A_FOLDER, NOT_A_LOCK, lock_replaced
from tests.test_watch import answer, watch

ART = Art("2247497001", title="手工编辑过的文章")


@pytest.fixture
def site(wechat: MockWeChat) -> Site:
    site = Site(wechat)
    site.article(ART)
    return site


def archive_once(site: Site, archive: Path) -> Path:
    """``crawl article`` of ``ART``; its post."""
    result = crawl("article", archive, "-a", f"url={site.link(ART).replace('&amp;', '&')}")
    assert result.returncode == 0, result.stderr
    [post] = (archive / "_posts").glob("*.md")
    return post


def moved_into(post: Path, folder: str = "2024") -> Path:
    """``post`` (at the top of ``_posts/``) moved by hand into ``folder`` there; where it is."""
    moved = post.parent / folder / post.name
    moved.parent.mkdir()
    post.rename(moved)
    return moved


def with_tag(text: str, tag: str) -> str:
    """``text`` with a tag a person added, first in the list."""
    return text.replace("tags:\n", f"tags:\n    - {tag}\n", 1)


@pytest.mark.parametrize("resave", ["crlf", "bom", "spaces", "tabs"])
def test_a_post_resaved_by_another_editor_is_read_as_jekyll_reads_it(
        site: Site, tmp_path: Path, resave: str) -> None:
    """A post saved with a byte order mark (Notepad), with spaces after its ``---`` lines,
    or with its values set off by tabs builds in Jekyll; ``verify`` called it "no front
    matter" (or not YAML: PyYAML refuses tabs Jekyll's reader takes), ``rebuild`` refused it
    (exit status 1), and a crawl of its article wrote it again without the tag the person
    had added. CRLF line ends (a Windows editor's) were read right already."""
    archive = tmp_path / "archive"
    post = archive_once(site, archive)
    text = with_tag(post.read_text(encoding="utf-8"), "手工标签")
    end = text.index("\n---\n", 3)
    post.write_bytes(text.replace("\n", "\r\n").encode() if resave == "crlf"
                     else b"\xef\xbb\xbf" + text.encode() if resave == "bom"
                     else f"---  \n{text[4:end]}\n--- \n{text[end + 5:]}".encode()
                     if resave == "spaces"
                     else re.sub(r"^( *[\w-]+): +", "\\1:\t", text, flags=re.M).encode())
    jekyll_build(archive, tmp_path / "jekyll")  # the blog takes it

    (archive / ".state" / "index.sqlite").unlink()  # lost: rebuilt from the posts
    Archive(archive).close()
    with sqlite3.connect(archive / ".state" / "index.sqlite") as db:
        assert db.execute("SELECT path FROM articles").fetchall() == [(post.name,)]

    verified = scrapy_command("verify", archive)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    rebuilt = scrapy_command("rebuild", archive)
    assert rebuilt.returncode == 0, rebuilt.stderr
    again = crawl("article", archive, "-a", f"url={site.link(ART).replace('&amp;', '&')}")
    assert again.returncode == 0, again.stderr
    assert [path.name for path in (archive / "_posts").glob("*.md")] == [post.name]
    assert "    - 手工标签\n" in post.read_bytes().decode("utf-8").replace("\r\n", "\n")


@pytest.mark.parametrize("then", ["crawl", "rebuild"])
def test_a_post_renamed_by_hand_stays_one_post_under_its_new_name(
        site: Site, tmp_path: Path, then: str) -> None:
    """The maintainer gave a post a shorter name (its ``wechat:`` block as it was): the next
    crawl of its article, or ``rebuild``, wrote it again under its old name, and the blog
    showed the article twice."""
    archive = tmp_path / "archive"
    post = archive_once(site, archive)
    renamed = post.with_name(post.name[:11] + "改过的名字.md")
    renamed.write_text(with_tag(post.read_text(encoding="utf-8"), "手工标签"), encoding="utf-8")
    post.unlink()
    if then == "crawl":
        result = crawl("article", archive, "-a", f"url={site.link(ART).replace('&amp;', '&')}")
    else:
        result = scrapy_command("rebuild", archive)
    assert result.returncode == 0, result.stderr
    assert [path.name for path in (archive / "_posts").glob("*.md")] == [renamed.name]
    assert "    - 手工标签\n" in renamed.read_text(encoding="utf-8")
    assert "restored" not in result.stdout  # nothing was missing
    verified = scrapy_command("verify", archive)
    assert verified.returncode == 0, verified.stdout


def test_the_watch_marks_a_post_renamed_by_hand_when_its_original_is_deleted(
        site: Site, tmp_path: Path) -> None:
    """The watch looked for the post under its old name only: a renamed post whose original
    was deleted never said so."""
    archive = tmp_path / "archive"
    post = archive_once(site, archive)
    renamed = post.with_name(post.name[:11] + "改过的名字.md")
    post.rename(renamed)
    site.pages[ART.path] = answer("deleted.html")
    assert watch(archive, site).returncode == 0
    assert [path.name for path in (archive / "_posts").glob("*.md")] == [renamed.name]
    assert "    status: deleted\n" in renamed.read_text(encoding="utf-8")


@pytest.mark.parametrize("quoted", ["'{}'", '"{}"', "{}   "])
def test_a_wechat_block_re_saved_by_another_editor_still_names_its_article(
        site: Site, tmp_path: Path, quoted: str) -> None:
    """An editor re-saved the post's YAML, its ``url:`` in single quotes (as YAML tools
    write a value they would quote), and the index was lost (deleted as damaged, as its
    message advises): the index rebuilt from the posts knew the article by the URL with its
    quotes, so ``verify`` said its article was not in the index, and the watch asked WeChat
    for the quoted URL."""
    archive = tmp_path / "archive"
    post = archive_once(site, archive)
    text = post.read_text(encoding="utf-8")
    url = re.search(r"^    url: (.+)$", text, re.MULTILINE)[1]
    post.write_text(text.replace(f"    url: {url}\n", f"    url: {quoted.format(url)}\n"),
                    encoding="utf-8")
    (archive / ".state" / "index.sqlite").unlink()
    Archive(archive).close()  # what the next run does first: the index rebuilt from the posts
    verified = scrapy_command("verify", archive)
    assert verified.returncode == 0, verified.stdout
    with sqlite3.connect(archive / ".state" / "index.sqlite") as db:
        assert db.execute("SELECT url FROM articles").fetchall() == [(url,)]
    watched = watch(archive, site)
    assert watched.returncode == 0, watched.stderr


@pytest.mark.parametrize("line", ["wechat: # 存档信息", "wechat:  "])
def test_the_watch_marks_a_wechat_block_with_a_comment_or_trailing_spaces_inside_it(
        site: Site, tmp_path: Path, line: str) -> None:
    """A person wrote a comment after ``wechat:`` (or an editor left spaces there), and a key
    of their own after the block: the watch, not finding the block, put ``status:`` under
    that key, which YAML cannot read, and the whole site failed to build."""
    archive = tmp_path / "archive"
    post = archive_once(site, archive)
    text = post.read_text(encoding="utf-8").replace("wechat:\n", f"{line}\n", 1)
    end = text.index("\n---\n", 3) + 1
    post.write_text(text[:end] + "comments: true\n" + text[end:], encoding="utf-8")
    site.pages[ART.path] = answer("deleted.html")
    assert watch(archive, site).returncode == 0
    marked = post.read_text(encoding="utf-8")
    front = yaml.safe_load(marked[4:marked.index("\n---\n", 3)])
    assert (front["comments"], front["wechat"]["status"]) == (True, "deleted")
    jekyll_build(archive, tmp_path / "jekyll")


def every_post(archive: Path) -> list[str]:
    """The posts of ``_posts/`` and its folders, as Jekyll publishes them."""
    posts = archive / "_posts"
    return sorted(path.relative_to(posts).as_posix() for path in posts.rglob("*.md"))


@pytest.mark.parametrize("then", ["crawl", "rebuild", "index lost"])
def test_a_post_moved_into_a_folder_of_posts_stays_one_post_there(
        site: Site, tmp_path: Path, then: str) -> None:
    """The maintainer sorted the posts into a folder a year (Jekyll publishes the posts of
    ``_posts/``'s folders too): the next crawl of the article, or ``rebuild``, wrote it
    again at the top, and the blog had two posts of one date and slug (Jekyll keeps one,
    and warns), or two posts of the article once the person had renamed it too."""
    archive = tmp_path / "archive"
    post = archive_once(site, archive)
    moved = archive / "_posts" / "2024" / post.name
    moved.parent.mkdir()
    moved.write_text(with_tag(post.read_text(encoding="utf-8"), "手工标签"), encoding="utf-8")
    post.unlink()
    if then == "index lost":
        (archive / ".state" / "index.sqlite").unlink()
    if then == "rebuild":
        result = scrapy_command("rebuild", archive)
        assert "restored" not in result.stdout  # nothing was missing
    else:
        result = crawl("article", archive, "-a", f"url={site.link(ART).replace('&amp;', '&')}")
    assert result.returncode == 0, result.stderr
    assert every_post(archive) == [f"2024/{post.name}"]
    assert "    - 手工标签\n" in moved.read_text(encoding="utf-8")
    out, log = jekyll_build(archive, tmp_path / "jekyll")
    assert "warn" not in log.lower(), log
    verified = scrapy_command("verify", archive)
    assert verified.returncode == 0, verified.stdout


@pytest.mark.parametrize("where", ["renamed", "moved"])
def test_rebuild_points_the_links_to_a_renamed_post_at_its_new_name(
        site: Site, tmp_path: Path, where: str) -> None:
    """A post another post links to was renamed by hand (the site build then fails on the
    link, as ``verify`` says), or moved into a folder of ``_posts/``: ``rebuild`` made the
    linking post point at WeChat's page instead of the post, still there."""
    linking = Art("2247497002", title="引用别的文章", links=(site.body_link(ART),))
    site.article(linking)
    archive = tmp_path / "archive"
    post = archive_once(site, archive)
    result = crawl("article", archive, "-a", f"url={site.link(linking).replace('&amp;', '&')}")
    assert result.returncode == 0, result.stderr
    placed = post.with_name(post.name[:11] + "改过的名字.md") if where == "renamed" \
        else archive / "_posts" / "2024" / post.name
    placed.parent.mkdir(exist_ok=True)
    post.rename(placed)
    assert scrapy_command("rebuild", archive).returncode == 0
    [other] = [path for path in (archive / "_posts").glob("*.md") if path != placed]
    stem = placed.relative_to(archive / "_posts").with_suffix("").as_posix()
    assert f"{{% post_url {stem} %}}" in other.read_text(encoding="utf-8")
    assert scrapy_command("verify", archive).returncode == 0
    out, log = jekyll_build(archive, tmp_path / "jekyll")
    assert "warn" not in log.lower() and "deprecation" not in log.lower(), log


@pytest.mark.parametrize("copy", ["same name", "renamed"])
def test_verify_reports_a_copy_of_a_post_in_a_folder_of_posts(
        site: Site, tmp_path: Path, copy: str) -> None:
    """A person copied a post into a folder of ``_posts/`` (meaning to move it): Jekyll
    publishes both, one page overwriting the other (it warns), or the article twice under
    two names; ``verify`` looked at the top of ``_posts/`` only, and called it sound."""
    archive = tmp_path / "archive"
    post = archive_once(site, archive)
    name = post.name if copy == "same name" else post.name[:11] + "改过的名字.md"
    (archive / "_posts" / "2024").mkdir()
    (archive / "_posts" / "2024" / name).write_bytes(post.read_bytes())
    verified = scrapy_command("verify", archive)
    assert verified.returncode == 1
    problem = "share the date 2024-01-21" if copy == "same name" else "are posts of one article"
    [line] = [line for line in verified.stdout.splitlines() if problem in line]
    assert f"2024/{name}" in line and f" {post.name}" in line, line


def test_a_new_article_does_not_take_the_name_of_a_post_moved_into_a_folder(
        site: Site, tmp_path: Path) -> None:
    """Another article of the same day and title as a post moved into a folder of
    ``_posts/``: written under that post's name at the top, Jekyll made one page of the
    two (it warns, and one is lost)."""
    archive = tmp_path / "archive"
    post = archive_once(site, archive)
    moved_into(post)
    assert crawl("article", archive, "-a", f"url={site.link(ART).replace('&amp;', '&')}"
                 ).returncode == 0  # the index now knows where it is
    twin = Art("2247497003", title=ART.title)
    site.article(twin)
    result = crawl("article", archive, "-a", f"url={site.link(twin).replace('&amp;', '&')}")
    assert result.returncode == 0, result.stderr
    posts = every_post(archive)
    assert len(posts) == 2 and f"2024/{post.name}" in posts and post.name not in posts, posts
    out, log = jekyll_build(archive, tmp_path / "jekyll")
    assert "warn" not in log.lower(), log


def test_the_posts_in_folders_are_those_jekyll_reads_below_the_top(tmp_path: Path) -> None:
    """Listed without a look at each post at the top (``posts_in_folders``), they are still
    the posts of ``post_files`` not at the top: not in a hidden folder nor one named ``_…``,
    nor a link to a folder; in a folder named ``….md`` and in a folder's folders."""
    posts = tmp_path / "_posts"
    for name in ["top.md", "2024/a.md", "2024/deep/b.md", "x.md/c.md", ".hidden/d.md",
                 "_drafts/e.md", "2024/_f/g.md", "2024/notes.txt"]:
        (posts / name).parent.mkdir(parents=True, exist_ok=True)
        (posts / name).write_text("---\n---\n", encoding="utf-8")
    (posts / "linked").symlink_to(posts / "2024")
    (posts / "2023.md").mkdir()
    found = posts_in_folders(posts)
    assert found == [path for path in post_files(posts) if path.parent != posts]
    assert [path.relative_to(posts).as_posix() for path in found] == ["2024/a.md", "2024/deep/b.md", "x.md/c.md"]
    assert posts_in_folders(tmp_path / "none") == []


def test_rebuild_re_renders_a_post_moved_into_a_folder(wechat: MockWeChat, tmp_path: Path) -> None:
    """``rebuild`` read the top of ``_posts/`` only: a post moved into a folder kept what an
    older converter (or another option) had made of it."""
    site = Site(wechat)
    listed = Art("2247497004", title="列表文章", items=("不转账", "不透露验证码"))
    site.article(listed)
    archive = tmp_path / "archive"
    assert crawl("article", archive, "-a", f"url={site.link(listed).replace('&amp;', '&')}"
                 ).returncode == 0
    [post] = (archive / "_posts").glob("*.md")
    moved = moved_into(post)
    result = scrapy_command("rebuild", archive, "-s", "MARKDOWN_BULLET=*")
    assert (result.returncode, result.stdout.strip()) == (0, "rebuild: 1 updated"), result.stderr
    assert "\n* 不转账" in moved.read_text(encoding="utf-8")
    assert every_post(archive) == [f"2024/{post.name}"]


def test_a_post_edited_by_hand_is_no_edit_upstream(site: Site, tmp_path: Path) -> None:
    """The maintainer mended a word of a post; later WeChat served the page with a change no
    reader sees (an attribute): the watch weighed the page against the post as the person
    left it, and told readers the original had been edited (``updated:``, ``versions: 2``)."""
    archive = tmp_path / "archive"
    post = archive_once(site, archive)
    post.write_text(post.read_text(encoding="utf-8").replace("警方提示", "警方特别提示"),
                    encoding="utf-8")
    page = site.page(ART).replace('id="js_content"', 'id="js_content" data-x="1"', 1)
    site.pages[ART.path] = Route(200, "text/html; charset=utf-8", page.encode())
    watched = watch(archive, site)
    assert watched.returncode == 0, watched.stderr
    text = post.read_text(encoding="utf-8")
    assert "    updated:" not in text and "    versions:" not in text, text
    assert "edited" not in next(line for line in watched.stderr.splitlines() if "Run summary" in line)


@pytest.mark.parametrize("where", ["renamed", "moved"])
def test_a_post_renamed_or_moved_by_hand_is_relinked_when_its_link_is_archived(
        site: Site, tmp_path: Path, where: str) -> None:
    """A post linking to an article not archived yet, renamed or moved into a folder of
    ``_posts/`` by hand: when that article was archived, the posts linking to it were
    pointed at its post, but this one was looked for under its old name, or passed over
    for being in a folder, and kept WeChat's link."""
    target = Art("2247497005", title="后来存档的文章")
    site.article(target)
    linking = Art("2247497006", title="引用别的文章", links=(site.body_link(target),))
    site.article(linking)
    archive = tmp_path / "archive"
    assert crawl("article", archive, "-a", f"url={site.link(linking).replace('&amp;', '&')}"
                 ).returncode == 0
    [post] = (archive / "_posts").glob("*.md")
    placed = post.with_name(post.name[:11] + "改过的名字.md") if where == "renamed" \
        else archive / "_posts" / "2024" / post.name
    placed.parent.mkdir(exist_ok=True)
    post.rename(placed)
    result = crawl("article", archive, "-a", f"url={site.link(target).replace('&amp;', '&')}")
    assert result.returncode == 0, result.stderr
    [made] = [path for path in (archive / "_posts").glob("*.md") if "后来存档" in path.name]
    assert f"{{% post_url {made.stem} %}}" in placed.read_text(encoding="utf-8")


def test_the_watch_of_a_renamed_post_does_not_ask_again_for_an_image_lost_for_good(
        site: Site, tmp_path: Path) -> None:
    """A picture the CDN answers 404 for, in a post renamed by hand: the watch looked for the
    post under its old name, did not see the picture was lost for good, and asked for it
    again at every watch (mailing "Images not stored" each time)."""
    picture = f"/mmbiz_png/Img{ART.mid}x1/640"
    site.server.image(picture, b"gone", status=404)
    archive = tmp_path / "archive"
    post = archive_once(site, archive)
    post.rename(post.with_name(post.name[:11] + "改过的名字.md"))
    again = watch(archive, site, LOG_LEVEL="WARNING")
    assert (again.returncode, again.stderr) == (0, "")
    assert len(site.server.hits(picture)) == 1


def test_verify_lists_a_post_moved_into_a_folder_as_incomplete(
        site: Site, tmp_path: Path) -> None:
    """``verify`` did not list a post moved into a folder as incomplete while its picture
    was still on the CDN."""
    site.server.image(f"/mmbiz_png/Img{ART.mid}x1/640", b"busy", status=503)
    archive = tmp_path / "archive"
    post = archive_once(site, archive)
    moved = moved_into(post)
    verified = scrapy_command("verify", archive)
    assert verified.returncode == 0, verified.stdout
    assert f"{moved}: incomplete, 1 image still on the CDN (tried again when a run finds the " \
        "article)\nverify: 1 post with images not stored yet (a warning: the archive is sound)\n" \
        in verified.stdout, verified.stdout


def test_a_post_restored_into_its_folder_is_linked_there(site: Site, tmp_path: Path) -> None:
    """A post moved into a folder of ``_posts/`` and later deleted is restored there; the
    posts linking to its article were pointed at it without its folder (Jekyll then finds
    it only by its old matching, and warns)."""
    archive = tmp_path / "archive"
    again = ["article", archive, "-a", f"url={site.link(ART).replace('&amp;', '&')}"]
    post = archive_once(site, archive)
    moved = moved_into(post)
    assert crawl(*again).returncode == 0  # the index now knows where it is
    moved.unlink()
    linking = Art("2247497007", title="引用别的文章", links=(site.body_link(ART),))
    site.article(linking)
    assert crawl("article", archive, "-a", f"url={site.link(linking).replace('&amp;', '&')}"
                 ).returncode == 0
    assert crawl(*again).returncode == 0
    assert every_post(archive) == sorted([f"2024/{post.name}", "2024-01-21-引用别的文章.md"])
    text = (archive / "_posts" / "2024-01-21-引用别的文章.md").read_text(encoding="utf-8")
    assert f"{{% post_url 2024/{post.stem} %}}" in text
    out, log = jekyll_build(archive, tmp_path / "jekyll")
    assert "warn" not in log.lower() and "deprecation" not in log.lower(), log


@pytest.mark.parametrize("folder", ["反诈(旧)", "旧(", "c++", "[2024]"])
def test_a_post_in_a_folder_jekyll_cannot_name_is_linked_by_its_url(
        site: Site, tmp_path: Path, folder: str) -> None:
    """Jekyll's ``post_url`` puts the folder into a regular expression unescaped: a folder
    named with ``(``, ``+`` or ``[`` matched no post (a deprecation warning, or, unbalanced,
    the whole site failed to build). A link to a post there keeps the article's URL."""
    archive = tmp_path / "archive"
    post = archive_once(site, archive)
    moved_into(post, folder)
    again = crawl("article", archive, "-a", f"url={site.link(ART).replace('&amp;', '&')}")
    assert again.returncode == 0  # the index now knows where it is
    linking = Art("2247497008", title="引用别的文章", links=(site.body_link(ART),))
    site.article(linking)
    assert crawl("article", archive, "-a", f"url={site.link(linking).replace('&amp;', '&')}"
                 ).returncode == 0
    out, log = jekyll_build(archive, tmp_path / "jekyll")
    assert not re.search(r"warn|error|deprecat", log, re.IGNORECASE), log
    text = (archive / "_posts" / "2024-01-21-引用别的文章.md").read_text(encoding="utf-8")
    assert "{% post_url" not in text and f"&mid={ART.mid}&idx=1" in text.replace("&amp;", "&")


def legacy_article(wechat: MockWeChat) -> Article:
    """The article of the stand-in's legacy-shape page, as the parser reads it."""
    legacy = serve_legacy_shape(wechat)
    parsed = parse_page(wechat.body_of("/s/LegacyShapeToken"), legacy.url)
    assert isinstance(parsed, Article)
    return parsed


def test_a_post_kept_from_a_worse_page_is_recorded_with_its_own_tags(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """A page worse than the archived post (its text gone) leaves the post as it is, the tags
    a person gave it too: the index must record those, not the tags of the text not written,
    or the post, deleted by hand, comes back with tags it never had."""
    article = legacy_article(wechat)
    archive = Archive(tmp_path)
    try:
        text = compose_post(article, {}, ["手工标签"])
        path = archive.write_post(article, text, tags=["手工标签"], complete=True)[1]
        made = compose_post(article, {}, ["其他"])
        worse = made[:made.index("\n---\n", 3) + 5] + "此内容已被发布者删除\n"
        assert archive.write_post(article, worse, tags=["其他"], complete=True)[0] is Outcome.KEPT
        path.unlink()
        assert archive.post_tags(article.key, archive.places.placed(article.key)) == ["手工标签"]
    finally:
        archive.close()


def test_an_index_naming_a_post_outside_posts_does_not_write_it_there(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """An index edited by hand or by another tool may name a post ``../x.md``: the post is
    made again in ``_posts/``, not written into the site beside it (a page Jekyll renders)."""
    article = legacy_article(wechat)
    archive = Archive(tmp_path)
    try:
        text = compose_post(article, {}, ["其他"])
        path = archive.write_post(article, text, tags=["其他"], complete=True)[1]
        path.unlink()
        with sqlite3.connect(tmp_path / ".state" / "index.sqlite") as db:
            db.execute("UPDATE articles SET path = '../escaped.md'")
        db.close()
        again = archive.write_post(article, text, tags=["其他"], complete=True)[1]
        assert again == path and path.is_file() and not (tmp_path / "escaped.md").exists()
    finally:
        archive.close()


def test_a_front_matter_a_person_broke_is_named_at_its_line_and_the_others_are_written(
        site: Site, tmp_path: Path) -> None:
    """A title whose quote a person opened and did not close: the crawl's one line quoted
    PyYAML's lines around it and counted them from the front matter (``line 2, column 8``),
    one short of the file's, where the editor shows the post's layout. Now it names the
    file's line; the post stays as the person left it, and the other article is written."""
    other = Art("2247497002", title="另一篇文章")
    site.article(other)
    archive = tmp_path / "archive"
    links = tmp_path / "links.txt"
    links.write_text("".join(site.link(art).replace("&amp;", "&") + "\n" for art in (ART, other)))
    assert crawl("article", archive, "-a", f"urls_file={links}").returncode == 0
    broken, written = (next((archive / "_posts").glob(f"*{art.name}.md")) for art in (ART, other))
    lines = broken.read_text(encoding="utf-8").splitlines(keepends=True)
    title = next(number for number, line in enumerate(lines) if line.startswith("title: "))
    lines[title] = lines[title].replace("title: ", 'title: "', 1)
    broken.write_text("".join(lines), encoding="utf-8")
    for art in (ART, other):
        site.pages[art.path] = Route(200, "text/html; charset=utf-8",
                                     site.page(art).replace("警方提示", "警方特别提示").encode())

    result = crawl("article", archive, "-a", f"urls_file={links}")

    [line] = [line for line in result.stderr.splitlines() if " ERROR: " in line and "Exit status" not in line]
    assert line.endswith(f"{broken}: front matter is not valid YAML: line {title + 1}: while scanning a quoted "
                         "scalar; found unexpected end of stream: not written over: mend it, or delete it "
                         "and run scrapy rebuild to make it again"), line
    assert broken.read_text(encoding="utf-8") == "".join(lines)
    assert "警方特别提示" in written.read_text(encoding="utf-8")
    assert "1 updated, 1 not written" in result.stderr


def test_a_copy_of_a_post_made_by_hand_is_named_when_the_index_is_rebuilt(site: Site, tmp_path: Path) -> None:
    """A post copied by hand beside itself, then the index lost: the index rebuilt from the
    posts said "Rebuilt the index of 2 archived articles" of one article, and nothing of
    the two posts, one of which the next crawl updated and the other it left stale. Now
    one line names both and which the index takes; the run goes on, the copy as it was."""
    archive = tmp_path / "archive"
    post = archive_once(site, archive)
    copy = post.with_name("2024-01-01-我的副本.md")
    copy.write_bytes(post.read_bytes())
    (archive / ".state" / "index.sqlite").unlink()
    site.pages[ART.path] = Route(200, "text/html; charset=utf-8",
                                 site.page(ART).replace("警方提示", "警方特别提示").encode())

    result = crawl("article", archive, "-a", f"url={site.link(ART).replace('&amp;', '&')}")

    assert result.returncode == 0, result.stderr
    assert "Rebuilt the index of 1 archived article from" in result.stderr
    [line] = [line for line in result.stderr.splitlines() if " WARNING: " in line and "Run summary" not in line]
    assert line.endswith(f"Two posts of one article: the index takes {post.name}, and {copy.name} stays as it "
                         "is: delete one (the blog shows the article twice)"), line
    assert "警方特别提示" in post.read_text(encoding="utf-8")
    assert "警方特别提示" not in copy.read_text(encoding="utf-8")


def sources_of(site: Site, tmp_path: Path, spider: str) -> tuple[list[str], dict[str, str]]:
    """The ``-a`` words and settings of a crawl by ``spider`` (album, accounts, article of a
    list of URLs) of ``ART`` and another article of the site."""
    other = Art("2247497002", albums=("3001",))
    site.article(other)
    links = [site.link(art).replace("&amp;", "&") for art in (ART, other)]
    if spider == "album":
        return ["-a", f"url={site.album('3001', [ART, other])}"], {}
    if spider == "accounts":
        accounts = tmp_path / "accounts.toml"
        accounts.write_text(f'[[account]]\nname = "测试反诈中心"\nurls = {json.dumps(links)}\n', encoding="utf-8")
        return [], {"ACCOUNTS_FILE": str(accounts), "WECHAT_BASE_URL": site.server.base}
    listed = tmp_path / "urls.txt"
    listed.write_text("\n".join(links) + "\n", encoding="utf-8")
    return ["-a", f"urls_file={listed}"], {}


@pytest.mark.parametrize("spider, folder, put", [
    *((spider, folder, "a file") for spider in ("album", "accounts", "article")
      for folder in ("_posts", "postimg", ".state", ".state/warc")),
    *(("article", folder, "a link to nothing") for folder in ("_posts", "postimg", ".state/warc"))])
def test_a_file_where_a_folder_of_the_archive_goes_is_one_line_before_wechat_is_asked(
        site: Site, tmp_path: Path, spider: str, folder: str, put: str) -> None:
    """A file left where a folder of the archive goes (a folder replaced by a file, by hand
    or a sync tool), or a link to nothing (the folder it named moved away), fails every write
    there: the crawl fetched every page from WeChat, said each write that failed and exited 1
    at the end. Now, as ``rebuild`` does, it says so in one line before asking WeChat for
    anything, exit status 1 (an archive that cannot be opened), and what is there stays as it
    was. ``.state/`` a file stopped it so already, in a line that said "[Errno 17] File
    exists": that the folder was there."""
    words, settings = sources_of(site, tmp_path, spider)
    archive = tmp_path / "archive"
    place = archive / folder
    place.parent.mkdir(parents=True)
    NOT_A_FOLDER[put](place)
    before = os.lstat(place)

    result = crawl(spider, archive, *words, settings=settings)

    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [
        f"scrapy crawl {spider}: cannot open the archive at {archive}/: [Errno 20] a file, where the "
        f"archive keeps a folder (move it away): '{place}'"], result.stderr
    assert site.server.hits() == []
    assert (os.lstat(place).st_ino, os.lstat(place).st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


@pytest.mark.parametrize("kind", NOT_A_LOCK)
def test_a_lock_that_is_no_regular_file_is_one_line_before_wechat_is_asked(
        site: Site, tmp_path: Path, kind: str) -> None:
    """A crawl on it was refused, but in words that named no file of a FIFO or a device
    ("[Errno 22] Invalid argument"). Now the line names the lock and what to do."""
    archive = tmp_path / "archive"
    lock = lock_replaced(archive, kind)

    result = crawl("article", archive, "-a", f"url={site.link(ART).replace('&amp;', '&')}")

    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [
        f"scrapy crawl article: cannot open the archive at {archive}/: not a regular file, where the "
        f"archive keeps its lock (move it away): '{lock}'"], result.stderr
    assert site.server.hits() == []


def edited_upstream(site: Site, art: Art) -> None:
    """``art``'s page served with a word changed and a picture added: a post no worse."""
    page = site.page(art).replace("警方提示", "警方再次提示").replace(
        "<ul>", f'<p><img data-src="{site.server.base}/mmbiz_png/AddedLater/640?wx_fmt=png"></p><ul>', 1)
    site.server.image("/mmbiz_png/AddedLater/640", png((200, 9, 9)))
    site.pages[art.path] = Route(200, "text/html; charset=utf-8", page.encode())


@pytest.mark.parametrize("then", ["crawl", "tags", "watch", "relink", "rebuild"])
def test_a_read_only_post_is_left_as_it_is(site: Site, tmp_path: Path, then: str) -> None:
    """A post the maintainer made read-only (``chmod a-w``: "leave it as it is") was replaced
    all the same, by a rename over it: with the page edited upstream, with a tag asked for,
    marked by the watch as deleted, relinked to an article archived later, rebuilt. Now it
    keeps its bytes and its mode, one INFO line says so (once, however often the run would
    write it), and nothing else is lost: its row in the index, the pictures, the watch."""
    target = Art("2247497007", title="后来存档的文章")
    site.article(target)
    linking = Art(ART.mid, title=ART.title, links=(site.body_link(target),))
    site.article(linking)
    archive = tmp_path / "archive"
    post = archive_once(site, archive)
    before = post.read_bytes()
    post.chmod(0o444)
    if then == "crawl":
        edited_upstream(site, linking)
        result = crawl("article", archive, "-a", f"url={site.link(ART).replace('&amp;', '&')}")
    elif then == "tags":
        result = crawl("article", archive, "-a", f"url={site.link(ART).replace('&amp;', '&')}",
                       "-a", "tags=手工标签")
    elif then == "watch":
        site.pages[ART.path] = answer("deleted.html")
        result = watch(archive, site)
    elif then == "relink":  # in one run: its page written over, then relinked
        edited_upstream(site, linking)
        urls = tmp_path / "urls.txt"
        urls.write_text("\n".join(site.link(art).replace("&amp;", "&") for art in (ART, target)),
                        encoding="utf-8")
        result = crawl("article", archive, "-a", f"urls_file={urls}")
    else:
        edited_upstream(site, linking)
        assert crawl("article", archive, "-a", f"url={site.link(ART).replace('&amp;', '&')}"
                     ).returncode == 0
        result = scrapy_command("rebuild", archive)
    assert result.returncode == 0, result.stderr
    assert post.read_bytes() == before
    assert post.stat().st_mode & 0o777 == 0o444
    if then == "rebuild":  # its INFO lines go to a log file only
        assert "1 read-only" in result.stdout, result.stdout
    else:
        said = [line for line in result.stderr.splitlines() if post.name in line and "read-only" in line]
        assert len(said) == 1 and " INFO: " in said[0], result.stderr
    with sqlite3.connect(archive / ".state" / "index.sqlite") as db:
        assert db.execute("SELECT path FROM articles WHERE key LIKE ?",
                          (f"%:{ART.mid}:1",)).fetchall() == [(post.name,)]
        if then in ("crawl", "relink", "rebuild"):  # the picture the post does not show yet is stored
            [(name,)] = db.execute("SELECT name FROM images WHERE url LIKE '%AddedLater%'").fetchall()
            assert (archive / "postimg" / name).is_file()
        if then == "watch":
            assert db.execute("SELECT answer FROM watch WHERE key LIKE ?",
                              (f"%:{ART.mid}:1",)).fetchall() == [("deleted",)]
    if then in ("crawl", "relink"):
        summary = next(line for line in result.stderr.splitlines() if "Run summary" in line)
        assert "1 kept read-only" in summary, summary
    verified = scrapy_command("verify", archive)  # sound as it stands
    assert verified.returncode == 0, verified.stdout
    if then in ("crawl", "relink"):  # the picture kept for it, not an orphan
        assert re.search(rf"/AddedLater\.png: an image the read-only post {re.escape(str(post))} "
                         r"does not show \(left as it is", verified.stdout), verified.stdout
    post.chmod(0o644)  # made writable again: the next run writes it as ever
    again = crawl("article", archive, "-a", f"url={site.link(ART).replace('&amp;', '&')}")
    assert again.returncode == 0, again.stderr
    assert (post.read_bytes() != before) is (then != "tags"), then

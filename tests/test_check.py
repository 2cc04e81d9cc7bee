"""``check_archive``: each kind of problem ``scrapy verify`` reports, on a small made archive;
the archive commands on a folder that holds none."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from crawler.convert.post import render_post
from crawler.store.archive import Archive
from crawler.store.check import check_archive, images_awaiting_posts, posts_with_remote_images
from crawler.store.index import ArticleState
from tests.conftest import PROJECT, crawl_env, jekyll_build, scrapy_command
from tests.mockserver import png
from tests.test_captures import scrapy
from tests.test_hostile import page, parsed


def made_archive(root: Path) -> Archive:
    article = parsed(page(mid="2247496001"))
    body = ("![]({{site.baseurl}}/postimg/Here.png)\n\n![]({{site.baseurl}}/postimg/Gone.png)\n\n"
            '![](https://mmbiz.qpic.cn/mmbiz_png/Remote/640){: referrerpolicy="no-referrer"}\n')
    posts, images = root / "_posts", root / "postimg"
    posts.mkdir(parents=True)
    images.mkdir()
    (posts / "2023-11-15-反诈提醒.md").write_text(render_post(article, body, ["其他"]), encoding="utf-8")
    (posts / "2023-11-15-反诈提醒.markdown").write_text(render_post(article, "", ["其他"]))
    (posts / "notes.md").write_text("---\n---\n")
    (images / "Here.png").write_bytes(png((0, 0, 0)))
    (images / "Orphan.png").write_bytes(png((0, 0, 0)))
    writer = Archive(root)
    writer.index.add_article(article.key, article.url, "2023-11-15-反诈提醒.md", ArticleState.ARCHIVED)
    writer.close()
    (posts / ".2023-11-15-x.md.abc.tmp").write_text("half")  # a run killed while writing
    (posts / ".gitkeep").write_text("")
    (images / ".gitkeep").write_text("")
    return Archive(root, read_only=True)


def test_every_problem_once_naming_its_file(tmp_path: Path) -> None:
    archive = made_archive(tmp_path)
    problems = [line.replace(str(tmp_path), "") for line in check_archive(archive)]
    archive.close()
    assert problems == [
        "/_posts/.2023-11-15-x.md.abc.tmp: a half-written file left by an interrupted run",
        "/_posts/2023-11-15-反诈提醒.md: links to postimg/Gone.png, which does not exist",
        "/_posts/notes.md: not named YYYY-MM-DD-slug.md, so Jekyll does not publish it",
        "/_posts: 2023-11-15-反诈提醒.markdown, 2023-11-15-反诈提醒.md share the date 2023-11-15 "
        "and slug '反诈提醒'",
        "/postimg/Orphan.png: no post links to it",
    ]


@pytest.mark.parametrize("date", ["2099-01-01", "2009-01-01"])
def test_a_post_dated_in_the_future_or_before_wechat_is_said_to_be(tmp_path: Path, date: str) -> None:
    """Jekyll does not publish a post dated in the future, and no article is older than WeChat:
    the post is there, and the blog does not show it, or shows it at a date it never had."""
    made_archive(tmp_path).close()
    (tmp_path / "_posts" / f"{date}-日期.md").write_text("---\n---\n", encoding="utf-8")
    reader = Archive(tmp_path, read_only=True)
    problems = [line.replace(str(tmp_path), "") for line in check_archive(reader)]
    reader.close()
    assert f"/_posts/{date}-日期.md: dated {date}, before WeChat existed or in the future (Jekyll " \
           "does not publish a post dated in the future): its publish time is not to be trusted" in problems


def test_a_post_whose_article_the_index_does_not_know_is_said_to_be(tmp_path: Path) -> None:
    """A post copied in from another archive: no run knows its article (the watch never
    checks it, a rebuild does not restore it)."""
    made_archive(tmp_path).close()
    other = parsed(page(mid="2247496002"))
    (tmp_path / "_posts" / "2023-11-16-另一篇.md").write_text(render_post(other, "", ["其他"]),
                                                            encoding="utf-8")
    reader = Archive(tmp_path, read_only=True)
    problems = [line.replace(str(tmp_path), "") for line in check_archive(reader)]
    reader.close()
    assert f"/_posts/2023-11-16-另一篇.md: its article ({other.url}) is not in the index" in problems


def test_a_half_written_image_is_named_as_one(tmp_path: Path) -> None:
    """An image an interrupted run left half-written is said to be one, as a post is: its
    name starts with a dot, which would else hide it from the check of files no post shows."""
    made_archive(tmp_path).close()
    (tmp_path / "postimg" / ".Here.png.abc.tmp").write_bytes(b"half")
    reader = Archive(tmp_path, read_only=True)
    problems = [line.replace(str(tmp_path), "") for line in check_archive(reader)]
    reader.close()
    assert "/postimg/.Here.png.abc.tmp: a half-written file left by an interrupted run" in problems


def test_the_next_run_removes_what_an_interrupted_run_left(tmp_path: Path) -> None:
    """What verify names "a half-written file left by an interrupted run" is gone once a run
    opens the archive to write, in the posts and the images alike; other dot files stay."""
    made_archive(tmp_path).close()
    (tmp_path / "postimg" / ".Here.png.abc.tmp").write_bytes(b"half")
    Archive(tmp_path).close()
    assert sorted(p.name for p in (tmp_path / "_posts").glob(".*")) == [".gitkeep"]
    assert sorted(p.name for p in (tmp_path / "postimg").glob(".*")) == [".gitkeep"]
    reader = Archive(tmp_path, read_only=True)
    assert not any("half-written" in line for line in check_archive(reader))
    reader.close()


def test_posts_said_to_share_a_page_are_those_jekyll_finds_sharing_one(tmp_path: Path) -> None:
    """Jekyll makes a post's page of its name's letters, marks, decimal digits and the
    characters its "pretty" slugs keep, case kept (Jekyll's UrlDrop#title): verify said
    防骗课堂❶ and 防骗课堂❷ of one day were two pages (Jekyll made one, a post lost), and
    Foo and foo, x́y and x-y, a.b and a-b one (Jekyll made two)."""
    posts = tmp_path / "_posts"
    posts.mkdir()
    (tmp_path / "postimg").mkdir()
    names = ["2024-01-01-防骗课堂❶", "2024-01-01-防骗课堂❷", "2024-01-02-Foo", "2024-01-02-foo",
             "2024-01-03-x́y", "2024-01-03-x-y", "2024-01-04-a.b", "2024-01-04-a-b",
             "2024-01-05-a_b", "2024-01-05-a-b", "2024-01-06-刷单〡返利", "2024-01-06-刷单-返利"]
    for name in names:
        (posts / f"{name}.md").write_text("---\nlayout: post\ntitle: t\n---\n正文。\n", encoding="utf-8")
    archive = Archive(tmp_path, read_only=True)
    said = {line.split(" share the date ")[1][:10] for line in check_archive(archive)
            if " share the date " in line}
    archive.close()
    _, log = jekyll_build(tmp_path, tmp_path / "build")
    conflicts = {"-".join(date) for date in re.findall(r"Conflict: .*?/out/(\d{4})/(\d\d)/(\d\d)/", log, re.S)}
    assert said == conflicts == {"2024-01-01", "2024-01-06"}, log


def test_images_left_on_the_cdn_are_reported_apart(tmp_path: Path) -> None:
    archive = made_archive(tmp_path)
    found = [(path.name, count) for path, count in posts_with_remote_images(archive, {"mmbiz.qpic.cn"})]
    archive.close()
    assert found == [("2023-11-15-反诈提醒.md", 1)]


@pytest.mark.parametrize("command", ["verify", "rebuild", "accounts-report", "check"])
@pytest.mark.parametrize("where", ["missing", "empty"])
def test_a_folder_that_holds_no_archive_is_one_line_and_creates_nothing(
        tmp_path: Path, command: str, where: str) -> None:
    root = tmp_path / "archiv"  # a typo
    if where == "empty":
        root.mkdir()
    result = scrapy(command, root)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if "scrapy check: this is now" not in line]
    assert len(lines) == 1 and str(root) in lines[0], result.stderr
    assert result.stdout == ""
    assert (sorted(root.iterdir()) == []) if where == "empty" else not root.exists()


# What stands where a folder of the archive goes, put there by hand or by a sync tool: each,
# by how it is put
NOT_A_FOLDER: dict[str, Callable[[Path], object]] = {
    "a file": lambda path: path.write_text("a file where the folder was\n"),
    "a link to nothing": lambda path: path.symlink_to(path.with_name("moved-away"))}


@pytest.mark.parametrize("put", NOT_A_FOLDER)
@pytest.mark.parametrize("folder, what", [("_posts", "post"), ("postimg", "picture"),
                                          (".state/warc", "raw capture")])
def test_a_folder_of_the_archive_that_is_a_file_is_a_problem(tmp_path: Path, folder: str,
                                                             what: str, put: str) -> None:
    """Each crawl fails on such an archive (one line, exit status 1): verify called it sound,
    and of a link to nothing (the folder it named moved away) it still did."""
    made_archive(tmp_path).close()
    path = tmp_path / folder
    if path.is_dir():
        shutil.rmtree(path)
    NOT_A_FOLDER[put](path)
    result = scrapy("verify", tmp_path)
    assert result.returncode == 1, result.stdout
    assert f"{path}: not a folder, so no run can write a {what} there (each crawl fails)\n" \
        in result.stdout, result.stdout



@pytest.mark.parametrize("command, folder", [
    *[("rebuild", folder) for folder in ("_posts", "postimg", ".state", ".state/warc")],
    ("verify", ".state"), ("check", ".state"), ("versions", ".state"), ("versions", ".state/warc"),
    ("accounts-report", ".state")])
def test_a_folder_the_command_needs_that_is_a_file_is_one_line_and_exit_status_1(
        tmp_path: Path, command: str, folder: str) -> None:
    """A file where a folder of the archive goes (put there by hand, or by a sync tool), on
    which each crawl fails, exit status 1: ``rebuild`` with ``_posts`` a file and no capture
    said "no posts" or "1 without capture", exit status 0; ``accounts-report`` with ``.state`` a file "0
    accounts", exit status 0, and ``verify`` that the index was missing, which "the next
    run rebuilds" (it cannot). Now one line names the file and what to do, exit status 1
    (an archive that cannot be opened), and the file stays as it was."""
    made_archive(tmp_path).close()
    path = tmp_path / folder
    if path.is_dir():
        shutil.rmtree(path)
    path.write_text("a file where the folder was\n")
    words = ["http://127.0.0.1/s?__biz=MzA5MDAwMDAwMQ==&mid=2247496001&idx=1"] if command == "versions" else []

    result = scrapy_command(command, tmp_path, *words)

    assert result.returncode == 1, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if "scrapy check: this is now" not in line]
    assert lines == [f"scrapy {command}: cannot open the archive at {tmp_path}/: [Errno 20] a file, where "
                     f"the archive keeps a folder (move it away): '{path}'"], result.stderr
    assert result.stdout == ""
    assert path.read_text() == "a file where the folder was\n"


# A lock that is no regular file, made by hand or by a sync tool: each kind, by how it is made
NOT_A_LOCK: dict[str, Callable[[Path], object]] = {
    "a folder": Path.mkdir, "a FIFO": os.mkfifo, "a link to a device": lambda path: path.symlink_to(os.devnull)}


def lock_replaced(root: Path, kind: str) -> Path:
    """The lock of the archive at ``root`` (made if none is yet), replaced by ``kind`` of
    file (``NOT_A_LOCK``)."""
    Archive(root).close()
    lock = root / ".state" / "lock"
    lock.unlink()
    NOT_A_LOCK[kind](lock)
    return lock


@pytest.mark.timeout(60)  # a FIFO's open waited for a writer for ever
@pytest.mark.parametrize("kind", NOT_A_LOCK)
def test_a_lock_that_is_no_regular_file_is_a_problem(tmp_path: Path, kind: str) -> None:
    """No run can take such a lock: each crawl and rebuild fails on it. ``verify`` called
    the archive sound, exit status 0 (of a FIFO, it waited for a writer for ever)."""
    lock = lock_replaced(tmp_path, kind)

    result = scrapy("verify", tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        f"{lock}: not a regular file, so no run can take the archive's lock (each crawl fails)",
        f"verify: 1 problem in {tmp_path}"], result.stdout


@pytest.mark.parametrize("kind", NOT_A_LOCK)
def test_a_lock_that_is_no_regular_file_is_one_line_of_rebuild_naming_it(tmp_path: Path, kind: str) -> None:
    """``rebuild`` on it said "[Errno 21] Is a directory", or of a FIFO or a device only
    "[Errno 22] Invalid argument", naming no file. Now the line names it and what to do."""
    lock = lock_replaced(tmp_path, kind)

    result = scrapy("rebuild", tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        f"scrapy rebuild: cannot open the archive at {tmp_path}/: not a regular file, where the archive "
        f"keeps its lock (move it away): '{lock}'"], result.stderr
    assert result.stdout == ""


def test_a_file_name_cannot_write_a_line_of_verifys_own(tmp_path: Path) -> None:
    from tests.test_captures import scrapy
    made_archive(tmp_path).close()
    (tmp_path / "_posts" / "x\nverify: blog is sound (9 posts).md").write_text("")
    result = scrapy("verify", tmp_path)
    assert result.returncode == 1
    assert "x\\nverify: blog is sound" in result.stdout
    assert not [line for line in result.stdout.splitlines() if line.startswith("verify: blog")]


@pytest.mark.parametrize("command", ["verify", "accounts-report"])
@pytest.mark.parametrize("made", [True, False])
def test_a_command_in_its_own_process_says_and_exits_as_the_tests_run_it(
        tmp_path: Path, command: str, made: bool) -> None:
    """The tests run the archive commands in their own process (``tests/inprocess.py``);
    the real command line prints the same lines and ends with the same status."""
    root = tmp_path / "archive"
    if made:
        made_archive(root).close()
    settings = ["-s", f"ARCHIVE_DIR={root}", "-s", "ARTICLE_HOSTS=127.0.0.1", "-s", "IMAGE_HOSTS=127.0.0.1"]
    real = subprocess.run([sys.executable, "-m", "scrapy", command, *settings], cwd=PROJECT, env=crawl_env(),
                          capture_output=True, text=True, timeout=120)
    here = scrapy_command(command, root)
    assert (here.returncode, here.stdout, here.stderr) == (real.returncode, real.stdout, real.stderr)
    assert real.returncode == (1 if made and command == "verify" else 0 if made else 2), real.stderr


def test_a_reader_that_stops_reading_costs_no_traceback(tmp_path: Path) -> None:
    """``scrapy verify | head``: the pipe closes while verify still writes."""
    root = tmp_path / "archive"
    made_archive(root).close()
    for number in range(5000):  # more lines than a pipe holds
        (root / "postimg" / f"Orphan{number}.png").write_bytes(b"png")
    command = [sys.executable, "-m", "scrapy", "verify", "-s", f"ARCHIVE_DIR={root}"]
    with subprocess.Popen(command, cwd=PROJECT, env=crawl_env(), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as verify:
        assert verify.stdout is not None and verify.stderr is not None
        assert verify.stdout.readline().startswith(str(root))
        verify.stdout.close()
        errors = verify.stderr.read()
        assert verify.wait(timeout=120) == 1
    assert errors == ""


@pytest.mark.parametrize("command", ["verify", "accounts-report"])
def test_a_command_run_with_standard_output_closed_ends_with_its_own_status(
        tmp_path: Path, command: str) -> None:
    """``scrapy verify >&-`` (a job that wants the exit status only): Python then has no
    ``sys.stdout``, and flushing it was a traceback, exit status 1, whatever the archive."""
    root = tmp_path / "archive"
    made_archive(root).close()
    (root / "postimg" / "Orphan.png").write_bytes(b"png")  # a problem: verify's status is 1
    line = [sys.executable, "-m", "scrapy", command, "-s", f"ARCHIVE_DIR={root}"]
    result = subprocess.run(["sh", "-c", 'exec "$@" >&-', "sh", *line], cwd=PROJECT, env=crawl_env(),
                            stderr=subprocess.PIPE, text=True, timeout=120)
    assert (result.returncode, result.stderr) == (1 if command == "verify" else 0, "")


def test_two_posts_of_one_article_are_reported(tmp_path: Path) -> None:
    """A copy of a post under another name (a person's, or one rebuilt after a rename by hand)
    was not reported: the blog showed the article twice, and ``verify`` said it was sound."""
    article = parsed(page(mid="2247496002"))
    posts = tmp_path / "_posts"
    posts.mkdir(parents=True)
    (tmp_path / "postimg").mkdir()
    text = render_post(article, "正文\n", ["其他"])
    for name in ("2023-11-15-反诈提醒.md", "2023-11-15-反诈提醒-副本.md"):
        (posts / name).write_text(text, encoding="utf-8")
    Archive(tmp_path).close()  # its index is made from the posts
    archive = Archive(tmp_path, read_only=True)
    problems = list(check_archive(archive))
    archive.close()
    assert problems == [f"{posts}: 2023-11-15-反诈提醒-副本.md, 2023-11-15-反诈提醒.md are posts of one "
                        f"article ({article.url}): the blog shows it twice"]


def test_a_wechat_url_that_is_no_string_is_one_problem_not_a_traceback(tmp_path: Path) -> None:
    """A hand-edited ``url:`` that YAML reads as a list ended ``verify`` in a TypeError."""
    posts = tmp_path / "_posts"
    posts.mkdir(parents=True)
    (tmp_path / "postimg").mkdir()
    (posts / "2023-11-15-x.md").write_text("---\ntitle: x\nwechat:\n    url: [a, b]\n---\n\n正文\n",
                                           encoding="utf-8")
    archive = Archive(tmp_path, read_only=True)
    problems = list(check_archive(archive))
    archive.close()
    assert problems == [f"{posts / '2023-11-15-x.md'}: wechat.url is no URL (['a', 'b'])"]


def test_the_images_of_a_post_whose_front_matter_does_not_read_are_no_orphans(
        tmp_path: Path) -> None:
    """A hand edit broke a post's YAML: verify said so, and also called every image the post
    shows "no post links to it", inviting their deletion."""
    article = parsed(page(mid="2247496003"))
    posts, images = tmp_path / "_posts", tmp_path / "postimg"
    posts.mkdir(parents=True)
    images.mkdir()
    post = posts / "2023-11-15-反诈提醒.md"
    post.write_text(render_post(article, "![]({{site.baseurl}}/postimg/Shown.png)\n", ["其他"])
                    .replace("title:      ", "title: [", 1), encoding="utf-8")
    (images / "Shown.png").write_bytes(png((0, 0, 0)))
    archive = Archive(tmp_path, read_only=True)
    problems = [line.replace(str(tmp_path), "") for line in check_archive(archive)]
    archive.close()
    assert len(problems) == 1 and problems[0].startswith(
        "/_posts/2023-11-15-反诈提醒.md: front matter is not valid YAML"), problems


def test_the_images_of_a_post_that_is_not_utf8_are_no_orphans(tmp_path: Path) -> None:
    """A post saved by an editor in GBK: verify said so, and also called the images it shows
    "no post links to it", inviting their deletion."""
    posts, images = tmp_path / "_posts", tmp_path / "postimg"
    posts.mkdir(parents=True)
    images.mkdir()
    (posts / "2023-11-15-x.md").write_bytes(
        "---\ntitle: 反诈\n---\n\n![]({{site.baseurl}}/postimg/Shown.png)\n".encode("gbk"))
    (images / "Shown.png").write_bytes(png((0, 0, 0)))
    archive = Archive(tmp_path, read_only=True)
    problems = [line.replace(str(tmp_path), "") for line in check_archive(archive)]
    archive.close()
    assert len(problems) == 1 and "/_posts/2023-11-15-x.md" in problems[0] \
        and "UTF-8" in problems[0], problems


def test_an_image_written_in_a_code_block_is_no_image_left_on_the_cdn(tmp_path: Path) -> None:
    """Code that shows Markdown (an article about writing posts) was counted as an image left
    on the CDN, "tried again when a run finds the article", which no run does."""
    article = parsed(page(mid="2247496004"))
    (tmp_path / "postimg").mkdir()
    (tmp_path / "_posts").mkdir()
    code = "```\n![](https://mmbiz.qpic.cn/mmbiz_png/InCode/640)\n```\n"
    (tmp_path / "_posts" / "2023-11-15-反诈提醒.md").write_text(render_post(article, code, ["其他"]),
                                                            encoding="utf-8")
    archive = Archive(tmp_path, read_only=True)
    found = list(posts_with_remote_images(archive, {"mmbiz.qpic.cn"}))
    archive.close()
    assert found == []


def test_a_link_to_a_name_too_long_for_the_file_system_is_one_problem_not_a_traceback(
        tmp_path: Path) -> None:
    """A hand edit's link to an image or a post of a name over 255 bytes: the file system
    refuses to look it up (ENAMETOOLONG, which pathlib's is_file() raises), and verify ended
    in a traceback."""
    article = parsed(page(mid="2247496005"))
    posts, images = tmp_path / "_posts", tmp_path / "postimg"
    posts.mkdir(parents=True)
    images.mkdir()
    long = "长" * 100
    (posts / "2023-11-15-反诈提醒.md").write_text(render_post(
        article, f"![]({{{{site.baseurl}}}}/postimg/{long}.png)\n\n[往期]({{% post_url 2023-11-14-{long} %}})\n",
        ["其他"]), encoding="utf-8")
    archive = Archive(tmp_path, read_only=True)
    problems = [line.replace(str(tmp_path), "") for line in check_archive(archive)]
    archive.close()
    assert problems[:2] == [
        f"/_posts/2023-11-15-反诈提醒.md: links to postimg/{long}.png, which does not exist",
        f"/_posts/2023-11-15-反诈提醒.md: links to the post 2023-11-14-{long}, which does not exist "
        "(the site build fails; scrapy rebuild restores an archived article's post)"]


@pytest.mark.parametrize("command", ["verify", "rebuild"])
def test_a_folder_named_like_a_post_is_a_folder_not_a_post_that_fails(
        tmp_path: Path, command: str) -> None:
    """Jekyll reads ``_posts/2023-11-16-old.md/`` as a folder of posts, as any other."""
    folder = tmp_path / "_posts" / "2023-11-16-old.md"
    folder.mkdir(parents=True)
    (folder / "2023-11-16-hand.md").write_text("---\ntitle: hand-made\n---\nText\n")
    Archive(tmp_path).close()
    result = scrapy(command, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "directory" not in result.stdout + result.stderr


@pytest.mark.parametrize("command", ["verify", "rebuild"])
@pytest.mark.parametrize("front", ["---\n---\n", "---\n# a draft\n---\n"])
def test_a_hand_made_post_with_an_empty_front_matter_is_sound(
        tmp_path: Path, command: str, front: str) -> None:
    """Jekyll publishes a post whose front matter is empty (its title from its name)."""
    posts = tmp_path / "_posts"
    posts.mkdir()
    (posts / "2023-11-16-hand.md").write_text(f"{front}Text\n\n---\n\nmore\n")
    Archive(tmp_path).close()
    result = scrapy(command, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_post_in_a_folder_of_posts_is_checked_as_one_at_the_top(tmp_path: Path) -> None:
    """Jekyll publishes it beside the others: a link to a post that does not exist fails the
    build, wherever the post linking lies."""
    folder = tmp_path / "_posts" / "2023"
    folder.mkdir(parents=True)
    (folder / "2023-11-16-moved.md").write_text(
        "---\ntitle: x\n---\n[a]({% post_url 2023-01-01-gone %})\n\n"
        "![]({{site.baseurl}}/postimg/Gone.png)\n")
    (folder / "2023-11-17-bad.md").write_text("---\ntitle: [x\n---\n")
    (folder / "notes.md").write_text("---\n---\n")
    Archive(tmp_path).close()
    archive = Archive(tmp_path, read_only=True)
    problems = [line.replace(str(tmp_path), "") for line in check_archive(archive)]
    archive.close()
    assert problems[0].startswith("/_posts/2023/2023-11-16-moved.md: links to postimg/Gone.png")
    assert problems[1].startswith("/_posts/2023/2023-11-16-moved.md: links to the post 2023-01-01-gone")
    assert problems[2].startswith("/_posts/2023/2023-11-17-bad.md: front matter is not valid YAML")
    assert len(problems) == 3, problems


def test_accounts_report_on_a_post_whose_wechat_block_was_emptied_is_no_traceback(
        tmp_path: Path) -> None:
    """A person left ``wechat:`` with nothing under it (verify says so): the report names the
    account by its ``__biz``."""
    made_archive(tmp_path).close()
    (tmp_path / "_posts" / "2023-11-15-反诈提醒.md").write_text("---\ntitle: x\nwechat:\n---\nText\n")
    result = scrapy("accounts-report", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "accounts-report: 1 account" in result.stdout


def test_an_account_name_cannot_write_a_line_of_accounts_reports_own(tmp_path: Path) -> None:
    made_archive(tmp_path).close()
    (tmp_path / "_posts" / "2023-11-15-反诈提醒.md").write_text(
        '---\ntitle: x\nwechat:\n    account: "A\\naccounts-report: 0 accounts, 0 stale"\n---\nText\n')
    result = scrapy("accounts-report", tmp_path)
    assert [line for line in result.stdout.splitlines() if line.startswith("accounts-report:")] \
        == ["accounts-report: 1 account, 0 stale (no new article for 30 days)"], result.stdout


def test_a_link_to_a_post_jekyll_finds_is_no_problem(tmp_path: Path) -> None:
    """Jekyll's ``post_url`` finds a ``.markdown`` post (the Hux theme's own examples are)
    and, by its name alone, a post in a folder; a post it does not find is still one."""
    posts = tmp_path / "_posts"
    (posts / "2023").mkdir(parents=True)
    (posts / "2023" / "2023-11-16-moved.md").write_text("---\ntitle: m\n---\nM\n")
    (posts / "2023-11-10-kd.markdown").write_text("---\ntitle: k\n---\nK\n")
    (posts / "2023-11-17-linker.md").write_text(
        "---\ntitle: x\n---\n[a]({% post_url 2023-11-16-moved %}) [b]({% post_url 2023-11-10-kd %}) "
        "[c]({% post_url 2023/2023-11-16-moved %}) [d]({% post_url 2023-11-18-gone %})\n")
    Archive(tmp_path).close()
    archive = Archive(tmp_path, read_only=True)
    problems = [line.replace(str(tmp_path), "") for line in check_archive(archive)]
    archive.close()
    assert [line.split(", which")[0] for line in problems] == [
        "/_posts/2023-11-17-linker.md: links to the post 2023-11-18-gone"]


def test_an_image_a_post_shows_twice_is_one_image_left_on_the_cdn(tmp_path: Path) -> None:
    """verify said "incomplete, 3 images still on the CDN" of a post showing one picture
    twice (and another once), where the run had said 2 images not stored: places were
    counted, not images."""
    article = parsed(page(mid="2247496005"))
    (tmp_path / "postimg").mkdir()
    (tmp_path / "_posts").mkdir()
    shown = '![](https://mmbiz.qpic.cn/mmbiz_png/Twice/640){: referrerpolicy="no-referrer"}\n\n'
    markdown = shown + "正文。\n\n" + shown + '![](https://mmbiz.qpic.cn/mmbiz_png/Other/640){: referrerpolicy="no-referrer"}\n'
    (tmp_path / "_posts" / "2023-11-15-反诈提醒.md").write_text(render_post(article, markdown, ["其他"]),
                                                            encoding="utf-8")
    archive = Archive(tmp_path, read_only=True)
    found = [count for _, count in posts_with_remote_images(archive, {"mmbiz.qpic.cn"})]
    archive.close()
    assert found == [2]


def test_an_image_is_awaiting_its_post_only_while_no_article_it_was_stored_for_has_one(
        tmp_path: Path) -> None:
    """Stored for an article not written yet: no fault. Stored for one that has its post,
    which does not show it, or also for such a one: no post links it, which is one."""
    made_archive(tmp_path).close()
    for name in ("Waiting.png", "Shared.png"):
        (tmp_path / "postimg" / name).write_bytes(b"png")
    writer = Archive(tmp_path)
    written = writer.index.archived_articles().__next__()[0]
    writer.index.add_images({"https://mmbiz.qpic.cn/mmbiz_png/Waiting/640": "Waiting.png"}, "B:1:1")
    writer.index.add_images({"https://mmbiz.qpic.cn/mmbiz_png/Shared/640": "Shared.png"}, "B:1:1")
    writer.index.add_images({"https://mmbiz.qpic.cn/mmbiz_png/Shared/0": "Shared.png"}, written)
    writer.index.add_images({"https://mmbiz.qpic.cn/mmbiz_png/Orphan/640": "Orphan.png"}, written)
    writer.close()
    reader = Archive(tmp_path, read_only=True)
    unlinked = [line.replace(str(tmp_path), "") for line in check_archive(reader) if "no post links" in line]
    assert [path.name for path in images_awaiting_posts(reader)] == ["Waiting.png"]
    reader.close()
    assert unlinked == ["/postimg/Orphan.png: no post links to it", "/postimg/Shared.png: no post links to it"]


def test_an_index_from_before_images_named_their_article_says_its_orphans(tmp_path: Path) -> None:
    """Verify opens the index read-only, so adds no column to it: an older index knows no
    image's article, and its unlinked files are said as ever, not a traceback."""
    made_archive(tmp_path).close()
    with closing(sqlite3.connect(tmp_path / ".state" / "index.sqlite")) as index:
        index.execute("DROP INDEX images_by_form")  # from before images had their canonical form
        index.execute("ALTER TABLE images DROP COLUMN form")
        index.execute("ALTER TABLE images DROP COLUMN key")
        index.execute("INSERT INTO images VALUES ('https://mmbiz.qpic.cn/mmbiz_png/Orphan/640', 'Orphan.png')")
        index.commit()
    result = scrapy("verify", tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"{tmp_path}/postimg/Orphan.png: no post links to it" in result.stdout


def test_an_accounts_file_named_but_missing_is_one_line_not_an_empty_report(tmp_path: Path) -> None:
    """``-s ACCOUNTS_FILE=acounts.toml`` (a typo) in a cron line reported the archive as if no
    account were listed, exit status 0: nobody learnt the file was never read."""
    root = tmp_path / "archive"
    made_archive(root).close()
    missing = tmp_path / "acounts.toml"
    real = subprocess.run([sys.executable, "-m", "scrapy", "accounts-report", "-s", f"ARCHIVE_DIR={root}",
                           "-s", f"ACCOUNTS_FILE={missing}"], cwd=PROJECT, env=crawl_env(),
                          capture_output=True, text=True, timeout=120)
    assert real.returncode == 2, real.stderr
    assert real.stderr == (f"scrapy accounts-report: ACCOUNTS_FILE names no file: {str(missing)!r} "
                           "(only accounts.toml, the default, may be missing: no accounts yet)\n")
    assert real.stdout == ""


@pytest.mark.parametrize("command", ["verify", "accounts-report"])
def test_a_70_kb_link_or_account_name_of_a_post_is_a_bounded_line_naming_the_article(
        tmp_path: Path, command: str) -> None:
    """A post of a hostile page (an account named in 70,000 characters, a link of a 70 KB
    ``chksm``): ``verify`` and ``accounts-report`` printed them whole, a line of 70 KB in the
    cron mail. Each line is bounded now, as a log line is (``crawler.report.logtext``), and
    keeps what names the article and the words after what it quotes."""
    root = tmp_path / "archive"
    made_archive(root).close()
    query = "__biz=MzA5OTk5OTk5OQ==&mid=2247496002&idx=1&sn=sn2247496002"
    url = f"https://mp.weixin.qq.com/s?chksm={'c' * 70_000}&{query}"
    (root / "_posts" / "2023-11-16-huge.md").write_text(
        f"---\ntitle: x\ndate: 2023-11-16\nwechat:\n    url: {url}\n---\nText\n",
        encoding="utf-8")
    named = root / "_posts" / "2023-11-15-反诈提醒.md"  # in the index: its account is reported
    named.write_text(named.read_text(encoding="utf-8").replace("测试反诈中心", "甲" * 70_000), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "scrapy", command, "-s", f"ARCHIVE_DIR={root}"],
                            cwd=PROJECT, env=crawl_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == (1 if command == "verify" else 0) and result.stderr == "", result.stderr
    lines = result.stdout.splitlines()
    assert max(map(len, lines)) < 1500, [line[:300] for line in lines if len(line) >= 1500]
    if command == "verify":
        [quoted] = [line for line in lines if "2023-11-16-huge.md" in line]
        assert f"https://mp.weixin.qq.com/s?{query}…(shortened: " in quoted, quoted
        assert quoted.endswith(") is not in the index"), quoted
    else:
        [account] = [line for line in lines if line.startswith("甲")]
        assert "(shortened: " in account and account.endswith(", 0 links to other accounts seen"), account

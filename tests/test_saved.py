"""Pages saved by browsers (.html, .htm, Chrome's and WebKit's .mhtml) read back as the page's
UTF-8 HTML."""

from __future__ import annotations

import base64
import errno
import gzip
import hashlib
import os
import re
import socket
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lxml.html
import pytest

import crawler.spiders.import_pages as import_pages
from crawler.items import ArticleItem
from crawler.pipelines.posts import PostPipeline
from crawler.store import captures
from crawler.store.archive import Archive
from crawler.store.captures import CaptureError, CaptureStore
from crawler.store.index import Index
from crawler.wechat.saved import SavedPage, SavedPageError, image_files, read_saved_page, saved_pages_in
from tests.conftest import (
    PROJECT,
    Served,
    crawl,
    crawl_cli,
    page_text,
    refusal,
    scrapy_command,
    serve_legacy_shape,
)
from tests.mockserver import MockWeChat, png

BOUNDARY = "----MultipartBoundary--abc----"
ARTICLE_URL = "https://mp.weixin.qq.com/s/LegacyShapeToken"


def quoted_printable(data: bytes) -> bytes:
    """Quoted-printable as Chrome writes it: line breaks as CRLF, bytes outside printable
    ASCII and ``=`` escaped, a space ending a line escaped, lines cut by soft breaks."""
    lines = []
    for line in data.split(b"\n"):
        tokens = [bytes([b]) if 32 <= b <= 126 and b != ord("=") else b"=%02X" % b for b in line]
        if tokens and tokens[-1] == b" ":
            tokens[-1] = b"=20"
        out, width = b"", 0
        for token in tokens:
            if width + len(token) > 75:
                out, width = out + b"=\r\n", 0
            out, width = out + token, width + len(token)
        lines.append(out)
    return b"\r\n".join(lines)


def part(headers: str, body: bytes) -> bytes:
    """One part of a multipart message: its headers (one a line), a blank line, its body."""
    return f"--{BOUNDARY}\n{headers}\n".replace("\n", "\r\n").encode() + body + b"\r\n"


def html_part(html: bytes, url: str, frame: str = "frame-1") -> bytes:
    return part("Content-Type: text/html\n"
                f"Content-ID: <{frame}@mhtml.blink>\n"
                "Content-Transfer-Encoding: quoted-printable\n"
                f"Content-Location: {url}\n", quoted_printable(html))


def image_part(url: str, data: bytes | None = None) -> bytes:
    encoded = base64.b64encode(data or png((10, 200, 10)))
    lines = b"\r\n".join(encoded[i:i + 76] for i in range(0, len(encoded), 76))
    return part("Content-Type: image/png\n"
                "Content-Transfer-Encoding: base64\n"
                f"Content-Location: {url}\n", lines)


def webkit_mhtml(date: str, *parts: bytes) -> bytes:
    """An MHTML file with the headers WebKit writes: no snapshot URL; ``date`` its Date:."""
    head = ("From: <Saved by WebKit>\n"
            "Subject: =?utf-8?Q?=E5=8F=8D=E8=AF=88?=\n"
            + (f"Date: {date}\n" if date else "") +
            "MIME-Version: 1.0\n"
            "Content-Type: multipart/related;\n"
            '\ttype="text/html";\n'
            f'\tboundary="{BOUNDARY}"\n\n').replace("\n", "\r\n").encode()
    return head + b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def chrome_mhtml(url: str, *parts: bytes) -> bytes:
    """An MHTML file with the headers Chrome's "Webpage, Single File" writes."""
    head = ("From: <Saved by Blink>\n"
            f"Snapshot-Content-Location: {url}\n"
            "Subject: =?utf-8?Q?=E5=8F=8D=E8=AF=88?=\n"
            "Date: Tue, 25 Nov 2026 10:00:00 -0000\n"
            "MIME-Version: 1.0\n"
            "Content-Type: multipart/related;\n"
            '\ttype="text/html";\n'
            f'\tboundary="{BOUNDARY}"\n\n\n').replace("\n", "\r\n").encode()
    return head + b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def test_a_chrome_mhtml_gives_back_the_page_and_the_url_it_was_saved_from(tmp_path: Path) -> None:
    page = page_text("legacy_shape.html").encode("utf-8")
    mhtml = chrome_mhtml(ARTICLE_URL, html_part(page, ARTICLE_URL),
                         image_part("https://mmbiz.qpic.cn/mmbiz_png/TwiceUsedMediaId002/640"))
    assert b"=E5=8F=8D" in mhtml and b"=\r\n" in mhtml and b"\r\n\r\n" in mhtml
    path = tmp_path / "article.mhtml"
    path.write_bytes(mhtml)
    assert read_saved_page(path) == SavedPage(
        page, ARTICLE_URL, datetime(2026, 11, 25, 10, 0, tzinfo=UTC),
        {"https://mmbiz.qpic.cn/mmbiz_png/TwiceUsedMediaId002/640": png((10, 200, 10))})


def test_a_picture_whose_base64_is_cut_short_is_no_picture_of_the_mhtml(tmp_path: Path) -> None:
    """A save cut short (a full disk, a copy stopped) leaves a part's base64 broken: its bytes
    are a picture's start, not a picture to store."""
    page = page_text("legacy_shape.html").encode("utf-8")
    cut = part("Content-Type: image/png\nContent-Transfer-Encoding: base64\n"
               "Content-Location: https://mmbiz.qpic.cn/mmbiz_png/Cut/640\n", b"iVBORw0KGgoAAAANSUhE#")
    path = tmp_path / "article.mhtml"
    path.write_bytes(chrome_mhtml(ARTICLE_URL, html_part(page, ARTICLE_URL), cut,
                                  image_part("https://mmbiz.qpic.cn/mmbiz_png/Whole/640")))
    assert list(read_saved_page(path).images) == ["https://mmbiz.qpic.cn/mmbiz_png/Whole/640"]


def test_of_several_html_parts_the_one_at_the_snapshot_url_is_the_page(tmp_path: Path) -> None:
    frame = b"<html><body>ad frame</body></html>\n"
    page = page_text("text_post.html").encode("utf-8")
    path = tmp_path / "article.MHTML"
    path.write_bytes(chrome_mhtml(ARTICLE_URL, html_part(frame, "https://ad.example/x", "frame-2"),
                                  html_part(page, ARTICLE_URL)))
    assert read_saved_page(path).html == page


def test_an_mht_names_its_charset_and_url_in_the_html_part_alone(tmp_path: Path) -> None:
    text = "<html><head><title>朱镕基</title></head><body>反诈</body></html>"
    html = base64.b64encode(text.encode("gbk"))
    mht = (f'MIME-Version: 1.0\nContent-Type: multipart/related; boundary="{BOUNDARY}"\n\n'
           ).replace("\n", "\r\n").encode() + part(
        'Content-Type: text/html; charset="gbk"\n'
        "Content-Transfer-Encoding: base64\n"
        f"Content-Location: {ARTICLE_URL}\n", html) + f"--{BOUNDARY}--\r\n".encode()
    path = tmp_path / "article.mht"
    path.write_bytes(mht)
    assert read_saved_page(path) == SavedPage(text.encode("utf-8"), ARTICLE_URL)


def test_a_gbk_htm_is_given_as_utf8(tmp_path: Path) -> None:
    # 镕 is in GBK but not in GB2312: pages labelled gb2312 are read as GB18030, as browsers do.
    for label in ("gbk", "gb2312"):
        text = ('<html><head><meta http-equiv="Content-Type" content="text/html; '
                f'charset={label}"></head><body>朱镕基：反诈</body></html>')
        path = tmp_path / f"{label}.htm"
        path.write_bytes(text.encode("gbk"))
        assert read_saved_page(path) == SavedPage(text.encode("utf-8"), "")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16-le", "utf-16-be"])
def test_a_page_with_a_byte_order_mark_is_read_as_the_mark_says(tmp_path: Path, encoding: str) -> None:
    """A BOM outranks a <meta> (WHATWG, as browsers read the file): a page re-saved by an
    editor as UTF-8 with its old GBK <meta> was archived garbled, and one saved as UTF-16
    (Notepad's "Unicode") was refused as naming no article."""
    text = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk">'
            '</head><body>朱镕基：反诈</body></html>')
    path = tmp_path / "article.html"
    path.write_bytes("\ufeff".encode(encoding) + text.encode(encoding))
    assert read_saved_page(path) == SavedPage(b"\xef\xbb\xbf" + text.encode("utf-8"), "")

def test_a_utf8_html_is_given_byte_for_byte_without_being_decoded(tmp_path: Path) -> None:
    raw = page_text("legacy_shape.html").encode("utf-8") + b"<!-- \xff -->\n"
    path = tmp_path / "article.html"
    path.write_bytes(raw)
    assert read_saved_page(path).html == raw
    unknown = raw.replace(b'charset="utf-8"', b'charset="no-such-charset"')
    path.write_bytes(unknown)
    assert read_saved_page(path).html == unknown  # a label browsers do not know is passed over


def test_a_charset_is_found_where_a_browser_finds_it(tmp_path: Path) -> None:
    """Not in a comment, nor in a ``<meta>`` that is no content-type pragma: a UTF-8 page
    was decoded as GBK, its Chinese garbled, for a commented-out or a described charset."""
    path = tmp_path / "article.html"
    for decoy in ('<!-- <meta charset="gbk"> -->', '<meta name="description" content="charset=gbk">'):
        raw = f'<html><head>{decoy}<meta charset="utf-8"></head><body>朱镕基：反诈</body></html>'
        path.write_bytes(raw.encode("utf-8"))
        assert read_saved_page(path).html == raw.encode("utf-8")


def test_a_latin1_label_is_read_as_windows_1252_as_browsers_and_scrapy_read_it(tmp_path: Path) -> None:
    path = tmp_path / "article.html"
    path.write_bytes(b'<html><head><meta charset="iso-8859-1"></head><body>\x93caf\xe9\x94</body></html>')
    assert read_saved_page(path).html.endswith("<body>“café”</body></html>".encode())


@pytest.mark.parametrize("label", ["idna", "punycode", "undefined", "utf-7", "utf-16", "base64"])
def test_a_charset_no_page_can_be_in_is_passed_over(tmp_path: Path, label: str) -> None:
    """Python's codecs that do not read ASCII as ASCII: decoding with one failed the whole import."""
    raw = page_text("legacy_shape.html").encode("utf-8").replace(b'charset="utf-8"',
                                                                  f'charset="{label}"'.encode())
    path = tmp_path / "article.html"
    path.write_bytes(raw)
    assert read_saved_page(path).html == raw


def nested_mhtml(depth: int) -> bytes:
    """An MHTML whose page lies ``depth`` multiparts deep."""
    opening = "".join(f'Content-Type: multipart/related; boundary="b{n}"\r\n\r\n--b{n}\r\n'
                      for n in range(depth))
    closing = "".join(f"\r\n--b{n}--" for n in reversed(range(depth)))
    return (f"MIME-Version: 1.0\r\n{opening}Content-Type: text/html\r\n\r\n<html></html>"
            f"{closing}\r\n").encode()


def many_parts(count: int) -> bytes:
    return chrome_mhtml(ARTICLE_URL, html_part(b"<html></html>", ARTICLE_URL),
                        *(part("Content-Type: text/css\n", b"p{}") for _ in range(count - 1)))


def test_the_limits_of_a_saved_page(tmp_path: Path) -> None:
    path = tmp_path / "page.mhtml"
    path.write_bytes(many_parts(10))
    assert read_saved_page(path, max_size=path.stat().st_size, max_parts=10).html == b"<html></html>"
    with pytest.raises(SavedPageError, match="larger than"):
        read_saved_page(path, max_size=path.stat().st_size - 1)
    with pytest.raises(SavedPageError, match="more than 9 parts"):
        read_saved_page(path, max_parts=9)


@pytest.mark.parametrize(("name", "content", "says"), [
    ("nested.mhtml", nested_mhtml(3000), "MHTML of multiparts nested too deep"),
    ("images.mhtml", chrome_mhtml(ARTICLE_URL, image_part(ARTICLE_URL + ".png")),
     "is MHTML without an HTML part"),
    ("broken.mhtml", chrome_mhtml(ARTICLE_URL, part(
        "Content-Type: text/html\nContent-Transfer-Encoding: base64\n", b"PGh0bWw+a")),
     "the HTML part's base64 cannot be decoded"),
    ("klingon.mhtml", chrome_mhtml(ARTICLE_URL, part(
        "Content-Type: text/html; charset=x-klingon\n", b"<html></html>")),
     "the HTML part is in 'x-klingon', an unknown charset"),
    ("missing.mhtml", None, "cannot read"),
])
def test_a_page_that_cannot_be_read_says_which_file_and_why(
        tmp_path: Path, name: str, content: bytes | None, says: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SavedPageError) as raised:
        read_saved_page(path)
    assert str(path) in str(raised.value) and says in str(raised.value)


def test_saved_pages_in_a_folder_are_the_html_htm_and_mhtml_files(tmp_path: Path) -> None:
    for name in ("b.html", "a.htm", "c.mhtml", "D.MHTML", "e.mht", "f.txt", "g.html.bak", "h.png"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "folder.html").mkdir()
    assert saved_pages_in(tmp_path) == [tmp_path / name for name in
                                        ("D.MHTML", "a.htm", "b.html", "c.mhtml", "e.mht")]


def test_the_apple_double_files_a_mac_leaves_beside_each_page_are_no_pages(tmp_path: Path) -> None:
    """A folder a Mac copied to a USB stick or a share holds "._NAME.html" beside each page (its
    metadata, binary): each was reported Not imported, the summary as many refusals as pages."""
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "反诈.html").write_text(page_text("text_post.html"), encoding="utf-8")
    (saved / "._反诈.html").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + bytes(4000))

    result = crawl("import", tmp_path / "archive", "-a", f"path={saved}")

    assert result.returncode == 0, result.stderr
    assert "Not imported" not in result.stderr
    assert "Run summary (finished): 1 new\n" in result.stderr, result.stderr

def run(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m ARGS`` in the project, as a user runs it."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    return subprocess.run([sys.executable, "-m", *args], cwd=PROJECT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_a_folder_of_an_mhtml_and_an_html_is_imported_and_measured(
        legacy: Served, archived: tuple[Path, str], tmp_path: Path) -> None:
    saved = tmp_path / "saved"
    saved.mkdir()
    page = page_text("legacy_shape.html", legacy.server.base).encode("utf-8")
    (saved / "legacy_shape.mhtml").write_bytes(chrome_mhtml(
        ARTICLE_URL, html_part(page, ARTICLE_URL),
        image_part(legacy.server.base + "/mmbiz_png/TwiceUsedMediaId002/640?wx_fmt=png")))
    (saved / "text_post.html").write_text(page_text("text_post.html"), encoding="utf-8")
    imported = tmp_path / "imported"
    typed = os.path.relpath(saved, PROJECT)  # relative, as a user types it

    result = crawl("import", imported, "-a", f"path={typed}")

    assert result.returncode == 0, result.stderr
    assert "Not imported" not in result.stderr
    fetched = archived[0]
    [fetched_post] = (fetched / "_posts").glob("*.md")
    posts = {p.name: p.read_text(encoding="utf-8") for p in (imported / "_posts").glob("*.md")}
    assert len(posts) == 2
    assert posts.pop(fetched_post.name) == fetched_post.read_text(encoding="utf-8")
    [text_post] = posts.values()
    assert "一律是诈骗" in text_post
    assert sorted(p.name for p in (imported / "postimg").iterdir()) == \
        sorted(p.name for p in (fetched / "postimg").iterdir())
    rebuilt = run("scrapy", "rebuild", "-s", f"ARCHIVE_DIR={imported}", "-s", "IMAGE_HOSTS=127.0.0.1")
    assert rebuilt.stdout.strip() == "rebuild: 2 unchanged", rebuilt.stderr  # the HTML was kept

    report = run("crawler.offline.fidelity", typed)
    assert report.returncode == 0, report.stdout + report.stderr
    rows = {line.split()[0]: line.split()[1:] for line in report.stdout.splitlines()[1:]}
    assert rows.keys() == {"legacy_shape.mhtml", "text_post.html", "total"}
    assert rows["legacy_shape.mhtml"][0] == "100.0%" and rows["total"][0] == "100.0%"


RELATIVE = page_text("scriptless.html").replace(
    '<em id="publish_time" class="rich_media_meta rich_media_meta_text"></em>',
    '<em id="publish_time" class="rich_media_meta rich_media_meta_text">4天前</em>')


def test_a_webkit_mhtml_gives_back_the_page_its_url_and_when_it_was_saved(tmp_path: Path) -> None:
    path = tmp_path / "article.mhtml"
    path.write_bytes(webkit_mhtml("Thu, 3 Dec 2026 01:30:00 +0800",
                                  html_part(RELATIVE.encode(), ARTICLE_URL)))
    assert read_saved_page(path) == SavedPage(RELATIVE.encode(), ARTICLE_URL,
                                              datetime(2026, 12, 2, 17, 30, tzinfo=UTC))


def test_a_webkit_page_showing_4_days_ago_is_dated_from_when_it_was_saved_and_says_so(
        tmp_path: Path) -> None:
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "dated.mhtml").write_bytes(webkit_mhtml("Thu, 3 Dec 2026 01:30:00 +0800",
                                                     html_part(RELATIVE.encode(), ARTICLE_URL)))
    result = crawl("import", tmp_path / "a", "-a", f"path={saved}")
    assert result.returncode == 0, result.stderr
    [post] = (tmp_path / "a" / "_posts").glob("*.md")
    assert post.name.startswith("2026-11-29-")  # 3 December in China, 4 days before
    assert "published: 2026-11-29T00:00:00+08:00" in post.read_text(encoding="utf-8")
    assert re.search(r"INFO: Dated to the day only: \S+dated.mhtml showed '4天前' when saved on "
                     r"2026-12-03 01:30 \+0800, so it is dated 2026-11-29", result.stderr)
    # Its capture is dated when the page was saved, so rebuild dates it the same.
    text = post.read_text(encoding="utf-8")
    rebuilt = scrapy_command("rebuild", tmp_path / "a")
    assert rebuilt.stdout.strip() == "rebuild: 1 unchanged", rebuilt.stdout + rebuilt.stderr
    post.unlink()
    restored = scrapy_command("rebuild", tmp_path / "a")
    assert restored.stdout.strip() == "rebuild: 1 restored", restored.stdout + restored.stderr
    assert post.read_text(encoding="utf-8") == text

    (saved / "dated.mhtml").write_bytes(webkit_mhtml("", html_part(RELATIVE.encode(), ARTICLE_URL)))
    undated = crawl("import", tmp_path / "b", "-a", f"path={saved}")
    assert undated.returncode == 1  # nothing imported
    assert "no publish time" in undated.stderr and not (tmp_path / "b" / "_posts").exists()
    # The line names the file: of a folder of saved pages, the URL alone does not say which.
    assert re.search(r"Not archived: \S+ \('[^']*'\) states no publish time, and a post is "
                     r"never given an invented date \(imported from \S+dated\.mhtml\)", undated.stderr)


def test_one_bad_file_costs_only_itself_and_the_folder_is_all_that_is_read(tmp_path: Path) -> None:
    """A bad charset or a deep MHTML stopped the whole import (exit 0, nothing imported); a
    60 MB page took 1.6 GB; a link out of the folder was read; a file name with a line
    break wrote a line of its own into the log."""
    saved, outside = tmp_path / "saved", tmp_path / "outside"
    saved.mkdir()
    outside.mkdir()
    page = page_text("text_post.html").encode("utf-8")
    (saved / "good.html").write_bytes(page)
    (saved / "idna.html").write_bytes(page_text("legacy_shape.html").encode("utf-8")
                                      .replace(b'charset="utf-8"', b'charset="idna"'))
    (saved / "nested.mhtml").write_bytes(nested_mhtml(3000))
    (saved / "parts.mhtml").write_bytes(many_parts(60))
    limit = max(path.stat().st_size for path in saved.iterdir())
    (saved / "big.html").write_bytes(page + b" " * (limit + 1 - len(page)))
    (outside / "secret.html").write_bytes(b"<html><title>SECRET-TARGET</title></html>")
    (saved / "link.html").symlink_to(outside / "secret.html")
    (saved / "forged\n2026-12-04 00:00:00 [crawler] INFO: Run summary: 99 new.html").write_bytes(b"x")

    result = crawl("import", tmp_path / "archive", "-a", f"path={saved}",
                   settings={"IMPORT_MAXSIZE": str(limit), "IMPORT_MAX_PARTS": "50"})

    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "archive" / "_posts").glob("*.md"))) == 2, result.stderr
    refused = [line for line in result.stderr.splitlines() if "Not imported" in line]
    assert len(refused) == 4, refused
    assert any("nested.mhtml is MHTML of multiparts nested too deep" in line for line in refused)
    assert any("parts.mhtml is MHTML of more than 50 parts" in line for line in refused)
    assert any("big.html is larger than" in line for line in refused)
    assert "SECRET-TARGET" not in result.stderr and "link.html" not in result.stderr
    assert any("forged\\n2026-12-04" in line for line in refused)
    assert not re.search(r"^2026-12-04 00:00:00", result.stderr, re.M)


def test_a_compressed_page_is_read_and_a_file_of_no_text_is_said_as_such(tmp_path: Path) -> None:
    """A saved page kept gzip-compressed (``page.html`` of gzip's bytes, as a server or an
    archiving tool keeps it; ``page.html.gz`` given by name) was "Not imported: … is not an
    article page ('\\x1f\\ufffd\\x08…')", the compressed bytes quoted as its text, as was a
    file of no text at all (a picture or a PDF saved as .html). Now the page is read as it
    reads decompressed, within IMPORT_MAXSIZE decompressed, and a file of no text is said so."""
    saved = tmp_path / "saved"
    saved.mkdir()
    page = page_text("text_post.html").encode("utf-8")
    (saved / "packed.html").write_bytes(gzip.compress(page))
    named = tmp_path / "legacy.html.gz"
    named.write_bytes(gzip.compress(page_text("legacy_shape.html").encode("utf-8")))
    (saved / "bomb.html").write_bytes(gzip.compress(page + bytes(500_000)))
    (saved / "cut.html").write_bytes(gzip.compress(page)[:-100])
    (saved / "picture.html").write_bytes(png((1, 2, 3)))
    (tmp_path / "list.txt").write_text("\n".join(map(str, [named, *sorted(saved.iterdir())])))

    result = crawl("import", tmp_path / "archive", "-a", f"paths_file={tmp_path / 'list.txt'}",
                   settings={"IMPORT_MAXSIZE": "400000"})

    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "archive" / "_posts").glob("*.md"))) == 2, result.stderr
    refused = sorted(line.split("Not imported: ", 1)[1] for line in result.stderr.splitlines()
                     if "Not imported" in line)
    assert refused == [f"{saved / 'bomb.html'} is larger than 400000 bytes once decompressed (IMPORT_MAXSIZE)",
                       f"{saved / 'cut.html'} is gzip-compressed, and cut short: it cannot be decompressed",
                       f"{saved / 'picture.html'} is no saved page: it holds no text (a picture, a "
                       "PDF), not HTML"], result.stderr
    captured = [capture.body for capture in CaptureStore(tmp_path / "archive" / ".state" / "warc").captures()]
    assert page in captured
    mhtml = tmp_path / "page.mhtml.gz"
    mhtml.write_bytes(gzip.compress(chrome_mhtml(ARTICLE_URL, html_part(page, ARTICLE_URL))))
    assert read_saved_page(mhtml).url == ARTICLE_URL


@pytest.mark.parametrize("src", ["data:image/png;base64,反诈", "//[mmbiz.qpic.cn/640.jpeg"],
                         ids=["base64-not-ascii", "unbalanced-bracket"])
def test_a_picture_s_src_that_does_not_read_costs_only_that_picture(
        wechat: MockWeChat, tmp_path: Path, src: str) -> None:
    """A ``data:`` URL whose base64 held a character outside ASCII (a page re-encoded by an
    editor, say), or a ``src`` that urlsplit refuses (an IPv6 host's "[" unclosed), raised
    out of the spider: that page and every page after it in the folder were not imported,
    and the run's traceback said nothing of which file."""
    serve_legacy_shape(wechat)
    failing = 'data-src="' + wechat.base + '/mmbiz_jpg/FailingMediaId00007/640?wx_fmt=jpeg"'
    page = page_text("legacy_shape.html", wechat.base)
    assert failing in page
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "a.html").write_text(page.replace(failing, failing + f' src="{src}"'),
                                  encoding="utf-8")
    (saved / "b.html").write_text(page_text("text_post.html"), encoding="utf-8")

    result = crawl("import", tmp_path / "archive", "-a", f"path={saved}")

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert len(list((tmp_path / "archive" / "_posts").glob("*.md"))) == 2, result.stderr
    assert "Images not stored, the post keeps their URLs: 1 of 7" in result.stderr


def test_the_first_fetch_of_an_imported_article_is_no_edit_upstream(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """An imported page was never fetched: what WeChat's page shows that the saved one did not
    (a browser's DOM against WeChat's HTML) is not known to be an edit upstream. The post is
    written again, and says no edit."""
    legacy = serve_legacy_shape(wechat)
    sentence = "立即调度清远市公安局上廓派出所进行预警劝阻。"
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "article.html").write_text(
        page_text("legacy_shape.html", wechat.base).replace(sentence, "进行预警劝阻。"), encoding="utf-8")
    archive = tmp_path / "archive"
    assert crawl("import", archive, "-a", f"path={saved}").returncode == 0
    [post] = (archive / "_posts").glob("*.md")
    assert sentence not in post.read_text(encoding="utf-8")

    fetched = crawl("article", archive, "-a", f"url={legacy.url}")
    assert fetched.returncode == 0, fetched.stderr
    text = post.read_text(encoding="utf-8")
    assert sentence in text
    assert "updated:" not in text and "versions:" not in text

    # The folder imported again (a cron job imports it each night): the page was archived
    # before WeChat's, which stands; the post went back to the saved page each night, and
    # the watch and rebuild (which renders the newest capture) wrote WeChat's page again.
    assert_import_leaves_the_post(archive, saved, post)


def assert_import_leaves_the_post(archive: Path, saved: Path, post: Path) -> None:
    """Importing ``saved`` leaves ``post`` as it is, and so does a rebuild then."""
    text = post.read_text(encoding="utf-8")
    result = crawl("import", archive, "-a", f"path={saved}")
    assert result.returncode == 0, result.stderr
    assert "Run summary (finished): 1 unchanged" in result.stderr, result.stderr
    assert post.read_text(encoding="utf-8") == text
    rebuilt = scrapy_command("rebuild", archive)
    assert rebuilt.stdout.strip() == "rebuild: 1 unchanged", rebuilt.stdout + rebuilt.stderr


def test_a_page_saved_before_the_article_was_fetched_leaves_the_post_of_the_fetched_page(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """An MHTML saved on 25 November, before a correction WeChat's page (fetched now) shows:
    the import wrote the post again of the older page, and rebuild, which renders the newest
    capture, wrote it back ('1 updated' each)."""
    legacy = serve_legacy_shape(wechat)
    archive = tmp_path / "archive"
    assert crawl("article", archive, "-a", f"url={legacy.url}").returncode == 0
    [post] = (archive / "_posts").glob("*.md")
    older = wechat.body_of("/s/LegacyShapeToken").replace("7月26日".encode(), "7月25日".encode())
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "article.mhtml").write_bytes(chrome_mhtml(legacy.url, html_part(older, legacy.url)))

    assert_import_leaves_the_post(archive, saved, post)
    versions = scrapy_command("versions", archive, legacy.url)
    assert versions.stdout.startswith("1  2026-11-25 10:00:00 UTC  first capture\n2  "), versions.stdout


def test_importing_a_folder_again_keeps_each_page_once(tmp_path: Path) -> None:
    """Each import of the same folder appended every page to the captures again: storage grew
    with each run, and ``scrapy versions`` listed the same page once per import."""
    saved, archive = tmp_path / "saved", tmp_path / "archive"
    saved.mkdir()
    page = page_text("text_post.html")
    (saved / "article.html").write_text(page, encoding="utf-8")
    assert crawl("import", archive, "-a", f"path={saved}").returncode == 0

    def kept() -> dict[str, int]:
        return {p.name: p.stat().st_size for p in (archive / ".state" / "warc").iterdir()}

    first = kept()
    again = crawl("import", archive, "-a", f"path={saved}")
    assert again.returncode == 0, again.stderr
    assert "Run summary (finished): 1 unchanged" in again.stderr
    assert kept() == first

    (saved / "article.html").write_text(page.replace("一律是诈骗", "一律是电诈"), encoding="utf-8")
    assert crawl("import", archive, "-a", f"path={saved}").returncode == 0
    assert sum(kept().values()) > sum(first.values())  # another page under the same URL


def test_a_page_kept_whose_index_record_failed_is_kept_once_when_imported_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An imported page's capture was written, then its record in the index refused (a full
    disk): the import said "Not recorded", and importing the page again appended a second
    copy of it, which ``scrapy versions`` listed as a version of its own."""
    saved, archive = tmp_path / "saved", tmp_path / "archive"
    saved.mkdir()
    (saved / "article.html").write_text(page_text("text_post.html"), encoding="utf-8")

    def full(*args: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Index, "add_imported", full)
    first = crawl("import", archive, "-a", f"path={saved}")
    monkeypatch.undo()
    assert first.returncode == 1 and "database or disk is full" in first.stderr, first.stderr
    again = crawl("import", archive, "-a", f"path={saved}")
    assert again.returncode == 0, again.stderr
    assert crawl("import", archive, "-a", f"path={saved}").returncode == 0
    read = Archive(archive, read_only=True)
    try:
        assert len(list(read.captures.captures())) == 1
    finally:
        read.close()


def test_a_page_whose_capture_could_not_be_written_is_kept_when_imported_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A capture whose append failed (a full disk) is not taken as kept by the next import."""
    url, html = "https://mp.weixin.qq.com/s/abcdefghijk", page_text("text_post.html").encode()
    archive = Archive(tmp_path)
    try:
        def nearly_full(fd: int, data: bytes) -> None:
            os.write(fd, data[:10])
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(captures, "_write_all", nearly_full)
        with pytest.raises(CaptureError):
            archive.keep_imported(url, html, None)
        def failing(fd: int, length: int) -> None:
            raise OSError(errno.EIO, "Input/output error")

        monkeypatch.setattr(os, "ftruncate", failing)  # nor cut back: its start left, torn
        with pytest.raises(OSError, match="Input/output error"):
            archive.keep_imported(url, html, None)
        assert archive.index.imported_capture(url, hashlib.sha256(html).hexdigest()) is None
        monkeypatch.undo()
        assert archive.keep_imported(url, html, None)
        assert not archive.keep_imported(url, html, None)
        assert [c.url for c in archive.captures.captures()] == [url]
    finally:
        archive.close()


def test_a_page_whose_capture_file_is_gone_is_kept_again_when_imported_again(tmp_path: Path) -> None:
    """The same bytes imported again are kept once; but when the file that kept them is gone
    (deleted by hand to save room, lost with a disk), importing the page again is the only
    way back to it: it is kept again, not taken as kept already."""
    url, html = "https://mp.weixin.qq.com/s/abcdefghijk", page_text("text_post.html").encode()
    archive = Archive(tmp_path)
    try:
        assert archive.keep_imported(url, html, None)
        assert not archive.keep_imported(url, html, None)
        for capture in archive.layout.captures.iterdir():
            capture.unlink()
        assert archive.keep_imported(url, html, None)
        assert [c.url for c in archive.captures.captures()] == [url]
    finally:
        archive.close()


def closed_port() -> str:
    """The base URL of a port nothing listens on: a connection to it is refused."""
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{unused.getsockname()[1]}"


@pytest.mark.parametrize("reachable", [True, False], ids=["cdn-404", "cdn-unreachable"])
def test_an_image_the_cdn_no_longer_serves_is_taken_from_the_mhtml_that_holds_it(
        wechat: MockWeChat, tmp_path: Path, reachable: bool) -> None:
    """An MHTML holds the pictures as the browser showed them, but the import only asked the
    CDN: a picture it no longer serves (an article taken down) was lost from the post; and
    the saved one was used only when the CDN answered: offline, or with its host refusing
    or timing out, the post kept the CDN's URL though the save held the picture."""
    legacy = serve_legacy_shape(wechat)  # FailingMediaId00007 is not served: 404
    failing = "/mmbiz_jpg/FailingMediaId00007/640"
    cdn = wechat.base if reachable else closed_port()
    page = page_text("legacy_shape.html", wechat.base).replace(wechat.base + failing, cdn + failing)
    kept = png((200, 100, 0))
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "article.mhtml").write_bytes(chrome_mhtml(
        legacy.url, html_part(page.encode("utf-8"), legacy.url),
        image_part(cdn + failing + "?wx_fmt=jpeg&tp=webp&wxfrom=5&wx_lazy=1", kept)))
    archive = tmp_path / "archive"

    result = crawl("import", archive, "-a", f"path={saved}")

    assert result.returncode == 0, result.stderr
    assert "Images not stored" not in result.stderr
    assert "Image taken from the saved page, as the CDN failed (" + (
        "HTTP 404)" if reachable else "Connection was refused") in result.stderr
    [stored] = (archive / "postimg").glob("FailingMediaId00007*")
    assert stored.read_bytes() == kept
    [post] = (archive / "_posts").glob("*.md")
    assert f"/postimg/{stored.name}" in post.read_text(encoding="utf-8")


def test_an_image_the_cdn_no_longer_serves_is_taken_from_the_files_folder_of_a_complete_save(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """A "complete" save keeps each picture in NAME_files/, its <img src> rewritten to the
    file; the import only asked the CDN, so a picture it no longer serves was lost."""
    serve_legacy_shape(wechat)  # FailingMediaId00007 is not served: 404
    kept = png((0, 100, 200))
    failing = 'data-src="' + wechat.base + '/mmbiz_jpg/FailingMediaId00007/640?wx_fmt=jpeg"'
    page = page_text("legacy_shape.html", wechat.base)
    assert failing in page
    saved, outside = tmp_path / "saved", tmp_path / "outside"
    (saved / "反诈_files").mkdir(parents=True)
    outside.mkdir()
    (saved / "反诈_files" / "640(1).jpeg").write_bytes(kept)
    (outside / "secret.jpeg").write_bytes(png((1, 1, 1)))
    (saved / "反诈.html").write_text(
        page.replace(failing, failing + ' src="./%E5%8F%8D%E8%AF%88_files/640(1).jpeg"'),
        encoding="utf-8")

    result = crawl("import", tmp_path / "a", "-a", f"path={saved}")

    assert result.returncode == 0, result.stderr
    assert "Images not stored" not in result.stderr
    [stored] = (tmp_path / "a" / "postimg").glob("FailingMediaId00007*")
    assert stored.read_bytes() == kept

    # A src that leads out of the page's folder is not read.
    (saved / "反诈.html").write_text(page.replace(failing, failing + ' src="../outside/secret.jpeg"'),
                                    encoding="utf-8")
    escaped = crawl("import", tmp_path / "b", "-a", f"path={saved}")
    assert "Images not stored, the post keeps their URLs: 1 of 7" in escaped.stderr
    assert not list((tmp_path / "b" / "postimg").glob("FailingMediaId00007*"))


@pytest.mark.parametrize("title", ["#反诈# 警惕刷单", "年化1%12个月"])
def test_a_complete_save_by_chrome_names_its_files_as_they_are_named(
        wechat: MockWeChat, tmp_path: Path, title: str) -> None:
    """Chrome writes an <img src> as "./" and the file's path unescaped: a page whose title
    holds a "#" (a hashtag) or a "%" before two hex digits lost the pictures of its
    NAME_files/ folder when the CDN no longer served them, its src read as a URL's."""
    kept = png((0, 100, 200))
    saved = tmp_path / "saved"
    (saved / f"{title}_files").mkdir(parents=True)
    (saved / f"{title}_files" / "640.jpeg").write_bytes(kept)
    assert_failing_picture_taken_from(wechat, tmp_path, saved / f"{title}.html",
                                      f"./{title}_files/640.jpeg", kept)


def assert_failing_picture_taken_from(wechat: MockWeChat, tmp_path: Path, page: Path, src: str,
                                      kept: bytes) -> None:
    """The legacy-shaped page saved as ``page``, its picture the CDN no longer serves
    (FailingMediaId00007: 404) given ``src``: imported, the picture is ``kept``'s bytes."""
    serve_legacy_shape(wechat)
    failing = 'data-src="' + wechat.base + '/mmbiz_jpg/FailingMediaId00007/640?wx_fmt=jpeg"'
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(page_text("legacy_shape.html", wechat.base).replace(
        failing, f'{failing} src="{src}"'), encoding="utf-8")

    result = crawl("import", tmp_path / "archive", "-a", f"path={page.parent}")

    assert result.returncode == 0, result.stderr
    assert "Images not stored" not in result.stderr
    [stored] = (tmp_path / "archive" / "postimg").glob("FailingMediaId00007*")
    assert stored.read_bytes() == kept


@pytest.mark.parametrize("src", ["%00.jpeg", "./" + "图" * 100 + "_files/640.jpeg"])
def test_an_img_src_no_file_can_have_costs_nothing(tmp_path: Path, src: str) -> None:
    """A NUL, or a name longer than the file system allows, in an <img src>: looking for the
    file beside the page raised, which ended the import at that page, the pages after it
    left unread."""
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "a.html").write_text(page_text("legacy_shape.html").replace(
        'data-src="', f'src="{src}" data-src="', 1), encoding="utf-8")
    (saved / "b.html").write_text(page_text("text_post.html"), encoding="utf-8")

    result = crawl("import", tmp_path / "archive", "-a", f"path={saved}")

    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "archive" / "_posts").glob("*.md"))) == 2, result.stderr


def test_the_pictures_a_saved_page_holds_are_read_up_to_the_size_limit(tmp_path: Path) -> None:
    """IMPORT_MAXSIZE bounds each picture as it bounds the page; a data: URL is one in any case,
    and of an image only."""
    (tmp_path / "a_files").mkdir()
    (tmp_path / "a_files" / "big.png").write_bytes(b"x" * 11)
    (tmp_path / "a_files" / "ok.png").write_bytes(b"y" * 10)
    inline = base64.b64encode(b"zzz").decode()
    body = lxml.html.fragment_fromstring(
        '<img data-src="https://mmbiz.qpic.cn/mmbiz_png/Big/640" src="a_files/big.png">'
        '<img data-src="https://mmbiz.qpic.cn/mmbiz_png/Ok/640" src="./a_files/ok.png">'
        f'<img data-src="https://mmbiz.qpic.cn/mmbiz_png/Inline/640" src="DATA:image/png;base64,{inline}">'
        '<img data-src="https://mmbiz.qpic.cn/mmbiz_png/Page/640" src="data:text/html,%3Cb%3Ex%3C/b%3E">',
        create_parent="div")
    assert image_files(tmp_path / "a.html", body, max_size=10) == {
        "https://mmbiz.qpic.cn/mmbiz_png/Ok/640": b"y" * 10,
        "https://mmbiz.qpic.cn/mmbiz_png/Inline/640": b"zzz"}


def test_an_image_the_cdn_no_longer_serves_is_taken_from_its_inline_data_url(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """A page saved as one file (SingleFile, say) holds each picture in its <img src> as a
    data: URL; the import only asked the CDN, so a picture it no longer serves was lost."""
    kept = png((0, 200, 100))
    assert_failing_picture_taken_from(wechat, tmp_path, tmp_path / "saved" / "article.html",
                                      "data:image/png;base64," + base64.b64encode(kept).decode(), kept)


def test_a_saved_page_worse_than_the_archived_post_leaves_it_and_says_it_was_the_saved_page(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """The post is kept, but the line said "the page fetched now": the maintainer looked for
    a change on WeChat where there was none."""
    legacy = serve_legacy_shape(wechat)
    archive = tmp_path / "archive"
    assert crawl("article", archive, "-a", f"url={legacy.url}").returncode == 0
    [post] = (archive / "_posts").glob("*.md")
    before = post.read_text(encoding="utf-8")
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "article.html").write_text("\n".join(
        line for line in page_text("legacy_shape.html", wechat.base).split("\n")
        if "SameBytesMediaId003" not in line and "LyingFormatMedia006" not in line), encoding="utf-8")

    result = crawl("import", archive, "-a", f"path={saved}")

    assert result.returncode == 0, result.stderr
    assert post.read_text(encoding="utf-8") == before
    assert re.search(r"WARNING: Kept the archived \S+\.md: the saved page imported now has fewer "
                     r"images or much less text \(\S+article\.html\)", result.stderr), result.stderr
    assert "fetched" not in result.stderr
    assert re.search(r"Run summary \(finished\): 1 kept \(the new page worse\)", result.stderr)

    # Imported again (a folder a cron job imports each night): said at INFO, as a watch
    # says a page it fetched before.
    again = crawl("import", archive, "-a", f"path={saved}")
    assert again.returncode == 0, again.stderr
    assert post.read_text(encoding="utf-8") == before
    assert re.search(r"INFO: Kept the archived \S+\.md: the saved page imported now", again.stderr)
    assert "WARNING: Kept the archived" not in again.stderr


def test_a_listed_path_no_file_can_have_is_one_line(tmp_path: Path) -> None:
    """A list written by ``find -print0`` holds NULs: opening such a path raised, a
    traceback ended the import and nothing was archived."""
    good = tmp_path / "good.html"
    good.write_text(page_text("text_post.html"), encoding="utf-8")
    listing = tmp_path / "list.txt"
    listing.write_bytes(f"{tmp_path}/a.html\0{tmp_path}/b.html\0\n{good}\n".encode())

    result = crawl("import", tmp_path / "archive", "-a", f"paths_file={listing}")

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    [refused] = [line for line in result.stderr.splitlines() if "Not imported" in line]
    assert f"cannot read {tmp_path}/a.html\\x00" in refused, refused
    assert len(list((tmp_path / "archive" / "_posts").glob("*.md"))) == 1



def test_a_listed_path_that_is_no_file_is_one_line_not_a_hang(tmp_path: Path) -> None:
    """A FIFO in a list of saved pages: reading it waited for a writer, and the import hung
    until killed; given as ``-a path=``, it was said to be no such file."""
    good, fifo = tmp_path / "good.html", tmp_path / "fifo.html"
    good.write_text(page_text("text_post.html"), encoding="utf-8")
    os.mkfifo(fifo)
    listing = tmp_path / "list.txt"
    listing.write_text(f"{fifo}\n{good}\n", encoding="utf-8")

    listed = crawl_cli("import", tmp_path / "archive", "-a", f"paths_file={listing}")
    assert listed.returncode == 0, listed.stderr
    assert f"Not imported: cannot read {fifo}: not a regular file" in listed.stderr, listed.stderr
    assert len(list((tmp_path / "archive" / "_posts").glob("*.md"))) == 1
    given = crawl_cli("import", tmp_path / "archive", "-a", f"path={fifo}")
    assert given.returncode == 2
    assert refusal(given, "crawl import") == (f"scrapy crawl import: neither a file nor a folder "
                                              f"(a FIFO, a device): {str(fifo)!r}")

def test_a_saved_page_that_does_not_name_its_article_whole_is_refused(tmp_path: Path) -> None:
    """Without ``idx`` (which of a push's articles it is) there is no URL to archive it under."""
    saved = tmp_path / "article.html"
    saved.write_text(page_text("text_post.html").replace("idx: '1' * 1,", ""), encoding="utf-8")

    result = crawl("import", tmp_path / "archive", "-a", f"path={saved}")

    assert result.returncode == 1, result.stderr
    [refused] = [line for line in result.stderr.splitlines() if "Not imported" in line]
    assert f"{saved} names no article (no __biz/mid/idx)" in refused, refused
    assert not list((tmp_path / "archive" / "_posts").glob("*.md"))


def test_a_verification_page_saved_by_mistake_says_so_and_not_that_the_crawler_is_challenged(
        tmp_path: Path) -> None:
    """Its line said "the crawler is being challenged": the maintainer looked for a block of
    the crawler where a person had only saved WeChat's check instead of the article."""
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "article.html").write_text(page_text("verification.html"), encoding="utf-8")

    result = crawl("import", tmp_path / "archive", "-a", f"path={saved}")

    assert result.returncode == 1, result.stderr
    [refused] = [line for line in result.stderr.splitlines() if "Not imported" in line]
    assert "crawler" not in refused
    assert "article.html is WeChat's verification page, saved instead of the article" in refused


def test_a_folder_is_read_as_its_pages_are_archived_not_all_at_once(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Scrapy reads up to three times CONCURRENT_ITEMS (100) of a callback's outputs ahead:
    while the first pictures downloaded, every page of a folder of 150 was read and held,
    each with its parsed tree (1.2 GB for 4 MB pages), before one post was written."""
    serve_legacy_shape(wechat)
    saved = tmp_path / "saved"
    saved.mkdir()
    page = page_text("legacy_shape.html", wechat.base)
    for n in range(150):
        (saved / f"{n:03}.html").write_text(page.replace("2247500001", str(2247500100 + n)),
                                            encoding="utf-8")
    counts = {"read": 0, "written": 0, "held": 0}
    read, write = import_pages.read_saved_page, PostPipeline.process_item

    def reading(*args: Any) -> SavedPage:
        counts["read"] += 1
        counts["held"] = max(counts["held"], counts["read"] - counts["written"])
        return read(*args)

    async def writing(self: PostPipeline, item: Any) -> Any:
        try:
            return await write(self, item)
        finally:
            counts["written"] += isinstance(item, ArticleItem)

    monkeypatch.setattr(import_pages, "read_saved_page", reading)
    monkeypatch.setattr(PostPipeline, "process_item", writing)

    result = crawl("import", tmp_path / "archive", "-a", f"path={saved}")

    assert result.returncode == 0, result.stderr
    assert counts["read"] == counts["written"] == 150
    assert counts["held"] <= 50, counts


def chrome_html(url: str, page: bytes) -> bytes:
    """``page`` as Chromium's "Save page as" writes it: the mark of the web, the URL's length
    in four digits and a second "-" of two as %2D, after the doctype and before ``<html>``
    (blink's frame_serializer.cc, ``MarkOfTheWebDeclaration``)."""
    marked = url.replace("--", "-%2D")
    doctype, html = page.split(b"<html", 1) if page.lstrip().startswith(b"<!DOCTYPE") else (b"", page)
    mark = f"<!-- saved from url=({len(marked):04d}){marked} -->\n".encode("ascii")
    return doctype + mark + (b"<html" + html if doctype else html)


@pytest.mark.parametrize(("url", "read"), [
    (ARTICLE_URL, ARTICLE_URL),
    ("https://mp.weixin.qq.com/s/Tok--en", "https://mp.weixin.qq.com/s/Tok--en"),  # "-%2D" read back
    ("about:internet", ""),  # IE's mark for a page of no web address: none
])
def test_a_page_chromium_saved_as_html_gives_the_url_it_was_saved_from(
        tmp_path: Path, url: str, read: str) -> None:
    page = page_text("legacy_shape.html").encode("utf-8")
    path = tmp_path / "article.html"
    path.write_bytes(chrome_html(url, page))
    assert read_saved_page(path).url == read
    path.write_bytes(chrome_html(url, page).decode("utf-8").encode("utf-16"))  # re-saved as "Unicode"
    assert read_saved_page(path).url == read


def test_a_mark_of_the_web_inside_the_page_is_no_browser_s_word(tmp_path: Path) -> None:
    """Text a page holds itself, after its ``<html>``, names no URL it was saved from."""
    path = tmp_path / "article.html"
    path.write_bytes(b"<html><body><!-- saved from url=(0023)https://example.com/x -->"
                     + page_text("legacy_shape.html").encode("utf-8") + b"</body></html>")
    assert read_saved_page(path).url == ""

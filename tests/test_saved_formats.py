"""``scrapy crawl import`` of the other forms a saved page takes: Safari's web archive,
an e-mail of the page, a ZIP of it (Firefox's MAFF), the page's text alone."""

from __future__ import annotations

import plistlib
import quopri
import struct
import zipfile
from pathlib import Path

import pytest

from crawler.wechat.webarchive import WebArchiveError, read_webarchive
from tests.conftest import crawl, page_text, serve_legacy_shape
from tests.mockserver import MockWeChat, png

FAILING = "/mmbiz_jpg/FailingMediaId00007/640"


def webarchive(html: bytes, url: str, *images: tuple[str, bytes], kind: str = "text/html") -> bytes:
    """A web archive as Safari's "Save As… Web Archive" writes it: a binary property list."""
    return plistlib.dumps({
        "WebMainResource": {"WebResourceData": html, "WebResourceURL": url, "WebResourceFrameName": "",
                            "WebResourceMIMEType": kind, "WebResourceTextEncodingName": "UTF-8"},
        "WebSubresources": [{"WebResourceData": data, "WebResourceURL": image, "WebResourceMIMEType": "image/png"}
                            for image, data in images],
    }, fmt=plistlib.FMT_BINARY)


def test_a_safari_web_archive_is_read_with_the_pictures_it_holds(wechat: MockWeChat, tmp_path: Path) -> None:
    """A .webarchive of a WeChat page (more than 64 KiB: its length is written with NUL
    bytes) was "Not imported: … is no saved page: it holds no text (a picture, a PDF), not
    HTML", and a folder of them was "nothing to do". Now its page is read, and a picture the
    CDN no longer serves is taken from the archive's copy of it."""
    legacy = serve_legacy_shape(wechat)  # FailingMediaId00007 is not served: 404
    page = page_text("legacy_shape.html", wechat.base) + "<!--" + "-" * 70_000 + "-->"
    kept = png((200, 100, 0))
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "article.webarchive").write_bytes(webarchive(
        page.encode("utf-8"), legacy.url, (wechat.base + FAILING + "?wx_fmt=jpeg", kept)))
    archive = tmp_path / "archive"

    result = crawl("import", archive, "-a", f"path={saved}")

    assert result.returncode == 0, result.stderr
    assert "Not imported" not in result.stderr
    assert "Image taken from the saved page, as the CDN failed (HTTP 404)" in result.stderr
    [stored] = (archive / "postimg").glob("FailingMediaId00007*")
    assert stored.read_bytes() == kept
    [post] = (archive / "_posts").glob("*.md")
    assert f"/postimg/{stored.name}" in post.read_text(encoding="utf-8")


def test_each_other_form_of_a_saved_page_is_read_or_said_in_one_line(tmp_path: Path) -> None:
    """An e-mail of the page, its HTML quoted-printable, was read as HTML, its MIME headers
    and =E5=8F=8D escapes as the page's text; a MAFF or ZIP was "holds no text (a picture, a
    PDF)"; the page's text saved alone was "is not an article page ('反诈宣传号')"; a
    damaged web archive was "holds no text", one of a PDF "is not an article page"; a letter of text alone (.eml) was "is MHTML
    without an HTML part". Each is now read, or said for what it is."""
    html = page_text("text_post.html").encode("utf-8")
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "mailed.eml").write_bytes(
        b"From: me@example.org\r\nSubject: =?utf-8?B?5Y+N6K+I?=\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        + quopri.encodestring(html))
    with zipfile.ZipFile(saved / "article.maff", "w") as maff:
        maff.writestr("1765000000/index.html", html)
    (saved / "article.txt").write_text("反诈宣传号\n接到自称客服的电话，一律是诈骗\n", encoding="utf-8")
    (saved / "damaged.webarchive").write_bytes(webarchive(html, "")[:-40])
    (saved / "leaflet.webarchive").write_bytes(webarchive(b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n", "", kind="application/pdf"))
    (saved / "letter.eml").write_bytes(b"From: me@example.org\r\nSubject: note\r\nMIME-Version: 1.0\r\n"
                                       b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + "反诈宣传号\r\n".encode())
    listing = tmp_path / "list.txt"
    listing.write_text("\n".join(str(saved / name) for name in
                                 ("mailed.eml", "article.maff", "article.txt", "damaged.webarchive",
                                  "leaflet.webarchive", "letter.eml")))

    result = crawl("import", tmp_path / "archive", "-a", f"paths_file={listing}")

    assert result.returncode == 0, result.stderr
    refused = [line.split("Not imported: ", 1)[1] for line in result.stderr.splitlines() if "Not imported" in line]
    assert refused == [
        f"{saved / 'article.maff'} is a ZIP archive (Firefox's .maff, a zipped page), not a saved page: "
        "unzip it and import the .html inside",
        f"{saved / 'article.txt'} is plain text, not a saved page: a page's text names no article (its "
        "URL, date, pictures); save the page as HTML (.html) or as one file (.mhtml)",
        f"{saved / 'damaged.webarchive'} is a Safari web archive, but its property list is damaged and "
        "cannot be read",
        f"{saved / 'leaflet.webarchive'} is a Safari web archive, but it holds application/pdf, not a page",
        f"{saved / 'letter.eml'} is an e-mail without an HTML part, not a saved page: its text names no "
        "article (its URL, date, pictures); save the page as HTML (.html) or as one file (.mhtml)",
    ], result.stderr
    assert "5 not imported" in result.stderr
    [post] = (tmp_path / "archive" / "_posts").glob("*.md")
    assert "=E5" not in post.read_text(encoding="utf-8")


def test_a_web_archive_claiming_more_objects_than_a_page_holds_is_refused_unread() -> None:
    """A 30 MB property list of one-byte objects (within IMPORT_MAXSIZE) took Python's reader
    half a gigabyte: it makes a list as long as the count the trailer claims."""
    objects = 30_000_000
    raw = b"bplist00" + bytes(objects) + struct.pack(">6xBBQQQ", 1, 1, objects, 0, 8)

    with pytest.raises(WebArchiveError) as refused:
        read_webarchive(raw)

    assert str(refused.value) == ("its property list holds 30,000,000 objects, more than a saved page "
                                  "does (200,000)")
    many = [{"WebResourceData": b"x", "WebResourceURL": f"http://127.0.0.1/{n}.png",
             "WebResourceMIMEType": "image/png"} for n in range(2000)]
    page = plistlib.dumps({"WebMainResource": {"WebResourceData": b"<html></html>"}, "WebSubresources": many},
                          fmt=plistlib.FMT_BINARY)
    assert len(read_webarchive(page).images) == 2000  # a page of 2,000 pictures, as MHTML's IMPORT_MAX_PARTS

"""A page saved by a browser → its HTML as UTF-8 bytes, and the URL it was saved from.

Users keep WeChat articles the way browsers save them: ``.html``/``.htm`` (the page's HTML
in whatever charset it was served in; Chromium's saves name the URL in a comment before
``<html>``), or Chrome's "Webpage, Single File" ``.mhtml`` (a
MIME multipart/related message: the HTML, usually quoted-printable, then each image as a
further part, kept by the URL the browser loaded it from: the import falls back on it when
the CDN no longer serves it), or WebKit's (``From: <Saved by WebKit>``: no snapshot URL,
the page's part names its own), or an e-mail of the page (``.eml``), or Safari's web archive
(a property list: ``webarchive``). Its ``Date:`` dates a page that shows only a relative publish time.
The page parser takes UTF-8 bytes, so every kind is brought to that here.

A "complete" save keeps each picture in a folder beside the page (``NAME_files/``), the
``src`` of its ``<img>`` rewritten to the file, a page saved as one file in its ``src`` as a
``data:`` URL; ``image_files`` reads those, for the same fallback. Else pure: reads the
one file it is given and nothing else.
"""

from __future__ import annotations

import base64
import email
import email.errors
import email.parser
import email.policy
import email.utils
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes, urlsplit

import lxml.html
from w3lib.encoding import html_body_declared_encoding, read_bom, resolve_encoding

from crawler.reading import open_regular
from crawler.wechat import webarchive
from crawler.wechat.page import as_utf8
from crawler.wechat.urls import normalise_image_url, web_url

SAVED_PAGE_SUFFIXES = (".html", ".htm", ".xhtml", ".mhtml", ".mht", ".eml", ".webarchive")
# An e-mail of the page (``.eml``: "Send page by e-mail", a page mailed to oneself) is MIME too.
_MIME_SUFFIXES = (".mhtml", ".mht", ".eml")
_GZIP_MAGIC = b"\x1f\x8b"
# Firefox's MAFF and a page zipped with its pictures: a folder to unzip, which the import
# does not do for the user (a ZIP's names are the zip's word, not the file system's).
_ZIP_MAGIC = b"PK\x03\x04"
# A tag: a file of the page's text (copied, or saved as "Text Files") holds none.
_TAG = re.compile(rb"<[A-Za-z!/?]")
# What a file of text alone (no tag, a letter of no HTML part) lacks, and how a browser keeps it.
_TEXT_ALONE = ("names no article (its URL, date, pictures); save the page as HTML (.html) or as "
               "one file (.mhtml)")
# A text file holds no NUL (but in UTF-16, which a byte order mark says): a page's first
# bytes holding one are a picture's, a PDF's.
_SNIFFED = 1024
# Where Chromium's "Save page as" (HTML only, or complete) says the page came from, before
# its <html> tag: the mark of the web (frame_serializer.cc, MarkOfTheWebDeclaration; IE's
# before it), the URL's length in four digits, its second "-" of two written %2D.
_MARK_OF_THE_WEB = re.compile(rb"<!-- saved from url=\(\d{4}\)([!-~]+) -->")
_HEAD_READ = 4096

# What a saved page may weigh and how many parts an MHTML may hold, unless told otherwise
# (the import is told IMPORT_MAXSIZE and IMPORT_MAX_PARTS): a WeChat page saved with its
# pictures is a few hundred parts; Python's MIME parser spends about a millisecond on each.
MAX_SIZE = 32 * 1024 * 1024
MAX_PARTS = 2000
# Bytes every charset a <meta> can declare reads as ASCII, since the prescan finds the
# declaration as ASCII: Python's codecs that do not (idna, punycode, utf-7, utf-16,
# "undefined") are no charset of a page.
_ASCII_PROBE = bytes(range(0x20, 0x7F))
# Base64 cut short or holding characters outside its alphabet: the HTML would come out
# garbled. (A padding slip still decodes whole.)
_BROKEN_BASE64 = (email.errors.InvalidBase64CharactersDefect,
                  email.errors.InvalidBase64LengthDefect)


class SavedPageError(ValueError):
    """A saved page that cannot be read as HTML; the message names the file."""


@dataclass(frozen=True)
class SavedPage:
    html: bytes  # the page's HTML, UTF-8
    url: str  # the URL it was saved from, when the file states one; else ""
    saved_at: datetime | None = None  # when it was saved, when the file states it (MHTML's Date:)
    # The pictures an MHTML holds, by their URL as a page's image URLs are (normalised).
    images: Mapping[str, bytes] = field(default_factory=dict)
    path: Path | None = field(default=None, compare=False)  # the file, to name in the log


def saved_pages_in(folder: Path) -> list[Path]:
    """The saved pages in ``folder``, sorted. Suffixes are matched case-insensitively, as
    Windows browsers may write ``.MHTML``. A symbolic link is followed only to a file inside
    the folder: importing a folder reads nothing else. A hidden file is none a browser saved:
    a Mac copying a folder to a USB stick or a share writes ``._NAME`` (its metadata) beside
    each file."""
    inside = folder.resolve()
    return sorted(path for path in folder.iterdir()
                  if path.suffix.lower() in SAVED_PAGE_SUFFIXES and not path.name.startswith(".")
                  and path.is_file()
                  and (not path.is_symlink() or path.resolve().is_relative_to(inside)))


def image_files(page: Path, body: lxml.html.HtmlElement, max_size: int = MAX_SIZE) -> dict[str, bytes]:
    """The pictures a saved ``page`` holds, by their normalised URL: each ``<img>`` of
    ``body`` that names its URL (``data-src``) and holds the picture in its ``src``, as a
    ``data:`` URL (a page saved as one file) or as a relative path to a file a "complete"
    save keeps beside it. Only files inside the page's folder are read; a picture that is
    missing, unreadable or larger than ``max_size`` is passed over."""
    found = {}
    for image in body.iter("img"):
        url, src = normalise_image_url(image.get("data-src") or ""), (image.get("src") or "").strip()
        data = (_inline(src) if src[:5].lower() == "data:" else _file_beside(page, src, max_size)) \
            if url else None
        if data is not None and len(data) <= max_size:
            found[url] = data
    return found


def _inline(src: str) -> bytes | None:
    """What a ``data:`` URL of an image holds."""
    head, _, payload = src[5:].partition(",")
    if not head.lower().startswith("image/"):
        return None
    if not head.lower().endswith(";base64"):
        return unquote_to_bytes(payload)
    try:
        return base64.b64decode(payload)
    except ValueError:  # binascii.Error, or a character outside ASCII
        return None


def _file_beside(page: Path, src: str, max_size: int) -> bytes | None:
    """The first ``max_size`` + 1 bytes of the file at the relative path ``src``, if it is
    inside the folder of ``page``. Chrome writes the path as it is ("./" and the names
    unescaped: a title's "#" or "%" stays), Firefox as a URL's (escaped): the file named
    as written, else the one its URL names."""
    try:
        target = urlsplit(src)
    except ValueError:  # an IPv6 host's "[" unclosed: no relative path
        return None
    if target.scheme or target.netloc or src.startswith("/"):
        return None
    folder = page.parent.resolve()
    for name in dict.fromkeys(name for name in (src, unquote(target.path)) if name):
        try:
            file = (page.parent / name).resolve()
            if file.is_relative_to(folder) and file.is_file():
                with file.open("rb") as stream:
                    return stream.read(max_size + 1)
        except (OSError, ValueError):  # unreadable, or a name no file has (a NUL, too long)
            continue
    return None


def read_saved_page(path: Path, max_size: int = MAX_SIZE, max_parts: int = MAX_PARTS) -> SavedPage:
    """The page saved in ``path``. ``.mhtml``/``.mht`` files are read as MIME; any other
    file as HTML, as the import has always read the files it is given. A file of more than
    ``max_size`` bytes, or an MHTML of more than ``max_parts`` parts, is not read."""
    try:
        with open_regular(path) as file:  # not a FIFO, whose reading waits for ever
            raw = file.read(max_size + 1)
    except OSError as error:
        raise SavedPageError(f"cannot read {path}: {error.strerror or error}") from None
    except ValueError:  # a NUL, as in a list written by ``find -print0``
        raise SavedPageError(f"cannot read {path}: no file name holds a NUL") from None
    if len(raw) > max_size:
        raise SavedPageError(f"{path} is larger than {max_size} bytes (IMPORT_MAXSIZE)")
    raw = _decompressed(raw, path, max_size)
    if raw.startswith(webarchive.MAGIC):
        return replace(_from_webarchive(raw, path), path=path)
    if raw.startswith(_ZIP_MAGIC):
        raise SavedPageError(f"{path} is a ZIP archive (Firefox's .maff, a zipped page), not a saved "
                             "page: unzip it and import the .html inside")
    if path.name.lower().removesuffix(".gz").endswith(_MIME_SUFFIXES):
        return replace(_from_mhtml(raw, path, max_parts), path=path)
    # A byte order mark outranks the <meta>, as browsers read it: an editor re-saving a
    # page in UTF-8 or UTF-16 ("Unicode") leaves the old declaration.
    bom = read_bom(raw)[0]
    if not bom and b"\0" in raw[:_SNIFFED]:
        raise SavedPageError(f"{path} is no saved page: it holds no text (a picture, a PDF), not HTML")
    html = _to_utf8(raw, bom or _declared_charset(raw))
    if html.strip() and not _TAG.search(html):
        raise SavedPageError(f"{path} is plain text, not a saved page: a page's text {_TEXT_ALONE}")
    return SavedPage(html, _saved_from(html), path=path)


def _saved_from(html: bytes) -> str:
    """The web URL a browser's mark of the web in ``html`` names, before its ``<html>`` tag
    (the page's own text after it is no browser's word); else ""."""
    head = html[:_HEAD_READ]
    start = head.lower().find(b"<html")
    mark = _MARK_OF_THE_WEB.search(head if start < 0 else head[:start])
    return web_url(mark[1].decode("ascii").replace("%2D", "-")) if mark else ""


def _decompressed(raw: bytes, path: Path, max_size: int) -> bytes:
    """``raw`` as it reads decompressed when it is gzip's (a page a server or an archiving
    tool keeps compressed, ``NAME.html.gz``), up to ``max_size`` bytes; else as it is."""
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    unzip = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        page = unzip.decompress(raw, max_size + 1)
    except zlib.error:
        raise SavedPageError(f"{path} is gzip-compressed, and damaged: it cannot be decompressed") from None
    if len(page) > max_size:
        raise SavedPageError(f"{path} is larger than {max_size} bytes once decompressed (IMPORT_MAXSIZE)")
    if not unzip.eof:
        raise SavedPageError(f"{path} is gzip-compressed, and cut short: it cannot be decompressed")
    return page


def _from_mhtml(raw: bytes, path: Path, max_parts: int) -> SavedPage:
    """The HTML part of an MHTML file, and the URL of the page it is a snapshot of."""
    top = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
    boundary = top.get_boundary()
    if boundary and raw.count(b"\n--" + boundary.encode("utf-8", "replace")) > max_parts + 1:
        raise SavedPageError(f"{path} is MHTML of more than {max_parts} parts (IMPORT_MAX_PARTS)")
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
    except RecursionError:  # Python's parser recurses into each nested multipart
        raise SavedPageError(f"{path} is MHTML of multiparts nested too deep") from None
    snapshot = _header(message, "Snapshot-Content-Location")
    part = _html_part(message, snapshot)
    if part is None:
        if path.name.lower().removesuffix(".gz").endswith(".eml"):  # a letter, not the page mailed
            raise SavedPageError(f"{path} is an e-mail without an HTML part, not a saved page: its "
                                 f"text {_TEXT_ALONE}")
        raise SavedPageError(f"{path} is MHTML without an HTML part")
    body = part.get_payload(decode=True)
    if not isinstance(body, bytes):
        raise SavedPageError(f"{path}: the HTML part holds no text")
    if _broken_base64(part):
        raise SavedPageError(f"{path}: the HTML part's base64 cannot be decoded")
    # MIME writes a text's line breaks as CRLF; the page had them as the browser serialised
    # its DOM (LF), and HTML parsers read both alike.
    html = body.replace(b"\r\n", b"\n")
    declared = part.get_content_charset()
    if declared and not _known(declared):
        raise SavedPageError(f"{path}: the HTML part is in {declared!r}, an unknown charset")
    return SavedPage(_to_utf8(html, declared or _declared_charset(html)),
                     snapshot or _header(part, "Content-Location"), _date(message),
                     _images(message))


def _from_webarchive(raw: bytes, path: Path) -> SavedPage:
    """The page of a Safari web archive, in UTF-8: in the charset Safari names, else in
    the one its ``<meta>`` declares; its pictures by their normalised URL."""
    try:
        archive = webarchive.read_webarchive(raw)
    except webarchive.WebArchiveError as error:
        raise SavedPageError(f"{path} is a Safari web archive, but {error}") from None
    charset = archive.charset if _known(archive.charset) else _declared_charset(archive.html)
    images = {normalise_image_url(url): data for url, data in archive.images.items()}
    images.pop("", None)
    return SavedPage(_to_utf8(archive.html, charset), web_url(archive.url), images=images)


def _images(message: Message) -> dict[str, bytes]:
    """The image parts whose body decodes whole, by their normalised URL (a part's defects
    are known once it is decoded)."""
    images = {}
    for part in message.walk():
        if part.get_content_maintype() != "image":
            continue
        url, body = normalise_image_url(_header(part, "Content-Location")), part.get_payload(decode=True)
        if url and isinstance(body, bytes) and not _broken_base64(part):
            images[url] = body
    return images


def _broken_base64(part: Message) -> bool:
    return any(isinstance(defect, _BROKEN_BASE64) for defect in part.defects)


def _html_part(message: Message, snapshot: str) -> Message | None:
    """The page's own HTML: frames are further HTML parts, so the one at the snapshot's
    URL if it is named, else the first (Chrome writes the page first)."""
    parts = [part for part in message.walk() if part.get_content_type() == "text/html"]
    named = (part for part in parts if snapshot and _header(part, "Content-Location") == snapshot)
    return next(named, parts[0] if parts else None)


def _header(message: Message, name: str) -> str:
    return str(message.get(name, "")).strip()


def _date(message: Message) -> datetime | None:
    """The message's ``Date:`` (Chrome and WebKit write when the page was saved); UTC when
    it names no zone."""
    try:
        date = email.utils.parsedate_to_datetime(_header(message, "Date"))
    except (TypeError, ValueError):
        return None
    return date if date.tzinfo else date.replace(tzinfo=UTC)


def _declared_charset(page: bytes) -> str | None:
    """The charset the page's ``<meta>`` declares, found as Scrapy finds a fetched page's
    (w3lib: the first 4 KB, comments skipped), if a page can be in it; an unknown label is
    passed over, as browsers do."""
    charset = html_body_declared_encoding(page)
    return charset if charset and _known(charset) else None


def _known(charset: str) -> bool:
    """Whether ``charset`` names a text encoding a page can be in: one that reads ASCII as
    ASCII and replaces what it cannot read, as the page is decoded (``base64`` is a codec
    but no text encoding; ``idna`` is one, of host names, and replaces nothing)."""
    try:
        return (_ASCII_PROBE + b"\x80\xff").decode(charset, "replace").startswith(
            _ASCII_PROBE.decode("ascii"))
    except (LookupError, UnicodeError):
        return False


def _to_utf8(page: bytes, charset: str | None) -> bytes:
    """``page`` in UTF-8. A page in UTF-8 or declaring nothing is returned as it is: a
    2-4 MB WeChat page is not decoded here only to be decoded again by the parser.

    A label is read as the WHATWG Encoding standard reads it (w3lib's ``resolve_encoding``,
    as for a fetched page): GB2312 and GBK as GB18030, their superset, since Chinese pages
    so labelled often hold characters outside the label; Latin-1 as windows-1252."""
    if not charset:
        return page
    return as_utf8(page, resolve_encoding(charset) or charset)

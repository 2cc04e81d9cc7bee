"""Image files of the archive: verified, named per the contract, stored once."""

from __future__ import annotations

import hashlib
import logging
import struct
import sys
import warnings
from collections.abc import Collection, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from io import BytesIO
from itertools import islice
from pathlib import Path

from PIL import IcoImagePlugin, Image, ImageSequence, UnidentifiedImageError

from crawler.report.logtext import counted
from crawler.store.files import atomic_write_many, remove_leftovers
from crawler.store.index import Index
from crawler.wechat.urls import image_stem

logger = logging.getLogger(__name__)

# Pillow's format name → file extension. MPO is a JPEG with extra frames.
_EXTENSIONS = {"JPEG": "jpeg", "MPO": "jpeg", "TIFF": "tiff"}
# What a browser shows, as Pillow names it. No other format is opened: decoding EPS runs
# another program (Ghostscript) on what the CDN sent.
_WEB_FORMATS = ("JPEG", "MPO", "PNG", "GIF", "WEBP", "BMP", "ICO", "TIFF")
# Pillow's modules that read them: Pillow's ``init`` would import some forty.
_WEB_PLUGINS = ("Jpeg", "Mpo", "Png", "Gif", "WebP", "Bmp", "Ico", "Tiff")
# Formats whose ``verify`` reads every byte (a PNG's chunks, each against its CRC): one cut
# short is found without decoding it; a JPEG decoded at an eighth of its size still reads
# all of its data, with 1/64 of the memory.
_VERIFIED_WHOLE = ("PNG",)
_JPEG = ("JPEG", "MPO")
_ICON = b"\0\0\1\0"
# Frames decoded at most (a GIF of 25 a second for minutes): frames of a few pixels each are
# within any pixel limit, and each costs its seek and setup (millions in a 32 MB GIF: 35 s).
MAX_FRAMES_DECODED = 5_000


class NotAnImage(ValueError):
    """Bytes that Pillow cannot read as an image; the message says why."""


class TooManyPixels(NotAnImage):
    """An image of more pixels than ``IMAGE_MAX_PIXELS``, which a larger setting keeps."""


@dataclass(frozen=True)
class CheckedImage:
    """Downloaded bytes that Pillow read as an image of the format ``extension``."""

    data: bytes = field(repr=False)
    extension: str
    sha256: str


def check_image(data: bytes, max_pixels: int = 50_000_000) -> CheckedImage:
    """Verify ``data`` with Pillow and tell its real format (not what its URL claims).

    An image of more than ``max_pixels`` is refused like a broken one: no article picture
    is that large, and decoding it would take gigabytes. Pillow's own decompression-bomb
    guard stays on as well. The frames are decoded too, up to ``max_pixels`` in all and
    ``MAX_FRAMES_DECODED`` (an animation of many frames would hold the crawl for minutes):
    ``verify`` reads no JPEG or GIF data, and one cut short (its length as the server said)
    would be kept half grey. A PNG's ``verify`` reads it all (``_VERIFIED_WHOLE``).
    """
    try:
        if data.startswith(_ICON):  # Pillow decodes an icon's picture as it opens the icon
            _within(_icon_picture_size(data), max_pixels)
        with Image.open(BytesIO(data), formats=_formats()) as image:
            _within(image.size, max_pixels)
            image_format = image.format or ""
            image.verify()
        if image_format not in _VERIFIED_WHOLE:
            _decode(data, max_pixels)
        if image_format == "GIF" and not _gif_reaches_trailer(data):
            raise NotAnImage("not a readable image: truncated GIF file (cut short after a frame: "
                             "no trailer)")
    except NotAnImage:
        raise
    except UnidentifiedImageError as error:  # its message names a Python object, not the answer
        what = f"bytes that begin {data[:32]!r}" if data else "no bytes at all"  # an answer's or a file's
        raise NotAnImage(f"not a readable image: {what}") from error
    except Image.DecompressionBombError as error:
        raise NotAnImage(f"refused as a decompression bomb: {error}") from error
    except (OSError, SyntaxError, ValueError,
            IndexError, KeyError, TypeError, struct.error) as error:
        # what Pillow's decoders raise on damaged bytes (an animated GIF's later frame: IndexError)
        raise NotAnImage(f"not a readable image: {error}") from error
    extension = _EXTENSIONS.get(image_format, image_format.lower())
    return CheckedImage(data, extension, hashlib.sha256(data).hexdigest())


def damage(data: bytes) -> str | None:
    """Why the bytes of a stored image file are no readable image (a file cut short, or
    overwritten), or None. Of any size: the file passed ``IMAGE_MAX_PIXELS`` as the run that
    fetched it had it, and a lower limit now does not tear it."""
    try:
        check_image(data, sys.maxsize)
    except NotAnImage as error:
        return str(error)
    return None


def silence_pillow_warnings() -> None:
    """Ignore, from now on, Pillow's warnings of what ``check_image`` judges itself: a picture
    past Pillow's own limit (89 million pixels) as it opens it, refused in the post's line
    when past ours, and an icon whose picture is not the size its directory says, kept.
    Scrapy logs Python's warnings: each would be a second WARNING in the cron mail (or
    Python's two lines in a command's). Only these two, and only from Pillow's modules; as an
    archive is opened, whose image files ``verify`` and an index rebuilt from them read
    again, for the process (``catch_warnings`` around each picture would swap the process's
    filters from thread to thread; a filter given again replaces itself)."""
    warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning, module=r"PIL\.Image$")
    warnings.filterwarnings("ignore", "Image was not the expected size", UserWarning,
                            r"PIL\.IcoImagePlugin$")


def _decode(data: bytes, max_pixels: int) -> None:
    """Decode the frames of ``data``, up to ``max_pixels`` in all and ``MAX_FRAMES_DECODED``."""
    with Image.open(BytesIO(data), formats=_formats()) as image:
        budget = max_pixels
        for frame in islice(ImageSequence.Iterator(image), MAX_FRAMES_DECODED):
            _within(frame.size, max_pixels)  # a TIFF's later page has a size of its own
            pixels = frame.size[0] * frame.size[1]
            if pixels > budget:  # checked before decoding it: after, the limit was met twice over
                break
            if frame.format in _JPEG:
                image.decoderconfig = ()  # the draft of the picture before (Pillow keeps it)
                frame.draft(frame.mode, (1, 1))  # its data read whole at an eighth of its size
            frame.load()
            budget -= pixels
            if budget <= 0:
                break


def _gif_reaches_trailer(data: bytes) -> bool:
    """Whether the GIF ``data`` has its trailer (0x3B) after its last block. Pillow reads a
    GIF cut between two frames as a whole one of fewer frames, and a JPEG's or a PNG's end
    marker is checked by their decoders already. Every block ends with an empty sub-block:
    a GIF ending so and then with the trailer is whole (one cut within a frame, ending so
    by chance, is found when the frame is decoded). Else walked block by block, as bytes
    may follow the trailer, and a trailer's byte may as well be one of a frame's data
    (seconds for a GIF of a million frames: only one that does not end so)."""
    if data.endswith(b"\0;"):
        return True
    at = 13 + _palette_size(data[10])  # after the header, the screen and its palette
    while at < len(data):
        kind = data[at]
        if kind == 0x3B:
            return True
        if kind == 0x2C:  # an image: its descriptor, its palette, its LZW code size, its data
            if at + 10 >= len(data):
                return False
            at += 11 + _palette_size(data[at + 9])
        elif kind == 0x21:  # an extension: its label, its data
            at += 2
        else:  # a stray byte, which Pillow skips
            at += 1
            continue
        while at < len(data) and data[at]:  # the data, in sub-blocks of a length byte each
            at += data[at] + 1
        at += 1  # the empty sub-block that ends them
    return False


def _palette_size(packed: int) -> int:
    """The bytes of the palette a GIF's screen or image descriptor with ``packed`` has."""
    return 3 << ((packed & 7) + 1) if packed & 0x80 else 0


def _icon_picture_size(data: bytes) -> tuple[int, int]:
    """The size of the PNG or BMP that Pillow decodes of the ICO ``data`` (its first by
    Pillow's order): its own, not what the icon's directory says (256 x 256 at most)."""
    offset = IcoImagePlugin.IcoFile(BytesIO(data)).entry[0].offset
    with Image.open(BytesIO(data[offset:]), formats=("PNG", "DIB")) as picture:
        width, height = picture.size
        return (width, height) if picture.format == "PNG" else (width, height // 2)  # and its mask


@cache
def _formats() -> tuple[str, ...]:
    """The web formats this Pillow reads (one built without libwebp reads no WebP). Only
    their plugins are imported: all of Pillow's took 20 ms of each run's start."""
    for plugin in _WEB_PLUGINS:
        with suppress(ImportError):  # as Pillow's own ``init`` skips a plugin it cannot import
            import_module(f"PIL.{plugin}ImagePlugin")
    return tuple(name for name in _WEB_FORMATS if name in Image.OPEN)


def _within(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise TooManyPixels(f"{width} x {height} pixels, more than IMAGE_MAX_PIXELS ({max_pixels})")


@dataclass(frozen=True)
class Placement:
    """Where an image goes; ``data`` is what is still to be written there (None: nothing)."""

    url: str
    name: str
    data: bytes | None = field(repr=False)


def stored_name(folder: Path, index: Index, url: str) -> str | None:
    """The file of ``folder`` the index names for ``url``'s image, if it is there (a read-only
    archive, which has no ``ImageStore``, looks so too)."""
    return stored_names(folder, index, [url]).get(url)


def stored_names(folder: Path, index: Index, urls: Collection[str]) -> dict[str, str]:
    """``stored_name`` of each of ``urls`` that has one, by URL, the index asked once."""
    return {url: name for url, name in index.image_names(urls).items() if (folder / name).is_file()}


class ImageStore:
    """``postimg/``: one file per distinct content, named after the first URL that brought it."""

    def __init__(self, folder: Path, index: Index):
        self.folder = folder
        self.index = index
        with suppress(OSError):  # the blog copies it, images or not; else a write says why
            folder.mkdir(parents=True, exist_ok=True)
        remove_leftovers(folder)
        self._torn: set[str] = set()  # said so already

    def stored_name(self, url: str) -> str | None:
        """The file already holding ``url``'s image whole, if there is one."""
        return self.stored_names([url]).get(url)

    def stored_names(self, urls: Collection[str]) -> dict[str, str]:
        """``stored_name`` of each of ``urls`` that has one, by URL: an article's pictures
        asked of the index in one statement."""
        found = stored_names(self.folder, self.index, urls)
        whole = {name: self._is_whole(name) for name in set(found.values())}
        return {url: name for url, name in found.items() if whole[name]}

    def place_all(self, images: Mapping[str, CheckedImage],
                  key: str) -> tuple[list[Placement], dict[str, OSError]]:
        """Choose the file of each of ``images`` (by the URL that fetched it, in page order)
        for the article ``key`` and record them in the index; those a file could not be read
        for (one that holds the name already), by URL, are not placed.

        Bytes already stored under another name are not written again: the URL is
        recorded against the existing file. A new name is recorded at once, before
        ``write`` puts the bytes there, so that the next image placed cannot take it;
        as lookups check that the file exists, a name whose bytes were never written (a
        killed run, a disk error) gets them on a later run. The index is asked once and
        written twice for all of them, where each image was four statements: each lets
        the reactor's thread go. What the images before it took, each sees (``_Blobs``).
        """
        plain = {url: f"{image_stem(url)}.{image.extension}" for url, image in images.items()}
        blobs = _Blobs(*self.index.blobs_and_names([(image.sha256, plain[url])
                                                    for url, image in images.items()]))
        placements: list[Placement] = []
        unread: dict[str, OSError] = {}
        for url, image in images.items():
            try:
                placements.append(self._placed(url, image, plain[url], blobs))
            except OSError as error:  # reading a file that holds the name already
                unread[url] = error
        self.index.add_blobs(blobs.added)
        self.index.add_images({p.url: p.name for p in placements}, key)
        return placements, unread

    def _placed(self, url: str, image: CheckedImage, plain: str, blobs: _Blobs) -> Placement:
        name = blobs.files.get(image.sha256)
        if name is not None and (self.folder / name).is_file() and self._holds(name, image.data):
            return Placement(url, name, None)
        name = name or self._free_name(plain, plain in blobs.taken, image.sha256)
        blobs.add(image.sha256, name)
        return Placement(url, name, image.data)

    def write(self, placements: Sequence[Placement]) -> dict[str, OSError]:
        """Write the bytes of the placed images that are new, together; failures by URL."""
        new = {p.name: p.data for p in placements if p.data is not None}  # two URLs, same bytes
        written = atomic_write_many([(self.folder / name, data) for name, data in new.items()])
        errors = {name: error for name, error in zip(new, written, strict=True) if error is not None}
        return {p.url: errors[p.name] for p in placements if p.data is not None and p.name in errors}

    def _holds(self, name: str, data: bytes) -> bool:
        """``_is_whole`` of file ``name``, recorded as holding ``data``: its bytes compared
        with those in hand, which costs less than hashing them again; hashed only when they
        differ, to tell a torn file from one the index records other bytes for."""
        with suppress(OSError):
            if (self.folder / name).read_bytes() == data:
                return True
        return self._is_whole(name)

    def _is_whole(self, name: str) -> bool:
        """Whether file ``name`` holds the bytes recorded for it: one cut short (a disk
        error, a copy that failed) or changed (another tool) is no image, and its image is
        fetched again and written over it. Said once; one that cannot be read, or that the
        index records no bytes for, is taken as whole.
        Hashed each time, not remembered: a run's memory does not grow with its images."""
        path = self.folder / name
        try:
            digest = _sha256(path)
        except OSError:
            return True
        found, taken = self.index.blob_and_name(digest, name)
        if found == name or not taken:
            return True
        if name not in self._torn:  # ``place`` asks again of what ``stored_name`` found
            self._torn.add(name)
            logger.warning("%s: not the bytes archived (torn or changed): fetched again", path)
        return False

    def recover(self) -> None:
        """Record each file of ``postimg/`` by its bytes, for an index rebuilt after it was
        lost: else the bytes a later article shows under another URL get a file of their own.
        One that no image reads from (cut short, overwritten) is left out, and said: recorded,
        its bytes would pass for those archived, and its picture never be fetched again."""
        left_out = 0
        for path in sorted(self.folder.glob("[!.]*")):
            if not path.is_file():
                continue
            try:
                data = path.read_bytes()
            except OSError:  # unreadable: it is no image's file to share
                continue
            if (why := damage(data)) is not None:
                logger.warning("%s: %s: left out of the rebuilt index", path, why)
                left_out += 1
            else:
                self.index.add_blob(hashlib.sha256(data).hexdigest(), path.name)
        if left_out:
            logger.warning("%s of %s left out of the rebuilt index, not readable: a crawl of an "
                           "article showing one fetches it again", counted(left_out, "image file"),
                           self.folder)

    def _free_name(self, name: str, taken: bool, digest: str) -> str:
        """``name`` (``<stem>.<ext>``), unless the index holds it already (``taken``) or
        another image does: then ``<stem>-<digest>.<ext>``."""
        if taken or _holds_another_image(self.folder / name, digest):
            stem, extension = name.rsplit(".", 1)
            return f"{stem}-{digest[:12]}.{extension}"
        return name


@dataclass
class _Blobs:
    """The index's files of bytes as the placing of an article's images changes them: what
    one statement read (``Index.blobs_and_names``), and what the images before added."""

    files: dict[str, str]  # by SHA-256
    taken: set[str]  # names that are some bytes' files
    added: dict[str, str] = field(default_factory=dict)

    def add(self, digest: str, name: str) -> None:
        """As the index records it: bytes that have a file keep it."""
        if digest not in self.files:
            self.files[digest] = self.added[digest] = name
            self.taken.add(name)


def _holds_another_image(path: Path, digest: str) -> bool:
    """Whether ``path``, a name the index does not know, holds what the image of ``digest``
    may not take: a file of these very bytes is taken over (an index rebuilt from the posts
    knows no images), and so is one no image reads from (left out of a rebuilt index as
    torn), written over."""
    if not path.exists():
        return False
    if not path.is_file():
        return True
    data = path.read_bytes()
    return hashlib.sha256(data).hexdigest() != digest and damage(data) is None


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()

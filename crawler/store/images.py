"""Image files of the archive: verified, named per the contract, stored once."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from crawler.store.files import atomic_write, remove_leftovers
from crawler.store.index import Index
from crawler.wechat.urls import image_stem

# Pillow's format name → file extension. MPO is a JPEG with extra frames.
_EXTENSIONS = {"JPEG": "jpeg", "MPO": "jpeg", "TIFF": "tiff"}


class NotAnImage(ValueError):
    """Bytes that Pillow cannot read as an image; the message says why."""


@dataclass(frozen=True)
class CheckedImage:
    """Downloaded bytes that Pillow read as an image of the format ``extension``."""

    data: bytes = field(repr=False)
    extension: str
    sha256: str


def check_image(data: bytes) -> CheckedImage:
    """Verify ``data`` with Pillow and tell its real format (not what its URL claims).

    Pillow's decompression-bomb guard stays on: an image too large to decode safely is
    refused like a broken one.
    """
    try:
        with Image.open(BytesIO(data)) as image:
            image_format = image.format or ""
            image.verify()
    except Image.DecompressionBombError as error:
        raise NotAnImage(f"refused as a decompression bomb: {error}") from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise NotAnImage(f"not a readable image: {error}") from error
    extension = _EXTENSIONS.get(image_format, image_format.lower())
    return CheckedImage(data, extension, hashlib.sha256(data).hexdigest())


class ImageStore:
    """``postimg/``: one file per distinct content, named after the first URL that brought it."""

    def __init__(self, folder: Path, index: Index):
        self.folder = folder
        self.index = index
        remove_leftovers(folder)

    def stored_name(self, url: str) -> str | None:
        """The file already holding ``url``'s image, if there is one."""
        name = self.index.image_name(url)
        return name if name and (self.folder / name).is_file() else None

    def store(self, url: str, image: CheckedImage) -> str:
        """Keep ``image`` fetched from ``url`` and return its file name.

        Bytes already stored under another name are not written again: the URL is
        recorded against the existing file. The file is written before the index
        records it, so the index never names a missing file.
        """
        name = self.index.blob_name(image.sha256)
        if name is None or not (self.folder / name).is_file():
            name = name or self._free_name(image_stem(url), image.extension, image.sha256)
            atomic_write(self.folder / name, image.data)
            self.index.add_blob(image.sha256, name)
        self.index.add_image(url, name)
        return name

    def _free_name(self, stem: str, extension: str, digest: str) -> str:
        """``<stem>.<ext>``, unless other bytes hold that name already.

        A file of that name with these very bytes is taken over: a run killed between
        writing an image and indexing it leaves exactly that.
        """
        name = f"{stem}.{extension}"
        path = self.folder / name
        other_bytes_there = path.exists() and not (path.is_file() and _sha256(path) == digest)
        if self.index.name_taken(name) or other_bytes_there:
            return f"{stem}-{digest[:12]}.{extension}"
        return name


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()

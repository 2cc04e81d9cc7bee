"""``check_image`` and ``ImageStore``: real formats, stored once, names that never change;
the image path of real crawls against the stand-in CDN."""

from __future__ import annotations

import gc
import hashlib
import re
import sqlite3
import struct
import sys
import threading
import warnings
import zlib
from contextlib import closing
from io import BytesIO
from pathlib import Path

import pytest
from PIL import EpsImagePlugin, Image

from crawler.convert.post import render_post
from crawler.pipelines.images import ImagePipeline
from crawler.store import images
from crawler.store.archive import Archive
from crawler.store.images import (
    MAX_FRAMES_DECODED,
    CheckedImage,
    ImageStore,
    NotAnImage,
    Placement,
    check_image,
    silence_pillow_warnings,
)
from crawler.store.index import Index
from crawler.wechat.page import parse_page
from tests.conftest import crawl, page_text, post_of, serve_legacy_shape
from tests.inprocess import Crawled
from tests.mockserver import MockWeChat, Route, animated_gif, jpeg, png, webp
from tests.site import Art, Site, numbered
from tests.test_captures import posts, scrapy
from tests.test_completeness import album_crawl, served_album

CDN = "https://mmbiz.qpic.cn"
KEY = "MzA5OTk5OTk5OQ==:2247490001:1"  # the article the images are stored for


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims a huge size, as a decompression bomb does."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0")) \
        + chunk(b"IEND", b"")


def place(store: ImageStore, url: str, image: CheckedImage) -> Placement:
    """One image placed, as the only new image of an article."""
    placements, unread = store.place_all({url: image}, KEY)
    assert unread == {}
    [placement] = placements
    return placement


def keep(store: ImageStore, url: str, image: CheckedImage) -> str:
    """Place and write one image, as the pipeline does for each article."""
    placement = place(store, url, image)
    assert store.write([placement]) == {}
    return placement.name


@pytest.fixture(autouse=True)
def pillow_warnings_silenced() -> None:
    """``check_image`` as a crawl calls it: after ``ImagePipeline`` silenced Pillow's warnings
    of what it judges (pytest gives each test the filters it began with)."""
    silence_pillow_warnings()


@pytest.fixture
def store(tmp_path: Path) -> ImageStore:
    return ImageStore(tmp_path / "postimg", Index(tmp_path / ".state" / "index.sqlite"))


@pytest.mark.parametrize("data, extension", [
    (png((1, 2, 3)), "png"), (jpeg((1, 2, 3)), "jpeg"), (webp((1, 2, 3)), "webp"),
    (animated_gif(), "gif"),
])
def test_extension_is_the_real_format(data: bytes, extension: str) -> None:
    assert check_image(data).extension == extension


def gif_whose_second_frame_claims_a_palette_past_its_end() -> bytes:
    data = bytearray(animated_gif())
    second = [i for i in range(len(data)) if data[i:i + 3] == b"\x21\xf9\x04"][1] + 8
    assert data[second] == 0x2C  # its image descriptor, after its graphic control
    data[second + 9] = 0x87  # a local palette of 256 colours
    return bytes(data)


def with_a_bad_code_size(gif: bytes, control: int) -> bytes:
    """``gif`` whose frame after the graphic control at ``control`` says an LZW code size of
    15 bits (at most 12): its blocks whole, its data undecodable."""
    data = bytearray(gif)
    descriptor = control + 8
    assert data[descriptor] == 0x2C
    packed = data[descriptor + 9]
    data[descriptor + 10 + (3 << ((packed & 7) + 1) if packed & 0x80 else 0)] = 15
    return bytes(data)


def gif_whose_second_frame_cannot_be_decoded() -> bytes:
    data = animated_gif()
    return with_a_bad_code_size(data, [i for i in range(len(data)) if data[i:i + 3] == b"\x21\xf9\x04"][1])


@pytest.mark.parametrize("data, message", [
    (b"<html>not allowed</html>", "not a readable image"),
    (gif_whose_second_frame_claims_a_palette_past_its_end(), "not a readable image"),
    (png((1, 2, 3))[:40], "not a readable image"),
    (b"", "not a readable image"),
    (png_claiming(30000, 30000), "decompression bomb"),
])
def test_broken_or_huge_images_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(NotAnImage, match=message):
        check_image(data)


@pytest.mark.parametrize("data, told", [
    (b"<html>not allowed</html>", "b'<html>not allowed</html>'"), (b"", "no bytes at all")])
def test_an_answer_of_no_image_format_says_what_it_was(data: bytes, told: str) -> None:
    """Said in the post's line: which answer it was, not the address of a Python object
    (which also made two such answers of one article two reasons)."""
    with pytest.raises(NotAnImage) as refused:
        check_image(data)
    assert told in str(refused.value) and " at 0x" not in str(refused.value)


def gif_cut_after_frame(frame: int) -> bytes:
    """An animated GIF of three frames cut after its ``frame``-th (from 1): each block is
    whole, only the frames after it and the trailer (0x3B) are missing."""
    data = animated_gif(3)
    # each frame after the first begins with its graphic control extension
    starts = [i for i in range(len(data)) if data[i:i + 3] == b"\x21\xf9\x04"]
    return data[:starts[frame]] if frame < len(starts) else data[:-1]


@pytest.mark.parametrize("frame", [1, 2, 3])
def test_a_gif_cut_between_frames_is_refused_as_cut_short(frame: int) -> None:
    """Pillow reads a GIF cut after a frame as a whole one of fewer frames: it was stored,
    and the post showed a shorter animation for ever."""
    with Image.open(BytesIO(gif_cut_after_frame(frame))) as torn:
        assert torn.n_frames == frame  # what Pillow makes of it
    with pytest.raises(NotAnImage, match="cut short"):
        check_image(gif_cut_after_frame(frame))


def test_a_whole_gif_is_kept_with_bytes_after_its_trailer() -> None:
    """What follows the trailer is no frame: a GIF with it is whole (browsers show it)."""
    assert check_image(animated_gif() + b"\0\0padding").extension == "gif"


def test_a_torn_gif_is_left_out_of_a_rebuilt_index(tmp_path: Path) -> None:
    folder = tmp_path / "postimg"
    folder.mkdir()
    (folder / "Torn.gif").write_bytes(gif_cut_after_frame(2))
    (folder / "Whole.gif").write_bytes(animated_gif())
    store = ImageStore(folder, Index(tmp_path / "index.sqlite"))
    store.recover()
    assert store.index.blob_digests() == {"Whole.gif": hashlib.sha256(animated_gif()).hexdigest()}


def test_a_later_frame_over_the_limit_is_refused_before_it_is_decoded() -> None:
    out = BytesIO()
    Image.new("RGB", (4, 4)).save(out, "TIFF", save_all=True,
                                  append_images=[Image.new("RGB", (100, 100))])
    assert check_image(out.getvalue(), max_pixels=20_000).extension == "tiff"
    with pytest.raises(NotAnImage, match="100 x 100 pixels, more than"):
        check_image(out.getvalue(), max_pixels=1_000)


def icon_holding(picture: bytes) -> bytes:
    """An ICO whose directory says 256 x 256 (the most it can say) of ``picture``."""
    entry = struct.pack("<BBBBHHII", 0, 0, 0, 0, 1, 32, len(picture), 6 + 16)
    return struct.pack("<HHH", 0, 1, 1) + entry + picture


def test_the_picture_an_icon_holds_is_refused_over_the_limit_before_it_is_decoded() -> None:
    """An ICO's PNG has a size of its own, which Pillow decodes whatever the icon's directory
    said: a 493 KB icon of a 13000 x 13000 PNG took 690 MB before it was refused."""
    damaged = png_claiming(300, 300)  # its data: one byte, decoding it fails
    with pytest.raises(NotAnImage, match="not a readable image"):
        check_image(icon_holding(damaged), max_pixels=100_000)
    with pytest.raises(NotAnImage, match="300 x 300 pixels, more than"):
        check_image(icon_holding(damaged), max_pixels=50_000)
    assert check_image(icon_holding(png((1, 2, 3))), max_pixels=48).extension == "ico"
    bitmap = BytesIO()  # a BMP: its mask's rows counted in its height
    Image.new("RGBA", (64, 64)).save(bitmap, "ICO", sizes=[(64, 64)], bitmap_format="bmp")
    assert check_image(bitmap.getvalue(), max_pixels=64 * 64).extension == "ico"


def test_pillow_s_warnings_of_pictures_the_archive_judges_are_silenced_and_no_other(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Pillow warns of an icon whose picture is not its directory's size (kept, as the archive
    keeps it) and of a picture past its own limit (refused in the post's line): Scrapy logs
    each as a WARNING line in the cron mail (a crawl's, ``test_hostile``). The same warning
    from elsewhere still shows."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # Pillow warns past it, refuses past twice it
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        silence_pillow_warnings()
        assert check_image(icon_holding(png((1, 2, 3), (12, 10)))).extension == "ico"
        assert check_image(png((1, 2, 3), (15, 10))).extension == "png"
        warnings.warn("Image was not the expected size", stacklevel=1)
        warnings.warn(Image.DecompressionBombWarning("ours"), stacklevel=1)
    assert [str(warning.message) for warning in caught] == ["Image was not the expected size", "ours"]


def test_a_jpeg_of_several_pictures_is_stored() -> None:
    """A JPEG holding more pictures (MPF: a camera's stereo pair, a phone's HDR gain map,
    Android's Ultra HDR) is an MPO to Pillow; each picture is decoded at an eighth of its
    size, and Pillow kept the first's eighth for the next, which it found cut short: the
    photograph was refused as not a readable image."""
    out = BytesIO()
    Image.new("RGB", (64, 48)).save(out, "MPO", save_all=True, append_images=[Image.new("L", (16, 12))])
    assert check_image(out.getvalue()).extension == "jpeg"


def test_a_postscript_answer_is_refused_without_running_ghostscript(
        monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[object] = []
    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", lambda *args, **kwargs: ran.append(args))
    out = BytesIO()
    Image.new("RGB", (4, 4)).save(out, "EPS")
    with pytest.raises(NotAnImage, match="not a readable image"):
        check_image(out.getvalue())
    assert ran == []


def test_frames_are_decoded_up_to_the_pixel_limit_in_all() -> None:
    """A damaged frame past the limit goes unseen: decoding stops there, so that an animation
    of thousands of large frames cannot hold the crawl."""
    damaged = gif_whose_second_frame_cannot_be_decoded()  # frames of 8 x 8
    with pytest.raises(NotAnImage, match="codec configuration error"):
        check_image(damaged, max_pixels=200)
    assert check_image(damaged, max_pixels=64).extension == "gif"


def webp_whose_second_frame_is_damaged() -> bytes:
    out = BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(out, "WEBP", save_all=True, lossless=True,
                                             append_images=[Image.new("RGB", (8, 8), (200, 9, 9))])
    data = bytearray(out.getvalue())
    second = data.index(b"ANMF", data.index(b"ANMF") + 1)
    bitstream = second + 8 + 16 + 8 + 5  # past its frame header and VP8L's own
    data[bitstream:] = bytes(byte ^ 0xFF for byte in data[bitstream:])
    return bytes(data)


def test_a_frame_past_what_is_left_of_the_pixel_limit_is_not_decoded() -> None:
    """The limit is checked before a frame is decoded, not after: an animated WebP of two
    frames of 43 million pixels each (1441832 x 30, 676 bytes) was decoded whole, twice the
    limit (seconds, hundreds of MB)."""
    damaged = webp_whose_second_frame_is_damaged()  # frames of 8 x 8
    with pytest.raises(NotAnImage, match="failed to read next frame"):
        check_image(damaged, max_pixels=128)
    assert check_image(damaged, max_pixels=100).extension == "webp"


def gif_of_one_pixel_frames_the_last_damaged(frames: int) -> bytes:
    out = BytesIO()
    Image.new("RGB", (1, 1)).save(out, "GIF", save_all=True, duration=[10, 20],
                                  append_images=[Image.new("RGB", (1, 1), (255, 255, 255))])
    data = out.getvalue()
    frame = data[data.index(b"\x21\xf9\x04", data.index(b"\x21\xf9\x04") + 1):-1]
    return data[:-1] + frame * (frames - 3) + with_a_bad_code_size(frame, 0) + b";"


def test_frames_are_decoded_up_to_a_number_of_frames() -> None:
    """A GIF of millions of 1 x 1 frames (32 MB) is within the pixel limit; decoding every
    frame held the crawl for half a minute. A damaged frame past the last decoded goes
    unseen, as one past the pixel limit does."""
    with pytest.raises(NotAnImage, match="codec configuration error"):
        check_image(gif_of_one_pixel_frames_the_last_damaged(MAX_FRAMES_DECODED))
    assert check_image(gif_of_one_pixel_frames_the_last_damaged(MAX_FRAMES_DECODED + 1)
                       ).extension == "gif"


def test_media_id_names_and_byte_identical_gif(store: ImageStore) -> None:
    gif = animated_gif()
    name = keep(store, f"{CDN}/mmbiz_gif/GifMedia_01-x/640?wx_fmt=gif", check_image(gif))
    assert name == "GifMedia_01-x.gif"
    assert (store.folder / name).read_bytes() == gif


def test_other_urls_are_named_by_a_hash(store: ImageStore) -> None:
    name = keep(store, "https://mmbiz.qpic.cn/some/other/path.png?x=1", check_image(png((1, 1, 1))))
    assert len(name) == 32 + 4 and name.endswith(".png")
    assert set(name[:-4]) <= set("0123456789abcdef")


def test_identical_bytes_share_the_first_name(store: ImageStore) -> None:
    data = check_image(jpeg((7, 7, 7)))
    first = keep(store, f"{CDN}/mmbiz_jpg/First/640", data)
    second = keep(store, f"{CDN}/mmbiz_jpg/Second/640", data)
    assert first == second == "First.jpeg"
    assert [p.name for p in store.folder.iterdir()] == ["First.jpeg"]
    assert store.stored_name(f"{CDN}/mmbiz_jpg/Second/640") == "First.jpeg"



def test_bytes_stored_already_are_compared_not_hashed_again_and_a_torn_file_is_written_anew(
        store: ImageStore, monkeypatch: pytest.MonkeyPatch) -> None:
    data = check_image(jpeg((7, 7, 7)))
    keep(store, f"{CDN}/mmbiz_jpg/First/640", data)
    hashed: list[Path] = []
    hash_file = images._sha256
    monkeypatch.setattr(images, "_sha256", lambda path: hashed.append(path) or hash_file(path))
    again = place(store, f"{CDN}/mmbiz_jpg/Second/640", data)
    assert (again.name, again.data, hashed) == ("First.jpeg", None, [])  # the bytes in hand
    (store.folder / "First.jpeg").write_bytes(data.data[:-9])
    torn = place(store, f"{CDN}/mmbiz_jpg/Third/640", data)
    assert (torn.name, torn.data) == ("First.jpeg", data.data)
    assert store.write([torn]) == {} and (store.folder / "First.jpeg").read_bytes() == data.data

def test_one_media_id_with_other_bytes_gets_its_own_file(store: ImageStore) -> None:
    small = keep(store, f"{CDN}/mmbiz_png/Same/640", check_image(png((1, 1, 1))))
    large = keep(store, f"{CDN}/mmbiz_png/Same/0", check_image(png((1, 1, 1), (20, 20))))
    assert small == "Same.png" and large.startswith("Same-") and large.endswith(".png")
    assert len(list(store.folder.iterdir())) == 2


def test_a_file_put_in_the_images_folder_by_hand_is_never_written_over(store: ImageStore) -> None:
    """A picture a person put in ``postimg/`` (for a post of their own), which the index does
    not know, under the name an image would take: the image gets a name of its own; a file of
    those very bytes there is the image's file already."""
    (store.folder / "Mine.png").write_bytes(png((9, 9, 9)))
    (store.folder / "Ours.png").write_bytes(png((8, 8, 8)))
    name = keep(store, f"{CDN}/mmbiz_png/Mine/640", check_image(png((1, 1, 1))))
    assert name.startswith("Mine-") and (store.folder / "Mine.png").read_bytes() == png((9, 9, 9))
    assert keep(store, f"{CDN}/mmbiz_png/Ours/640", check_image(png((8, 8, 8)))) == "Ours.png"


def test_the_index_survives_a_new_store_and_a_lost_file_is_stored_again(tmp_path: Path) -> None:
    url = f"{CDN}/mmbiz_png/Kept/640"
    first = ImageStore(tmp_path / "postimg", Index(tmp_path / "index.sqlite"))
    keep(first, url, check_image(png((3, 3, 3))))
    first.index.close()
    second = ImageStore(tmp_path / "postimg", Index(tmp_path / "index.sqlite"))
    assert second.stored_name(url) == "Kept.png"
    (tmp_path / "postimg" / "Kept.png").unlink()
    assert second.stored_name(url) is None
    assert keep(second, url, check_image(png((3, 3, 3)))) == "Kept.png"


def test_an_index_from_before_canonical_forms_knows_its_images_by_them(tmp_path: Path) -> None:
    """The images an index recorded before it knew URLs by their canonical form are found
    by another order of their query too, not asked of the CDN again."""
    with closing(sqlite3.connect(tmp_path / "index.sqlite")) as db, db:
        db.execute("CREATE TABLE images (url TEXT PRIMARY KEY, name TEXT NOT NULL, key TEXT)")
        db.execute("INSERT INTO images VALUES (?, 'Kept.png', ?)", (f"{CDN}/mmbiz_png/Kept/640?a=1&b=2", KEY))
    index = Index(tmp_path / "index.sqlite")
    assert index.image_name(f"{CDN}/mmbiz_png/Kept/640?b=2&a=1") == "Kept.png"
    assert index.image_name(f"{CDN}/mmbiz_png/Kept/640?b=2") is None
    index.close()


def test_no_temporary_file_is_left_behind(store: ImageStore) -> None:
    keep(store, f"{CDN}/mmbiz_png/Clean/640", check_image(png((1, 2, 3))))
    assert [p.name for p in store.folder.iterdir()] == ["Clean.png"]


def test_a_placed_name_is_taken_before_its_bytes_are_written(store: ImageStore) -> None:
    """An article's new images are placed together, each seeing what those before it took:
    other bytes under the same media id get a name of their own, the same bytes share one."""
    placements, unread = store.place_all({f"{CDN}/mmbiz_png/Same/640": check_image(png((1, 1, 1))),
                                          f"{CDN}/mmbiz_png/Same/0": check_image(png((2, 2, 2))),
                                          f"{CDN}/mmbiz_png/Again/640": check_image(png((1, 1, 1)))}, KEY)
    first, other, again = placements
    assert unread == {} and first.name == again.name == "Same.png" and other.name.startswith("Same-")
    assert store.write([first, other, again]) == {}
    assert sorted(p.name for p in store.folder.iterdir()) == sorted([first.name, other.name])
    assert (store.folder / other.name).read_bytes() == png((2, 2, 2))
    assert store.stored_names([p.url for p in placements]) == {p.url: p.name for p in placements}


def test_an_articles_new_pictures_ask_the_index_once_and_are_recorded_in_two_statements(
        store: ImageStore) -> None:
    """Each new picture asked the index whether its bytes were stored (by their SHA-256) and
    whether its name was some bytes' file, then recorded its bytes' file and its URL: 4
    statements a picture, 32 an article of the benchmark, each letting the reactor's thread
    go. An article's pictures now ask once and are recorded in two, and are looked up in one.
    Bytes stored share their file; a name taken is still not given to other bytes."""
    statements: list[str] = []
    store.index.connection.set_trace_callback(statements.append)
    urls = [f"{CDN}/mmbiz_png/One/640", f"{CDN}/mmbiz_png/One/0", f"{CDN}/mmbiz_png/Two/640"]
    placements, _ = store.place_all(dict(zip(urls, [check_image(png((1, 1, 1))), check_image(png((2, 2, 2))),
                                                    check_image(png((3, 3, 3)))], strict=True)), KEY)
    pictures = [sql.split()[:5] for sql in statements if " blobs " in sql or " images " in sql]
    assert pictures == [["SELECT", "sha256,", "name", "FROM", "blobs"], ["INSERT", "OR", "IGNORE", "INTO", "blobs"],
                        ["INSERT", "OR", "REPLACE", "INTO", "images"]], statements
    assert store.write(placements) == {}
    statements.clear()
    assert store.stored_names(urls) == {p.url: p.name for p in placements}
    assert len([sql for sql in statements if "FROM images" in sql]) == 1, statements
    first, other, _ = placements
    same = place(store, f"{CDN}/mmbiz_png/Three/640", check_image(png((1, 1, 1))))
    assert (first.name, same.name, same.data) == ("One.png", "One.png", None)
    assert other.name.startswith("One-") and other.name.endswith(".png")


def test_a_failed_write_is_reported_for_each_url_and_written_on_a_later_try(tmp_path: Path) -> None:
    url, twin = f"{CDN}/mmbiz_png/Later/640", f"{CDN}/mmbiz_png/Twin/640"
    image = check_image(png((4, 4, 4)))
    (tmp_path / "postimg").write_text("not a folder")
    blocked = ImageStore(tmp_path / "postimg", Index(tmp_path / "index.sqlite"))
    failed = blocked.write([place(blocked, url, image), place(blocked, twin, image)])
    assert list(failed) == [url, twin] and isinstance(failed[url], OSError)
    assert blocked.stored_name(url) is None and blocked.stored_name(twin) is None
    (tmp_path / "postimg").unlink()
    placement = place(blocked, url, image)
    assert placement.name == "Later.png" and placement.data == image.data
    assert blocked.write([placement]) == {}
    assert blocked.stored_name(url) == blocked.stored_name(twin) == "Later.png"


# -- real crawls against the stand-in CDN --------------------------------------------------
def article_state(archive: Path) -> str:
    with sqlite3.connect(archive / ".state" / "index.sqlite") as db:
        [(state,)] = db.execute("SELECT state FROM articles").fetchall()
    return str(state)


@pytest.mark.parametrize("lost", ["HeaderGifMediaId001", "LyingFormatMedia006"])
def test_a_kept_post_gets_an_image_that_failed_for_a_passing_reason(wechat: MockWeChat,
                                                                    tmp_path: Path, lost: str) -> None:
    """The page fetched again lost a picture (another one, or the very one that failed), so
    the archived post is kept: it must get the image all the same, once."""
    served = serve_legacy_shape(wechat)
    wechat.image("/mmbiz_png/LyingFormatMedia006/640", b"busy", status=503)
    assert crawl("article", tmp_path, "-a", f"url={served.url}").returncode == 0
    assert "/mmbiz_png/LyingFormatMedia006/640?wx_fmt=png)" in post_of(tmp_path)
    assert article_state(tmp_path) == "incomplete"
    wechat.image("/mmbiz_png/LyingFormatMedia006/640", jpeg((5, 5, 200)))  # the CDN is back
    page = wechat.body_of("/s/LegacyShapeToken").decode()
    wechat.page("/s/LegacyShapeToken", re.sub(rf"<img [^>]*{lost}[^>]*>", "", page))
    result = crawl("article", tmp_path, "-a", f"url={served.url}")
    assert result.returncode == 0, result.stderr
    assert result.stats["posts/kept"] == 1
    post = post_of(tmp_path)
    assert "![]({{site.baseurl}}/postimg/HeaderGifMediaId001.gif)" in post
    assert "![]({{site.baseurl}}/postimg/LyingFormatMedia006.jpeg)" in post
    assert "LyingFormatMedia006/640" not in post
    assert article_state(tmp_path) == "archived"
    again = crawl("article", tmp_path, "-a", f"url={served.url}")  # complete: not asked again
    assert again.returncode == 0 and len(wechat.hits("/mmbiz_png/LyingFormatMedia006/")) == 2


def test_a_rebuild_leaves_an_article_whose_image_failed_for_a_passing_reason_incomplete(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """A rebuild stores no image: the article stays incomplete, for the next run that finds
    it to try the picture again, whether its post was rewritten or restored."""
    served = serve_legacy_shape(wechat)
    wechat.image("/mmbiz_png/LyingFormatMedia006/640", b"busy", status=503)
    assert crawl("article", tmp_path, "-a", f"url={served.url}").returncode == 0
    assert article_state(tmp_path) == "incomplete"
    next(tmp_path.glob("_posts/*.md")).unlink()
    rebuilt = scrapy("rebuild", tmp_path, "ARTICLE_HOSTS=127.0.0.1", "IMAGE_HOSTS=127.0.0.1")
    assert rebuilt.returncode == 0 and rebuilt.stdout == "rebuild: 1 restored\n", rebuilt.stderr
    assert article_state(tmp_path) == "incomplete"


def test_an_image_the_post_does_not_show_is_not_downloaded(wechat: MockWeChat,
                                                           tmp_path: Path) -> None:
    """One in what CSS hides from readers is no content: stored, it was a file no post links
    to (``scrapy verify`` said so), and its failure left the article incomplete."""
    served = serve_legacy_shape(wechat)
    page = wechat.body_of("/s/LegacyShapeToken").decode()
    hidden = (f'<section style="display: none"><img data-src="{wechat.base}/mmbiz_png/'
              'HiddenMedia/640?wx_fmt=png"></section>')
    wechat.page("/s/LegacyShapeToken", page.replace('opacity: 0; ">', 'opacity: 0; ">' + hidden, 1))
    wechat.image("/mmbiz_png/HiddenMedia/640", b"busy", status=503)
    result = crawl("article", tmp_path, "-a", f"url={served.url}")
    assert result.returncode == 0, result.stderr
    assert "HiddenMedia" not in post_of(tmp_path)
    assert wechat.hits("/mmbiz_png/HiddenMedia/") == []
    assert article_state(tmp_path) == "archived"  # the one of them that failed is a 404


def test_an_image_answered_410_gone_is_lost_for_good(wechat: MockWeChat, tmp_path: Path) -> None:
    """410 Gone says so as plainly as 404: the post is complete, not fetched again and again
    by every scheduled run for an image that will never come."""
    served = serve_legacy_shape(wechat)
    wechat.image("/mmbiz_jpg/FailingMediaId00007/640", b"gone", status=410)
    result = crawl("article", tmp_path, "-a", f"url={served.url}")
    assert result.returncode == 0, result.stderr
    assert "(HTTP 410)" in result.stderr and article_state(tmp_path) == "archived"


@pytest.mark.parametrize("inside", ["<span>\u200b</span>", '<span style="display:none">图</span>'])
def test_a_background_picture_the_post_shows_is_stored(wechat: MockWeChat, tmp_path: Path,
                                                       inside: str) -> None:
    """A block that shows no text but its CSS background is that picture in the post, also
    when what it holds is a zero-width space or hidden: it was left on the CDN for good."""
    crawled_with(wechat, tmp_path, f'<section style="background-image: url({wechat.base}/'
                 f'mmbiz_png/BackgroundMedia/640?wx_fmt=png)">{inside}</section>',
                 {"/mmbiz_png/BackgroundMedia/640": png((9, 9, 9))})
    assert "![]({{site.baseurl}}/postimg/BackgroundMedia.png)" in post_of(tmp_path)


def test_an_image_whose_url_scrapy_escapes_is_stored(wechat: MockWeChat, tmp_path: Path) -> None:
    """A path of letters a URL spells escaped: the download of it was Scrapy's escaped URL,
    which the pipeline did not know as the page's, so it was neither stored nor reported."""
    crawled_with(wechat, tmp_path, f'<p><img data-src="{wechat.base}/images/反诈 海报.png"></p>',
                 {"/images/%E5%8F%8D%E8%AF%88%20%E6%B5%B7%E6%8A%A5.png": png((9, 9, 9))})
    assert_stored_once(wechat, tmp_path)


def test_one_picture_given_by_two_urls_of_one_query_in_two_orders_is_stored_for_both(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """Scrapy takes ``?a=1&b=2`` and ``?b=2&a=1`` for one request and downloads it once: the
    other URL got that download's answer, which the pipeline knew only by the first URL, so
    the post kept the other as a CDN link, in a post counted complete, never asked again."""
    crawled_with(wechat, tmp_path, f'<p><img data-src="{wechat.base}/images/order.png?a=1&amp;b=2"></p>'
                 f'<p><img data-src="{wechat.base}/images/order.png?b=2&amp;a=1"></p>',
                 {"/images/order.png": png((8, 8, 8))})
    assert_stored_once(wechat, tmp_path)


def test_a_picture_in_code_or_a_formula_is_not_downloaded(wechat: MockWeChat, tmp_path: Path) -> None:
    """The post shows a code block as its text and a formula as its LaTeX, not the pictures
    inside: downloaded, each was a file no post links to (scrapy verify said so)."""
    crawled_with(wechat, tmp_path,
                 f'<pre><code>x = 1<img data-src="{wechat.base}/images/in-code.png"></code></pre>'
                 f'<p><span data-formula="a^2"><img data-src="{wechat.base}/images/formula.png">'
                 '</span></p>',
                 {"/images/in-code.png": png((1, 2, 3)), "/images/formula.png": png((3, 2, 1))})
    assert wechat.hits("/images/") == []
    assert len(list((tmp_path / "postimg").iterdir())) == 5  # the legacy shape's five alone


def crawled_with(wechat: MockWeChat, tmp_path: Path, markup: str,
                 images: dict[str, bytes]) -> None:
    """``crawl article`` of the legacy-shaped page with ``markup`` at the top of its body, the
    CDN serving ``images`` (path: bytes); it must succeed."""
    served = serve_legacy_shape(wechat)
    page = wechat.body_of("/s/LegacyShapeToken").decode()
    wechat.page("/s/LegacyShapeToken", page.replace('opacity: 0; ">', 'opacity: 0; ">' + markup, 1))
    for path, data in images.items():
        wechat.image(path, data)
    result = crawl("article", tmp_path, "-a", f"url={served.url}")
    assert result.returncode == 0, result.stderr


def assert_stored_once(wechat: MockWeChat, tmp_path: Path) -> None:
    """The picture under /images/ downloaded once and shown from its file wherever the post shows it."""
    assert len(wechat.hits("/images/")) == 1
    assert not re.search(r"\]\([^)]*/images/", post_of(tmp_path))
    assert len(list((tmp_path / "postimg").iterdir())) == 6  # the legacy shape's five, and it


def noise(fmt: str, frames: int = 1, size: tuple[int, int] = (64, 48)) -> bytes:
    """A picture of noise (whose data runs through most of its bytes) in ``fmt``."""
    images = [Image.effect_noise(size, 40 + frame).convert("RGB") for frame in range(frames)]
    out = BytesIO()
    images[0].save(out, fmt, save_all=frames > 1, append_images=images[1:])
    return out.getvalue()


@pytest.mark.parametrize("path, data", [
    ("/mmbiz_png/LyingFormatMedia006/640", noise("JPEG")[:-300]),
    ("/mmbiz_gif/HeaderGifMediaId001/640", noise("GIF", frames=3)[:-300]),
    ("/mmbiz_png/LyingFormatMedia006/640", noise("PNG")[:-300]),
])
def test_a_truncated_image_is_not_stored(wechat: MockWeChat, tmp_path: Path, path: str,
                                         data: bytes) -> None:
    served = serve_legacy_shape(wechat)
    wechat.image(path, data)  # its whole length said: Scrapy takes it as whole
    result = crawl("article", tmp_path, "-a", f"url={served.url}")
    assert result.returncode == 0, result.stderr
    assert f"{path}?wx_fmt=" in post_of(tmp_path)
    assert not list((tmp_path / "postimg").glob(path.split("/")[2] + ".*"))
    assert re.search(r"Images not stored[^\n]*: 2 of 7 in [^\n]*truncated", result.stderr, re.I)


# Sent chunked, its length is unsaid until it has come: Scrapy cancels it mid-way.
@pytest.mark.parametrize("headers", [(), (("Transfer-Encoding", "chunked"),)])
def test_an_image_over_download_maxsize_is_not_asked_for_again_and_again(
        wechat: MockWeChat, tmp_path: Path, headers: tuple[tuple[str, str], ...]) -> None:
    served = serve_legacy_shape(wechat)
    wechat.route("/mmbiz_png/LyingFormatMedia006/640",
                 Route(200, "image/png", png((1, 2, 3), (400, 400)) + b"\0" * 20000, headers))
    result = crawl("article", tmp_path, "-a", f"url={served.url}",
                   settings={"DOWNLOAD_MAXSIZE": "15000"})
    assert result.returncode == 0, result.stderr
    assert re.search(r"Images not stored[^\n]*: 2 of 7 in [^\n]*larger than DOWNLOAD_MAXSIZE \(15000\)",
                     result.stderr)
    # It will be as large on the next run: the article is complete, not fetched again for it.
    assert article_state(tmp_path) == "archived"


def test_an_image_that_timed_out_is_tried_again(wechat: MockWeChat, tmp_path: Path) -> None:
    served = serve_legacy_shape(wechat)
    slow = threading.Event()
    wechat.before_answer = lambda path: slow.wait(60) if "LyingFormatMedia006" in path else None
    # Long enough for the article page on a loaded machine: at 0.5 s it could time out too.
    result = crawl("article", tmp_path, "-a", f"url={served.url}",
                   settings={"DOWNLOAD_TIMEOUT": "2"})
    slow.set()
    assert result.returncode == 0, result.stderr
    assert "LyingFormatMedia006/640?wx_fmt=png)" in post_of(tmp_path)
    assert article_state(tmp_path) == "incomplete"


@pytest.mark.parametrize("path, data, cut", [
    ("/mmbiz_png/LyingFormatMedia006/640", noise("PNG"), False),
    ("/mmbiz_png/LyingFormatMedia006/640", noise("PNG")[:-300], True),
    ("/mmbiz_gif/HeaderGifMediaId001/640", animated_gif(), False),
    ("/mmbiz_gif/HeaderGifMediaId001/640", gif_cut_after_frame(2), True),  # read as 2 frames
], ids=["png", "png-cut", "gif", "gif-cut-between-frames"])
def test_an_image_whose_end_is_the_connections_close_is_stored_or_tried_again_if_cut(
        wechat: MockWeChat, tmp_path: Path, path: str, data: bytes, cut: bool) -> None:
    """An answer of no length said ends where its connection closes, whole or cut short by
    the network (Scrapy flags it partial): one cut is tried again, not taken for an image
    the CDN holds broken, left a link for good in a post counted complete."""
    served = serve_legacy_shape(wechat)
    wechat.route(path, Route(200, "image/png", data, (("Connection", "close"),)))
    result = crawl("article", tmp_path, "-a", f"url={served.url}")
    assert result.returncode == 0, result.stderr
    assert (f"{path}?wx_fmt=" in post_of(tmp_path)) is cut
    assert article_state(tmp_path) == ("incomplete" if cut else "archived")


def test_an_image_redirected_within_the_cdn_is_stored_and_one_redirected_off_it_is_not_asked(
        wechat: MockWeChat, tmp_path: Path) -> None:
    served = serve_legacy_shape(wechat)
    wechat.image("/mmbiz_png/MovedMedia/640", jpeg((5, 5, 200)), content_type="image/jpeg")
    wechat.redirect("/mmbiz_png/LyingFormatMedia006/640", f"{wechat.base}/mmbiz_png/MovedMedia/640")
    elsewhere = wechat.base.replace("127.0.0.1", "localhost")  # the same server, another host
    wechat.redirect("/mmbiz_gif/HeaderGifMediaId001/640", f"{elsewhere}/mmbiz_png/MovedMedia/640")
    result = crawl("article", tmp_path, "-a", f"url={served.url}")
    assert result.returncode == 0, result.stderr
    post = post_of(tmp_path)
    assert "![]({{site.baseurl}}/postimg/LyingFormatMedia006.jpeg)" in post
    assert "/mmbiz_gif/HeaderGifMediaId001/640?wx_fmt=gif" in post
    assert [headers["Host"] for _, headers in wechat.hits("/mmbiz_png/MovedMedia/")] \
        == [wechat.base.removeprefix("http://")]
    assert all("Referer" not in headers for _, headers in wechat.hits("/mmbiz"))
    assert re.search(r"Images not stored[^\n]*: 2 of 7 in [^\n]*redirected to", result.stderr)
    # Nothing to be had by asking again: the article is complete.
    assert article_state(tmp_path) == "archived"


def pipeline_of_crawl(monkeypatch: pytest.MonkeyPatch) -> list[ImagePipeline]:
    """The ``ImagePipeline`` a crawl makes, kept to look at once it is over."""
    made: list[ImagePipeline] = []
    from_crawler = ImagePipeline.from_crawler.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(ImagePipeline, "from_crawler", classmethod(
        lambda cls, crawler: made.append(from_crawler(cls, crawler)) or made[-1]))
    return made


def held_bytes(*roots: object) -> int:
    """What the objects reachable from ``roots`` take of memory, each counted once."""
    seen: set[int] = set()
    todo, total = list(roots), 0
    while todo:
        thing = todo.pop()
        if id(thing) in seen or isinstance(thing, type):
            continue
        seen.add(id(thing))
        total += sys.getsizeof(thing)
        todo.extend(gc.get_referents(thing))
    return total


def test_a_run_holds_what_became_of_its_failed_images_only_and_asks_for_each_image_once(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory flat in the number of articles: once an article is written, its stored images
    are the index's to tell (a later article showing one asks the index, not the CDN), and
    its failed ones the run's record on disk, so that none is asked for twice either."""
    made = pipeline_of_crawl(monkeypatch)
    site, arts = served_album(wechat, "3305", 2247485001, 30)
    wechat.image(f"/mmbiz_png/Img{arts[4].mid}x1/640", b"gone", status=404)
    album_crawl(site, "3305", tmp_path, ARTICLE_PAGES_IN_FLIGHT="8", CONCURRENT_REQUESTS="32")
    [pipeline] = made
    assert pipeline.results == {} and pipeline.spiderinfo.downloaded == {}
    images = [path for path, _ in wechat.hits("/mmbiz")]
    assert len(images) == len(set(images)) == 31  # each article's own, and the footer they share
    shown = [b"({{site.baseurl}}/postimg/SharedFooter.png)" in post
             for post in posts(tmp_path).values()]
    assert len(shown) == 30 and all(shown)


def test_a_run_whose_every_picture_fails_holds_nothing_for_each_and_asks_for_each_once(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CDN refusing every picture of an account (a block): the run kept what became of
    each failed picture in memory, its own record (some 300 bytes) and Scrapy's cached
    failure of the download (a Failure, some 1.5 KB), thousands of them in a long run;
    now what it holds when done does not grow with them, and a later article showing a
    picture that failed (the footer) still does not ask for it again."""
    made = pipeline_of_crawl(monkeypatch)
    site, arts = served_album(wechat, "3307", 2247487001, 60)
    for number, art in enumerate(arts):  # gone, or failing for a reason that may pass
        wechat.image(f"/mmbiz_png/Img{art.mid}x1/640", b"no", status=404 if number % 2 else 503)
    wechat.image("/mmbiz_png/SharedFooter/640", b"no", status=403)
    album_crawl(site, "3307", tmp_path, ARTICLE_PAGES_IN_FLIGHT="8", CONCURRENT_REQUESTS="32")
    [pipeline] = made
    held = held_bytes(pipeline.results, pipeline.spiderinfo.downloaded, pipeline.spiderinfo.waiting)
    assert held < 2_000, f"{held / 61:.0f} bytes held for each of 61 failed pictures"
    images = [path for path, _ in wechat.hits("/mmbiz")]
    assert len(images) == len(set(images)) == 61
    with sqlite3.connect(tmp_path / ".state" / "index.sqlite") as db:
        assert {state for (state,) in db.execute("SELECT state FROM articles")} == {"incomplete"}


# What Tencent's image CDN (server ImgHttp) answers for an image it no longer has: 200, a
# picture of its own, and its error in X-ErrNo and X-Info.
@pytest.mark.parametrize("errno, info, state", [
    ("-6101", "notexist:-6101", "archived"),  # gone: asking again will not help
    ("-120", "origin:-120", "incomplete"),    # any other error of the CDN may pass
])
def test_the_cdns_error_picture_is_not_stored_as_the_image(wechat: MockWeChat, tmp_path: Path,
                                                           errno: str, info: str, state: str) -> None:
    """The CDN's picture was stored and shown in the post in place of the article's."""
    served = serve_legacy_shape(wechat)
    wechat.route("/mmbiz_png/LyingFormatMedia006/640", Route(
        200, "image/png", png((200, 200, 200), (30, 20)), (("X-ErrNo", errno), ("X-Info", info))))
    result = crawl("article", tmp_path, "-a", f"url={served.url}")
    assert result.returncode == 0, result.stderr
    assert "/mmbiz_png/LyingFormatMedia006/640?wx_fmt=png)" in post_of(tmp_path)
    assert not list((tmp_path / "postimg").glob("LyingFormatMedia006*"))
    assert re.search(rf"Images not stored[^\n]*: 2 of 7 in [^\n]*X-ErrNo {errno}", result.stderr)
    assert article_state(tmp_path) == state


@pytest.mark.parametrize("pace", [{}, {"ARTICLE_PAGES_IN_FLIGHT": "1", "DOWNLOAD_DELAY": "1"}],
                         ids=["together", "one-after-the-other"])
def test_a_passing_failure_of_one_picture_given_by_two_urls_of_one_query_leaves_both_incomplete(
        wechat: MockWeChat, tmp_path: Path, pace: dict[str, str]) -> None:
    """Scrapy downloads ``?a=1&b=2`` and ``?b=2&a=1`` once; its failure was known by the first
    URL only, so the article showing the other got neither a file nor a failure: counted
    complete with a CDN link, its image never asked for again. The second article's page
    coming after the first article is done, the picture is not asked for again either."""
    site, arts = served_album(wechat, "3306", 2247486001, 2)
    for art, query in zip(arts, ["wx_fmt=png&amp;a=1", "a=1&amp;wx_fmt=png"], strict=True):
        page = site.page(art).replace("SharedFooter/640?wx_fmt=png", f"SharedFooter/640?{query}")
        site.pages[art.path] = Route(200, "text/html; charset=utf-8", page.encode())
    wechat.image("/mmbiz_png/SharedFooter/640", b"busy", status=503)
    album_crawl(site, "3306", tmp_path, **pace)
    assert len(wechat.hits("/mmbiz_png/SharedFooter/")) == 1
    with sqlite3.connect(tmp_path / ".state" / "index.sqlite") as db:
        assert {state for (state,) in db.execute("SELECT state FROM articles")} == {"incomplete"}


@pytest.mark.parametrize("pace", [{}, {"ARTICLE_PAGES_IN_FLIGHT": "1", "DOWNLOAD_DELAY": "1"}],
                         ids=["together", "one-after-the-other"])
def test_a_picture_stored_for_one_url_is_not_asked_again_for_another_of_its_query(
        wechat: MockWeChat, tmp_path: Path, pace: dict[str, str]) -> None:
    """Stored by ``?wx_fmt=png&a=1`` for an article done already, the picture was asked of
    the CDN again for the next article's ``?a=1&wx_fmt=png``: the index knew it by the
    first URL only. Asked once, it is one file for both posts, in this run and the next."""
    site, arts = served_album(wechat, "3308", 2247488001, 2)
    for art, query in zip(arts, ["wx_fmt=png&amp;a=1", "a=1&amp;wx_fmt=png"], strict=True):
        page = site.page(art).replace("SharedFooter/640?wx_fmt=png", f"SharedFooter/640?{query}")
        site.pages[art.path] = Route(200, "text/html; charset=utf-8", page.encode())
    album_crawl(site, "3308", tmp_path, **pace)
    assert len(wechat.hits("/mmbiz_png/SharedFooter/")) == 1
    shown = [b"({{site.baseurl}}/postimg/SharedFooter.png)" in post
             for post in posts(tmp_path).values()]
    assert shown == [True, True]
    with sqlite3.connect(tmp_path / ".state" / "index.sqlite") as db:
        assert {state for (state,) in db.execute("SELECT state FROM articles")} == {"archived"}


@pytest.mark.parametrize("complete", [False, True], ids=["incomplete", "complete"])
def test_the_images_a_post_left_on_the_cdn_are_asked_again_only_while_it_is_incomplete(
        wechat: MockWeChat, tmp_path: Path, complete: bool) -> None:
    """An image left on the CDN for a reason that may pass (the post is incomplete) is asked
    for again with the article's page; one lost for good (the post is complete) is not, and
    the watch, which looks at the original, leaves it out."""
    legacy = serve_legacy_shape(wechat)
    article = parse_page(wechat.body_of("/s/LegacyShapeToken"), legacy.url)
    url = "https://mmbiz.qpic.cn/mmbiz_png/LeftOnTheCdn/640"
    text = render_post(article, f'正文\n\n![]({url}){{: referrerpolicy="no-referrer"}}\n', ["其他"])
    archive = Archive(tmp_path)
    try:
        archive.write_post(article, text, tags=["其他"], complete=complete)
        standing = archive.standing(article.key)
        assert archive.images_left_on_cdn(standing) == ([] if complete else [url])
        assert archive.images_lost(standing) == ([url] if complete else [])
    finally:
        archive.close()


def test_an_import_of_the_page_last_fetched_says_at_warning_an_image_a_person_deleted_and_the_cdn_lost(
        tmp_path: Path) -> None:
    """A stored image a person deleted, which the CDN no longer serves either: the page the
    last fetch gave, imported, costs it for the first time. No run said it (it was stored), so
    it is a WARNING, not the INFO of a loss the fetch that left it on the CDN said."""
    with MockWeChat() as server:
        legacy = serve_legacy_shape(server)
        assert crawl("article", tmp_path, "-a", f"url={legacy.url}").returncode == 0
        (tmp_path / "postimg" / "TwiceUsedMediaId002.png").unlink()
        server.image("/mmbiz_png/TwiceUsedMediaId002/640", b"", status=404)
        saved = tmp_path / "saved.html"
        saved.write_text(page_text("legacy_shape.html", server.base), encoding="utf-8")
        imported = crawl("import", tmp_path, "-a", f"path={saved}")
    lines = [line for line in imported.stderr.splitlines() if "Images not stored" in line]
    assert len(lines) == 1 and "WARNING: Images not stored, the post keeps their URLs: 2 of" in lines[0], \
        imported.stderr


def test_an_image_that_keeps_failing_for_a_passing_reason_is_a_warning_once_a_week_not_each_run(
        tmp_path: Path) -> None:
    """Every run that tried it again said it at WARNING, so cron mailed the same line every
    day for as long as the CDN failed it. Now: a WARNING when it first fails, at INFO while it
    fails again (counted in the summary), a WARNING again once it has failed for
    ``IMAGE_RETRY_WARN_DAYS``; stored at last and failing anew, a WARNING."""
    with MockWeChat() as server:
        site = Site(server)
        arts = site.serve([Art("2247488101"), Art("2247488102")])
        failing = "/mmbiz_png/Img2247488102x1/640"
        server.image(failing, b"busy", status=503)
        album = site.album("3108", arts)

        def run(level: str = "WARNING") -> Crawled:
            result = crawl("album", tmp_path, "-a", f"url={album}",
                           settings={"LOG_LEVEL": level, "IMAGE_RETRY_WARN_DAYS": "7"})
            assert result.returncode == 0, result.stderr
            return result

        def days_pass(days: int) -> None:
            with closing(sqlite3.connect(tmp_path / ".state" / "index.sqlite")) as index:
                index.execute("UPDATE image_failures SET first = first - ?, said = said - ?",
                              (days * 86400, days * 86400))
                index.commit()

        first = run()
        assert re.search(r"WARNING: Images not stored, the post keeps their URLs: 1 of 2 in .*2247488102"
                         r".* \(HTTP 503\)$", first.stderr, re.M), first.stderr
        again = run("INFO")
        assert re.search(r"INFO: Images not stored, the post keeps their URLs: 1 of 2 in .* \(HTTP 503\)$",
                         again.stderr, re.M), again.stderr
        assert "1 image failed, 1 failing since an earlier run" in again.stderr, again.stderr
        assert "WARNING" not in again.stderr, again.stderr
        days_pass(6)
        assert run().stderr == ""  # cron mails nothing
        days_pass(1)
        week = run()
        assert re.search(r"WARNING: Images not stored, the post keeps their URLs: 1 of 2 in .* "
                         r"\(HTTP 503; failing for 7 days\)$", week.stderr, re.M), week.stderr
        assert run().stderr == ""
        server.image(failing, png((3, 3, 3)))  # the CDN serves it again: stored
        assert run().stderr == ""
        assert (tmp_path / "postimg" / "Img2247488102x1.png").is_file()
        (tmp_path / "postimg" / "Img2247488102x1.png").unlink()
        server.image(failing, b"busy", status=503)
        anew = crawl("article", tmp_path, "-a", f"url={site.link(arts[1])}", settings={"LOG_LEVEL": "WARNING"})
        assert re.search(r"WARNING: Images not stored, .* \(HTTP 503\)$", anew.stderr, re.M), anew.stderr


def test_a_run_says_each_failing_image_as_it_first_decided_on_every_post_asking_the_index_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An image every post shows (a footer) failing for the first time, for a reason of its
    own, is a WARNING on each post's line, not only on the first (then the index says a run
    said it); the index is asked once for each failing image, however many posts show it."""
    with MockWeChat() as server:
        site = Site(server)
        arts = site.serve(numbered(2247489100, 12))
        for art in arts:
            server.image(f"/mmbiz_png/Img{art.mid}x1/640", b"busy", status=503)  # said once a run
        server.image("/mmbiz_png/SharedFooter/640", b"no", status=403)
        album = site.album("3109", arts)
        asked: list[str] = []
        real = Index.image_failure

        def counted(index: Index, url: str) -> tuple[int, int] | None:
            asked.append(url)
            return real(index, url)

        monkeypatch.setattr(Index, "image_failure", counted)
        result = crawl("album", tmp_path, "-a", f"url={album}", settings={"LOG_LEVEL": "WARNING"})
    lines = [line for line in result.stderr.splitlines() if "Images not stored" in line]
    assert len(lines) == 12 and all(re.search(r"WARNING: Images not stored, the post keeps their URLs: "
                                              r"2 of 2 in .* \(HTTP (503; HTTP 403|403; HTTP 503)\)$", line)
                                    for line in lines), result.stderr
    assert sorted(asked) == sorted({*asked}) and len(asked) == 13, asked

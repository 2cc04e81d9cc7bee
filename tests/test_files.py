"""``atomic_write_many``: whole files or none, one failure stopping no other file."""

from __future__ import annotations

import errno
import itertools
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.store import files
from crawler.store.captures import CaptureStore
from crawler.store.files import atomic_write, atomic_write_many, is_leftover, remove_leftovers, stage
from crawler.store.index import Index
from crawler.store.rewrites import Rewrites


def test_files_are_written_whole_readable_and_without_leftovers(tmp_path: Path) -> None:
    files = [(tmp_path / "a" / f"{n}.png", bytes([n]) * (n * 70000)) for n in range(1, 4)]
    assert atomic_write_many(files) == [None, None, None]
    for path, data in files:
        assert path.read_bytes() == data
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["1.png", "2.png", "3.png"]


def test_files_are_readable_by_all_whatever_the_umask(tmp_path: Path) -> None:
    """A file is made 0644 and given it (``fchmod``) only when the umask takes a bit of it
    away: the blog's web server reads the archive as another user."""
    before = os.umask(0o077)
    files._umask.cache_clear()
    try:
        assert atomic_write_many([(tmp_path / "a.png", b"a"), (tmp_path / "b.png", b"b")]) == [None, None]
        assert stage(tmp_path, b"post").put(tmp_path / "post.md", b"post")
    finally:
        os.umask(before)
        files._umask.cache_clear()
    assert {path.name: stat.S_IMODE(path.stat().st_mode) for path in tmp_path.iterdir()} == \
        {"a.png": 0o644, "b.png": 0o644, "post.md": 0o644}


def test_a_folder_is_made_once_for_the_files_written_together_into_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An article's pictures, written together on the images' writer thread, each made
    their folder first (a ``mkdir`` failing as it exists, a ``stat``, an exception: Python's
    work, the interpreter's lock held while the reactor's thread waits for it): once a
    folder now. A folder missing is still made, and one that cannot be fails its files alone."""
    made: list[Path] = []
    mkdir = Path.mkdir
    monkeypatch.setattr(Path, "mkdir", lambda path, *args, **kwargs: made.append(path)
                        or mkdir(path, *args, **kwargs))
    (tmp_path / "blocked").write_text("not a folder")
    files = [*((tmp_path / "new" / f"{n}.png", bytes([n])) for n in range(8)),
             (tmp_path / "blocked" / "x.png", b"x"), (tmp_path / "blocked" / "y.png", b"y"),
             (tmp_path / "new" / "last.png", b"z")]
    results = atomic_write_many(files)
    assert sorted(made) == [tmp_path / "blocked"] * 2 + [tmp_path / "new"], made
    assert [result is None for result in results] == [True] * 8 + [False, False, True]
    assert all(path.read_bytes() == data for path, data in files if path.parent.name == "new")


def test_a_folder_deleted_during_a_run_is_made_again_for_the_next_file_written_into_it(
        tmp_path: Path) -> None:
    """A run asks no longer for the folder of each file it writes (``made_in``): a folder a
    person deletes between two articles (``_posts/``, ``postimg/``, ``.state/warc/``) is
    made again when a file cannot be made for its lack, and the file is written whole."""
    posts, captures = tmp_path / "_posts", CaptureStore(tmp_path / ".state" / "warc")
    for _ in range(2):
        atomic_write(posts / "2024-01-01-a.md", b"post")
        assert stage(tmp_path / "postimg", b"picture").put(tmp_path / "postimg" / "a.png", b"picture")
        captures.add_resource("https://mp.weixin.qq.com/s/a", b"<html>page</html>")
        assert (posts / "2024-01-01-a.md").read_bytes() == b"post"
        assert (tmp_path / "postimg" / "a.png").read_bytes() == b"picture"
        assert [capture.body for capture in captures.captures()] == [b"<html>page</html>"]
        for folder in (posts, tmp_path / "postimg", tmp_path / ".state"):
            shutil.rmtree(folder)


def test_one_failing_file_stops_no_other_and_leaves_nothing(tmp_path: Path) -> None:
    (tmp_path / "blocked").write_text("not a folder")
    (tmp_path / "kept.png").write_bytes(b"old")
    results = atomic_write_many([(tmp_path / "one.png", b"1"), (tmp_path / "blocked" / "x.png", b"x"),
                                 (tmp_path / "kept.png", b"new")])
    assert results[0] is None and isinstance(results[1], OSError) and results[2] is None
    assert (tmp_path / "one.png").read_bytes() == b"1" and (tmp_path / "kept.png").read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocked", "kept.png", "one.png"]


def test_atomic_write_raises_and_leaves_nothing(tmp_path: Path) -> None:
    (tmp_path / "post.md").mkdir()  # a folder cannot be replaced by a file
    with pytest.raises(IsADirectoryError):
        atomic_write(tmp_path / "post.md", b"x")
    assert [p.name for p in tmp_path.iterdir()] == ["post.md"] and (tmp_path / "post.md").is_dir()


def test_staged_bytes_are_put_only_in_their_folder_and_as_they_were_staged(tmp_path: Path) -> None:
    """A new post's bytes fsynced ahead (``stage``), before its name is known, are renamed
    into place only if they are still those written now, in the folder they were staged in;
    else nothing moves, and nothing is left."""
    (tmp_path / "sub").mkdir()
    staged = stage(tmp_path, b"staged")
    assert [is_leftover(path) for path in tmp_path.iterdir() if path.is_file()] == [True]
    assert not staged.put(tmp_path / "post.md", b"other") \
        and not staged.put(tmp_path / "sub" / "post.md", b"staged")
    assert not (tmp_path / "post.md").exists() and not (tmp_path / "sub" / "post.md").exists()
    assert staged.put(tmp_path / "post.md", b"staged")
    staged.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["post.md", "sub"]
    assert (tmp_path / "post.md").read_bytes() == b"staged"
    unused = stage(tmp_path, b"x")
    unused.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["post.md", "sub"]
    with pytest.raises(OSError):  # a folder that is a file: nothing staged, nothing left
        stage(tmp_path / "post.md", b"x")


def test_a_file_a_killed_write_leaves_is_hidden_from_jekyll_and_removed_by_the_next_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run killed between writing a post's temporary file and renaming it leaves that file
    behind: its name starts with a dot, so Jekyll skips it (``2024-01-01-x.md.….tmp`` would be
    a half-written post of its own), and the next run finds it and removes it."""
    def killed(*args: object) -> None:
        raise SystemExit("killed")

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(SystemExit):
        atomic_write(tmp_path / "2024-01-01-x.md", b"---\n---\nhalf")
    monkeypatch.undo()
    [left] = tmp_path.iterdir()
    assert is_leftover(left) and left.name.startswith(".2024-01-01-x.md.")
    remove_leftovers(tmp_path)
    assert not list(tmp_path.iterdir())


def test_a_temporary_name_a_killed_run_left_taken_is_passed_over(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A temporary file's name is the process's id and its count of files made: a file a
    killed run of the same id left under the next name is passed over, and kept as it is
    (the next run's ``remove_leftovers`` takes it away)."""
    monkeypatch.setattr(files, "_MADE", itertools.count(7))
    left = tmp_path / f".post.md.{os.getpid()}-7.tmp"
    left.write_bytes(b"left")
    atomic_write(tmp_path / "post.md", b"new")
    assert (tmp_path / "post.md").read_bytes() == b"new"
    assert left.read_bytes() == b"left"
    assert sorted(path.name for path in tmp_path.iterdir()) == [left.name, "post.md"]


@pytest.fixture
def noted(tmp_path: Path) -> Iterator[tuple[Rewrites, Path, Path]]:
    """A post about to be written over, noted with its kept version (``recorded``), as a
    killed run leaves it."""
    posts = tmp_path / "_posts"
    index = Index(tmp_path / "index.sqlite")
    try:
        rewrites = Rewrites(posts, index.connection)
        post, kept = posts / "2024-01-01-x.md", posts / ".2024-01-01-x.md.77.kept.tmp"
        atomic_write(kept, b"recorded")
        rewrites.begun(post, kept)
        yield rewrites, post, kept
    finally:
        index.close()


def test_a_post_a_killed_run_cannot_have_put_back_is_an_error_that_says_what_it_holds(
        noted: tuple[Rewrites, Path, Path], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """The version the index records, kept beside a post a killed run wrote over, that the
    next run cannot put back (a disk error): said as it is, and not tried again for ever."""
    rewrites, post, _ = noted
    atomic_write(post, b"written, not recorded")

    def fails(source: object, target: object) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "replace", fails)
    assert rewrites.put_back_unrecorded() == 1
    monkeypatch.undo()
    [record] = caplog.records
    assert record.levelname == "ERROR" and f"{post} holds the version a run wrote before it " \
        "was killed" in record.getMessage() and "Input/output error" in record.getMessage()
    assert post.read_bytes() == b"written, not recorded"
    caplog.clear()
    assert rewrites.put_back_unrecorded() == 0  # the note is gone with it
    assert not caplog.records and post.read_bytes() == b"written, not recorded"


def test_a_post_a_killed_run_wrote_over_then_deleted_by_hand_is_put_back_as_the_index_records_it(
        noted: tuple[Rewrites, Path, Path], caplog: pytest.LogCaptureFixture) -> None:
    """Looking up whether the kept version was the post's own file failed on a post gone,
    and was said as a put back that failed."""
    rewrites, post, kept = noted
    rewrites.put_back_unrecorded()
    [record] = caplog.records
    assert record.levelname == "WARNING" and f"Put back {post}" in record.getMessage()
    assert post.read_bytes() == b"recorded" and not kept.exists()

"""Writing files so that a reader never sees half of one, and a crash loses none."""

from __future__ import annotations

import contextlib
import errno
import functools
import itertools
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

logger = logging.getLogger(__name__)
_KEPT_SUFFIX = ".kept.tmp"
_READABLE = 0o644
_T = TypeVar("_T")
# What sets a temporary file's name apart: the process's id and a count of the files it made.
# Random characters took a ``getrandom`` call each, on the writer threads, and each call
# handed the interpreter's lock back to the reactor's thread and took it again (1,800 a
# crawl of 200 articles); a name taken (a file a killed run left) is passed over.
_MADE = itertools.count()


def make_folder(folder: Path) -> None:
    """Make ``folder`` and those above it, if missing. A file in its place (a folder of the
    archive replaced by hand, or by a sync tool) is an error that says so: Python's
    ``FileExistsError`` says only that the name is taken."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise not_a_folder(folder) from None


def taken_by_no_folder(folder: Path) -> bool:
    """Whether something that is no folder stands where the archive keeps ``folder``: a
    file, or a link to nothing (the folder it named moved away), where ``make_folder`` makes
    none, and every write there fails."""
    return os.path.lexists(folder) and not folder.is_dir()


def not_a_folder(folder: Path) -> NotADirectoryError:
    """The error of a file where the archive keeps ``folder``, in words that say what to do."""
    return NotADirectoryError(errno.ENOTDIR, "a file, where the archive keeps a folder (move it away)",
                              str(folder))


def made_in(folder: Path, make: Callable[[], _T]) -> _T:
    """What ``make`` gives, a file it makes in ``folder``; the folder made (``make_folder``)
    only when the file cannot be made for its lack. Made before each file, the folder cost
    a ``mkdir`` failing as it is there, a ``stat`` and an exception, three an article; a
    folder a person deletes during a run is made again all the same."""
    try:
        return make()
    except (FileNotFoundError, NotADirectoryError):
        make_folder(folder)
        return make()


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file, an fsync and a rename."""
    [error] = atomic_write_many([(path, data)])
    if error is not None:
        raise error


def atomic_write_many(files: Sequence[tuple[Path, bytes]]) -> list[OSError | None]:
    """``atomic_write`` for several files at once (``_stage_all``: their fsyncs committed
    together); what failed for each (None: written)."""
    results: list[OSError | None] = []
    staged = _stage_all([(path.parent, f".{path.name}.", data) for path, data in files])
    for (path, _), one in zip(files, staged, strict=True):
        if isinstance(one, OSError):
            results.append(one)
            continue
        try:
            os.replace(one.temporary, path)
            results.append(None)
        except OSError as error:
            one.discard()
            results.append(error)
    return results


@dataclass(eq=False)
class Staged:
    """A new file's bytes written in its folder and fsynced, before its name is known, for a
    writer thread to do the waiting: ``put`` renames it into place if it is still what is to
    be written there."""

    folder: Path
    data: bytes = field(repr=False)
    temporary: str
    _put: bool = field(default=False, init=False, repr=False)

    def put(self, path: Path, data: bytes) -> bool:
        """Whether ``data`` is now at ``path``: False when it is not what was staged, or
        ``path`` is in another folder."""
        if path.parent != self.folder or data != self.data:
            return False
        os.replace(self.temporary, path)
        self._put = True
        return True

    def discard(self) -> None:
        """Delete the temporary file, unless ``put`` moved it (its name is then no more: an
        ``unlink`` an article of nothing)."""
        if not self._put:
            with contextlib.suppress(OSError):
                os.unlink(self.temporary)


def stage(folder: Path, data: bytes) -> Staged:
    """``data`` written in ``folder`` and fsynced, as ``atomic_write`` would before its rename."""
    [staged] = stage_many([(folder, data)])
    if isinstance(staged, OSError):
        raise staged
    return staged


def stage_many(files: Sequence[tuple[Path, bytes]]) -> list[Staged | OSError]:
    """``stage`` for several files (folder, bytes) at once; what failed for each."""
    return _stage_all([(folder, ".staged.", data) for folder, data in files])


def _stage_all(files: Sequence[tuple[Path, str, bytes]]) -> list[Staged | OSError]:
    """Each file's bytes (folder, name prefix, bytes) in a temporary file of its folder,
    fsynced; what failed for each.

    Every file is written and its writeback started before the first fsync, so the file
    system commits them together: eight small images on ext4 take 0.8 ms, not 2-3 ms. A
    file written alone (a post) is not told to start it: its fsync follows at once. Each
    file is still fsynced before it may be renamed into place. A folder is made only when
    a file cannot be made for its lack (``made_in``).
    """
    together = len(files) > 1
    temporaries: list[tuple[str, int] | OSError] = []
    for folder, prefix, data in files:
        try:
            temporaries.append(_write_temporary(folder, prefix, data, start_writeback=together))
        except OSError as error:
            temporaries.append(error)
    results: list[Staged | OSError] = []
    for (folder, _, data), temporary in zip(files, temporaries, strict=True):
        if isinstance(temporary, OSError):
            results.append(temporary)
            continue
        name, fd = temporary
        try:
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            results.append(Staged(folder, data, name))
        except OSError as error:
            with contextlib.suppress(OSError):
                os.unlink(name)
            results.append(error)
    return results


def _write_temporary(folder: Path, prefix: str, data: bytes, *,
                     start_writeback: bool) -> tuple[str, int]:
    """``data`` in a new file in ``folder``, its writeback started if asked: its name and
    open descriptor.

    The name starts with ``prefix``, a dot, so Jekyll skips the file if a crash leaves it behind.
    """
    fd, name = made_in(folder, lambda: _new_file(folder, prefix))
    try:
        if _umask() & _READABLE:
            os.fchmod(fd, _READABLE)
        rest = memoryview(data)
        while rest:
            rest = rest[os.write(fd, rest):]
        if start_writeback and hasattr(os, "posix_fadvise"):  # Linux: starts writing the dirty pages out
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    return name, fd


def _new_file(folder: Path, prefix: str) -> tuple[int, str]:
    """A new file of ``folder`` named ``prefix``, the process's id and count (``_MADE``) and
    ``.tmp``, open to write: its descriptor and name. Made ``_READABLE`` but for what the
    umask takes away, where ``tempfile.mkstemp`` makes it 0600 and each file cost an ``fchmod``."""
    while True:
        name = str(folder / f"{prefix}{os.getpid()}-{next(_MADE)}.tmp")
        try:
            return os.open(name, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                           _READABLE), name
        except FileExistsError:
            continue


@functools.cache
def _umask() -> int:
    """The process's umask, read once (Linux tells it in ``/proc/self/status``; elsewhere
    taken to be one that takes every bit away): the archive's files are made readable by
    all, as the blog's web server reads them, whatever it is."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    return 0o777


class NotPutBack(OSError):
    """What failed (``failed``) after ``path`` was written, after which it was not put back
    as it was (``why``: putting it back or taking it away failed too, or it stays): it holds
    what was written. ``new``: no file was there before; ``recorded``: the index records it
    as it was before."""

    def __init__(self, path: Path, failed: BaseException, why: str, *, new: bool, recorded: bool):
        was = "was written now, where no post was" if new else \
            "holds what was written now, not what it held before"
        super().__init__(f"{path} {was}: {failed}, and {why}")
        self.path, self.failed, self.new, self.recorded = path, failed, new, recorded


class NotKept(OSError):
    """A file whose bytes could not be read (``error``) to be kept as it was, before it was
    to be written over: it is not written over. Its errno is ``error``'s, so that a failing
    disk is said once (``crawler.run.cause_of``)."""

    def __init__(self, path: Path, error: OSError):
        super().__init__(error.errno, error.strerror)
        self.path, self.error = path, error

    def __str__(self) -> str:
        return (f"{self.path} cannot be kept as it was, to be put back should writing it fail "
                f"({self.error}): not written over")


@contextlib.contextmanager
def put_back_on_failure(path: Path, *, recorded: bool) -> Iterator[Path | None]:
    """``path`` as it is now put back should what is inside fail (a post rewritten, then its
    index record refused), so that the run's "Not archived" is true; ``NotPutBack`` when it
    cannot be (``recorded``: whether the index records it as it is now). Gives the second
    name that keeps it meanwhile, if it has one: a run killed inside leaves it."""
    before = _Before.of(path)
    try:
        yield None if before is None else before.link
    except BaseException as failed:
        if before is not None:
            try:
                before.put_back()
            except OSError as error:
                raise NotPutBack(path, failed, f"putting it back failed ({error})", new=False,
                                 recorded=recorded) from failed
        raise
    finally:
        if before is not None:
            before.discard()


@dataclass(frozen=True)
class _Before:
    """A file as it was: under a second name (a hard link, a leftover's should the run be
    killed), which takes no room on a full disk and is put back in one rename; else, on a
    file system without hard links (vfat, some FUSE mounts), its bytes, written back whole."""

    path: Path
    link: Path | None
    data: bytes = field(repr=False, default=b"")

    @classmethod
    def of(cls, path: Path) -> _Before | None:
        if not path.is_file() or path.is_symlink():
            return None
        link = path.with_name(f".{path.name}.{os.getpid()}{_KEPT_SUFFIX}")
        try:
            link.unlink(missing_ok=True)  # a killed run's, of the same process id
            os.link(path, link)
        except OSError:
            try:
                return cls(path, None, path.read_bytes())
            except OSError as error:
                raise NotKept(path, error) from error
        return cls(path, link)

    def put_back(self) -> None:
        if self.link is None:
            atomic_write(self.path, self.data)
        else:
            os.replace(self.link, self.path)

    def discard(self) -> None:
        if self.link is None:
            return
        try:
            self.link.unlink(missing_ok=True)  # missing once put back
        except OSError as error:
            logger.warning("%s stays beside %s, its version before, kept to be put back: "
                           "removing it failed (%s): delete it (Jekyll skips it meanwhile)",
                           self.link, self.path, error)


def kept_as_it_was(leftover: Path) -> str | None:
    """The name of the file of which ``leftover`` is the second name ``put_back_on_failure``
    kept, if it is one."""
    name, _, pid = leftover.name.removesuffix(_KEPT_SUFFIX).rpartition(".")
    return name[1:] if leftover.name.endswith(_KEPT_SUFFIX) and pid.isdigit() and name[:1] == "." \
        else None


def is_leftover(path: Path) -> bool:
    """Whether ``path`` is a temporary file of ``atomic_write`` that a killed run left."""
    return path.name.startswith(".") and path.name.endswith(".tmp")


def leftovers(folder: Path) -> list[Path]:
    """The temporary files a killed run left in ``folder`` and its folders (posts a person
    moved into one are written there too)."""
    return sorted(path for path in folder.rglob(".*.tmp") if path.is_file())


def remove_leftovers(folder: Path) -> None:
    """Delete temporary files a killed run left in ``folder`` (one writer at a time)."""
    for leftover in leftovers(folder):
        try:
            leftover.unlink(missing_ok=True)
        except OSError as error:
            logger.warning("Cannot remove %s, a temporary file an interrupted run left (%s): "
                           "delete it", leftover, error)

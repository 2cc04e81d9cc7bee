"""What ``scrapy verify`` costs on an archive of many images: each image file is read and
its SHA-256 compared with the index's (a torn or changed file is named).

``python benchmarks/verify_images.py [IMAGES] [KB] [FOLDER]`` (default 5000 images of 150 KB,
in a temporary folder) writes that many random images, linked by posts of 20 images each and
recorded in the index, then times ``check_archive`` twice: the first with the files just
written (in the page cache), the second after the cache is dropped when this user may
(``/proc/sys/vm/drop_caches``), else again warm.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from crawler.store.archive import Archive
from crawler.store.check import check_archive


def build(root: Path, images: int, size: int) -> None:
    (root / "_posts").mkdir(parents=True)
    (root / "postimg").mkdir()
    archive = Archive(root)
    names = []
    for n in range(images):
        data = os.urandom(size)
        name = f"img{n:05d}.jpg"
        (root / "postimg" / name).write_bytes(data)
        archive.index.add_blob(hashlib.sha256(data).hexdigest(), name)
        names.append(name)
    archive.close()
    for start in range(0, images, 20):
        links = "\n".join(f"![]({{{{site.baseurl}}}}/postimg/{name})" for name in names[start:start + 20])
        (root / "_posts" / f"2026-01-01-post{start:05d}.md").write_text(
            f"---\nlayout: post\ntitle: t{start}\n---\n{links}\n", encoding="utf-8")


def timed(root: Path) -> tuple[float, int]:
    archive = Archive(root, read_only=True)
    started = time.perf_counter()
    problems = sum(1 for _ in check_archive(archive))
    archive.close()
    return time.perf_counter() - started, problems


def main(images: int, kb: int, folder: str | None) -> None:
    with tempfile.TemporaryDirectory(dir=folder) as where:
        root = Path(where)
        build(root, images, kb * 1024)
        warm, problems = timed(root)
        print(f"verify, {images} images of {kb} KB, files in the page cache: {warm:.2f} s "
              f"({problems} problems)")
        subprocess.run(["sync"], check=True)
        try:
            Path("/proc/sys/vm/drop_caches").write_text("3\n")
        except OSError:
            print("(cannot drop the page cache: the second run is warm too)")
        cold, _ = timed(root)
        print(f"verify, {images} images of {kb} KB, after dropping the page cache: {cold:.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000,
         int(sys.argv[2]) if len(sys.argv) > 2 else 150, sys.argv[3] if len(sys.argv) > 3 else None)

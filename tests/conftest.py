from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mockserver import MockWeChat

PROJECT = Path(__file__).resolve().parent.parent
PAGES = Path(__file__).resolve().parent / "pages"
SHARED_FIXTURES = PROJECT.parent / "shared" / "fixtures" / "wechat"


def page_text(name: str, cdn: str = "http://127.0.0.1:9") -> str:
    """One of our own WeChat-shaped pages, its image URLs pointing at ``cdn``."""
    return (PAGES / name).read_text(encoding="utf-8").replace("{{CDN}}", cdn)


def shared_fixture(name: str) -> str:
    path = SHARED_FIXTURES / name
    if not path.is_file():
        pytest.skip(f"{path} is absent: the third-party WeChat pages live in ../shared, "
                    "beside the project, not in it")
    return path.read_text(encoding="utf-8")


@pytest.fixture
def wechat() -> Iterator[MockWeChat]:
    server = MockWeChat().start()
    yield server
    server.stop()


def crawl(spider: str, archive: Path, *args: str, tz: str = "UTC",
          settings: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real ``scrapy crawl SPIDER`` against the local server, politeness off."""
    options = {
        "ARCHIVE_DIR": str(archive),
        "ARTICLE_HOSTS": "127.0.0.1",
        "IMAGE_HOSTS": "127.0.0.1",
        "DOWNLOAD_DELAY": "0",
        "AUTOTHROTTLE_ENABLED": "False",
        "RETRY_TIMES": "0",
        **(settings or {}),
    }
    command = [sys.executable, "-m", "scrapy", "crawl", spider, *args]
    for name, value in options.items():
        command += ["-s", f"{name}={value}"]
    env = {**os.environ, "TZ": tz, "PYTHONPATH": str(PROJECT)}
    return subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True,
                          timeout=120)

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from hypothesis import is_hypothesis_test, seed
from scrapy import Request, Spider
from scrapy.commands import ScrapyCommand
from scrapy.crawler import Crawler
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from crawler import settings as project_settings
from crawler.config import Config
from crawler.run import Run
from crawler.spiders.base import WeChatSpider
from crawler.store.index import Index
from tests.inprocess import Crawled, run_archive_command, run_command_object, run_crawl
from tests.mockserver import MockWeChat, animated_gif, jpeg, png, webp, webp_when_asked
from tests.redisserver import RedisServer


def memory_refused(error: sqlite3.Error) -> None:
    """The ``refused`` of the run's sets a test makes itself (``crawler.runsets``): none of
    their writes is to fail, and one that does fails the test."""
    raise error

PROJECT = Path(__file__).resolve().parent.parent
PAGES = Path(__file__).resolve().parent / "pages"
SHARED_FIXTURES = PROJECT.parent / "shared" / "fixtures" / "wechat"
POST_NAME = "2021-07-28-网购物品丢失的退款-清远大姐为什么不要.md"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """``FUZZ_SEED=N``: each test of generated input draws its examples from seed N, not from
    its own fixed one. They are ``derandomize``d (the suite runs the same examples each
    time), which ``--hypothesis-seed`` does not reach: a hunt runs other examples so, and a
    failure found is run again by its seed."""
    given = os.environ.get("FUZZ_SEED")
    if given is None:
        return
    if not given.strip().isdigit():
        raise pytest.UsageError(f"FUZZ_SEED takes a whole number, not {given!r}")
    for item in items:
        test = getattr(item, "obj", None)
        if is_hypothesis_test(test):
            seed(int(given))(test)


def page_text(name: str, cdn: str = "http://127.0.0.1:9") -> str:
    """One of our own WeChat-shaped pages, its image URLs pointing at ``cdn``."""
    return (PAGES / name).read_text(encoding="utf-8").replace("{{CDN}}", cdn)


def shared_fixture(name: str) -> str:
    path = SHARED_FIXTURES / name
    if not path.is_file():
        pytest.skip(f"{path} is absent: the third-party WeChat pages live in ../shared, "
                    "beside the project, not in it")
    return path.read_text(encoding="utf-8")


def unit_crawler(spider: type[Spider] | None = None, **overrides: Any) -> Crawler:
    """A Scrapy crawler of ``spider`` with the project's settings (add-ons applied) and
    ``overrides``, for unit tests of components (``from_crawler``) without a crawl; no
    extension is loaded but the one a test builds or an add-on adds."""
    settings = {name: getattr(project_settings, name) for name in dir(project_settings)
                if name.isupper()}
    return get_crawler(spider, settings_dict={**settings, "EXTENSIONS_BASE": {}, "EXTENSIONS": {},
                                              **overrides})


def spider_of(spidercls: type[WeChatSpider], archive: Path, settings: dict[str, str] | None = None,
              **arguments: str) -> WeChatSpider:
    """A spider of the project made as ``scrapy crawl`` makes it, over ``archive``, before any
    crawl (``started`` closes its archive)."""
    crawler = unit_crawler(spidercls, ARCHIVE_DIR=str(archive), **(settings or {}))
    spider = spidercls.from_crawler(crawler, **arguments)
    assert isinstance(spider, WeChatSpider)
    return spider


def started(spider: WeChatSpider) -> list[Request]:
    """The requests the spider starts with, those it holds until it is idle last
    (``short_links_first``); its archive is closed after."""
    async def collect() -> list[Request]:
        return [request async for request in spider.start()]
    try:
        return [*asyncio.run(collect()), *(request for _, request in spider.held)]
    finally:
        Run.of(spider.crawler).archive.close()


def run_command(command: ScrapyCommand, archive: Path, *args: str, **settings: Any) -> int:
    """``scrapy COMMAND ARGS`` on ``archive`` in this process: its exit status (what it
    prints is in ``capsys``)."""
    return run_command_object(command, list(args), {"ARCHIVE_DIR": str(archive), **settings})


def project_config(**overrides: Any) -> Config:
    """The project's ``Config`` with ``overrides`` given as on the command line."""
    settings = Settings()
    settings.setmodule(project_settings)
    settings.update(overrides, priority="cmdline")
    return Config.from_settings(settings)


@pytest.fixture(scope="session")
def redis_server_session() -> Iterator[RedisServer]:
    """One redis-server for the unit tests of the session (``redis_db`` empties it for each)."""
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def redis_db(redis_server_session: RedisServer) -> Iterator[redis.Redis]:
    """A client of the session's redis-server, its database emptied first."""
    client = redis.Redis.from_url(redis_server_session.url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture
def index(tmp_path: Path) -> Iterator[Index]:
    """An index of its own, in the test's folder."""
    opened = Index(tmp_path / "index.sqlite")
    yield opened
    opened.close()


@pytest.fixture
def wechat() -> Iterator[MockWeChat]:
    with MockWeChat() as server:
        yield server


def crawl(spider: str, archive: Path, *args: str,
          settings: dict[str, str] | None = None) -> Crawled:
    """Run ``scrapy crawl SPIDER`` against the local server, politeness off, in this process
    (``tests/inprocess.py``): its exit status, its log as standard error, its stats."""
    return run_crawl(spider, list(args), crawl_options(archive, settings))


def crawl_cli(spider: str, archive: Path, *args: str, tz: str = "UTC",
              settings: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real ``scrapy crawl SPIDER`` command, for what only a process shows: its
    output as printed, the time zone it runs in."""
    return subprocess.run(crawl_command(spider, archive, *args, settings=settings), cwd=PROJECT,
                          env=crawl_env(tz), capture_output=True, text=True, timeout=120)


def crawl_options(archive: Path, settings: dict[str, str] | None = None) -> dict[str, str]:
    """The settings of a test's crawl: the archive, the local server's hosts, no politeness."""
    return {
        "ARCHIVE_DIR": str(archive),
        "ARTICLE_HOSTS": "127.0.0.1",
        "IMAGE_HOSTS": "127.0.0.1",
        "DOWNLOAD_DELAY": "0",
        "AUTOTHROTTLE_ENABLED": "False",
        "RETRY_TIMES": "0",
        "BLOCK_BACKOFF": "0.05",
        **(settings or {}),
    }


def crawl_command(spider: str, archive: Path, *args: str,
                  settings: dict[str, str] | None = None) -> list[str]:
    """The command line of ``crawl``, for tests that start it in the background."""
    command = [sys.executable, "-m", "scrapy", "crawl", spider, *args]
    for name, value in crawl_options(archive, settings).items():
        command += ["-s", f"{name}={value}"]
    return command


def scrapy_command(command: str, archive: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``scrapy COMMAND ARGS…`` (verify, rebuild, versions, …) on ``archive``, with the
    hosts of ``crawl``, in this process (``tests/inprocess.py``)."""
    return run_archive_command(command, [*args, "-s", f"ARCHIVE_DIR={archive}",
                                         "-s", "ARTICLE_HOSTS=127.0.0.1", "-s", "IMAGE_HOSTS=127.0.0.1"])


def crawl_env(tz: str = "UTC") -> dict[str, str]:
    return {**os.environ, "TZ": tz, "PYTHONPATH": str(PROJECT)}


def refusal(result: subprocess.CompletedProcess[str], command: str) -> str:
    """The one line in which ``scrapy COMMAND`` refused to run."""
    [line] = [line for line in result.stderr.splitlines() if line.startswith(f"scrapy {command}:")]
    return line


def post_of(archive: Path) -> str:
    return (archive / "_posts" / POST_NAME).read_text(encoding="utf-8")


@dataclass
class Served:
    server: MockWeChat
    url: str
    gif: bytes


def serve_legacy_shape(server: MockWeChat) -> Served:
    """The article shaped like the legacy example's source, and its seven kinds of image."""
    gif, same = animated_gif(), jpeg((200, 10, 10))
    server.image("/mmbiz_gif/HeaderGifMediaId001/640", gif, content_type="image/gif")
    server.image("/mmbiz_png/TwiceUsedMediaId002/640", png((10, 200, 10)))
    server.image("/mmbiz_jpg/SameBytesMediaId003/640", same, content_type="image/jpeg")
    server.image("/mmbiz_jpg/SameBytesMediaId004/0", same, content_type="image/jpeg")
    server.image("/mmbiz_png/WebpAskedMediaId005/640",
                 webp_when_asked(png((1, 2, 3)), webp((1, 2, 3))))
    server.image("/mmbiz_png/LyingFormatMedia006/640", jpeg((5, 5, 200)))
    # /mmbiz_jpg/FailingMediaId00007/640 is not served: 404.
    url = server.page("/s/LegacyShapeToken", page_text("legacy_shape.html", server.base))
    return Served(server, url, gif)


@pytest.fixture(scope="session")
def legacy() -> Iterator[Served]:
    with MockWeChat() as server:
        yield serve_legacy_shape(server)


@pytest.fixture(scope="session")
def archived(legacy: Served, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One archive made by one crawl of the legacy-shaped article; tests read it, never change it."""
    archive = tmp_path_factory.mktemp("archive")
    result = crawl("article", archive, "-a", f"url={legacy.url}")
    assert result.returncode == 0, result.stderr
    return archive, result.stderr


def jekyll_build(archive: Path, workdir: Path) -> tuple[Path, str]:
    """Build the archive inside a minimal site as the blog's is set up; return (output, log)."""
    jekyll = shutil.which("jekyll")
    if jekyll is None:
        pytest.fail("jekyll is not installed: run the README's install command")
    site, out = workdir / "site", workdir / "out"
    (site / "_layouts").mkdir(parents=True)
    (site / "_config.yml").write_text(
        "timezone: Asia/Shanghai\nbaseurl: /blog\nstrict_front_matter: true\n", encoding="utf-8")
    (site / "_layouts" / "post.html").write_text(
        "<html><body><h1>{{ page.title }}</h1>{{ content }}</body></html>\n", encoding="utf-8")
    shutil.copytree(archive / "_posts", site / "_posts")
    shutil.copytree(archive / "postimg", site / "postimg")
    result = subprocess.run([jekyll, "build", "--strict_front_matter", "-s", str(site), "-d", str(out)],
                            capture_output=True, text=True, timeout=300)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    return out, log

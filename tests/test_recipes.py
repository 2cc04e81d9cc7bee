"""The README's recipes, run as written: copying the archive to the blog, the cron line,
a job folder for a long run, watching and dropping a job in Redis. Each is read from
README.md, so that the text a newcomer copies is the text tested; only the example paths
(/srv/…) become temporary folders."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from tests.conftest import PROJECT, crawl, crawl_env
from tests.mockserver import Gate, MockWeChat
from tests.redisserver import RedisServer
from tests.site import Site, numbered

README = (PROJECT / "README.md").read_text(encoding="utf-8")
# The stand-in's hosts, politeness off: what tests.conftest.crawl gives on the command line,
# given here by the checkout's settings module so that the commands stay as written.
SETTINGS = """from crawler.settings import *
ARTICLE_HOSTS = IMAGE_HOSTS = ["127.0.0.1"]
DOWNLOAD_DELAY = 0
AUTOTHROTTLE_ENABLED = False
RETRY_TIMES = 0
"""


@pytest.fixture
def site(wechat: MockWeChat) -> Site:
    return Site(wechat)


def recipe(pattern: str) -> str:
    """The one stretch of README.md that ``pattern``'s first group matches."""
    [found] = re.findall(pattern, README, re.S)
    return str(found)


def checkout(folder: Path, site: Site, arts: int = 1) -> Path:
    """The project folder as the README's recipes expect it (``/srv/antifraud-archive``):
    ``scrapy.cfg``, ``.venv`` and an ``accounts.toml`` naming an album of ``arts``
    articles on the stand-in."""
    folder.mkdir()
    (folder / ".venv").symlink_to(Path(sys.prefix))
    (folder / "scrapy.cfg").write_text("[settings]\ndefault = recipe_settings\n", encoding="utf-8")
    (folder / "recipe_settings.py").write_text(
        SETTINGS + f"WECHAT_BASE_URL = {site.server.base!r}\n", encoding="utf-8")
    album = site.album("3901", site.serve(numbered(2247496100, arts)))
    (folder / "accounts.toml").write_text(
        f'[[account]]\nname = "某市反诈中心"\nalbums = ["{album}"]\n', encoding="utf-8")
    return folder


def sh(line: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**crawl_env(), "PATH": f"{cwd / '.venv' / 'bin'}:{crawl_env()['PATH']}"}
    return subprocess.run(["sh", "-c", line], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def test_the_rsync_line_copies_posts_and_images_into_the_blogs_folders(
        site: Site, tmp_path: Path) -> None:
    if shutil.which("rsync") is None:
        pytest.fail("rsync is not installed: run the README's install command")
    project = tmp_path / "project"
    [art] = site.serve(numbered(2247496001, 1))
    assert crawl("article", project / "archive", "-a",
                 "url=" + site.link(art).replace("&amp;", "&")).returncode == 0
    blog = tmp_path / "blog"
    (blog / "_posts").mkdir(parents=True)
    (blog / "_posts" / "2020-01-01-hand-made.md").write_text("---\ntitle: x\n---\n", encoding="utf-8")
    (blog / "_config.yml").write_text("title: blog\n", encoding="utf-8")
    lines = set(re.findall(r"^(rsync [^\n#]+?)\s*$|`(rsync [^`]+)`", README, re.M))
    [line] = {block or inline for block, inline in lines}  # the quick start's is the same
    result = sh(line.replace("/srv/blog/", f"{blog}/"), project)
    assert result.returncode == 0, result.stderr
    [post] = (project / "archive" / "_posts").glob("*.md")
    images = sorted(p.name for p in (project / "archive" / "postimg").iterdir())
    assert images and "{{site.baseurl}}/postimg/" in post.read_text(encoding="utf-8")
    assert sorted(p.name for p in (blog / "_posts").iterdir()) == sorted(
        ["2020-01-01-hand-made.md", post.name])
    assert sorted(p.name for p in (blog / "postimg").iterdir()) == images
    assert sorted(p.name for p in blog.iterdir()) == ["_config.yml", "_posts", "postimg"]


def test_the_cron_line_makes_its_log_folder_and_ends_with_scrapys_exit_status(
        site: Site, tmp_path: Path) -> None:
    block = recipe(r"```cron\n(.*?)```")
    [job] = [line for line in block.splitlines() if re.match(r"[\d*]", line)]
    command = job.split(None, 5)[5]  # what cron hands to sh -c
    folder = checkout(tmp_path / "antifraud-archive", site)
    line = command.replace("/srv/antifraud-archive", str(folder))

    went_well = sh(line, folder)
    assert went_well.returncode == 0, went_well.stderr
    assert len(list((folder / "archive" / "_posts").glob("*.md"))) == 1
    assert went_well.stdout == "" and (folder / "logs" / "crawl.log").read_text() == ""

    (folder / "accounts.toml").unlink()
    failed = sh(line, folder)
    assert failed.returncode == 2  # scrapy's, through the pipe to tee
    assert failed.stdout.startswith("scrapy crawl accounts: ")
    assert (folder / "logs" / "crawl.log").read_text() == failed.stdout


def test_the_job_folder_goes_under_the_archive_and_a_stopped_run_resumes(
        site: Site, tmp_path: Path) -> None:
    folder = checkout(tmp_path / "antifraud-archive", site, arts=30)
    line = recipe(r"`(scrapy crawl accounts -s JOBDIR=[^`]+)`")
    sixth = Gate(6)  # the Ctrl-C lands mid-run however slow the machine
    site.server.before_answer = sixth.before_answer
    first = subprocess.Popen(["sh", "-c", f"exec {line}"], cwd=folder, text=True,
                             env={**crawl_env(), "PATH": f"{folder / '.venv' / 'bin'}:/usr/bin:/bin"},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    posts = folder / "archive" / "_posts"
    sixth.wait()
    first.send_signal(signal.SIGINT)  # Ctrl-C once
    sixth.open()
    _, log = first.communicate(timeout=60)
    stopped = len(list(posts.glob("*.md")))
    assert 0 < stopped < 30, log
    job = folder / "archive" / ".state" / "job-backfill"
    assert (job / "requests.seen").is_file() and not (folder / ".state").exists()

    resumed = sh(line, folder)
    assert resumed.returncode == 0, resumed.stderr
    assert len(list(posts.glob("*.md"))) == 30
    fetched = [path for path, _ in site.server.hits("/s?")]
    assert len(fetched) == len(set(fetched)) == 30  # no page asked for twice


def test_the_lines_that_watch_a_job_in_redis_and_drop_it_run_as_written() -> None:
    server = RedisServer().start()
    try:
        client = redis.Redis.from_url(server.url)
        acl = recipe(r"`ACL SETUSER archive on >secret (resetkeys [^`]+)`")
        client.execute_command("ACL", "SETUSER", "archive", "on", ">se/cret", *acl.split())
        client.zadd("wechat-archive:requests", {"a": 1, "b": 2})
        client.hset("wechat-archive:fetched", "host-a:812", 1204)
        client.hset("wechat-archive:inflight:host-a:812", "c", "{}")
        client.set("other-job:writer", "x")
        watching = recipe(r"\*\*Watching it\.\*\*\n\n```sh\n(.*?)```")
        drop = recipe(r"To drop an abandoned job:\n`([^`]+)`")
        # The README's URL of the ACL user, its password's / percent-encoded as it says
        env = {**crawl_env(), "WECHAT_REDIS_URL": f"redis://archive:se%2Fcret@127.0.0.1:{server.port}/0"}
        shown = subprocess.run(["bash", "-c", watching], env=env, capture_output=True, text=True,
                               timeout=30)
        assert shown.stdout.split("\n")[:3] == ["2", "host-a:812", "1204"], shown.stdout + shown.stderr
        assert "wechat-archive:inflight:host-a:812" in shown.stdout
        defined = watching.splitlines()[0]  # what the drop line's R is
        dropped = subprocess.run(["bash", "-c", f"{defined}\n{drop}"], env=env, capture_output=True,
                                 text=True, timeout=30)
        assert dropped.returncode == 0, dropped.stderr
        assert client.keys() == [b"other-job:writer"]
        client.close()
    finally:
        server.stop()

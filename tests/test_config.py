"""``Config``: every setting read once and checked; the download slots made from it."""

from __future__ import annotations

import logging
import os
import pwd
import re
import subprocess
from pathlib import Path

import pytest
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.settings import Settings

from crawler import settings as project_settings
from crawler.config import Config, check_scrapy_settings
from crawler.run import Run
from crawler.settingread import ConfigError
from crawler.slots import ARTICLE_SLOT, DownloadSlots
from tests.conftest import PROJECT, crawl, crawl_cli, crawl_command, crawl_env, refusal, unit_crawler
from tests.mockserver import MockWeChat
from tests.site import Art, Site
from tests.test_faults import read_only


def settings(**overrides: object) -> Settings:
    values = Settings()
    values.setmodule(project_settings)
    values.update(overrides, priority="cmdline")
    return values


def test_the_defaults_read() -> None:
    config = Config.from_settings(settings())
    assert config.archive_dir == Path("archive")
    assert config.default_tags == ("其他",)
    assert config.article_hosts == ("mp.weixin.qq.com",)
    assert config.markdown_bullet == "-" and config.download_delay == 3.0


def test_command_line_values_are_parsed() -> None:
    config = Config.from_settings(settings(DEFAULT_TAGS="反诈, 清远", IMAGE_HOSTS="A.example,b.example",
                                           BLOCK_LIMIT="5", BLOCK_BACKOFF="0.5"))
    assert config.default_tags == ("反诈", "清远")
    assert config.image_hosts == ("a.example", "b.example")
    assert (config.block_limit, config.block_backoff) == (5, 0.5)


def test_a_list_given_as_json_as_the_readme_s_table_writes_it_is_its_items() -> None:
    """``-s DEFAULT_TAGS='["反诈", "清远"]'`` put the tags ``["反诈"`` and ``"清远"]`` on every
    post; ``-s ARTICLE_HOSTS='["mp.weixin.qq.com"]'`` was refused as no host name."""
    config = Config.from_settings(settings(DEFAULT_TAGS='["反诈", "清远"]',
                                           ARTICLE_HOSTS=' ["mp.weixin.qq.com"]'))
    assert (config.default_tags, config.article_hosts) == (("反诈", "清远"), ("mp.weixin.qq.com",))
    with pytest.raises(ConfigError, match=re.escape("-s DEFAULT_TAGS= takes texts separated by commas")):
        Config.from_settings(settings(DEFAULT_TAGS='["反诈", 3]'))
    with pytest.raises(ConfigError, match=re.escape("-s IMAGE_HOSTS= takes texts separated by commas")):
        Config.from_settings(settings(IMAGE_HOSTS='["a.example",'))


def test_a_path_from_home_is_the_home_s_as_cron_s_shell_leaves_it() -> None:
    """``sh`` leaves ``-s ARCHIVE_DIR=~/blog`` as it is: a crawl wrote into ``./~/blog``."""
    config = Config.from_settings(settings(ARCHIVE_DIR="~/blog", ACCOUNTS_FILE="~/accounts.toml"))
    assert (config.archive_dir, config.accounts_file) == (Path.home() / "blog",
                                                          Path.home() / "accounts.toml")


def test_the_token_and_cookie_may_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WECHAT_MP_TOKEN", "123")
    monkeypatch.setenv("WECHAT_MP_COOKIE", "a=b")
    config = Config.from_settings(settings())
    assert (config.mp_token, config.mp_cookie) == ("123", "a=b")
    assert Config.from_settings(settings(MP_TOKEN="9")).mp_token == "9"


@pytest.mark.parametrize("given, says", [
    ({"MP_TOKEN": "123"}, "-s MP_TOKEN= needs -s MP_COOKIE= (or WECHAT_MP_COOKIE)"),
    ({"MP_COOKIE": "slave_sid=abc"}, "-s MP_COOKIE= needs -s MP_TOKEN= (or WECHAT_MP_TOKEN)"),
    ({"MP_TOKEN": "123", "MP_COOKIE": "Cookie: slave_sid=abc; bizuin=1"}, "-s MP_COOKIE= is not"),
    ({"MP_TOKEN": "123", "MP_COOKIE": "slave_sid=a secret; bizuin=1"}, "-s MP_COOKIE= is not"),
])
def test_a_back_office_session_that_cannot_be_used_is_refused(given: dict[str, str], says: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A token without its cookie never asked for the list, without a word; a cookie
    Python's parser takes nothing of (pasted with its header's name, a value with a space)
    was sent as none, and WeChat's answer read as an expired session, run after run."""
    monkeypatch.delenv("WECHAT_MP_TOKEN", raising=False)
    monkeypatch.delenv("WECHAT_MP_COOKIE", raising=False)
    with pytest.raises(ConfigError, match=re.escape(says)) as refused:
        Config.from_settings(settings(**given))
    assert "secret" not in str(refused.value)


@pytest.mark.parametrize("name, value, message", [
    ("MARKDOWN_BULLET", "x", "-s MARKDOWN_BULLET= takes one of - * +, not 'x'"),
    ("ALBUM_PAGE_SIZE", "ten", "-s ALBUM_PAGE_SIZE= takes a number from 1 to 100, not 'ten'"),
    ("ALBUM_PAGE_SIZE", "0", "from 1 to 100"),
    ("DOWNLOAD_DELAY", "-1", "-s DOWNLOAD_DELAY= takes a number of 0.0 or more"),
    ("DOWNLOAD_DELAY", "nan", "DOWNLOAD_DELAY"),
    ("BLOCK_BACKOFF", "inf", "BLOCK_BACKOFF"),
    ("ARTICLE_PAGES_IN_FLIGHT", "0", "ARTICLE_PAGES_IN_FLIGHT"),
    ("IMAGE_HOSTS", "https://mmbiz.qpic.cn/", "takes host names"),
    # a host is matched as it is: no image was downloaded, each left a remote link, silently
    ("IMAGE_HOSTS", "*.qpic.cn", "takes host names (like mp.weixin.qq.com) separated by commas, not '*.qpic.cn'"),
    ("ARTICLE_HOSTS", "", "needs at least one host name"),
    ("WECHAT_BASE_URL", "mp.weixin.qq.com", "takes an http(s) URL"),
    # every album was then asked at https://mp.weixin.qq.com/?lang=zh_CN/mp/appmsgalbum?…
    ("WECHAT_BASE_URL", "https://mp.weixin.qq.com/?lang=zh_CN", "-s WECHAT_BASE_URL= takes an http(s) URL "
     "without a query or fragment (album pages are asked at it, /mp/appmsgalbum?…), not "),
    ("WECHAT_BASE_URL", "https://mp.weixin.qq.com#top", "without a query or fragment"),
    # every album was asked so, failed ("invalid hostname"), the password in the lines
    ("WECHAT_BASE_URL", "https://me:secret@mp.weixin.qq.com", "a user name or password"),
    ("ARCHIVE_DIR", " ", "-s ARCHIVE_DIR= takes a non-empty text"),
    ("REDIS_URL", "10.0.0.5:6379", "-s REDIS_URL= takes a Redis URL (redis://host:port/db)"),
    ("REDIS_URL", "http://10.0.0.5:6379/0", "takes a Redis URL"),
    ("REDIS_URL", "redis://10.0.0.5:port/0", "takes a Redis URL"),
    ("REDIS_URL", "redis://10.0.0.5:6379/0?ssl_ca_certs=/etc/ca.pem", "unexpected keyword argument 'ssl_ca_certs'"),
    ("REDIS_URL", "redis://10.0.0.5:6379/0?socket_timeout=soon", "Invalid value for 'socket_timeout'"),
    ("REDIS_JOB", "", "-s REDIS_JOB= takes a non-empty text"),
    ("REDIS_PAGES_IN_FLIGHT", "0", "REDIS_PAGES_IN_FLIGHT"),
    ("REDIS_HEARTBEAT", "0", "REDIS_HEARTBEAT"),
    ("REDIS_TIMEOUT", "1", "-s REDIS_TIMEOUT= takes a number of 2.0 or more"),
    ("STALE_ACCOUNT_DAYS", "0", "-s STALE_ACCOUNT_DAYS= takes a number from 1 to 36500"),
    ("WATCH_ALARM_DELETIONS", "0", "-s WATCH_ALARM_DELETIONS= takes a number of 1 or more"),
    ("PROGRESS_INTERVAL", "0", "-s PROGRESS_INTERVAL= takes a number of 0.1 or more"),
    ("DOWNLOAD_DELAY_JITTER", "1.5", "-s DOWNLOAD_DELAY_JITTER= takes a number from 0.0 to 1.0"),
])
def test_a_bad_value_is_one_message_naming_the_setting(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        Config.from_settings(settings(**{name: value}))


@pytest.mark.parametrize("name, value", [
    ("DOWNLOAD_TIMEOUT", "30s"), ("DOWNLOAD_TIMEOUT", "-1"), ("CONCURRENT_REQUESTS", "many"),
    ("CONCURRENT_REQUESTS_PER_DOMAIN", "0"), ("DOWNLOAD_MAXSIZE", "32M"), ("DOWNLOAD_WARNSIZE", "-1"),
    ("RETRY_TIMES", "-1"), ("AUTOTHROTTLE_MAX_DELAY", "1m"), ("LOGSTATS_INTERVAL", "x"),
    ("AUTOTHROTTLE_ENABLED", "maybe"), ("ROBOTSTXT_OBEY", "yes"), ("METAREFRESH_ENABLED", "on"),
    ("MEDIA_ALLOW_REDIRECTS", "maybe"), ("LOG_LEVEL", "info"), ("RETRY_GIVE_UP_LOG_LEVEL", "LOUD"),
    ("REMOTE_CONTROL_ENABLED", "maybe"),
    # Scrapy reads any whole number as a flag: -1 was True, robots.txt obeyed
    ("ROBOTSTXT_OBEY", "-1"), ("AUTOTHROTTLE_ENABLED", "2"),
    # Scrapy then sends no User-Agent at all (an unset variable in cron's -s USER_AGENT="$UA")
    ("USER_AGENT", ""), ("USER_AGENT", " "),
    # a traceback in Scrapy's start-up; AutoThrottle quietly off
    ("AUTOTHROTTLE_TARGET_CONCURRENCY", "x"), ("AUTOTHROTTLE_TARGET_CONCURRENCY", "0"),
])
def test_a_bad_value_of_scrapy_s_own_settings_is_refused_too(name: str, value: str) -> None:
    """Scrapy reads these itself: unchecked, a bad one is a traceback in its start-up, or
    every request failing as if WeChat were down (``DOWNLOAD_TIMEOUT=-1``)."""
    with pytest.raises(ConfigError, match=re.escape(f"-s {name}= takes ")):
        Config.from_settings(settings(**{name: value}))


@pytest.mark.parametrize("name, value", [
    ("ALBUM_RECHECK_DAYS", "10000000000"), ("STALE_ACCOUNT_DAYS", "10000000000"),
    ("WATCH_YOUNG_DAYS", "1e300"), ("WATCH_YOUNG_EVERY_DAYS", "1e300"),
    ("WATCH_OLD_EVERY_DAYS", "1e300"), ("WATCH_ALARM_DAYS", "1e300"),
    ("WATCH_PER_RUN", "1" + "0" * 20), ("GC_YOUNG_THRESHOLD", "1" + "0" * 20),
    ("IMPORT_MAXSIZE", "1" + "0" * 20),
])
def test_a_number_too_large_for_its_use_is_refused_too(name: str, value: str) -> None:
    """A huge number ("never") was taken, then a traceback in the run: a date, SQLite, the
    garbage collector or a read cannot take it."""
    with pytest.raises(ConfigError, match=re.escape(f"-s {name}= takes a number ")):
        Config.from_settings(settings(**{name: value}))
    assert Config.from_settings(settings(**{name: "36500"}))


@pytest.mark.parametrize("value, says", [
    ('{"mmbiz.qpic.cn": {"concurrency": 0}}', "concurrency of mmbiz.qpic.cn takes a number of 1 or more"),
    ('{"mmbiz.qpic.cn": {"concurrency": "8"}}', "concurrency of mmbiz.qpic.cn takes a number"),
    ('{"mp.weixin.qq.com": {"delay": -3}}', "delay of mp.weixin.qq.com takes a number of 0.0 or more"),
    ('{"mp.weixin.qq.com": {"jitter": 2}}', "jitter of mp.weixin.qq.com takes a number from 0.0 to 1.0"),
    ('{"mmbiz.qpic.cn": {"concurrency": true}}', "concurrency of mmbiz.qpic.cn takes a number"),
    ('{"mmbiz.qpic.cn": {"concurrency": 2.5}}', "concurrency of mmbiz.qpic.cn takes a number of 1 or more"),
    ('{"mmbiz.qpic.cn": 8}', "takes host names with their slot"),
    # Scrapy leaves a name it does not read: the slot was the host's without a word
    ('{"mmbiz.qpic.cn": {"concurency": 4}}', "slot of mmbiz.qpic.cn takes concurrency, delay, jitter, "
                                             "randomize_delay, not 'concurency'"),
])
def test_a_bad_download_slot_is_refused(value: str, says: str) -> None:
    """A slot of no concurrency was taken: its requests never left, and the run never ended;
    a slot that is no mapping, or a number given as text, failed every request to its host."""
    with pytest.raises(ConfigError, match=re.escape(f"-s DOWNLOAD_SLOTS= {says}")):
        Config.from_settings(settings(DOWNLOAD_SLOTS=value))
    assert Config.from_settings(settings(DOWNLOAD_SLOTS='{"mmbiz.qpic.cn": {"concurrency": 2, "delay": 0.5}}'))


@pytest.mark.parametrize("value", ["[1]", "{bad", "8"])
def test_download_slots_that_are_no_json_object_are_one_line_naming_the_setting(tmp_path: Path,
                                                                                value: str) -> None:
    """Scrapy parses a mapping setting's JSON as it takes it: ``[1]`` was a traceback, exit
    status 1, and ``{bad`` its 'Invalid -s value, use -s NAME=VALUE', naming no setting."""
    result = crawl_cli("article", tmp_path, "-a", "url=http://127.0.0.1:9/s/x",
                       settings={"DOWNLOAD_SLOTS": value})
    assert result.returncode == 2, result.stderr
    assert refusal(result, "crawl article") == (f"scrapy crawl article: -s DOWNLOAD_SLOTS= takes a "
                                                f"JSON object (of names and values), not {value!r}")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("limit, retries, refused", [("50", "20", True), ("2000", "2000", True),
                                                   ("3", "20", False), ("20", "3", False),
                                                   ("11", "11", False),
                                                   ("12", "11", False), ("13", "12", True)])
def test_a_pause_after_blocks_longer_than_a_day_is_refused(limit: str, retries: str,
                                                          refused: bool) -> None:
    """Each try again of a blocked page waits twice as long: ``BLOCK_RETRY_TIMES=20`` with a
    ``BLOCK_LIMIT`` that lets them be tried (50) paused 182 days before the last (the run
    seemed to hang, holding the archive's lock), 2000 was a traceback at the 1025th."""
    given = settings(BLOCK_LIMIT=limit, BLOCK_RETRY_TIMES=retries, BLOCK_BACKOFF="60")
    if not refused:
        assert Config.from_settings(given).block_retry_times == int(retries)
        return
    with pytest.raises(ConfigError, match=re.escape(f"-s BLOCK_BACKOFF=60 doubled for each of "
                                                    f"BLOCK_RETRY_TIMES={retries}")):
        Config.from_settings(given)


@pytest.mark.parametrize("name, value", [
    ("WATCH_PER_RUN", 2.5), ("ARTICLE_PAGES_IN_FLIGHT", 1.5), ("BLOCK_LIMIT", True),
    ("RETRY_TIMES", 0.5), ("DOWNLOAD_DELAY", True), ("DOWNLOAD_TIMEOUT", False),
])
def test_a_number_a_settings_file_gives_of_another_type_is_refused(name: str, value: object) -> None:
    """A settings file gives Python's values, not texts: ``WATCH_PER_RUN = 2.5`` was taken as
    2, ``BLOCK_LIMIT = True`` as 1 and ``DOWNLOAD_TIMEOUT = False`` as 0, without a word."""
    given = Settings()
    given.setmodule(project_settings)
    given.set(name, value, priority="project")
    with pytest.raises(ConfigError, match=re.escape(f"-s {name}= takes a number")):
        check_scrapy_settings(given)
        Config.from_settings(given)


def test_a_whole_number_a_settings_file_writes_as_a_real_is_taken() -> None:
    """``DOWNLOAD_MAXSIZE = 64e6``, ``WATCH_PER_RUN = 30.0``: whole numbers all the same."""
    given = Settings()
    given.setmodule(project_settings)
    given.setdict({"DOWNLOAD_MAXSIZE": 64e6, "WATCH_PER_RUN": 30.0}, priority="project")
    check_scrapy_settings(given)
    assert Config.from_settings(given).watch_per_run == 30


def test_a_crawl_whose_settings_file_gives_a_bad_number_is_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "edited_settings.py").write_text("from crawler.settings import *\nBLOCK_LIMIT = 2.5\n")
    result = subprocess.run(crawl_command("article", tmp_path / "archive", "-a", "url=http://127.0.0.1:9/s/x"),
                            cwd=PROJECT, capture_output=True, text=True, timeout=120,
                            env={**crawl_env(), "PYTHONPATH": f"{tmp_path}:{PROJECT}",
                                 "SCRAPY_SETTINGS_MODULE": "edited_settings"})
    assert result.returncode == 2, result.stderr
    assert refusal(result, "crawl article") == \
        "scrapy crawl article: -s BLOCK_LIMIT= takes a number of 1 or more (to 2147483647), not 2.5"
    assert not (tmp_path / "archive").exists()


def test_a_log_level_given_as_python_s_number_is_taken() -> None:
    """As Scrapy takes it: ``LOG_LEVEL = logging.INFO`` in a settings file."""
    assert Config.from_settings(settings(LOG_LEVEL=logging.INFO))


def test_a_node_s_name_is_taken_without_the_spaces_around_it() -> None:
    """As the other texts are: a service file's ``REDIS_NODE= node-2`` names ``node-2``."""
    assert Config.from_settings(settings(REDIS_NODE=" node-2 ")).redis_node == "node-2"


def test_the_wechat_base_url_is_taken_without_its_last_slash() -> None:
    """Paths are added to it: ``https://mp.weixin.qq.com/`` would ask for ``//mp/…``."""
    assert Config.from_settings(settings(WECHAT_BASE_URL="https://mp.weixin.qq.com/")
                                ).wechat_base_url == "https://mp.weixin.qq.com"


def test_a_mistyped_setting_name_is_refused_naming_the_setting_meant() -> None:
    """``-s ARCHVE_DIR=/srv/blog`` was taken silently: the run wrote into ``archive/``."""
    with pytest.raises(ConfigError, match=re.escape("unknown setting -s ARCHVE_DIR= (ARCHIVE_DIR?)")):
        Config.from_settings(settings(ARCHVE_DIR="/srv/blog"))
    assert Config.from_settings(settings(JOBDIR="archive/.state/job", LOG_FILE="crawl.log"))


@pytest.mark.parametrize("name, meant", [("download_delay", "DOWNLOAD_DELAY"), ("Image_Max_Pixels", "IMAGE_MAX_PIXELS")])
def test_a_setting_name_written_in_small_letters_is_refused_naming_the_setting_meant(
        tmp_path: Path, name: str, meant: str) -> None:
    """A cron line's ``-s download_delay=5`` was "unknown setting -s download_delay= (see the
    README's table of settings)": the table holds it, in capitals, and the line did not say so."""
    result = crawl_cli("article", tmp_path / "archive", "-a", "url=http://127.0.0.1:9/s/x",
                       settings={name: "5"})
    assert result.returncode == 2, result.stderr
    assert refusal(result, "crawl article") == f"scrapy crawl article: unknown setting -s {name}= ({meant}?)"
    assert not (tmp_path / "archive").exists()


def test_a_bad_log_level_is_one_line_before_scrapy_starts(tmp_path: Path) -> None:
    """Scrapy sets up its logging with ``LOG_LEVEL`` before a command runs."""
    result = crawl_cli("article", tmp_path, "-a", "url=http://127.0.0.1:9/s/x", "-L", "info")
    assert result.returncode == 2
    assert refusal(result, "crawl article").startswith("scrapy crawl article: -s LOG_LEVEL= takes ")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name, place, says", [
    ("LOG_FILE", "logs/crawl.log", "-s LOG_FILE= takes a file in a folder that exists"),
    ("LOG_FILE", ".", "-s LOG_FILE= takes a file in a folder that exists"),
    ("JOBDIR", "archive.tar/job", "-s JOBDIR= takes a folder"),
])
def test_a_place_scrapy_cannot_write_is_one_line_before_it_starts(tmp_path: Path, name: str,
                                                                  place: str, says: str) -> None:
    """Scrapy opens its log file and job folder in its start-up: one it could not (a
    ``logs/`` not made yet, a file in the way) was a traceback."""
    (tmp_path / "archive.tar").write_bytes(b"")
    result = crawl_cli("article", tmp_path, "-a", "url=http://127.0.0.1:9/s/x",
                       settings={name: str(tmp_path / place)})
    assert result.returncode == 2, result.stderr
    assert refusal(result, "crawl article").startswith(f"scrapy crawl article: {says}")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name", ["JOBDIR", "LOG_FILE"])
def test_a_place_this_user_cannot_write_is_one_line_before_scrapy_starts(tmp_path: Path,
                                                                           name: str) -> None:
    """A job folder or log file in a folder this user may read but not write (another user's,
    a read-only disk): Scrapy opens them in its start-up, a traceback."""
    locked = tmp_path / "locked"
    (locked / "job").mkdir(parents=True)
    place = locked / ("job" if name == "JOBDIR" else "crawl.log")
    line = crawl_command("article", tmp_path / "archive", "-a", "url=http://127.0.0.1:9/s/x",
                         settings={name: str(place)})
    result = read_only(tmp_path, "crawl", line=line, part=locked)
    assert result.returncode == 2, result.stderr
    assert refusal(result, "crawl article").startswith(
        f"scrapy crawl article: -s {name}= names {str(place)!r}, which this user cannot write "
        f"({place if name == 'JOBDIR' else locked}: ")  # Permission denied, Read-only file system


@pytest.mark.parametrize(("command", "made"), [("crawl", True), ("crawl", False), ("rebuild", True)])
def test_an_archive_folder_this_user_cannot_write_is_one_line_naming_the_setting(
        tmp_path: Path, command: str, made: bool) -> None:
    """``-s ARCHIVE_DIR=`` a folder this user may read but not write (another user's, a
    read-only disk), or not make: "cannot open the archive at …: Read-only file system",
    exit status 1, as a run another run held off; a setting to mend, as a ``JOBDIR`` is."""
    archive = tmp_path / "archive"
    if made:
        (archive / "_posts").mkdir(parents=True)
    else:
        (tmp_path / "locked").mkdir()
        archive = tmp_path / "locked" / "archive"
    line = crawl_command("article", archive, "-a", "url=http://127.0.0.1:9/s/x") if command == "crawl" \
        else [*crawl_command("article", archive)[:3], "rebuild", "-s", f"ARCHIVE_DIR={archive}"]
    result = read_only(tmp_path, command, line=line, part=archive if made else archive.parent)
    assert result.returncode == 2, result.stderr
    refused = refusal(result, "crawl article" if command == "crawl" else command)
    assert refused.startswith(f"scrapy {'crawl article' if command == 'crawl' else command}: "
                              f"-s ARCHIVE_DIR= names {str(archive)!r}, which this user cannot write "
                              f"({archive if made else archive.parent}: "), refused
    assert sorted(path.name for path in tmp_path.rglob("*")) == (["_posts", "archive"] if made else ["locked"])


@pytest.mark.parametrize(("name", "place"), [("LOG_FILE", "/proc/crawl.log"), ("JOBDIR", "/proc/job"),
                                             ("LOG_FILE", "/proc/version"), ("LOG_FILE", "fifo")])
def test_a_place_even_root_cannot_write_is_one_line_before_scrapy_starts(tmp_path: Path, name: str,
                                                                         place: str) -> None:
    """Root passes every permission check, and was refused only when Scrapy opened the place:
    a traceback. A FIFO no program reads would have held Scrapy's open for ever."""
    os.mkfifo(tmp_path / "fifo")
    path = tmp_path / place
    result = crawl_cli("article", tmp_path, "-a", "url=http://127.0.0.1:9/s/x", settings={name: str(path)})
    assert result.returncode == 2, result.stderr
    refused = refusal(result, "crawl article")
    assert refused.startswith(
        f"scrapy crawl article: -s {name}= names {str(path)!r}, which this user cannot write (")
    assert "No such file" not in refused, refused  # /proc is there: it makes no files
    assert "Traceback" not in result.stderr


def test_a_scam_types_file_that_never_ends_is_refused_without_reading_it_all() -> None:
    """``-s SCAM_TYPES_FILE=/dev/zero`` (a device, a log file given by mistake) was read
    whole: the run hung filling the memory, as the accounts file no longer does."""
    with pytest.raises(ConfigError, match=re.escape("-s SCAM_TYPES_FILE=: cannot read scam types "
                                                    "from /dev/zero: [Errno 27] larger than")):
        Config.from_settings(settings(SCAM_TYPES_FILE="/dev/zero"))


@pytest.mark.parametrize("spaced", ["{}", "{} ", " {}\t"])
def test_a_job_folder_and_log_file_from_home_are_the_home_s(tmp_path: Path, spaced: str) -> None:
    """``sh`` leaves ``-s JOBDIR=~/job`` as it is: the check looked at the home's, but Scrapy
    made a folder named ``~`` where cron runs (one ``rm -rf ~`` from the home's end), and
    ``-s LOG_FILE=~/crawl.log`` was refused. Spaces around them (``-s "LOG_FILE=~/crawl.log "``,
    a settings file's value) are none of their names, as they are none of ``ARCHIVE_DIR``'s:
    Scrapy wrote its log to ``crawl.log `` and its job to ``job ``, beside the files the
    maintainer looks at."""
    home, where = tmp_path / "home", tmp_path / "cron"
    home.mkdir()
    where.mkdir()
    command = crawl_command("article", tmp_path / "archive", "-a", "url=http://127.0.0.1:9/s/x",
                            settings={"JOBDIR": spaced.format("~/job"),
                                      "LOG_FILE": spaced.format("~/crawl.log")})
    result = subprocess.run(command, cwd=where, capture_output=True, text=True, timeout=120,
                            env={**crawl_env(), "HOME": str(home),
                                 "SCRAPY_SETTINGS_MODULE": "crawler.settings"})
    assert result.returncode == 1, result.stderr  # the server at port 9 refuses: not 2
    assert list(where.iterdir()) == []
    assert (home / "job").is_dir() and "Not archived" in (home / "crawl.log").read_text("utf-8")
    assert sorted(path.name for path in home.iterdir()) == ["crawl.log", "job"]


def test_spaces_around_values_of_a_quoted_cron_line_are_none_of_them(wechat: MockWeChat,
                                                                     tmp_path: Path) -> None:
    """``-s "LOG_LEVEL=WARNING "``, ``-s "ROBOTSTXT_OBEY=False "`` (a cron line quoting its
    values, a wrapper script's variables): a number and a folder were read without the
    spaces, a log level and a flag were refused ("takes one of DEBUG INFO …, not
    'WARNING '"), exit status 2, every night. Now each is read as meant."""
    site = Site(wechat)
    [art] = site.serve([Art("2247480501")])
    result = crawl_cli("article", tmp_path / "archive", "-a", f"url={site.link(art).replace('&amp;', '&')}",
                       settings={"LOG_LEVEL": "WARNING ", "ROBOTSTXT_OBEY": " False",
                                 "PROGRESS": "off ", "FOLLOW_LINKS": "account\t", "RETRY_TIMES": "0 "})
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr  # a run that went well, at WARNING
    assert len(list((tmp_path / "archive" / "_posts").glob("*.md"))) == 1


@pytest.mark.parametrize("given", [("-s", "ARCHIVE_DIR=~/archive"), ("-s", "JOBDIR=~/job"),
                                   ("-s", "ACCOUNTS_FILE=~/accounts.toml"), ("-a", "urls_file=~/urls.txt")])
def test_a_place_in_the_home_of_a_user_with_no_home_is_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: tuple[str, str]) -> None:
    """A container's user, or a service with no ``HOME``, that the system names no home for:
    ``~/archive`` was Python's traceback ("Could not determine home directory"), and a
    ``JOBDIR`` of ``~/job`` made a folder named ``~`` where the run was started. One line
    naming the place, exit status 2, nothing made. (The system's answer is what is stood in
    for: tests run as a user it knows.)"""
    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.setattr(pwd, "getpwuid", lambda uid: (_ for _ in ()).throw(KeyError(uid)))
    monkeypatch.chdir(tmp_path)
    option, setting = given
    name, _, place = setting.partition("=")
    settings = {"ARCHIVE_DIR": str(tmp_path / "archive"), **({name: place} if option == "-s" else {})}
    args = ["-a", setting] if option == "-a" else ["-a", "url=http://127.0.0.1:9/s/abcdefghij"]
    result = crawl("accounts" if name == "ACCOUNTS_FILE" else "article", tmp_path / "archive", *args,
                   settings=settings)
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.splitlines()
    assert f"{place!r}: this user has no home folder for its ~" in line, line
    assert not (tmp_path / "~").exists()


def test_a_bad_redis_url_from_the_environment_is_named_as_the_environment_s(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A service's ``EnvironmentFile`` gives ``WECHAT_REDIS_URL``: the line named
    ``-s REDIS_URL=``, which its command line did not give."""
    monkeypatch.setenv("WECHAT_REDIS_URL", "10.0.0.5:6379")
    with pytest.raises(ConfigError, match=re.escape("the environment's WECHAT_REDIS_URL takes a "
                                                    "Redis URL (redis://host:port/db), not '10.0.0.5:6379'")):
        Config.from_settings(settings())


@pytest.mark.parametrize("url", ["", "redis://:secret@10.0.0.5:6379/0", "rediss://redis.example/1",
                                 "unix:///run/redis/redis.sock"])
def test_redis_urls_are_taken(url: str) -> None:
    assert Config.from_settings(settings(REDIS_URL=url)).redis_url == url


def test_the_crawl_refuses_a_bad_setting_in_one_line(tmp_path: Path) -> None:
    result = crawl("article", tmp_path, "-a", "url=http://127.0.0.1:9/s/x",
                   settings={"MARKDOWN_BULLET": "x"})
    assert result.returncode == 2
    line = refusal(result, "crawl article")
    assert line == "scrapy crawl article: -s MARKDOWN_BULLET= takes one of - * +, not 'x'"
    assert "Traceback" not in result.stderr


def test_config_is_read_once_per_crawler() -> None:
    crawler = unit_crawler()
    assert Run.of(crawler).config is Run.of(crawler).config


class RaisesPagesInFlight:
    """An add-on like the distributed writer's."""

    def update_settings(self, settings: Settings) -> None:
        settings.set("ARTICLE_PAGES_IN_FLIGHT", 32, priority="cmdline")


def test_config_is_read_once_add_ons_have_changed_the_settings_never_before() -> None:
    """Scrapy makes the spider before add-ons change the settings."""
    crawler = Crawler(Spider, settings(ARTICLE_PAGES_IN_FLIGHT=1))
    with pytest.raises(RuntimeError, match="once its settings are final"):
        Run.of(crawler).config  # noqa: B018
    crawler = unit_crawler(ADDONS={RaisesPagesInFlight: 0})
    assert Run.of(crawler).config.article_pages_in_flight == 32


def test_download_slots_follow_the_host_settings() -> None:
    values = settings(IMAGE_HOSTS="img.example", ARTICLE_HOSTS="pages.example",
                      DOWNLOAD_DELAY="1.5", ARTICLE_PAGES_IN_FLIGHT="2", IMAGE_CONCURRENCY="4")
    DownloadSlots().update_settings(values)
    assert values.getdict("DOWNLOAD_SLOTS") == {
        ARTICLE_SLOT: {"concurrency": 2, "delay": 1.5, "jitter": 0.5},
        "img.example": {"concurrency": 4, "delay": 0.0},  # ImageConcurrency holds them to 4
    }


def test_a_slot_given_by_hand_is_kept() -> None:
    values = settings(DOWNLOAD_SLOTS={"mmbiz.qpic.cn": {"concurrency": 2, "delay": 1.0}})
    DownloadSlots().update_settings(values)
    slots = values.getdict("DOWNLOAD_SLOTS")
    assert slots["mmbiz.qpic.cn"] == {"concurrency": 2, "delay": 1.0}
    assert slots["mmbiz.qlogo.cn"] == {"concurrency": 8, "delay": 0.0}


def test_a_crawl_uses_the_slots_of_its_image_hosts() -> None:
    crawler = unit_crawler(IMAGE_HOSTS="img.example", ADDONS={"crawler.slots.DownloadSlots": 0})
    assert crawler.settings.getdict("DOWNLOAD_SLOTS")["img.example"] == {"concurrency": 8,
                                                                         "delay": 0.0}
    assert "mmbiz.qpic.cn" not in crawler.settings.getdict("DOWNLOAD_SLOTS")


@pytest.mark.parametrize("redis_url", ["", "redis://127.0.0.1:1/0"])
def test_the_spider_reads_the_crawler_s_config_with_and_without_redis(redis_url: str) -> None:
    from crawler.spiders.album import AlbumSpider
    crawler = unit_crawler(AlbumSpider, REDIS_URL=redis_url,
                           ADDONS={**project_settings.ADDONS, RaisesPagesInFlight: 0})
    spider = AlbumSpider.from_crawler(crawler, url="https://mp.weixin.qq.com/mp/appmsgalbum?"
                                      "__biz=MzA=&action=getalbum&album_id=1")
    assert spider.config is Run.of(crawler).config
    assert (spider.config.article_pages_in_flight, spider.config.redis_url) == (32, redis_url)

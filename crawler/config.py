"""The archiver's settings, read once from Scrapy's and checked: ``Config.from_settings``.

Every component takes its values from one ``Config`` (``Run.of(crawler).config``), so that a
value is spelled, parsed and checked in one place, and a bad one (``-s MARKDOWN_BULLET=x``)
is one clear line before anything starts instead of a traceback or a silent default.
"""

from __future__ import annotations

import difflib
import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path

from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings, default_settings

from crawler import settings as project_settings
from crawler.accounts import FIRST_ACCOUNTS_FILE
from crawler.convert.markdown import MarkdownStyle
from crawler.settingread import ConfigError, SettingReader
from crawler.store.archive import Layout
from crawler.tagging.rules import ScamTypes
from crawler.tagging.tags import Tagger
from crawler.watch.state import Schedule

BULLETS = ("-", "*", "+")
FOLLOW_LINKS = ("account", "none", "all")
PROGRESS = ("auto", "on", "off")
# Scrapy's own settings of the README's table, with their least values: Scrapy reads them
# itself, and a bad one would be a traceback in its start-up, or every request failing as if
# WeChat were down (-s DOWNLOAD_TIMEOUT=-1).
SCRAPY_INTEGERS = {"CONCURRENT_REQUESTS": 1, "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
                   "DOWNLOAD_MAXSIZE": 0, "DOWNLOAD_WARNSIZE": 0, "RETRY_TIMES": 0}
SCRAPY_REALS = {"DOWNLOAD_TIMEOUT": 0.1, "AUTOTHROTTLE_START_DELAY": 0.0,
                "AUTOTHROTTLE_MAX_DELAY": 0.0, "AUTOTHROTTLE_TARGET_CONCURRENCY": 0.1,
                "LOGSTATS_INTERVAL": 0.0}
SCRAPY_FLAGS = ("AUTOTHROTTLE_ENABLED", "ROBOTSTXT_OBEY", "METAREFRESH_ENABLED",
                "MEDIA_ALLOW_REDIRECTS", "TELNETCONSOLE_ENABLED", "REMOTE_CONTROL_ENABLED")
SCRAPY_LOG_LEVELS = ("LOG_LEVEL", "RETRY_GIVE_UP_LOG_LEVEL")
# Days: a hundred years, as good as never (dates end in the year 9999).
DAYS = 36500
DAY_SECONDS = 86400
# Where Scrapy writes, when given (True: a folder it makes; False: a file, whose folder must be)
SCRAPY_PLACES = {"JOBDIR": True, "LOG_FILE": False}


@dataclass(frozen=True)
class Config:
    archive_dir: Path
    default_tags: tuple[str, ...]
    scam_types: ScamTypes
    markdown_bullet: str
    article_hosts: tuple[str, ...]
    image_hosts: tuple[str, ...]
    wechat_base_url: str
    album_page_size: int
    album_recheck_days: int
    link_retry_days: int
    accounts_file: Path
    accounts_file_given: bool  # so that its absence is a mistake (a typo), not "no accounts"
    mp_token: str
    mp_cookie: str
    article_pages_in_flight: int
    image_concurrency: int
    download_delay: float
    download_delay_jitter: float
    block_limit: int
    block_retry_times: int
    block_backoff: float
    image_max_pixels: int
    image_retry_warn_days: int
    import_maxsize: int
    download_maxsize: int  # Scrapy's; a page a node hands back may not be larger either
    import_max_parts: int
    gc_young_threshold: int
    follow_links: str
    follow_links_per_run: int
    stale_account_days: int
    progress: str
    progress_interval: float
    redis_url: str
    redis_job: str
    redis_node: str
    redis_pages_in_flight: int
    redis_heartbeat: float
    redis_node_wait: float
    redis_node_grace: float
    watch_per_run: int
    watch_schedule: Schedule
    watch_alarm_deletions: int
    watch_alarm_days: float
    redis_page_tries: int
    redis_grace: float
    redis_timeout: float

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Config:
        """The checked values of ``settings``; ``ConfigError`` for the first bad one."""
        read = SettingReader(settings)
        check_scrapy_settings(settings)
        config = cls(
            archive_dir=read.folder("ARCHIVE_DIR"),
            default_tags=read.texts("DEFAULT_TAGS"),
            scam_types=read.scam_types("SCAM_TYPES_FILE"),
            markdown_bullet=read.choice("MARKDOWN_BULLET", BULLETS),
            article_hosts=read.hosts("ARTICLE_HOSTS", required=True),
            image_hosts=read.hosts("IMAGE_HOSTS"),
            wechat_base_url=read.web_url("WECHAT_BASE_URL"),
            album_page_size=read.integer("ALBUM_PAGE_SIZE", 1, 100),
            album_recheck_days=read.integer("ALBUM_RECHECK_DAYS", 0, DAYS),
            link_retry_days=read.integer("LINK_RETRY_DAYS", 0, DAYS),
            accounts_file=read.path("ACCOUNTS_FILE"),
            accounts_file_given=given(settings, "ACCOUNTS_FILE", FIRST_ACCOUNTS_FILE),
            mp_token=read.secret("MP_TOKEN", "MP_COOKIE"),
            mp_cookie=read.secret("MP_COOKIE", "MP_TOKEN"),
            article_pages_in_flight=read.integer("ARTICLE_PAGES_IN_FLIGHT", 1),
            image_concurrency=read.integer("IMAGE_CONCURRENCY", 1),
            download_delay=read.real("DOWNLOAD_DELAY", 0.0),
            download_delay_jitter=read.real("DOWNLOAD_DELAY_JITTER", 0.0, 1.0),
            block_limit=read.integer("BLOCK_LIMIT", 1),
            block_retry_times=read.integer("BLOCK_RETRY_TIMES", 0),
            block_backoff=read.real("BLOCK_BACKOFF", 0.0),
            image_max_pixels=read.integer("IMAGE_MAX_PIXELS", 1),
            image_retry_warn_days=read.integer("IMAGE_RETRY_WARN_DAYS", 1, DAYS),
            import_maxsize=read.integer("IMPORT_MAXSIZE", 1),
            download_maxsize=read.integer("DOWNLOAD_MAXSIZE", 0),
            import_max_parts=read.integer("IMPORT_MAX_PARTS", 1),
            gc_young_threshold=read.integer("GC_YOUNG_THRESHOLD", 0),
            follow_links=read.choice("FOLLOW_LINKS", FOLLOW_LINKS),
            follow_links_per_run=read.integer("FOLLOW_LINKS_PER_RUN", 0),
            stale_account_days=read.integer("STALE_ACCOUNT_DAYS", 1, DAYS),
            progress=read.choice("PROGRESS", PROGRESS),
            progress_interval=read.real("PROGRESS_INTERVAL", 0.1),
            redis_url=read.redis_url("REDIS_URL"),
            redis_job=read.job_name("REDIS_JOB"),
            redis_node=str(settings.get("REDIS_NODE") or "").strip(),
            redis_pages_in_flight=read.integer("REDIS_PAGES_IN_FLIGHT", 1),
            redis_heartbeat=read.real("REDIS_HEARTBEAT", 0.5),
            redis_node_wait=read.real("REDIS_NODE_WAIT", 1.0),
            redis_node_grace=read.real("REDIS_NODE_GRACE", 0.0),
            watch_per_run=read.integer("WATCH_PER_RUN", 0),
            watch_schedule=Schedule(read.real("WATCH_YOUNG_DAYS", 0.0, DAYS),
                                    read.real("WATCH_YOUNG_EVERY_DAYS", 0.0, DAYS),
                                    read.real("WATCH_OLD_EVERY_DAYS", 0.0, DAYS)),
            watch_alarm_deletions=read.integer("WATCH_ALARM_DELETIONS", 1),
            watch_alarm_days=read.real("WATCH_ALARM_DAYS", 0.0, DAYS),
            redis_page_tries=read.integer("REDIS_PAGE_TRIES", 1),
            redis_grace=read.real("REDIS_GRACE", 0.0),
            redis_timeout=read.real("REDIS_TIMEOUT", 2.0),
        )
        config._check_block_pauses()
        return config

    def _check_block_pauses(self) -> None:
        """``ConfigError`` when the last try again of a blocked page would wait more than a
        day: each waits twice as long as the one before, and a run waiting months seems hung."""
        tries = min(self.block_retry_times, self.block_limit - 1)  # the limit stops the run
        try:
            longest = math.ldexp(self.block_backoff, tries - 1) if tries > 0 else 0.0
        except OverflowError:
            longest = math.inf
        if longest > DAY_SECONDS:
            raise ConfigError(f"-s BLOCK_BACKOFF={self.block_backoff:g} doubled for each of "
                              f"BLOCK_RETRY_TIMES={self.block_retry_times} tries again (BLOCK_LIMIT="
                              f"{self.block_limit} lets {tries} happen) waits {longest:.0f} s "
                              f"before the last: at most a day ({DAY_SECONDS} s)")

    def markdown_style(self) -> MarkdownStyle:
        return MarkdownStyle(self.markdown_bullet, frozenset(self.image_hosts))

    def tagger(self) -> Tagger:
        return Tagger(self.scam_types, self.default_tags)


def given(settings: BaseSettings, name: str, shipped: object) -> bool:
    """Whether setting ``name`` was chosen: given with ``-s`` (or above the project's
    settings), or set to another value than ``shipped``, the default this project ships.
    Not the settings module's value: a person edits ``crawler/settings.py`` to choose."""
    return ((settings.getpriority(name) or 0) > SETTINGS_PRIORITIES["project"]
            or settings.get(name) != shipped)


def check_scrapy_settings(settings: BaseSettings) -> None:
    """``ConfigError`` for a setting name given that no one reads, or the first bad value of
    Scrapy's own settings that the README documents; the crawl command asks before Scrapy
    sets up its logging with ``LOG_LEVEL``."""
    for name, _ in settings.items():
        if settings.getpriority(name) == SETTINGS_PRIORITIES["cmdline"] and name not in _known():
            meant = difflib.get_close_matches(name.upper(), _known(), n=1)  # names are in capitals
            raise ConfigError(f"unknown setting -s {name}= ({meant[0]}?)" if meant else
                              f"unknown setting -s {name}= (see the README's table of settings)")
    read = SettingReader(settings)
    for name, least in SCRAPY_INTEGERS.items():
        read.integer(name, least)
    for name, low in SCRAPY_REALS.items():
        read.real(name, low)
    for name in SCRAPY_FLAGS:
        read.flag(name)
    for name in SCRAPY_LOG_LEVELS:
        read.log_level(name)
    for name, folder in SCRAPY_PLACES.items():
        if settings.get(name):
            read.writable(name, folder)
    read.slots("DOWNLOAD_SLOTS")
    read.text("USER_AGENT")  # empty, Scrapy sends none: WeChat serves article pages to browsers


def check_archive_writable(settings: BaseSettings) -> None:
    """``ConfigError`` when this user can neither write ``ARCHIVE_DIR`` nor make it (another
    user's folder, a read-only disk), or a folder of it that a run writes in (a read-only
    mount of ``_posts/``), for a command that writes the archive: it said "cannot open the
    archive", exit status 1, as when another run holds it, where it is the setting to mend,
    as a ``JOBDIR`` is; or it fetched every page to write none."""
    read = SettingReader(settings)
    read.writable("ARCHIVE_DIR", folder=True, within=Layout(read.path("ARCHIVE_DIR")).folders)


def check_command_line_mappings(pairs: list[str] | None, settings: BaseSettings) -> None:
    """``ConfigError`` for a ``-s NAME=VALUE`` of a mapping setting (``DOWNLOAD_SLOTS``)
    whose VALUE is no JSON object: Scrapy parses it as it takes it, before any check, and
    ``[1]`` was a traceback, ``{bad`` its 'Invalid -s value', naming no setting."""
    for name, _, value in (pair.partition("=") for pair in pairs or []):
        if isinstance(settings.get(name), BaseSettings):
            try:
                dict(json.loads(value) or {})
            except (TypeError, ValueError):
                raise ConfigError(f"-s {name}= takes a JSON object (of names and values), "
                                  f"not {value!r}") from None


def settings_as_meant(settings: BaseSettings) -> None:
    """Every setting given as a text (``-s``) without the spaces around it (a quoted cron
    line's, ``-s "LOG_LEVEL=WARNING "``), and ``JOBDIR`` and ``LOG_FILE`` of ``~/…`` made the home's, as
    ``ARCHIVE_DIR`` is: Scrapy reads its own as they come, and refused ``WARNING `` (a
    traceback), or wrote its log to ``crawl.log `` beside the one looked at; the shell of
    cron (``sh``) leaves ``-s JOBDIR=~/job`` as it is, and Scrapy made a folder named ``~``
    where the run was started."""
    cmdline = SETTINGS_PRIORITIES["cmdline"]
    for name in [name for name in settings if settings.getpriority(name) == cmdline]:
        value = settings.get(name)
        if isinstance(value, str) and value != value.strip():
            settings.set(name, value.strip(), priority=cmdline)
    read = SettingReader(settings)
    for name in SCRAPY_PLACES:
        value = settings.get(name)
        if isinstance(value, str) and value.startswith("~"):
            settings.set(name, str(read.path(name)), priority=settings.getpriority(name) or 0)


@functools.cache
def _known() -> frozenset[str]:
    """The names of Scrapy's settings and this project's: a name given with ``-s`` that is
    neither is a typo (``-s ARCHVE_DIR=``), which Scrapy would keep without a word."""
    return frozenset(name for module in (default_settings, project_settings)
                     for name in dir(module) if name.isupper())



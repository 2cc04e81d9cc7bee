"""The archiver's settings, read once from Scrapy's and checked: ``Config.from_settings``.

Every component takes its values from one ``Config`` (``Run.of(crawler).config``), so that a
value is spelled, parsed and checked in one place, and a bad one (``-s MARKDOWN_BULLET=x``)
is one clear line before anything starts instead of a traceback or a silent default.
"""

from __future__ import annotations

import difflib
import functools
import json
import logging
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings, default_settings

from crawler import settings as project_settings
from crawler.markdown import MarkdownStyle
from crawler.tagging.rules import ScamTypes, ScamTypesError
from crawler.tagging.tags import Tagger
from crawler.watch import Schedule
from crawler.wechat.urls import split_url

BULLETS = ("-", "*", "+")
FOLLOW_LINKS = ("account", "none", "all")
PROGRESS = ("auto", "on", "off")
REDIS_SCHEMES = ("redis", "rediss", "unix")
_HOST = re.compile(r"[\w.-]+")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
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
# The most a number setting takes: more than any use needs, and what a C int holds (the
# garbage collector's threshold; SQLite and reads take no more than 64 bits); days, a
# hundred years, as good as never (dates end in the year 9999).
LARGEST = 2**31 - 1
DAYS = 36500
DAY_SECONDS = 86400
# The numbers a download slot of DOWNLOAD_SLOTS takes: (least, most)
SLOT_NUMBERS: dict[str, tuple[float, float | None]] = {
    "concurrency": (1, None), "delay": (0.0, None), "jitter": (0.0, 1.0)}
SLOT_KEYS = (*SLOT_NUMBERS, "randomize_delay")  # what Scrapy reads of a slot
# Where Scrapy writes, when given (True: a folder it makes; False: a file, whose folder must be)
SCRAPY_PLACES = {"JOBDIR": True, "LOG_FILE": False}


class ConfigError(ValueError):
    """A setting that cannot be used; the message names it and says what it takes."""


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
    accounts_file: Path
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
        read = _Reader(settings)
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
            accounts_file=read.path("ACCOUNTS_FILE"),
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
            redis_job=read.text("REDIS_JOB"),
            redis_node=str(settings.get("REDIS_NODE") or "").strip(),
            redis_pages_in_flight=read.integer("REDIS_PAGES_IN_FLIGHT", 1),
            redis_heartbeat=read.real("REDIS_HEARTBEAT", 0.5),
            redis_node_wait=read.real("REDIS_NODE_WAIT", 1.0),
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


def check_scrapy_settings(settings: BaseSettings) -> None:
    """``ConfigError`` for a setting name given that no one reads, or the first bad value of
    Scrapy's own settings that the README documents; the crawl command asks before Scrapy
    sets up its logging with ``LOG_LEVEL``."""
    for name, _ in settings.items():
        if settings.getpriority(name) == SETTINGS_PRIORITIES["cmdline"] and name not in _known():
            meant = difflib.get_close_matches(name, _known(), n=1)
            raise ConfigError(f"unknown setting -s {name}= ({meant[0]}?)" if meant else
                              f"unknown setting -s {name}= (see the README's table of settings)")
    read = _Reader(settings)
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


def places_from_home(settings: BaseSettings) -> None:
    """``JOBDIR`` and ``LOG_FILE`` of ``~/…`` made the home's, as ``ARCHIVE_DIR`` is: the
    shell of cron (``sh``) leaves ``-s JOBDIR=~/job`` as it is, and Scrapy, which opens them
    itself, made a folder named ``~`` where the run was started."""
    for name in SCRAPY_PLACES:
        value = settings.get(name)
        if isinstance(value, str) and value.startswith("~"):
            settings.set(name, os.path.expanduser(value), priority=settings.getpriority(name) or 0)


@functools.cache
def _known() -> frozenset[str]:
    """The names of Scrapy's settings and this project's: a name given with ``-s`` that is
    neither is a typo (``-s ARCHVE_DIR=``), which Scrapy would keep without a word."""
    return frozenset(name for module in (default_settings, project_settings)
                     for name in dir(module) if name.isupper())


def redis_url_setting(settings: BaseSettings) -> str:
    """``-s REDIS_URL=``, else the environment's ``WECHAT_REDIS_URL``: a URL with a
    password belongs in a file only its user reads (systemd's ``EnvironmentFile``), not on
    a command line every user of the machine sees. (Not ``REDIS_URL``, which other
    software sets for its own Redis: a run would quietly become a job's writer.)"""
    return str(settings.get("REDIS_URL") or os.environ.get("WECHAT_REDIS_URL", "")).strip()


def redacted(url: str) -> str:
    """``url`` without its password (``redis://user:***@host``, ``?password=***``), for
    any line that prints it."""
    head, slashes, rest = url.partition("//")
    if not slashes:
        head, rest = "", url
    userinfo, at, place = rest.rpartition("@")  # the last @: a password may hold one
    user, colon, _ = userinfo.partition(":")
    masked = f"{user}{colon}***{at}" if colon else userinfo + at
    return re.sub(r"(?i)([?&]password=)[^&#]*", r"\1***", f"{head}{slashes}{masked}{place}")


def _unencoded(url: str) -> str:
    """What to do about a password holding a character that ends a URL's host part (a
    base64 one's /), which ``redacted`` hides: empty when it holds none."""
    userinfo = url.partition("//")[2].rpartition("@")[0]
    found = sorted({char for char in userinfo if char in "/?#"})
    if not found:
        return ""
    return (f": percent-encode the {' '.join(found)} in its password "
            f"({', '.join(f'{char} is %{ord(char):02X}' for char in found)})")


class _Reader:
    """Reads settings by name, raising ``ConfigError`` with the name and what it takes."""

    def __init__(self, settings: BaseSettings):
        self.settings = settings

    def text(self, name: str) -> str:
        value = self.settings.get(name)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"-s {name}= takes a non-empty text, not {value!r}")
        return value.strip()

    def secret(self, name: str, partner: str) -> str:
        """Half of the MP back-office session (``-s NAME=``, else ``WECHAT_NAME``), which is
        asked for with both halves; a cookie Python's parser takes nothing of is sent as none,
        and WeChat's answer read as an expired session. Its value is never printed."""
        value, other = (str(self.settings.get(key) or os.environ.get(f"WECHAT_{key}", ""))
                        for key in (name, partner))
        if value and not other:
            raise ConfigError(f"-s {name}= needs -s {partner}= (or WECHAT_{partner}): the "
                              "back-office list is asked for with both, a logged-in session's")
        if value and name == "MP_COOKIE" and not SimpleCookie(value):
            raise ConfigError(f"-s {name}= is not the value of a Cookie header (name=value; "
                              "name=value …, as the browser sends it to mp.weixin.qq.com)")
        return value

    def path(self, name: str) -> Path:
        """A path, ``~`` its user's home: the shell of cron (``sh``) leaves ``NAME=~/x`` as it is."""
        return Path(self.text(name)).expanduser()

    def folder(self, name: str) -> Path:
        """A path that is, or can be made, a folder: not a file, nor in one."""
        path = self.path(name)
        existing = next(p for p in (path, *path.parents) if p.exists() or p == p.parent)
        if existing.exists() and not existing.is_dir():
            raise ConfigError(f"-s {name}= takes a folder, not {str(path)!r}: {existing} is a file")
        return path

    def writable(self, name: str, folder: bool) -> None:
        """A folder this user can write or make (``folder``), else a file in a folder that is
        and that this user can write: Scrapy opens them in its start-up, a traceback."""
        value = str(self.settings.get(name))
        if folder:
            path = self.folder(name)
            existing = next(p for p in (path, *path.parents) if p.exists() or p == p.parent)
        else:
            path = Path(value)
            if path.is_dir() or not path.parent.is_dir():
                raise ConfigError(f"-s {name}= takes a file in a folder that exists, not {value!r}")
            existing = path if path.exists() else path.parent
        if not os.access(existing, os.W_OK):
            raise ConfigError(f"-s {name}= names {value!r}, which this user cannot write "
                              f"({existing} is read-only)")

    def texts(self, name: str) -> tuple[str, ...]:
        values = self._list(name)
        if any(not isinstance(value, str) for value in values):
            raise ConfigError(f"-s {name}= takes texts separated by commas, not {values!r}")
        return tuple(value.strip() for value in values if value.strip())

    def scam_types(self, name: str) -> ScamTypes:
        """The rules of the file the setting names, or the packaged ones when it is empty."""
        path = str(self.settings.get(name) or "").strip()
        try:
            return ScamTypes.load(Path(path).expanduser() if path else None)
        except ScamTypesError as error:
            raise ConfigError(f"-s {name}=: {error}") from None

    def choice(self, name: str, choices: tuple[str, ...]) -> str:
        value = self.settings.get(name)
        if value not in choices:
            raise ConfigError(f"-s {name}= takes one of {' '.join(choices)}, not {value!r}")
        return str(value)

    def flag(self, name: str) -> bool:
        try:
            return self.settings.getbool(name)
        except ValueError:
            raise ConfigError(f"-s {name}= takes True or False, not "
                              f"{self.settings.get(name)!r}") from None

    def log_level(self, name: str) -> None:
        value = self.settings.get(name)
        levels = logging.getLevelNamesMapping()
        if not (isinstance(value, int) or value in levels):
            raise ConfigError(f"-s {name}= takes one of {' '.join(LOG_LEVELS)}, not {value!r}")

    def hosts(self, name: str, required: bool = False) -> tuple[str, ...]:
        hosts = self.texts(name)
        for host in hosts:
            parts = split_url(f"http://{host}/")
            if parts is None or parts.hostname != host.lower() or parts.port \
                    or not _HOST.fullmatch(host):  # matched as it is: *.qpic.cn is no host
                raise ConfigError(f"-s {name}= takes host names (like mp.weixin.qq.com) "
                                  f"separated by commas, not {host!r}")
        if required and not hosts:
            raise ConfigError(f"-s {name}= needs at least one host name")
        return tuple(host.lower() for host in hosts)

    def web_url(self, name: str) -> str:
        value = self.text(name)
        parts = split_url(value)
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"-s {name}= takes an http(s) URL, not {value!r}")
        return value.rstrip("/")

    def redis_url(self, name: str) -> str:
        """A Redis URL (``redis://[:password@]host:port/db``), or empty for none."""
        value = redis_url_setting(self.settings)
        if not value:
            return value
        parts = split_url(value)
        given = f"-s {name}=" if self.settings.get(name) else "the environment's WECHAT_REDIS_URL"
        refusal = f"{given} takes a Redis URL (redis://host:port/db), not {redacted(value)!r}"
        if parts is None or parts.scheme not in REDIS_SCHEMES \
                or not (parts.hostname or parts.scheme == "unix"):
            raise ConfigError(refusal + _unencoded(value))
        import redis  # only a job's commands need it

        try:  # its options, as the client will take them (TLS ones only on rediss://)
            redis.ConnectionPool.from_url(value).make_connection()
        except (TypeError, ValueError) as error:
            raise ConfigError(f"{refusal}: {error}") from None
        return value

    def slots(self, name: str) -> None:
        """Scrapy's ``DOWNLOAD_SLOTS``: host → its slot's numbers. A slot of no concurrency
        sends nothing, and the run waits for it for ever."""
        for host, slot in self.settings.getdict(name).items():
            if not isinstance(slot, dict):
                raise ConfigError(f"-s {name}= takes host names with their slot "
                                  f"({{\"mmbiz.qpic.cn\": {{\"concurrency\": 8, \"delay\": 0}}}}), "
                                  f"not {self.settings.get(name)!r}")
            unknown = sorted(set(slot) - set(SLOT_KEYS))  # Scrapy leaves them: a typo did nothing
            if unknown:
                raise ConfigError(f"-s {name}= slot of {host} takes {', '.join(SLOT_KEYS)}, "
                                  f"not {unknown[0]!r}")
            for key, (low, high) in SLOT_NUMBERS.items():
                _bounded(f"-s {name}= {key} of {host}", slot.get(key, low), _json_number, low, high)

    def integer(self, name: str, low: int, high: int | None = None) -> int:
        return int(self._number(name, int, low, high))

    def real(self, name: str, low: float, high: float | None = None) -> float:
        return self._number(name, float, low, high)

    def _number(self, name: str, kind: Callable[[Any], float], low: float,
                high: float | None) -> float:
        return _bounded(f"-s {name}=", self.settings.get(name), kind, low, high)

    def _list(self, name: str) -> list[Any]:
        value = self.settings.get(name)
        if isinstance(value, str) and value.lstrip().startswith("["):  # JSON, as the README's table
            try:
                value = json.loads(value)
            except ValueError as error:
                raise ConfigError(f"-s {name}= takes texts separated by commas, or a JSON "
                                  f"list of texts: {error}, in {value!r}") from None
        if isinstance(value, str):  # a Chinese input method's comma too, as -a tags= takes it
            return value.replace("，", ",").split(",")
        if isinstance(value, (list, tuple)):
            return list(value)
        raise ConfigError(f"-s {name}= takes texts separated by commas, not {value!r}")


def _json_number(raw: Any) -> float:
    """``raw``, if JSON gave a number: Scrapy takes a slot's ``"8"`` as it is, and fails on it."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise TypeError(raw)
    return raw


def _bounded(what: str, raw: Any, kind: Callable[[Any], float], low: float,
             high: float | None) -> float:
    """``raw`` as a number of ``kind`` from ``low`` to ``high``; else ``ConfigError`` saying
    that ``what`` takes one."""
    try:
        value = kind(raw)
    except (TypeError, ValueError, OverflowError):
        value = math.nan
    if not (math.isfinite(value) and low <= value <= (LARGEST if high is None else high)):
        bounds = f"from {low} to {high}" if high is not None else f"of {low} or more (to {LARGEST})"
        raise ConfigError(f"{what} takes a number {bounds}, not {raw!r}")
    return value

"""One setting read by name and checked, of each kind a setting takes (a text, a folder, host
names, a number in bounds …): ``ConfigError`` names the setting and says what it takes.
``Config.from_settings`` reads every setting of the archiver's through one ``SettingReader``.
"""

from __future__ import annotations

import errno
import json
import logging
import math
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from scrapy.settings import BaseSettings

from crawler.tagging.rules import ScamTypes, ScamTypesError
from crawler.wechat.urls import redacted, split_url, with_credentials

REDIS_SCHEMES = ("redis", "rediss", "unix")
_HOST = re.compile(r"[\w.-]+")
# A Redis job's name: no ':' (its keys are <job>:…, and a pattern of them, <job>:*, an ACL's or
# the README's that drops a job, must match no other job's) and nothing a pattern reads.
_JOB = re.compile(r"[A-Za-z0-9._-]+")
_FLAGS = ("True", "False", "true", "false", "1", "0")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# The most a number setting takes: more than any use needs, and what a C int holds (the
# garbage collector's threshold; SQLite and reads take no more than 64 bits).
LARGEST = 2**31 - 1
# The numbers a download slot of DOWNLOAD_SLOTS takes: (least, most)
SLOT_NUMBERS: dict[str, tuple[float, float | None]] = {
    "concurrency": (1, None), "delay": (0.0, None), "jitter": (0.0, 1.0)}
SLOT_KEYS = (*SLOT_NUMBERS, "randomize_delay")  # what Scrapy reads of a slot


class ConfigError(ValueError):
    """A setting that cannot be used; the message names it and says what it takes."""


def redis_url_setting(settings: BaseSettings) -> str:
    """``-s REDIS_URL=``, else the environment's ``WECHAT_REDIS_URL``: a URL with a
    password belongs in a file only its user reads (systemd's ``EnvironmentFile``), not on
    a command line every user of the machine sees. (Not ``REDIS_URL``, which other
    software sets for its own Redis: a run would quietly become a job's writer.)"""
    return str(settings.get("REDIS_URL") or os.environ.get("WECHAT_REDIS_URL", "")).strip()


def _unencoded(url: str) -> str:
    """What to do about a password holding a character that ends a URL's host part (a
    base64 one's /), which ``redacted`` hides: empty when it holds none."""
    userinfo = url.partition("//")[2].rpartition("@")[0]
    found = sorted({char for char in userinfo if char in "/?#"})
    if not found:
        return ""
    return (f": percent-encode the {' '.join(found)} in its password "
            f"({', '.join(f'{char} is %{ord(char):02X}' for char in found)})")


class SettingReader:
    """Reads settings by name, raising ``ConfigError`` with the name and what it takes."""

    def __init__(self, settings: BaseSettings):
        self.settings = settings

    def text(self, name: str) -> str:
        value = self.settings.get(name)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"-s {name}= takes a non-empty text, not {value!r}")
        return value.strip()

    def job_name(self, name: str) -> str:
        value = self.text(name)
        if not _JOB.fullmatch(value):
            raise ConfigError(f"-s {name}= takes a name of letters, digits, '-', '_' and '.', not {value!r}: "
                              "the job's keys are <job>:…, and a pattern of them must match no other job's")
        return value

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
        """A path, ``~`` its user's home (``from_home``)."""
        try:
            return from_home(self.text(name))
        except ConfigError as error:
            raise ConfigError(f"-s {name}= {error}") from None

    def folder(self, name: str) -> Path:
        """A path that is, or can be made, a folder: not a file, nor in one."""
        path = self.path(name)
        existing = next(p for p in (path, *path.parents) if p.exists() or p == p.parent)
        if existing.exists() and not existing.is_dir():
            raise ConfigError(f"-s {name}= takes a folder, not {str(path)!r}: {existing} is a file")
        return path

    def writable(self, name: str, folder: bool, within: Sequence[Path] = ()) -> None:
        """A folder this user can write or make (``folder``), and those of its folders
        ``within`` that it holds (a read-only mount there: the run would fetch all to write
        nothing); else a file in a folder that is and that this user can write: Scrapy opens
        them in its start-up, a traceback."""
        value = str(self.settings.get(name))
        if folder:
            path = self.folder(name)
            existing = next(p for p in (path, *path.parents) if p.exists() or p == p.parent)
        else:
            path = Path(value)
            if path.is_dir() or not path.parent.is_dir():
                raise ConfigError(f"-s {name}= takes a file in a folder that exists, not {value!r}")
            existing = path if path.exists() else path.parent
        for place in (existing, *(inside for inside in within if inside.is_dir())):
            refused = _write_refused(place)
            if refused:
                raise ConfigError(f"-s {name}= names {value!r}, which this user cannot write "
                                  f"({place}: {refused})")

    def texts(self, name: str) -> tuple[str, ...]:
        values = self._list(name)
        if any(not isinstance(value, str) for value in values):
            raise ConfigError(f"-s {name}= takes texts separated by commas, not {values!r}")
        return tuple(value.strip() for value in values if value.strip())

    def scam_types(self, name: str) -> ScamTypes:
        """The rules of the file the setting names, or the packaged ones when it is empty."""
        path = str(self.settings.get(name) or "").strip()
        try:
            return ScamTypes.load(from_home(path) if path else None)
        except ScamTypesError as error:
            raise ConfigError(f"-s {name}=: {error}") from None

    def choice(self, name: str, choices: tuple[str, ...]) -> str:
        value = self.settings.get(name)
        if value not in choices:
            raise ConfigError(f"-s {name}= takes one of {' '.join(choices)}, not {value!r}")
        return str(value)

    def flag(self, name: str) -> bool:
        """True or False, as Scrapy reads them (``1``, ``0``): not any whole number it reads as a
        flag (``-1`` was True)."""
        value = self.settings.get(name)
        if not (isinstance(value, bool) or str(value) in _FLAGS):
            raise ConfigError(f"-s {name}= takes True or False, not {value!r}")
        return self.settings.getbool(name)

    def log_level(self, name: str) -> None:
        value = self.settings.get(name)
        levels = logging.getLevelNamesMapping()
        if not (isinstance(value, int) or value in levels):
            raise ConfigError(f"-s {name}= takes one of {' '.join(LOG_LEVELS)}, not {value!r}")

    def hosts(self, name: str, required: bool = False) -> tuple[str, ...]:
        hosts = self.texts(name)
        for host in hosts:
            if not _HOST.fullmatch(host):  # matched as it is: *.qpic.cn is no host
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
        if parts.query or parts.fragment or value.rstrip("/").endswith(("?", "#")):
            raise ConfigError(f"-s {name}= takes an http(s) URL without a query or fragment (album "
                              f"pages are asked at it, /mp/appmsgalbum?…), not {value!r}")
        if with_credentials(value):
            raise ConfigError(f"-s {name}= takes an http(s) URL without a user name or password, "
                              f"which the crawler cannot ask a server with, not {redacted(value)!r}")
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
        except (TypeError, ValueError, redis.RedisError) as error:  # ?protocol=9: a ConnectionError
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
                kind = _json_whole if key == "concurrency" else _json_number
                _bounded(f"-s {name}= {key} of {host}", slot.get(key, low), kind, low, high)

    def integer(self, name: str, low: int, high: int | None = None) -> int:
        return int(self._number(name, _whole, low, high))

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


def _whole(raw: Any) -> int:
    """``raw`` as a whole number: a settings file's ``2.5`` is none (``int`` took it as 2)."""
    if isinstance(raw, float) and not raw.is_integer():
        raise ValueError(raw)
    return int(raw)


def _json_number(raw: Any) -> float:
    """``raw``, if JSON gave a number: Scrapy takes a slot's ``"8"`` as it is, and fails on it."""
    if not isinstance(raw, (int, float)):  # a bool, _bounded refuses
        raise TypeError(raw)
    return raw


def _json_whole(raw: Any) -> int:
    """``raw``, if JSON gave a whole number: a slot of concurrency 2.5 lets 3 requests out."""
    return _whole(_json_number(raw))


def _bounded(what: str, raw: Any, kind: Callable[[Any], float], low: float,
             high: float | None) -> float:
    """``raw`` as a number of ``kind`` from ``low`` to ``high``; else ``ConfigError`` saying
    that ``what`` takes one. A settings file gives Python's values: ``True`` is no number
    (taken as 1)."""
    try:
        if isinstance(raw, bool):
            raise TypeError(raw)
        value = kind(raw)
    except (TypeError, ValueError, OverflowError):
        value = math.nan
    if not (math.isfinite(value) and low <= value <= (LARGEST if high is None else high)):
        bounds = f"from {low} to {high}" if high is not None else f"of {low} or more (to {LARGEST})"
        raise ConfigError(f"{what} takes a number {bounds}, not {raw!r}")
    return value


def from_home(place: str) -> Path:
    """``place``, a leading ``~`` its user's home: the shell of cron (``sh``) leaves ``~/x``
    as it is. ``ConfigError`` when the user has no home (no ``HOME``, and none the system
    names: a container's user), where Python raises a ``RuntimeError``, or leaves the ``~``."""
    try:
        path = Path(place).expanduser()
    except RuntimeError:
        path = Path(place)
    if path.parts and path.parts[0].startswith("~"):
        raise ConfigError(f"{place!r}: this user has no home folder for its ~ (HOME is not set, "
                          "nor does the system name one): give the full path")
    return path


def _write_refused(place: Path) -> str:
    """Why this user cannot write the file ``place`` or make a file in the folder ``place``,
    or nothing. Tried, not asked of ``os.access``: root may write anything by permissions,
    and is refused only when it tries (``/proc``, a read-only mount)."""
    try:
        if place.is_dir():
            with tempfile.TemporaryFile(dir=place):
                pass
        else:  # without waiting: a FIFO with no reader would hold the open for ever
            file = os.open(place, os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK)
            try:
                os.write(file, b"")  # nothing written; a file that takes no writes says so
            finally:
                os.close(file)
    except OSError as error:
        if error.errno == errno.ENOENT and place.is_dir():  # /proc: there, but makes no files
            return "no file can be made in it"
        return error.strerror or str(error)
    return ""

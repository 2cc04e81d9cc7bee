"""When a WeChat article was published: the timestamp its scripts state or, in a page saved
without them, the date it shows, absolute (``2024年12月18日 18:08``) or relative (``4天前``).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from crawler.wechat import jsvars
from crawler.wechat.article import CHINA_TIME

_RELATIVE_TIME = re.compile(r"(刚刚|今天|昨天|前天)|(\d{1,4})\s*(分钟|小时|天|周)前")
_DAYS_AGO = {"刚刚": 0, "今天": 0, "昨天": 1, "前天": 2}
_UNIT = {"分钟": timedelta(minutes=1), "小时": timedelta(hours=1), "天": timedelta(days=1),
         "周": timedelta(weeks=1)}
_SHOWN_TIME = re.compile(r"(\d{4})[年-](\d{1,2})[月-](\d{1,2})日?(?:\s*(\d{1,2}):(\d{2}))?")


def published(page: bytes, cgi: jsvars.Fields) -> datetime | None:
    """The publish time the page's scripts state (``cgiDataNew``'s ``ori_create_time`` or
    ``create_time``, older pages' ``var ct``), in China time."""
    candidates = (lambda: cgi.get("ori_create_time", ""), lambda: cgi.get("create_time", ""),
                  lambda: jsvars.var(page, "ct"), lambda: jsvars.var(page, "create_time"))
    for candidate in candidates:  # in turn: each var lookup scans the page
        stamp = jsvars.number(candidate())
        if stamp and stamp > 0:
            try:
                return datetime.fromtimestamp(stamp, CHINA_TIME)
            except (OverflowError, OSError, ValueError):  # beyond what a date can hold
                return None
    return None


def shown_publish_time(shown: str) -> datetime | None:
    """The publish time the page shows (``2024年12月18日 18:08``, ``2018-03-20``), in China
    time: all that is left of it in a page a browser saved without its scripts."""
    match = _SHOWN_TIME.search(shown)
    if not match:
        return None
    year, month, day, hour, minute = (int(part) if part else 0 for part in match.groups())
    try:
        return datetime(year, month, day, hour, minute, tzinfo=CHINA_TIME)
    except ValueError:
        return None


def relative_publish_day(shown: str, seen_at: datetime) -> datetime | None:
    """The day of a relative publish time (``4天前``, ``昨天``, ``3小时前``) as the page
    showed it at ``seen_at``, at midnight China time: WeChat's own rounding makes the day
    the most it tells."""
    match = _RELATIVE_TIME.search(shown)
    if not match:
        return None
    word, number, unit = match.groups()
    ago = timedelta(days=_DAYS_AGO[word]) if word else _UNIT[unit] * int(number)
    day = (seen_at.astimezone(CHINA_TIME) - ago).date()
    return datetime(day.year, day.month, day.day, tzinfo=CHINA_TIME)

"""Scrapy's components that the crawl's settings turn off, left out before Scrapy imports them."""

from __future__ import annotations

from scrapy.settings import BaseSettings

# Each extension Scrapy loads by default, and the setting that turns it on. Scrapy imports
# an extension's module before the extension sees its setting off: the remote control's
# imports aiohttp, some 0.1 s of every run's start.
_OFF_UNLESS = {"TELNETCONSOLE_ENABLED": "scrapy.extensions.telnet.TelnetConsole",
               "REMOTE_CONTROL_ENABLED": "scrapy.extensions.remote_control.RemoteControl"}


class OffComponents:
    """A Scrapy add-on (``ADDONS``): the extensions whose settings are off are not loaded.

    Taken out of ``EXTENSIONS_BASE``: Scrapy 2.19 imports every key of ``EXTENSIONS``, even
    one set to None, to compare it with the base's."""

    def update_settings(self, settings: BaseSettings) -> None:
        base = settings.getdict("EXTENSIONS_BASE")
        for setting, extension in _OFF_UNLESS.items():
            if not settings.getbool(setting):
                base.pop(extension, None)
        settings.set("EXTENSIONS_BASE", base, priority=settings.getpriority("EXTENSIONS_BASE") or "addon")

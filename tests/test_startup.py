"""What a crawl imports: not Scrapy's components that its settings turn off, nor Pillow's
plugins of formats it never opens, nor anything of the tests. Every module imported is CPU
each run spends before its first request (an album of one article took 1.12 s against bare
Scrapy's 0.69 s)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from scrapy.utils.conf import build_component_list

from crawler.components import OffComponents
from tests.conftest import PROJECT, Served, crawl_command, crawl_env
from tests.test_config import settings

TELNET = "scrapy.extensions.telnet.TelnetConsole"
REMOTE_CONTROL = "scrapy.extensions.remote_control.RemoteControl"
# The plugins of the formats check_image opens (crawler/store/images.py), and PPM, which
# Pillow's own first guess loads with JPEG, PNG, GIF and BMP.
WEB_PLUGINS = {"Jpeg", "Mpo", "Png", "Gif", "WebP", "Bmp", "Ico", "Tiff", "Ppm"}


def extensions(**overrides: str) -> list[str]:
    values = settings(**overrides)
    OffComponents().update_settings(values)
    return [f"{c.__module__}.{c.__qualname__}" if isinstance(c, type) else c
            for c in build_component_list(values.get_component_priority_dict_with_base("EXTENSIONS"))]


def test_components_turned_off_are_not_loaded() -> None:
    loaded = extensions()
    assert TELNET not in loaded and REMOTE_CONTROL not in loaded
    assert "scrapy.extensions.corestats.CoreStats" in loaded


@pytest.mark.parametrize(("setting", "component"), [("TELNETCONSOLE_ENABLED", TELNET),
                                                    ("REMOTE_CONTROL_ENABLED", REMOTE_CONTROL)])
def test_a_component_turned_on_is_loaded(setting: str, component: str) -> None:
    assert component in extensions(**{setting: "True"})


def test_a_crawl_imports_nothing_it_does_not_use(legacy: Served, tmp_path: Path) -> None:
    result = subprocess.run(crawl_command("article", tmp_path, "-a", f"url={legacy.url}"),
                            cwd=PROJECT, env={**crawl_env(), "PYTHONPROFILEIMPORTTIME": "1"},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    imported = set(re.findall(r"^import time: +\d+ \| +\d+ \| +(\S+)$", result.stderr, re.MULTILINE))
    assert {"scrapy", "crawler.store.images", "PIL.PngImagePlugin"} <= imported  # read as it should be
    top = {name.split(".")[0] for name in imported}
    assert not top & {"aiohttp", "hypothesis", "pytest", "tests"}
    assert not {name for name in imported if name.startswith("twisted.conch")}
    plugins = {m[len("PIL."):-len("ImagePlugin")] for m in imported
               if m.startswith("PIL.") and m.endswith("ImagePlugin")}
    assert plugins <= WEB_PLUGINS

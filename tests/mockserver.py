"""A local stand-in for mp.weixin.qq.com and its image CDN, on 127.0.0.1 and a free port.

Routes are registered by path (and, for ``/s``, query); image routes match on path alone,
as the CDN does. Like the real CDN, an image request that carries a Referer gets the
"not allowed" placeholder picture instead of the image.
"""

from __future__ import annotations

import gzip
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from typing import Any
from urllib.parse import parse_qs, urlsplit

from PIL import Image


@dataclass
class Route:
    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def png(color: tuple[int, int, int], size: tuple[int, int] = (8, 6)) -> bytes:
    return _encode(Image.new("RGB", size, color), "PNG")


def jpeg(color: tuple[int, int, int], size: tuple[int, int] = (8, 6)) -> bytes:
    return _encode(Image.new("RGB", size, color), "JPEG", quality=90)


def webp(color: tuple[int, int, int], size: tuple[int, int] = (8, 6)) -> bytes:
    return _encode(Image.new("RGB", size, color), "WEBP")


def animated_gif(frames: int = 3) -> bytes:
    images = [Image.new("RGB", (8, 8), (60 * i, 255 - 60 * i, 0)) for i in range(frames)]
    out = BytesIO()
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=[70, 80, 90][:frames],
                   loop=0)
    return out.getvalue()


PLACEHOLDER = png((255, 0, 255), (2, 2))


class _Server(ThreadingHTTPServer):
    # The default backlog of 5 drops connections when a crawl opens dozens at once; the
    # client then waits seconds to try again, which is no part of what is measured.
    request_queue_size = 256
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client gone before its answer was sent (a timeout, a download cancelled past
        its size limit) is what tests do: no traceback in the suite's output for it."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class MockWeChat:
    """The stand-in server; a context manager (``with MockWeChat() as server:``) that starts
    and stops it. What it answers is given with ``page``, ``image``, ``redirect`` and
    ``route``."""

    def __init__(self) -> None:
        self._routes: dict[str, Route | Callable[[str], Route]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.latency = 0.0  # seconds before each answer
        # Called with each request's path before it is answered (a test may hold it there).
        self.before_answer: Callable[[str], None] = lambda path: None
        # Send HTML gzip-compressed to clients that accept it, as web servers commonly do.
        self.compress_html = False
        self.is_down = False
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> MockWeChat:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def down(self) -> None:
        """The network is down: connections to the stand-in are refused until ``up``, and
        those open (kept alive) are cut at their next request."""
        self.is_down = True
        self.stop()

    def up(self) -> None:
        """Back on the port it had before ``down``, answering as it did."""
        port = self._server.server_port
        self.is_down = False
        self._server = _Server(("127.0.0.1", port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def __enter__(self) -> MockWeChat:
        return self.start()

    def __exit__(self, *exception: object) -> None:
        self.stop()

    def route(self, path: str, answer: Route | Callable[[str], Route]) -> str:
        """Answer ``path`` (with its query, if any: else whatever the query) with ``answer``,
        a fixed ``Route`` or a function of the query; return its URL."""
        self._routes[path] = answer
        return self.base + path

    def body_of(self, path: str) -> bytes:
        """What ``path`` answers with (a fixed route)."""
        route = self._routes[path]
        assert isinstance(route, Route)
        return route.body

    def on_connect(self) -> None:
        """Called when a client connects, before its first request (a benchmark delays it)."""

    def page(self, path: str, html: str, status: int = 200) -> str:
        """Serve ``html`` at ``path`` (with its query, if any); return its URL."""
        return self.route(path, Route(status, "text/html; charset=utf-8", html.encode("utf-8")))

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        """Answer ``path`` (with its query, if any) with a redirect; return its URL."""
        return self.route(path, Route(status, "text/html", b"moved", (("Location", location),)))

    def image(self, path: str, body: bytes | Callable[[str], Route], status: int = 200,
              content_type: str = "image/png") -> str:
        """Serve an image at ``path`` whatever the query; return its URL."""
        return self.route(path, body if callable(body) else Route(status, content_type, body))

    def hits(self, path_prefix: str = "") -> list[tuple[str, dict[str, str]]]:
        with self._lock:
            return [r for r in self.requests if r[0].startswith(path_prefix)]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive, as mp.weixin.qq.com and its CDN answer. Headers and body go out in
            # two writes: with Nagle on, the body would wait for the client's delayed ACK.
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def setup(self) -> None:
                super().setup()
                server.on_connect()

            def do_GET(self) -> None:
                time.sleep(server.latency)
                server.before_answer(self.path)
                if server.is_down:
                    self.close_connection = True
                    return
                with server._lock:
                    server.requests.append((self.path, dict(self.headers)))
                parts = urlsplit(self.path)
                route = server._routes.get(self.path) or server._routes.get(parts.path)
                if callable(route):
                    route = route(parts.query)
                if route is None:
                    route = Route(404, "text/plain", b"not found")
                elif route.content_type.startswith("image/") and self.headers.get("Referer"):
                    route = Route(200, "image/png", PLACEHOLDER)
                body = route.body
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                for name, value in route.headers:
                    self.send_header(name, value)
                if server.compress_html and route.content_type.startswith("text/html") \
                        and "gzip" in self.headers.get("Accept-Encoding", ""):
                    body = gzip.compress(body, compresslevel=6)
                    self.send_header("Content-Encoding", "gzip")
                chunked = ("Transfer-Encoding", "chunked") in route.headers  # its length unsaid
                if chunked:
                    body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
                elif ("Connection", "close") not in route.headers:  # else its end is the close's
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


class Gate:
    """Holds the ``nth`` article page asked of the stand-in (``server.before_answer =
    gate.before_answer``) until ``open()``: a test acts while a crawl is surely in its
    middle (the page asked, the crawl waiting for it) however slow the machine, instead of
    racing it with a delay. With one article page in flight at a time, no later one is
    asked meanwhile. ``prefix="/mp/appmsgalbum"`` holds the ``nth`` album page instead."""

    def __init__(self, nth: int, patience: float = 120.0, prefix: str = "/s?"):
        self.nth = nth
        self.patience = patience
        self.prefix = prefix
        self.asked = 0
        self.reached = threading.Event()
        self.opened = threading.Event()
        self._lock = threading.Lock()

    def before_answer(self, path: str) -> None:
        if not path.startswith(self.prefix):
            return
        with self._lock:
            self.asked += 1
            held = self.asked == self.nth
        if held:
            self.reached.set()
            self.opened.wait(self.patience)

    def wait(self) -> None:
        """Until the page held is asked for."""
        assert self.reached.wait(self.patience), f"page {self.nth} of {self.prefix}… was never asked for"

    def open(self) -> None:
        self.opened.set()


def webp_when_asked(png_body: bytes, webp_body: bytes) -> Callable[[str], Route]:
    """An image route that, like the CDN, transcodes to WebP when the query has ``tp=webp``."""

    def route(query: str) -> Route:
        if parse_qs(query).get("tp") == ["webp"]:
            return Route(200, "image/webp", webp_body)
        return Route(200, "image/png", png_body)

    return route

"""A throwaway redis-server for tests and benchmarks: a free port, a temporary folder,
no persistence (nothing is saved to disk, nothing read back) unless asked for."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import redis


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    def __init__(self, password: str = "", persistent: bool = False) -> None:
        self.password = password
        self.persistent = persistent  # an append-only file, read back by ``start`` after ``stop``
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        password = quote(self.password, safe="")  # as a URL must carry its / # ? @ %
        return f"redis://{f':{password}@' if password else ''}127.0.0.1:{self.port}/0"

    @property
    def socket_url(self) -> str:
        """The same server through its Unix socket."""
        return f"unix://{self.folder / 'redis.sock'}?db=0"

    def start(self) -> RedisServer:
        """Starts the server, or starts it again after ``stop``: on the same port, empty
        (as a Redis without persistence comes back), or as it was when persistent."""
        server = shutil.which("redis-server")
        if server is None:
            raise RuntimeError("redis-server is not installed: run the README's install command")
        self.folder.mkdir(exist_ok=True)
        self.process = subprocess.Popen(
            [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes" if self.persistent else "no",
             "--dir", str(self.folder), "--unixsocket", str(self.folder / "redis.sock"), "--unixsocketperm", "700",
             *(["--requirepass", self.password] if self.password else [])],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"redis-server did not start on port {self.port}") from None
                time.sleep(0.02)
        client.close()
        return self

    def stop(self, keep: bool = False) -> None:
        """Stops the server; its folder (a persistent one's data) goes too unless ``keep``."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        if not keep:
            shutil.rmtree(self.folder, ignore_errors=True)

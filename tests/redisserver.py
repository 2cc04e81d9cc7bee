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
        self.started = False  # once: its URL then stays

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
        (as a Redis without persistence comes back), or as it was when persistent. The port
        ``free_port`` chose may be taken before the server binds it (another test's server,
        on a busy machine): a first start then takes another."""
        for _ in range(3):
            if self._started():
                return self
            if self.started:  # again after ``stop``: on its port or not at all
                break
            self.port = free_port()
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def _started(self) -> bool:
        """Whether this server, not another one on its port, answers within 10 seconds."""
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
        # Through its own socket: a server another test started on the port would answer there.
        client = redis.Redis.from_url(self.socket_url, password=self.password or None)
        deadline = time.monotonic() + 10
        try:
            while True:
                try:
                    client.ping()
                    self.started = True
                    return True
                except redis.ConnectionError:
                    if time.monotonic() > deadline or self.process.poll() is not None:
                        self.stop()
                        return False
                    time.sleep(0.02)
        finally:
            client.close()

    def stop(self, keep: bool = False) -> None:
        """Stops the server; its folder (a persistent one's data) goes too unless ``keep``."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        if not keep:
            shutil.rmtree(self.folder, ignore_errors=True)

"""A TCP proxy in front of a redis-server that can hold one reply: a test acts (stops a
process, kills it) at the moment a command has run in Redis and its caller has not had the
answer yet, instead of racing it with a delay; then lets the reply go, or cuts the
connection instead (a network cut after Redis ran the command)."""

from __future__ import annotations

import socket
import threading
from collections import deque
from collections.abc import Callable
from contextlib import suppress
from typing import Any, BinaryIO

# What Redis answered (bytes, an int, a list, None for nil) and the command it answers.
Hold = Callable[[list[bytes], Any], bool]


class RedisReplyError(Exception):
    """An error Redis answered."""


def read_value(stream: BinaryIO) -> tuple[bytes, Any]:
    """One RESP value (RESP2, or RESP3, which redis-py may speak): its bytes as read, and
    what it is (maps, sets and pushes as flat lists)."""
    line = stream.readline()
    if not line.endswith(b"\r\n"):
        raise EOFError
    kind, rest = line[:1], line[1:-2]
    if kind in (b"+", b",", b"#", b"("):
        return line, rest
    if kind == b"-":
        return line, RedisReplyError(rest.decode(errors="replace"))
    if kind == b":":
        return line, int(rest)
    if kind == b"_":
        return line, None
    if kind in (b"$", b"=", b"!"):
        if int(rest) < 0:
            return line, None
        data = stream.read(int(rest) + 2)
        if len(data) < int(rest) + 2:
            raise EOFError
        return line + data, RedisReplyError(data[:-2].decode(errors="replace")) if kind == b"!" else data[:-2]
    if kind in (b"*", b"~", b">", b"%", b"|"):
        if int(rest) < 0:
            return line, None
        parts = [read_value(stream) for _ in range(int(rest) * (2 if kind in (b"%", b"|") else 1))]
        raw = line + b"".join(part for part, _ in parts)
        if kind == b"|":  # attributes come before the reply they describe
            more, value = read_value(stream)
            return raw + more, value
        return raw, [value for _, value in parts]
    raise ValueError(f"not RESP: {line!r}")


class RedisProxy:
    """Passes every connection through to Redis; the first reply ``hold`` picks is kept
    from its caller until ``release()``, or never given by ``cut()``, which closes that
    connection (``held`` is set once Redis has answered it)."""

    def __init__(self, upstream_port: int, hold: Hold):
        self.upstream_port = upstream_port
        self.hold = hold
        self.held, self.released = threading.Event(), threading.Event()
        self.cut_off = False  # the held reply's connection is closed instead of answered
        self.command: list[bytes] = []  # the command whose reply is held
        self.reply: Any = None
        self._picked = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))  # a port no one can take first
        self.port = self._listener.getsockname()[1]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisProxy:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def release(self) -> None:
        self.released.set()

    def cut(self) -> None:
        self.cut_off = True
        self.released.set()

    def stop(self) -> None:
        """Redis gone for good: no connection accepted any more (closed first, so that a
        client does not reconnect meanwhile), and a reply still held never given."""
        _shut(self._listener)
        self.cut()
        for sock in self._sockets:
            _shut(sock)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError:  # Redis itself stopped: refused, as Redis would be, until it starts again
                client.close()
                continue
            self._sockets += [client, upstream]
            commands: deque[list[bytes]] = deque()
            threading.Thread(target=self._pass, args=(client, upstream, commands, False), daemon=True).start()
            threading.Thread(target=self._pass, args=(upstream, client, commands, True), daemon=True).start()

    def _pass(self, source: socket.socket, target: socket.socket, commands: deque[list[bytes]],
              replies: bool) -> None:
        """Each value read from ``source`` written to ``target``: commands noted, replies
        matched to them in order (Redis answers each connection's commands in turn)."""
        stream = source.makefile("rb")
        try:
            while True:
                raw, value = read_value(stream)
                if not replies:
                    commands.append(value)
                elif self._holds(commands.popleft(), value):
                    self.released.wait(120)
                    if self.cut_off:
                        raise EOFError
                target.sendall(raw)
        except (EOFError, OSError, ValueError, IndexError):
            for sock in (source, target):
                _shut(sock)

    def _holds(self, command: list[bytes], reply: Any) -> bool:
        with self._picked:
            if self.held.is_set() or not self.hold(command, reply):
                return False
            self.command, self.reply = command, reply
            self.held.set()
            return True


def _shut(sock: socket.socket) -> None:
    """Closes ``sock`` for every thread: shut down first, as a thread in ``accept()`` or
    reading it (the other direction's) holds it open past a mere ``close()``."""
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()

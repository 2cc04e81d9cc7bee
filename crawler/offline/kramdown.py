"""The blog's Markdown renderer, kramdown, for what must say what a reader sees.

The fidelity report and the tests render posts as Jekyll does (kramdown reading GFM) to
find what shows as text or runs as HTML. One Ruby process renders every post it is given,
one JSON line in and one out: starting Ruby costs about 0.1 s, a post a millisecond or two.
Jekyll's options that change what shows are Jekyll's: a paragraph's lines are not broken
(``hard_wrap: false``), where kramdown's GFM reader alone breaks each one.
Ruby's kramdown comes with Debian's ``jekyll`` package.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
from types import TracebackType

_SERVE = """
require "kramdown"
require "kramdown-parser-gfm"
require "json"
STDOUT.sync = true
STDIN.each_line do |line|
  puts JSON.generate(Kramdown::Document.new(JSON.parse(line), input: "GFM", hard_wrap: false).to_html)
end
"""


class RenderError(RuntimeError):
    """kramdown cannot be run, or failed on a post."""


class Kramdown:
    """A kramdown process rendering Markdown to HTML until closed (a context manager)."""

    def __init__(self) -> None:
        try:
            self.process = subprocess.Popen(["ruby", "-e", _SERVE], stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                            text=True, encoding="utf-8")
        except FileNotFoundError:
            raise RenderError("ruby is not installed: install Debian's jekyll (README)") from None

    def render(self, markdown: str) -> str:
        """``markdown`` as the blog's kramdown renders it."""
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(json.dumps(markdown) + "\n")
            stdin.flush()
            line = stdout.readline()
        except BrokenPipeError:
            line = ""
        if not line:
            raise RenderError(f"kramdown failed: {self._error()}")
        html: str = json.loads(line)
        return html

    def close(self) -> str:
        """End the process; what it said on stderr."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            with contextlib.suppress(BrokenPipeError):  # what a dead process was sent is unread
                self.process.stdin.close()
        said = self.process.stderr.read() if self.process.stderr is not None else ""
        self.process.wait(timeout=30)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        return said

    def _error(self) -> str:
        said = self.close().strip()
        return said.splitlines()[0] if said else f"exit status {self.process.returncode}"

    def __enter__(self) -> Kramdown:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.process.returncode is None:
            self.close()

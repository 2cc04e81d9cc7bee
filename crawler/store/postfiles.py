"""A post file as Jekyll reads it: where the posts are, their text, front matter and tags,
and the ``wechat:`` block that names the article (read without YAML, to rebuild an index)."""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from crawler.convert.post import tag_lines, tag_safe
from crawler.reading import open_regular

# The ``wechat:`` block of a front matter, its lines indented as the first is (four spaces as
# written; a person's editor may have made it two, or left spaces or a comment after the key).
WECHAT_BLOCK = re.compile(r"^wechat:(?:[ \t]+#.*|[ \t]*)\n(?:( +).*\n(?:\1.*\n)*)?", re.MULTILINE)
FRONT_MATTER = re.compile(r"\A---\n(?:.*?\n)??---\n", re.DOTALL)  # Jekyll takes an empty one
# The front matter as Jekyll finds it: its ``---`` lines may end in spaces.
_LOOSE_FRONT_MATTER = re.compile(r"---[ \t]*\n((?:.*\n)*?)---[ \t]*\n")
# A key and the tabs that set its value off, which Jekyll's YAML reader (Psych) takes and
# PyYAML refuses.
_KEY_TABS = re.compile(r"^( *[^\s#:'\"-][^:\n]*):[ \t]*\t", re.MULTILINE)
# What Ruby's String#split splits a string of tags at: ASCII whitespace only.
_TAG_SPACE = re.compile("[ \t\n\v\f\r]+")
# A front matter's ``tags:`` key and what belongs to it: the lines after it that are indented
# or items of a list.
_TAGS_KEY = re.compile(r"^tags:.*\n(?:(?:[ \t]|-(?:[ \t]|$)).*\n)*", re.MULTILINE)


def post_files(folder: Path) -> list[Path]:
    """The posts in ``folder`` and its folders, as Jekyll reads them (not a hidden one, nor
    one under a name starting with ``_``, nor a folder named ``….md``, whose posts are)."""
    return sorted(path for path in folder.rglob("*.md")
                  if not any(part[0] in "._" for part in path.relative_to(folder).parts)
                  and not path.is_dir())


def posts_in_folders(folder: Path) -> list[Path]:
    """The posts of ``post_files(folder)`` that are in its folders, not at its top: its top
    is listed without looking each file up (``stat``), which over thousands of posts would
    cost each run that names a new one a look at every post."""
    try:
        with os.scandir(folder) as entries:
            folders = [Path(entry.path) for entry in entries
                       if entry.name[0] not in "._" and entry.is_dir(follow_symlinks=False)]
    except OSError:  # no posts yet, or none this user may list: as ``rglob`` finds none
        return []
    return sorted(path for inner in folders for path in post_files(inner))


class PostError(ValueError):
    """A post file that cannot be read as one of ours; the message names the file."""


def read_post(path: Path) -> str:
    """A post's text as Jekyll reads it (CRLF line ends as LF, a byte order mark dropped: a
    Windows editor's; spaces after the front matter's ``---`` lines dropped, as Jekyll
    allows them); ``PostError`` when it cannot be read or is not UTF-8."""
    try:
        with io.TextIOWrapper(open_regular(path), encoding="utf-8-sig") as file:
            text = file.read()
        loose = _LOOSE_FRONT_MATTER.match(text)
        if loose and len(loose[0]) > len(loose[1]) + 8:  # not as written: "---\n" twice
            text = f"---\n{loose[1]}---\n{text[loose.end():]}"
        return text
    except UnicodeDecodeError as error:
        raise PostError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except OSError as error:
        raise PostError(f"{path}: cannot be read ({error.strerror or error})") from None


def archived_url(path: Path) -> str | None:
    """The ``wechat.url`` recorded in a post's front matter (read without parsing YAML)."""
    return archived_identity(path)[0]


def archived_identity(path: Path) -> tuple[str | None, int | None]:
    """The ``wechat.url`` and ``wechat.published`` (Unix time) of a post, read without
    parsing YAML: enough to rebuild a lost index. Looked for in the front matter, however
    long (a title may be thousands of characters), and not below it."""
    text = read_post(path)
    block = WECHAT_BLOCK.search(text, 0, text.find("\n---\n", 3) + 1)
    keys = dict(re.findall(rf"^{block.group(1)}(url|published):[ \t]+(.+)$", block.group(), re.MULTILINE)) \
        if block and block.group(1) else {}
    try:
        url = _scalar(keys["url"]) if "url" in keys else None
    except ValueError:
        raise PostError(f"{path}: wechat.url is not readable: {keys['url'][:80]!r}") from None
    try:
        stamp = int(datetime.fromisoformat(_scalar(keys["published"])).timestamp()) \
            if "published" in keys else None
    except ValueError:
        stamp = None
    return url, stamp


def _scalar(value: str) -> str:
    """A one-line YAML scalar's string: plain, double-quoted as written, or single-quoted
    (as another editor may have re-saved it); ``ValueError`` when it does not read."""
    value = value.strip()
    if value.startswith('"'):
        return str(json.loads(value))
    if value.startswith("'"):
        if len(value) < 2 or not value.endswith("'"):
            raise ValueError(value)
        return value[1:-1].replace("''", "'")
    return value


def front_matter(path: Path) -> dict[str, Any]:
    """A post's front matter, read back as YAML; ``PostError`` when it does not read back."""
    return _front_matter_of(read_post(path), path)


def _front_matter_of(post: str, path: Path | str) -> dict[str, Any]:
    """``post``'s front matter read back as YAML, ``path`` named in a ``PostError``."""
    match = FRONT_MATTER.match(post)
    if not match:
        raise PostError(f"{path}: no front matter between --- lines at the top")
    try:
        data = yaml.safe_load(_KEY_TABS.sub(r"\1: ", match.group(0)[4:-4]))
    except (yaml.YAMLError, ValueError) as error:  # ValueError: a date no calendar has
        raise PostError(f"{path}: front matter is not valid YAML: {_yaml_fault(error)}") from None
    if data is None:  # empty, or comments only: Jekyll publishes the post
        data = {}
    if not isinstance(data, dict):
        raise PostError(f"{path}: front matter is not a mapping")
    if not isinstance(data.get("wechat") or {}, dict):
        raise PostError(f"{path}: wechat: is not a mapping")
    return data


def _yaml_fault(error: Exception) -> str:
    """What PyYAML found wrong, at the line of the post where it starts: its own message
    counts lines of the front matter alone (one short of the file's, below the first
    ``---``) and quotes the lines around it, several lines for a log of one line each."""
    if not isinstance(error, yaml.MarkedYAMLError):
        return str(error)
    mark = error.context_mark or error.problem_mark
    said = "; ".join(part for part in (error.context, error.problem) if part)
    return f"line {mark.line + 2}: {said}" if mark else said


def front_matter_tags(front: dict[str, Any]) -> list[str]:
    """The ``tags`` of a post's front matter as Jekyll reads them, which a person editing a
    post may rely on: a string is split at spaces, an empty item is none, and ``yes`` or
    ``true`` is Ruby's ``true``."""
    tags = front.get("tags")
    if isinstance(tags, str):
        return [tag for tag in _TAG_SPACE.split(tags) if tag]
    if not isinstance(tags, list):
        return []
    return [str(tag).lower() if isinstance(tag, bool) else str(tag)
            for tag in tags if tag is not None]


def with_tags(post: str, retagged: Callable[[list[str]], Sequence[str]],
              path: Path | str = "post") -> tuple[str, list[str]] | None:
    """``post`` with the tags ``retagged`` makes of its own as its ``tags:`` (as
    ``render_post`` writes them) and nothing else changed, and those tags: a post that
    stands as it is given the tags a run asked for. ``post`` itself when they are its tags;
    None when its ``tags:`` key is not found, or the post would read back otherwise than so
    (a person's front matter of a shape this does not know): it is left as it is.
    ``PostError`` for a front matter that does not read (``path`` named)."""
    before = _front_matter_of(post, path)
    kept = front_matter_tags(before)
    tags = list(dict.fromkeys(map(tag_safe, retagged(kept))))
    if tags == kept:
        return post, kept
    end = post.find("\n---\n", 3) + 1
    found = _TAGS_KEY.search(post, 0, end)
    if found is None:
        return None
    text = post[:found.start()] + "".join(tag_lines(tags)) + post[found.end():]
    try:
        after = _front_matter_of(text, path)
    except PostError:
        return None
    if front_matter_tags(after) != tags or {**before, "tags": None} != {**after, "tags": None}:
        return None
    return text, tags

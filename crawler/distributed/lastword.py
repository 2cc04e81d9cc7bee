"""A job's writer's last word: why it stopped while Redis did not have the pages it took
as archived, for the job's next writer to say instead of guessing.

Kept with the archive (its state folder), not in Redis: a writer leaves pages taken in
Redis only when Redis does not hear it as it stops (away, refusing its password, full), so
Redis can hold no word of why. The job's next writer on the same archive, the usual one,
reads it; a writer killed or whose machine went down leaves none, nor one of another
archive, and the next run then says it does not know.
"""

from __future__ import annotations

import json
from contextlib import suppress
from pathlib import Path

from crawler.reading import open_regular
from crawler.store.files import atomic_write

# A word is a line; anything longer in the file is no word of this project.
MOST_BYTES = 4096


def word_file(state: Path, job: str) -> Path:
    return state / f"redis-{job}.lastword.json"


def leave(state: Path, job: str, writer: str, why: str) -> None:
    """Says that ``writer`` (host:pid) stopped because ``why``; a disk that refuses it leaves
    no word (the next run says it does not know)."""
    with suppress(OSError):
        atomic_write(word_file(state, job), json.dumps({"writer": writer, "why": why}).encode())


def read(state: Path, job: str) -> dict[str, str]:
    """The last word of the job's last writer on this archive: {writer: why}, or nothing."""
    try:
        with open_regular(word_file(state, job)) as file:
            data = file.read(MOST_BYTES + 1)
        word = json.loads(data)
    except (OSError, ValueError):  # none, unreadable, or not a word (hand-edited)
        return {}
    if len(data) > MOST_BYTES or not isinstance(word, dict):
        return {}
    writer, why = word.get("writer"), word.get("why")
    return {writer: why} if isinstance(writer, str) and isinstance(why, str) else {}


def forget(state: Path, job: str) -> None:
    """The word was read by the job's next writer: it is about no later stop."""
    with suppress(OSError):
        word_file(state, job).unlink(missing_ok=True)

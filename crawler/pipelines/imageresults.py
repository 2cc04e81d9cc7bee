"""What became of each image a run could not store, kept on disk for the rest of the run."""

from __future__ import annotations

from dataclasses import astuple, dataclass

from crawler.runsets import OwnDatabase, Refused, temporary_database


@dataclass(frozen=True)
class ImageResult:
    """Why one image URL could not be stored this run, read by every article that shows it."""

    transient: bool = False  # failed for a reason that may pass: the article stays incomplete
    reason: str = ""
    # the archive refused it (a full disk), for this cause (``cause_of``): the archive
    # cannot be written
    refused: str | None = None
    # a cause every image of a host then shares (``shared_cause``: the CDN failing, out of
    # reach), with that host: said by the first post it costs
    shared: str | None = None
    # transient, not refused: for how many days it has failed if this run says it at WARNING
    # (``ImageFailures``, asked once a run), else None
    warn_days: int | None = None


class FailedImages:
    """The ``ImageResult`` of each image URL that failed this run, in a temporary database:
    a later article showing the image is told its failure without asking the CDN again,
    and the run's memory does not grow by a record for each failing image (a CDN refusing
    every picture of a long run fails thousands). A failed download is found by its
    request's fingerprint too: Scrapy asks ``?a=1&b=2`` and ``?b=2&a=1`` once. A statement
    SQLite refuses (its temporary folder's disk full) is the run's ``refused``'s
    (``OwnDatabase``): what failed is forgotten, and a later article asks for it again."""

    def __init__(self, refused: Refused) -> None:
        connection = temporary_database()
        connection.execute("CREATE TABLE failed (url TEXT PRIMARY KEY, transient INTEGER, reason TEXT,"
                           " refused TEXT, shared TEXT, warn_days INTEGER, fingerprint BLOB) WITHOUT ROWID")
        connection.execute("CREATE INDEX failed_fingerprint ON failed (fingerprint)")
        self._db = OwnDatabase(connection, refused)
        # Until one fails, nothing is asked: a look-up costs 3.6 us, and a run looks up each
        # picture two or three times
        self._none = True

    def get(self, url: str, fingerprint: bytes | None = None) -> ImageResult | None:
        """What became of ``url``, or of a download whose request had ``fingerprint``."""
        if self._none:
            return None
        _, rows = self._db.executed("SELECT transient, reason, refused, shared, warn_days FROM failed"
                                    " WHERE url = ? OR fingerprint = ? LIMIT 1", url, fingerprint)
        return ImageResult(bool(rows[0][0]), *rows[0][1:]) if rows else None

    def __contains__(self, url: object) -> bool:
        return not self._none and bool(self._db.executed("SELECT 1 FROM failed WHERE url = ?", url)[1])

    def put(self, url: str, result: ImageResult, fingerprint: bytes | None = None) -> None:
        self._db.executed("INSERT OR REPLACE INTO failed VALUES (?, ?, ?, ?, ?, ?, ?)",
                          url, *astuple(result), fingerprint)
        self._none = False

    def close(self) -> None:
        self._db.close()

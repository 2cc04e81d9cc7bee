"""The capture file's bytes (``crawler.store.warc``): a record framed as its own gzip member,
read back member by member past damage, and the end of the last whole record found after
a crash."""

from __future__ import annotations

import gzip
import zlib
from datetime import UTC, datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path

import pytest

from crawler.store import warc

MOMENT = datetime(2021, 7, 28, 18, 30, 5, 123456, tzinfo=timezone(timedelta(hours=8)))
URL = "https://mp.weixin.qq.com/s/Token"


def resource(payload: bytes, url: str = URL) -> bytes:
    return warc.record("resource", url, MOMENT, "text/html", b"", payload)


def response(payload: bytes) -> bytes:
    head = warc.http_head("HTTP/1.1 200 OK", [("Content-Type", "text/html; charset=utf-8")])
    return warc.record("response", URL, MOMENT, "application/http; msgtype=response", head, payload)


def capture_file(tmp_path: Path, *parts: bytes) -> Path:
    path = tmp_path / "captures.warc.gz"
    path.write_bytes(b"".join(parts))
    return path


def test_a_record_is_one_gzip_member_warcio_reads_with_its_fields() -> None:
    member = response(b"<html>page</html>")
    assert member.startswith(b"\x1f\x8b\x08")
    found = warc.parsed(gzip.decompress(member))
    assert found is not None
    parsed, body = found
    headers = parsed.rec_headers
    assert body == b"<html>page</html>"
    assert headers.get_header("WARC-Type") == "response"
    assert headers.get_header("WARC-Target-URI") == URL
    assert headers.get_header("WARC-Date") == "2021-07-28T10:30:05.123456Z"  # China time in UTC
    assert headers.get_header("WARC-Record-ID").startswith("<urn:uuid:")
    assert parsed.http_headers.get_statuscode() == "200"


def test_a_request_record_has_no_payload_digest_and_names_its_response() -> None:
    member = warc.record("request", URL, MOMENT, "application/http; msgtype=request",
                         b"GET /s/Token HTTP/1.1\r\n\r\n", b"", record_id="<urn:uuid:a>",
                         concurrent_to="<urn:uuid:b>")
    text = gzip.decompress(member).decode()
    assert "WARC-Payload-Digest" not in text
    assert "WARC-Record-ID: <urn:uuid:a>\r\n" in text
    assert "WARC-Concurrent-To: <urn:uuid:b>\r\n" in text


def test_a_body_cut_short_or_changed_is_no_page() -> None:
    record = gzip.decompress(resource(b"0123456789" * 100))
    assert warc.parsed(record) is not None
    assert warc.parsed(record.replace(b"0123456789", b"9876543210", 1)) is None  # digest differs
    assert warc.parsed(record[:-500]) is None
    assert warc.parsed(b"") is None


def test_members_reads_each_record_with_its_offset(tmp_path: Path) -> None:
    first, second = resource(b"first"), resource(b"second")
    path = capture_file(tmp_path, first, second)
    read = list(warc.members(path))
    assert [offset for offset, _ in read] == [0, len(first)]
    bodies = [found[1] for _, record in read if record and (found := warc.parsed(record))]
    assert bodies == [b"first", b"second"]


def test_a_damaged_stretch_is_one_none_and_reading_goes_on_at_the_next_record(tmp_path: Path) -> None:
    first, second, third = resource(b"first"), resource(b"second"), resource(b"third")
    damaged = second[:10] + bytes(len(second) - 10)  # a gzip header, then zeros
    path = capture_file(tmp_path, first, damaged, b"garbage \x1f\x8b\x08 not gzip", third)
    read = list(warc.members(path))
    assert [record is None for _, record in read] == [False, True, False]
    assert read[1][0] == len(first)
    assert read[2][0] == len(first) + len(damaged) + len(b"garbage \x1f\x8b\x08 not gzip")
    assert warc.parsed(read[2][1]) is not None  # type: ignore[arg-type]


def test_a_gzip_member_that_is_no_warc_record_is_not_a_record(tmp_path: Path) -> None:
    path = capture_file(tmp_path, gzip.compress(b"plain text, no WARC head"), resource(b"page"))
    read = list(warc.members(path))
    assert [record is None for _, record in read] == [True, False]


def test_damage_only_at_the_end_ends_the_reading(tmp_path: Path) -> None:
    first = resource(b"first")
    path = capture_file(tmp_path, first, b"\x00" * 10)
    read = [(offset, record is None) for offset, record in warc.members(path)]
    assert read == [(0, False), (len(first), True)]


def test_member_at_gives_the_members_length_without_what_follows() -> None:
    first, second = resource(b"first"), resource(b"second")
    stream = BytesIO(first + second)
    found = warc.member_at(stream, len(first))
    assert found is not None and found[1] == len(second)
    assert warc.member_at(stream, 1) is None
    assert warc.member_at(BytesIO(first[:-8]), 0) is None  # torn: the stream ends mid-member


@pytest.mark.parametrize("cut", [1, 20, -1])
def test_sound_end_is_where_the_last_whole_record_ends(tmp_path: Path, cut: int) -> None:
    first, second, torn = resource(b"first"), resource(b"second"), resource(b"torn" * 200)
    path = capture_file(tmp_path, first, second, torn[:cut])
    assert warc.sound_end(path, path.stat().st_size) == len(first) + len(second)


def test_sound_end_of_a_whole_file_is_its_size_and_of_nothing_whole_zero(tmp_path: Path) -> None:
    whole = capture_file(tmp_path, resource(b"a"), resource(b"b"))
    assert warc.sound_end(whole, whole.stat().st_size) == whole.stat().st_size
    torn = tmp_path / "torn.warc.gz"
    torn.write_bytes(resource(b"only")[:-4])
    assert warc.sound_end(torn, torn.stat().st_size) == 0
    empty = tmp_path / "empty.warc.gz"
    empty.write_bytes(b"")
    assert warc.sound_end(empty, 0) == 0


def test_sound_end_is_not_fooled_by_gzip_magic_inside_a_torn_record(tmp_path: Path) -> None:
    """A torn tail can hold gzip's magic bytes without a member there: the end found is
    the last whole record's, not the place of the magic."""
    first = resource(b"first")
    path = capture_file(tmp_path, first, b"torn \x1f\x8b\x08" + zlib.compress(b"x"))
    assert warc.sound_end(path, path.stat().st_size) == len(first)


@pytest.mark.parametrize("tail", [10, 300, 1 << 20])
def test_sound_end_of_a_file_longer_than_it_looks_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        tail: int) -> None:
    """Only the file's last ``_TAIL`` bytes are searched for a record's start; when they hold
    none (a torn record longer than that), the records are walked from the file's start."""
    monkeypatch.setattr(warc, "_TAIL", tail)
    records = [resource(str(n).encode() * 50) for n in range(4)]
    path = capture_file(tmp_path, *records, resource(b"torn" * 100)[:-30])
    assert warc.sound_end(path, path.stat().st_size) == sum(map(len, records))


def test_the_http_head_is_latin_1_on_the_wire() -> None:
    head = warc.http_head("HTTP/1.1 200 OK", [("X-Name", "café"), ("X-Other", "中文")])
    assert head == b"HTTP/1.1 200 OK\r\nX-Name: caf\xe9\r\nX-Other: ??\r\n\r\n"


def test_the_reason_phrase_of_a_status_and_of_one_http_does_not_know() -> None:
    assert warc.reason(404) == "Not Found"
    assert warc.reason(299) == "Unknown"


def test_record_ids_are_unique() -> None:
    assert len({warc.new_record_id() for _ in range(100)}) == 100


def test_the_date_is_utc_whatever_the_zone_given() -> None:
    text = gzip.decompress(resource(b"x")).decode("latin-1")
    assert "WARC-Date: 2021-07-28T10:30:05.123456Z\r\n" in text
    utc = warc.record("resource", URL, MOMENT.astimezone(UTC), "text/html", b"", b"x")
    assert "WARC-Date: 2021-07-28T10:30:05.123456Z\r\n" in gzip.decompress(utc).decode("latin-1")

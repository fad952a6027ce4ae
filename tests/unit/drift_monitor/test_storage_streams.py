"""An S3 body that breaks off while it streams is resumed, from where it stopped, on the
same version of the object (botocore retries the request, not the reading after it)."""

import pytest
from botocore.exceptions import ResponseStreamingError

from drift_monitor.storage import STREAM_ATTEMPTS, Storage

DATA = bytes(range(256)) * 40  # 10,240 bytes


class Body:
    def __init__(self, data: bytes, break_after: int | None):
        self.data, self.break_after = data, break_after

    def iter_chunks(self, size: int):
        for start in range(0, len(self.data), size):
            if self.break_after is not None and start >= self.break_after:
                raise ResponseStreamingError(error="Connection broken: IncompleteRead")
            yield self.data[start : start + size]
        if self.break_after == len(self.data):  # the connection drops at the very end
            raise ResponseStreamingError(error="Connection broken: IncompleteRead")


class BreakingS3:
    """get_object whose body breaks after `breaks[i]` bytes on the i-th call (None: whole)."""

    def __init__(self, *breaks: int | None, data: bytes = DATA):
        self.breaks, self.data, self.calls = list(breaks), data, []

    def get_object(self, Bucket, Key, Range=None, IfMatch=None):
        self.calls.append({"Range": Range, "IfMatch": IfMatch})
        start = int(Range.removeprefix("bytes=").rstrip("-")) if Range else 0
        part = self.data[start:]
        cut = self.breaks.pop(0) if self.breaks else None
        return {"ETag": '"v1"', "ContentLength": len(part), "Body": Body(part, cut)}


def test_a_body_that_breaks_off_is_resumed_where_it_stopped():
    s3 = BreakingS3(4096, 2048)
    chunks = list(Storage(s3).iter_chunks("s3://b/capture/x.jsonl", 1024))
    assert b"".join(chunks) == DATA
    assert s3.calls == [
        {"Range": None, "IfMatch": None},
        {"Range": "bytes=4096-", "IfMatch": '"v1"'},
        {"Range": "bytes=6144-", "IfMatch": '"v1"'},
    ]


def test_small_files_are_resumed_too():
    s3 = BreakingS3(0)
    assert Storage(s3).read_bytes("s3://b/baseline/statistics.json") == DATA
    assert [c["Range"] for c in s3.calls] == [None, None]  # nothing read yet: from the start


def test_a_body_that_keeps_breaking_fails_after_the_last_attempt():
    s3 = BreakingS3(*[1024] * STREAM_ATTEMPTS)
    with pytest.raises(ResponseStreamingError):
        list(Storage(s3).iter_chunks("s3://b/capture/x.jsonl", 1024))
    assert len(s3.calls) == STREAM_ATTEMPTS == 3


def test_a_break_after_the_last_byte_loses_nothing_and_asks_for_no_more():
    s3 = BreakingS3(len(DATA))
    assert b"".join(Storage(s3).iter_chunks("s3://b/x", 1024)) == DATA
    assert len(s3.calls) == 1

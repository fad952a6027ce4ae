"""The fast path's decoders (msgspec), apart from ``capture`` so that importing the
package needs neither msgspec nor pyarrow: code that only builds baselines (the build
pipeline's step on a plain image) never loads them; ``CaptureParser`` does."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

DecodeErrors = (msgspec.DecodeError, msgspec.ValidationError)


# The fast path's view of a capture line: only the fields it reads, decoded by msgspec
# straight into these (untracked by the garbage collector: a million small objects would
# otherwise trigger collections). Other fields are skipped, still validated as JSON. A
# line that does not fit (a field missing or of another type, invalid JSON) raises, and
# goes through the checked path (capture.CaptureParser.feed_line), which counts what
# is wrong.
class _Input(msgspec.Struct, gc=False):
    data: str
    encoding: str
    observedContentType: str


class _Capture(msgspec.Struct, gc=False):
    endpointInput: _Input


class _Metadata(msgspec.Struct, gc=False):
    inferenceTime: str


class _Record(msgspec.Struct, gc=False):
    captureData: _Capture


class _TimedRecord(msgspec.Struct, gc=False):
    captureData: _Capture
    eventMetadata: _Metadata


decode_lines = msgspec.json.Decoder(_Record).decode_lines
decode_timed_lines = msgspec.json.Decoder(_TimedRecord).decode_lines


# A record's output block as plain JSON values (dicts, lists, str...), the same values
# the stdlib decoder gives the checked path: read only for an input of another width
# than the baseline's, whose output may complete the row (CaptureParser._take_reshaped).
class _OutputCapture(msgspec.Struct, gc=False):
    endpointOutput: Any = None


class _OutputRecord(msgspec.Struct, gc=False):
    captureData: _OutputCapture


decode_output = msgspec.json.Decoder(_OutputRecord).decode


# The same, when the output is a block of three strings (the common case, read typed).
class _CsvOutputCapture(msgspec.Struct, gc=False):
    endpointOutput: _Input


class _CsvOutputRecord(msgspec.Struct, gc=False):
    captureData: _CsvOutputCapture


decode_csv_output = msgspec.json.Decoder(_CsvOutputRecord).decode


# The whole-unit path (capture.CaptureParser._take_unit): as above, with the encoding
# required to be CSV, so that a unit with any other record fails in msgspec itself. The
# first try also requires the content type SageMaker's serializers send, ``text/csv``
# (checked by msgspec, not per record in Python); other CSV content types are then
# checked per record.
class _CsvInput(msgspec.Struct, gc=False):
    data: str
    encoding: Literal["CSV"]
    observedContentType: str


class _TextCsvInput(msgspec.Struct, gc=False):
    data: str
    encoding: Literal["CSV"]
    observedContentType: Literal["text/csv"]


class _CsvCapture(msgspec.Struct, gc=False):
    endpointInput: _CsvInput


class _TextCsvCapture(msgspec.Struct, gc=False):
    endpointInput: _TextCsvInput


class _CsvRecord(msgspec.Struct, gc=False):
    captureData: _CsvCapture


class _CsvTimedRecord(msgspec.Struct, gc=False):
    captureData: _CsvCapture
    eventMetadata: _Metadata


class _TextCsvRecord(msgspec.Struct, gc=False):
    captureData: _TextCsvCapture


class _TextCsvTimedRecord(msgspec.Struct, gc=False):
    captureData: _TextCsvCapture
    eventMetadata: _Metadata


# (text/csv decoder, any-CSV decoder), without and with the inference time.
CSV_DECODERS = (
    msgspec.json.Decoder(_TextCsvRecord).decode_lines,
    msgspec.json.Decoder(_CsvRecord).decode_lines,
)
CSV_TIMED_DECODERS = (
    msgspec.json.Decoder(_TextCsvTimedRecord).decode_lines,
    msgspec.json.Decoder(_CsvTimedRecord).decode_lines,
)

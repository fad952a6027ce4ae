"""The fast path's decoders (msgspec), apart from ``capture`` so that importing the
package needs neither msgspec nor pyarrow: code that only builds baselines (the build
pipeline's step on a plain image) never loads them; ``CaptureParser`` does."""

from __future__ import annotations

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

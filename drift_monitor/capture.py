"""Parse SageMaker data capture (JSON lines) into column batches of a window profile.

A capture line is ``{"captureData": {"endpointInput": {...}, "endpointOutput": {...}},
"eventMetadata": {"eventId", "inferenceTime", ...}, "eventVersion": "0"}``; each of
input/output carries ``observedContentType``, ``mode``, ``data`` and ``encoding``
(``CSV``, ``JSON`` or ``BASE64``). A request may carry several rows.

Rows map to the baseline's features in order: the input columns, followed by the output
columns when the input alone is short of the baseline's width by exactly the output's.
CSV rows of a file are collected as text and split in bulk; JSON rows go through the
same column conversion. Bad input is counted per kind, never raised.
"""

from __future__ import annotations

import base64
import binascii
import csv
import json
from collections.abc import Iterable, Iterator
from itertools import repeat
from typing import Any

import numpy as np

from drift_monitor.columns import parse_csv_block, parse_csv_text_block
from drift_monitor.profile import WindowProfile

CHUNK_ROWS = 20_000  # rows per vectorised batch: bounds memory whatever the file size
# Units of a file (line_units) hold CHUNK_ROWS times this many bytes: 5 MB, about 11,000
# capture lines of 20 features (~450 bytes a line). Each unit pays a fixed setup (msgspec,
# Arrow's reader, a dozen numpy calls per feature): a 10,000-row window of that width in
# one unit rather than two was ~10 % faster in make bench's windows (4 MB units), with
# no change at 100,000 rows.
UNIT_BYTES_PER_ROW = 250

CSV, JSON, JSONL = "csv", "json", "jsonl"
_decode = json.JSONDecoder().decode


BLOCK_LINES = 2_000  # capture lines decoded per msgspec call


def payload_format(content_type: object, encoding: object) -> str | None:
    """The payload's format from its content type, else from its encoding; None when
    unknown, which includes a content type or encoding that is not a JSON string."""
    if content_type is not None and not isinstance(content_type, str):
        return None
    ct = (content_type or "").lower()
    if "csv" in ct:
        return CSV
    if "jsonlines" in ct or "jsonl" in ct:
        return JSONL
    if "json" in ct:
        return JSON
    if not ct:
        enc = encoding.upper() if isinstance(encoding, str) else ""
        return {"CSV": CSV, "JSON": JSON}.get(enc)
    return None


def decode_payload(block: dict[str, Any]) -> str:
    data = block.get("data")
    if not isinstance(data, str):
        raise ValueError("no data")
    if str(block.get("encoding", "")).upper() == "BASE64":
        return base64.b64decode(data, validate=True).decode("utf-8")
    return data


def _json_rows(obj: Any) -> list[Any]:
    """Rows of a JSON payload: a row is a list of values or an object of named values."""
    if isinstance(obj, dict):
        for key in ("instances", "inputs", "predictions", "outputs"):
            if isinstance(obj.get(key), list):
                return [_json_row(r) for r in obj[key]]
        if isinstance(obj.get("features"), list):
            return [obj["features"]]
        return [obj]
    if isinstance(obj, list):
        if obj and all(isinstance(r, (list, dict)) for r in obj):
            return [_json_row(r) for r in obj]
        return [obj]
    return [[obj]]


def _json_row(row: Any) -> Any:
    if isinstance(row, dict) and isinstance(row.get("features"), list):
        return row["features"]
    return row if isinstance(row, (list, dict)) else [row]


def payload_rows(block: dict[str, Any]) -> tuple[str, list[Any]]:
    """(format, rows) of one capture block; CSV rows stay unsplit text when unquoted."""
    fmt = payload_format(block.get("observedContentType"), block.get("encoding"))
    if fmt is None:
        raise LookupError(str(block.get("observedContentType")))
    text = decode_payload(block)
    if fmt == CSV:
        if '"' in text:
            return JSON, [row for row in csv.reader(text.splitlines()) if row]
        return CSV, [line for line in text.splitlines() if line.strip()]
    if fmt == JSONL:
        rows: list[Any] = []
        for line in text.splitlines():
            if line.strip():
                rows.extend(_json_rows(json.loads(line)))
        return JSON, rows
    return JSON, _json_rows(json.loads(text))


def line_units(chunks: Iterable[bytes], max_bytes: int) -> Iterator[bytes | memoryview]:
    """A file's bytes, given in pieces cut anywhere, as units of whole lines: a unit
    ends at the first newline at least ``max_bytes`` after its start (the last unit
    holds the rest), so units depend on the file's bytes alone. Each unit comes without
    its final newline; inside a piece it is a view of it (no copy)."""
    rest: bytes | memoryview = b""  # a unit's start, cut off by the end of a piece
    for chunk in chunks:
        view = memoryview(chunk)
        start = 0
        if rest:
            cut = chunk.find(b"\n", max(0, max_bytes - len(rest)))
            if cut < 0:
                rest = b"".join((rest, chunk))
                continue
            yield b"".join((rest, view[:cut]))
            start = cut + 1
        while (cut := chunk.find(b"\n", start + max_bytes)) >= 0:
            yield view[start:cut]
            start = cut + 1
        rest = view[start:]
    if len(rest) and rest[-1:] == b"\n":  # the file's final newline
        rest = rest[:-1]
    if len(rest):
        yield rest


class CaptureParser:
    """Feeds capture lines of one file into a :class:`WindowProfile`, chunk by chunk.

    ``start``/``end`` are ISO-8601 strings ``YYYY-MM-DDTHH:MM:SS`` (UTC); a record
    counts when its ``eventMetadata.inferenceTime`` is in ``[start, end)``.
    """

    def __init__(
        self, profile: WindowProfile, start: str | None = None, end: str | None = None
    ) -> None:
        self.profile = profile
        self.width = len(profile.names)
        self.index = {name: i for i, name in enumerate(profile.names)}
        self.filtered = start is not None or end is not None
        self.start = start or ""  # "" sorts before, "~" after every timestamp
        self.end = end or "~"
        self.commas = self.width - 1
        self.kinds = profile.column_kinds
        self.csv_lines: list[str] = []
        self.value_rows: list[list[Any]] = []
        self._scanned: list[Any] = []  # the last piece searched for a backslash, and the answer
        from drift_monitor import capture_fast  # msgspec: only where capture is parsed

        self.fast = capture_fast

    # -- one file ---------------------------------------------------------------
    def feed_file(self, lines: Iterable[bytes | str]) -> None:
        """One file given line by line (the lines of :meth:`feed_chunks`'s pieces)."""
        block: list[bytes] = []
        for line in lines:
            if isinstance(line, str):
                self.feed_line(line)
            elif line.strip():
                block.append(line)
                if len(block) >= BLOCK_LINES:
                    self._feed_block(block)
                    block = []
            self._flush_when_full()
        if block:
            self._feed_block(block)
        # Flushing at file end keeps chunk boundaries a function of the file alone,
        # so the result does not depend on how files are grouped into shards.
        self.flush()

    def feed_chunks(self, chunks: Iterable[bytes]) -> None:
        """One file given in pieces of any size (``Storage.iter_chunks``), regrouped into
        units of whole lines of about ``CHUNK_ROWS`` capture lines (:func:`line_units`);
        a unit of plain CSV capture is taken as a whole (:meth:`_take_unit`), any other
        is split into lines. Either way a unit's rows are one batch, so the batches, and
        with them the rounding of each batch's float sums, depend on the file alone, not
        on where its pieces were cut."""
        for unit in line_units(chunks, CHUNK_ROWS * UNIT_BYTES_PER_ROW):
            if not self._take_unit(unit):
                self._feed_lines(bytes(unit).split(b"\n"))
                self.flush()
        self._scanned = []  # not holding the file's last piece
        self.flush()

    def _take_unit(self, piece: bytes | memoryview) -> bool:
        """Whole lines of one file, taken in a handful of C calls when every line is one
        capture record whose input is one plain CSV row of the baseline's width, all in
        the window (or all outside it). False, having counted nothing, otherwise: the
        caller then goes block by block and, where needed, line by line.

        The checks: no empty line, one decoded record per line (msgspec skips a
        whitespace-only line and reads two values off one line: either changes the
        count; both in one unit cancel out, as do two records on one line and one record
        written across two lines, and the unit is then taken as the records msgspec
        read where the line path counts the odd lines malformed: no capture writer
        produces such a unit, and telling it apart would cost one more pass over every
        unit, so that case alone is not exact), encoding ``CSV`` and a CSV content type
        on every record, inference times all inside ``[start, end)`` (their minimum and
        maximum: comparing whole ISO strings with 19-character bounds is the same as
        comparing their first 19 characters), no quote, ``\\r`` or embedded newline in
        any input, and Arrow's reader, which refuses a row of another width and a numeric
        field that is not a number, returning one row per record."""
        fast = self.fast
        text_csv, any_csv = fast.CSV_TIMED_DECODERS if self.filtered else fast.CSV_DECODERS
        try:
            records = text_csv(piece)
            checked = True
        except fast.DecodeErrors:
            try:
                records = any_csv(piece)
            except fast.DecodeErrors:
                return False
            checked = False
        # An empty line counts here and not in msgspec: the line path drops it.
        if len(records) != _newlines(piece) + 1:
            return False
        if self.filtered:
            # Sorting gives the first and last time exactly; capture is written in about
            # time order, which list.sort takes in about one string comparison per record
            # (a third of min() and max() together, which compare generically).
            times = sorted([r.eventMetadata.inferenceTime for r in records])
            first, last = times[0], times[-1]
            if last < self.start or first >= self.end:
                return True  # all outside the window: nothing is counted, as line by line
            if first < self.start or last >= self.end:
                return False
        if not checked:
            kinds = {r.captureData.endpointInput.observedContentType for r in records}
            if not all("csv" in kind for kind in kinds):
                return False
        texts = [r.captureData.endpointInput.data for r in records]
        joined = "\n".join(texts)
        # JSON spells a quote, a carriage return and a newline inside a string with a
        # backslash (RFC 8259, section 7; msgspec refuses them raw): with no backslash
        # in the unit's bytes no input can hold one, and the three scans are skipped.
        if _has_backslash(piece, self._scanned) and (
            '"' in joined or "\r" in joined or joined.count("\n") != len(texts) - 1
        ):
            return False
        parsed = parse_csv_block(texts, *self.kinds, joined)
        if parsed is None:
            return False
        self.profile.records += len(texts)
        self.profile.update_block(len(texts), *parsed)
        return True

    def _feed_lines(self, lines: list[bytes]) -> None:
        # Empty lines dropped here; a whitespace-only one makes its block's count differ
        # from msgspec's, and the block goes line by line (feed_line skips it).
        lines = list(filter(None, lines))
        for i in range(0, len(lines), BLOCK_LINES):
            self._feed_block(lines[i : i + BLOCK_LINES])
            self._flush_when_full()

    def _flush_when_full(self) -> None:
        if len(self.csv_lines) + len(self.value_rows) >= CHUNK_ROWS:
            self.flush()

    def _feed_block(self, block: list[bytes]) -> None:
        """Non-blank capture lines: decoded in one msgspec call; records whose input is
        one plain CSV row of the baseline's width are taken here (a microsecond per line
        matters at a million lines), every other line goes through :meth:`feed_line`,
        which does the full checks and counts what is wrong."""
        buffer = b"\n".join(block)  # a line's own "\r\n" or "\n" is JSON whitespace
        try:
            if self.filtered:
                timed = self.fast.decode_timed_lines(buffer)
                start, end = self.start, self.end
                inside = [start <= r.eventMetadata.inferenceTime[:19] < end for r in timed]
                inputs = [r.captureData.endpointInput for r in timed]
            else:
                inputs = [r.captureData.endpointInput for r in self.fast.decode_lines(buffer)]
                inside = [True] * len(inputs)
        except self.fast.DecodeErrors:
            inputs = []
        # A line failed, or held two values: check each (the same count as _take_unit's,
        # with the same one inexact case).
        if len(inputs) != len(block):
            for line in block:
                self.feed_line(line)
            return
        if all(inside) and self._take_all(inputs):
            return
        commas = self.commas
        taken = self.csv_lines
        records = 0
        for line, inp, keep in zip(block, inputs, inside, strict=True):
            if not keep:
                continue  # outside the window: not counted, as on the full path
            text = inp.data
            if (
                inp.encoding == "CSV"
                and "csv" in inp.observedContentType
                and '"' not in text
                and "\n" not in text
                and "\r" not in text
            ):
                if text.count(",") == commas:
                    records += 1
                    taken.append(text)
                    continue
                if self._take_reshaped(line, text):
                    records += 1
                    continue
            self.feed_line(line)
        self.profile.records += records

    def _take_reshaped(self, line: bytes, text: str) -> bool:
        """One plain CSV input row of another width than the baseline's (a feature added
        or dropped), taken as :meth:`feed_line` takes it: the output's columns appended
        when they complete the row, else the row's column count noted. Only the output
        block is decoded again (msgspec, as plain JSON values), not the whole record in
        Python: a window of another schema costs a few microseconds a row, not twenty.
        False, having counted nothing, when the text is not exactly one row to
        ``str.splitlines`` (which also splits on form feeds and other separators) or the
        output does not decode: :meth:`feed_line` then takes the line."""
        if text.splitlines() != [text] or not text.strip():
            return False
        self.profile.current_line = line  # a column count noted takes it as its example
        try:  # the common output, one plain CSV row: what _output_rows gives, inline
            out = self.fast.decode_csv_output(line).captureData.endpointOutput
            data = out.data
            if (
                out.encoding == "CSV"
                and "csv" in out.observedContentType.lower()
                and '"' not in data
                and data.splitlines() == [data]
                and data.strip()
            ):
                self._add_row(CSV, text, CSV, data)
                return True
        except self.fast.DecodeErrors:
            pass
        try:
            output = self.fast.decode_output(line).captureData.endpointOutput
        except self.fast.DecodeErrors:
            return False
        out_fmt, out_rows = self._output_rows(output, 1)
        self._add_row(CSV, text, out_fmt, out_rows[0] if out_rows is not None else None)
        return True

    def _take_all(self, inputs: list[Any]) -> bool:
        """The common block, checked as a whole: every record in the window, every input
        one plain CSV row of the baseline's width. True when taken."""
        if {i.encoding for i in inputs} != {"CSV"}:
            return False
        if not all("csv" in kind for kind in {i.observedContentType for i in inputs}):
            return False
        texts = [i.data for i in inputs]
        joined = "\n".join(texts)
        if '"' in joined or "\r" in joined or joined.count("\n") != len(texts) - 1:
            return False  # quotes, or a record with several rows: one by one
        # Each row's own width (a total would let a short and a long row cancel out).
        if list(map(str.count, texts, repeat(","))).count(self.commas) != len(texts):
            return False
        self.csv_lines.extend(texts)
        self.profile.records += len(texts)
        return True

    def feed_line(self, line: bytes | str) -> None:
        self.profile.current_line = line  # a malformed line becomes its kind's example
        try:
            record = _decode(line.decode("utf-8") if isinstance(line, bytes) else line)
        except (ValueError, UnicodeDecodeError):
            if line.strip():
                self.profile.count_malformed("invalid_json")
            return
        try:
            inp = record["captureData"]["endpointInput"]
            when = record["eventMetadata"]["inferenceTime"] if self.filtered else ""
            text = inp["data"]
            plain = (
                inp["encoding"] == "CSV"
                and "csv" in inp["observedContentType"]
                and isinstance(text, str)
            )
        except (KeyError, TypeError):
            self._feed_checked(record)
            return
        if not isinstance(when, str):  # a time of another JSON type: counted there
            self._feed_checked(record)
            return
        when = when[:19]
        if self.filtered and not self.start <= when < self.end:
            return
        self.profile.records += 1
        if plain and '"' not in text:
            if "\n" not in text and "\r" not in text:
                if text.count(",") == self.commas:
                    self.csv_lines.append(text)
                    return
            else:
                rows = text.splitlines()
                if all(row.count(",") == self.commas for row in rows):
                    self.csv_lines.extend(rows)
                    return
        self._feed_payload(record["captureData"])

    def _feed_checked(self, record: Any) -> None:
        """Slow path: validate the record's structure, counting what is wrong."""
        profile = self.profile
        capture = record.get("captureData") if isinstance(record, dict) else None
        inp = capture.get("endpointInput") if isinstance(capture, dict) else None
        if not isinstance(inp, dict):
            profile.count_malformed("missing_capture_data")
            return
        if self.filtered:
            meta = record.get("eventMetadata")
            when = meta.get("inferenceTime") if isinstance(meta, dict) else None
            if not isinstance(when, str):
                profile.count_malformed("missing_inference_time")
                return
            if not self.start <= when[:19] < self.end:
                return
        profile.records += 1
        self._feed_payload(capture)

    def _feed_payload(self, capture: dict[str, Any]) -> None:
        profile = self.profile
        try:
            in_fmt, in_rows = payload_rows(capture["endpointInput"])
        except LookupError:
            profile.count_malformed("unknown_content_type")
            return
        except (ValueError, binascii.Error, UnicodeDecodeError):
            profile.count_malformed("undecodable_payload")
            return
        out_fmt, out_rows = CSV, None
        if any(self._needs_output(in_fmt, row) for row in in_rows):
            out_fmt, out_rows = self._output_rows(capture.get("endpointOutput"), len(in_rows))
        for i, row in enumerate(in_rows):
            out_row = out_rows[i] if out_rows is not None else None
            self._add_row(in_fmt, row, out_fmt, out_row)

    def _needs_output(self, fmt: str, row: Any) -> bool:
        if fmt == CSV:
            return bool(row.count(",") + 1 != self.width)
        return isinstance(row, list) and len(row) != self.width

    def _output_rows(self, block: Any, n_rows: int) -> tuple[str, list[Any] | None]:
        if not isinstance(block, dict):
            return CSV, None
        try:
            fmt, rows = payload_rows(block)
        except (LookupError, ValueError, binascii.Error, UnicodeDecodeError):
            return CSV, None
        one_list = len(rows) == 1 and isinstance(rows[0], list)
        if fmt == JSON and n_rows > 1 and one_list and len(rows[0]) == n_rows:
            rows = [[v] for v in rows[0]]  # one prediction per request row
        return fmt, rows if len(rows) == n_rows else None

    def _add_row(self, in_fmt: str, row: Any, out_fmt: str, out_row: Any) -> None:
        width = self.width
        if in_fmt == CSV and (out_row is None or out_fmt == CSV):
            n_in = row.count(",") + 1
            if n_in == width:
                self.csv_lines.append(row)
                return
            if out_row is not None and n_in + out_row.count(",") + 1 == width:
                self.csv_lines.append(row + "," + out_row)
                return
            self.profile.note_column_count(n_in)
            return
        values = self._values(in_fmt, row)
        if values is None:
            return
        if len(values) != width and out_row is not None:
            extra = self._values(out_fmt, out_row)
            if extra is not None and len(values) + len(extra) == width:
                values = values + extra
        if len(values) != width:
            self.profile.note_column_count(len(values))
            return
        self.value_rows.append(values)

    def _values(self, fmt: str, row: Any) -> list[Any] | None:
        if fmt == CSV:
            return row.split(",")
        if isinstance(row, dict):
            unknown = [k for k in row if k not in self.index]
            if unknown:
                self.profile.count_malformed("unknown_field")
            values: list[Any] = [None] * self.width
            for key, value in row.items():
                i = self.index.get(key)
                if i is not None:
                    values[i] = value
            return values
        if isinstance(row, list):
            return row
        # Unreachable from capture data (_json_row wraps a scalar as a one-value row);
        # kept the same way here rather than as a malformed kind nothing can produce.
        return [row]

    def flush(self) -> None:
        if self.csv_lines:
            lines, self.csv_lines = self.csv_lines, []
            parsed = parse_csv_block(lines, *self.kinds)
            if parsed is not None:
                self.profile.update_block(len(lines), *parsed)
            elif (text := parse_csv_text_block(lines, *self.kinds)) is not None:
                self.profile.update_text_block(len(lines), *text)
            else:
                tokens = ",".join(lines).split(",")
                self.profile.update_columns([tokens[j :: self.width] for j in range(self.width)])
        if self.value_rows:
            rows, self.value_rows = self.value_rows, []
            matrix = _numeric_rows(rows, self.width) if not self.kinds[1] else None
            if matrix is not None:
                self.profile.update_parsed(matrix, np.empty((len(rows), 0)))
            else:
                self.profile.update_columns([list(col) for col in zip(*rows, strict=True)])


_COUNT_BLOCK = 1 << 18  # bytes compared per numpy call: the temporary stays in cache


def _newlines(piece: bytes | memoryview) -> int:
    """Newline bytes in ``piece``: numpy in cache-sized blocks (a unit-sized temporary
    costs fresh pages every unit; ``bytes.count`` is slower still)."""
    data = np.frombuffer(piece, dtype=np.uint8)
    return sum(
        int(np.count_nonzero(data[i : i + _COUNT_BLOCK] == 10))
        for i in range(0, data.size, _COUNT_BLOCK)
    )


def _has_backslash(piece: bytes | memoryview, last: list[Any]) -> bool:
    """Whether ``piece`` may hold a backslash byte. A view is judged by the whole object
    it views (one C scan; ``memoryview`` has no ``find``), which can only say True more
    often; ``last`` holds that object and its answer, so that the units of one piece
    share one scan."""
    base = piece.obj if isinstance(piece, memoryview) else piece
    if not isinstance(base, (bytes, bytearray)):
        return True  # another kind of buffer: the full checks
    if last and last[0] is base:
        return bool(last[1])
    found = base.find(b"\\") >= 0
    last[:] = [base, found]
    return found


def _numeric_rows(rows: list[list[Any]], width: int) -> np.ndarray | None:
    """JSON rows as a float matrix in one call (null becomes NaN, i.e. missing), or None
    when a value is not a number, so that the column path can count it."""
    try:
        matrix = np.array(rows, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return matrix if matrix.shape == (len(rows), width) else None

"""Memory stays bounded whatever the window size: capture is streamed in fixed-size
chunks into fixed-size sketches, so ten times the records must not need more memory."""

import tracemalloc
from collections.abc import Iterator

import numpy as np
from dm_helpers import baseline_of, csv_record

from drift_monitor.accumulators import CATEGORY_CAP
from drift_monitor.monitor import profile_window

CHUNK = 500


class LazyStorage:
    """Generates capture lines on demand, so the test input itself holds no memory."""

    def __init__(self, rows: int) -> None:
        self.rows = rows

    def iter_chunks(self, _uri: str) -> Iterator[bytes]:
        rng = np.random.default_rng(3)
        for first in range(0, self.rows, 100):
            # Every record brings a new category: the categorical state must fold them.
            lines = [
                csv_record([[f"{rng.normal():.5f}", f"{rng.integers(100)}", f"user-{i}"]])
                for i in range(first, min(first + 100, self.rows))
            ]
            yield ("\n".join(lines) + "\n").encode()


def peak_bytes(rows: int) -> tuple[int, int]:
    baseline = baseline_of(
        ["x", "n", "s"],
        [[f"{v:.5f}" for v in np.random.default_rng(1).normal(size=500)],
         [str(v) for v in range(500)], [f"user-{v % 7}" for v in range(500)]],
    )  # fmt: skip
    tracemalloc.start()
    try:
        profile = profile_window(baseline, ["capture.jsonl"], LazyStorage(rows))  # type: ignore[arg-type]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert profile.rows == rows
    return peak, len(profile.to_dict()["features"][2]["counts"])


def test_ten_times_the_records_needs_no_more_memory(monkeypatch):
    monkeypatch.setattr("drift_monitor.capture.CHUNK_ROWS", CHUNK)
    small, small_categories = peak_bytes(4 * CHUNK)
    large, large_categories = peak_bytes(40 * CHUNK)

    # Linear growth would be about 10x; allow noise from the allocator, not growth.
    assert large < 1.3 * small, (small, large)
    assert small_categories <= CATEGORY_CAP + 1 and large_categories <= CATEGORY_CAP + 1

"""Monitoring windows: the previous full period, and the capture hour folders to read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    @property
    def start_iso(self) -> str:
        return iso(self.start)

    @property
    def end_iso(self) -> str:
        return iso(self.end)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """ISO 8601 (``Z`` or an offset; naive means UTC) to an aware UTC datetime."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace(" ", ""))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def previous_window(now: datetime, period_minutes: int) -> Window:
    """The last full period before ``now``, aligned on the period (UTC)."""
    if period_minutes <= 0 or (60 % period_minutes and period_minutes % 60):
        raise ValueError("period must divide an hour or be a whole number of hours")
    now = now.astimezone(UTC)
    period = timedelta(minutes=period_minutes)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    end = midnight + ((now - midnight) // period) * period
    return Window(end - period, end)


def window_ending(end: datetime, period_minutes: int) -> Window:
    return Window(end - timedelta(minutes=period_minutes), end)


def hour_prefixes(window: Window) -> list[str]:
    """``yyyy/mm/dd/hh`` folders that may hold records of the window.

    SageMaker files a record by when the capture file was opened, so the hour before
    the window may hold records of the window's first minutes: include it and filter
    records on ``eventMetadata.inferenceTime``.
    """
    hour = window.start.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    prefixes = []
    while hour < window.end:
        prefixes.append(hour.strftime("%Y/%m/%d/%H"))
        hour += timedelta(hours=1)
    return prefixes


def output_folder(window: Window) -> str:
    """``yyyy/mm/dd/hh`` of the window's end, where a run writes its outputs."""
    return window.end.astimezone(UTC).strftime("%Y/%m/%d/%H")

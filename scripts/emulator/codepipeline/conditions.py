"""Stage condition rules: DeploymentWindow and CloudWatchAlarm (CodePipeline guide, rule
reference). A rule returns None when it passes, else why it failed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from scripts.emulator.codepipeline.definitions import UnsupportedPipeline

MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
MONTHS = {m: i + 1 for i, m in enumerate(MONTH_NAMES)}
# AWS cron: 1-7 = SUN-SAT.
DAYS = {d: i + 1 for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}


def _field_matches(spec: str, value: int, names: dict[str, int], where: str) -> bool:
    if spec in ("*", "?"):
        return True
    for part in spec.split(","):
        if any(mark in part for mark in "LW#"):
            raise UnsupportedPipeline(
                f"DeploymentWindow cron {where} {part!r}: L, W and # not implemented"
            )
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
        if part == "*":
            low, high = 0, 10_000
        elif "-" in part:
            first, last = part.split("-", 1)
            low, high = names.get(first) or int(first), names.get(last) or int(last)
        else:
            low = high = names.get(part) or int(part)
            if step != 1:
                high = 10_000
        if low <= value <= high and (value - low) % step == 0:
            return True
    return False


def in_window(cron: str, time_zone: str, now: dt.datetime) -> bool:
    """Seconds Minutes Hours Day-of-month Month Day-of-week [Year] (six or seven fields)."""
    fields = cron.split()
    if len(fields) not in (6, 7):
        raise UnsupportedPipeline(f"DeploymentWindow cron {cron!r}: expected 6 or 7 fields")
    local = now.astimezone(ZoneInfo(time_zone or "UTC"))
    checks = [
        (fields[1], local.minute, {}, "minutes"),
        (fields[2], local.hour, {}, "hours"),
        (fields[3], local.day, {}, "day-of-month"),
        (fields[4], local.month, MONTHS, "month"),
        (fields[5], local.isoweekday() % 7 + 1, DAYS, "day-of-week"),
    ]
    if len(fields) == 7:
        checks.append((fields[6], local.year, {}, "year"))
    return all(_field_matches(spec, value, names, where) for spec, value, names, where in checks)


def evaluate_rule(
    rule: dict[str, Any],
    now: Callable[[], dt.datetime],
    alarm_state: Callable[[str], str],
) -> str | None:
    provider = rule["RuleTypeId"]["Provider"]
    configuration = rule.get("Configuration") or {}
    if provider == "DeploymentWindow":
        zone = configuration.get("TimeZone", "UTC")
        if in_window(configuration["Cron"], zone, now()):
            return None
        return f"outside the deployment window {configuration['Cron']} ({zone})"
    if provider == "CloudWatchAlarm":
        name = configuration["AlarmName"]
        watched = {s.strip() for s in str(configuration.get("AlarmStates", "ALARM")).split(",")}
        state = alarm_state(name)
        if state in watched:
            return f"alarm {name} is {state}"
        return None
    raise UnsupportedPipeline(f"rule type {provider} not implemented")

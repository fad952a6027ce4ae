"""The "monitor not running" alarms, evaluated period by period as CloudWatch does.

Model of CloudWatch's documented evaluation (user guide, "Configuring how CloudWatch
alarms treat missing data"), stated here so the test says what it assumes:
- the alarm looks at the last EvaluationPeriods periods and goes to ALARM when at least
  DatapointsToAlarm of them breach;
- FILL(m, 0) gives 0 for a period without data when the series has a data point in the
  evaluated range, and no data at all when it has none;
- a period left without data is treated as TreatMissingData says; with "missing", an
  all-missing range leaves the alarm in INSUFFICIENT_DATA (no action runs).
"""

from typing import Any

import pytest

HEARTBEATS = ("MonitorHeartbeatAlarm", "ModelMonitorHeartbeatAlarm")


def _state(props: dict[str, Any], runs: list[bool]) -> str:
    """Alarm state after the periods of `runs` (True: a run reported in that period)."""
    window = runs[-props["EvaluationPeriods"] :]
    filled = any(window) and "FILL" in _expression(props)
    values = [1.0 if ran else (0.0 if filled else None) for ran in window]
    policy = props["TreatMissingData"]
    breaching = []
    for value in values:
        if value is None:
            if policy == "breaching":
                breaching.append(True)
            elif policy == "notBreaching":
                breaching.append(False)
            continue  # missing / ignore: not counted
        assert props["ComparisonOperator"] == "LessThanThreshold"
        breaching.append(value < props["Threshold"])
    if not breaching:
        return "INSUFFICIENT_DATA"
    return "ALARM" if sum(breaching) >= props["DatapointsToAlarm"] else "OK"


def _expression(props: dict[str, Any]) -> str:
    returned = [m for m in props.get("Metrics", []) if m.get("ReturnData", True)]
    return returned[0].get("Expression", "") if returned else ""


@pytest.fixture(params=HEARTBEATS)
def heartbeat(request, templates) -> dict[str, Any]:
    return templates["observability.yml"]["Resources"][request.param]["Properties"]


@pytest.mark.parametrize("periods", [1, 2, 3, 5])
def test_a_fresh_stack_sends_no_alarm_before_its_first_run(heartbeat, periods):
    assert _state(heartbeat, [False] * periods) != "ALARM"


def test_a_running_monitor_is_ok(heartbeat):
    assert _state(heartbeat, [False, True, True, True]) == "OK"


def test_one_missed_run_is_tolerated(heartbeat):
    assert _state(heartbeat, [True, True, False]) == "OK"


def test_a_monitor_that_stops_alarms_after_two_silent_periods(heartbeat):
    assert _state(heartbeat, [True, True, False, False]) == "ALARM"


def test_the_expression_fills_silent_periods(heartbeat):
    assert "FILL(" in _expression(heartbeat)
    assert heartbeat["TreatMissingData"] == "missing"

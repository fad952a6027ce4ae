"""A malformed monitoring_config is a clear error naming the key, never a traceback."""

import json

import pytest
from dm_helpers import docs_of

from drift_monitor.baseline_model import BaselineError, load_baseline
from drift_monitor.cli import main

NAMES = ["age", "colour"]
COLUMNS = [[20, 30, 40, 50], ["a", "b", "a", "b"]]


def constraints_with(**changes):
    statistics, constraints = docs_of(NAMES, COLUMNS)
    for path, value in changes.items():
        target = constraints
        *parents, leaf = path.split("__")
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target.setdefault(key, {})
        target[leaf] = value
    return statistics, constraints


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"monitoring_config__distribution_constraints__comparison_threshold": "abc"},
            "monitoring_config.distribution_constraints.comparison_threshold must be a"
            " non-negative number, got 'abc'",
        ),
        (
            {"monitoring_config__datatype_check_threshold": -0.5},
            "monitoring_config.datatype_check_threshold must be a non-negative number",
        ),
        (
            {"monitoring_config__domain_content_threshold": True},
            "monitoring_config.domain_content_threshold must be a non-negative number",
        ),
        (
            {"monitoring_config__distribution_constraints": ["Enabled"]},
            "monitoring_config.distribution_constraints must be an object",
        ),
        (
            {"features__1__monitoringConfigOverrides": {"distribution_constraints": "off"}},
            "features['colour'].monitoringConfigOverrides.distribution_constraints must be an"
            " object",
        ),
        (
            {
                "features__0__monitoringConfigOverrides": {
                    "distribution_constraints": {"comparison_threshold": None}
                }
            },
            "features['age'].monitoringConfigOverrides.distribution_constraints."
            "comparison_threshold must be a non-negative number, got None",
        ),
    ],
)
def test_malformed_config_names_the_key(changes, message):
    statistics, constraints = constraints_with(**changes)
    with pytest.raises(BaselineError) as error:
        load_baseline(statistics, constraints)
    assert message in str(error.value)


def test_a_valid_config_still_loads():
    statistics, constraints = constraints_with(
        monitoring_config__distribution_constraints__comparison_threshold="0.2"
    )
    assert load_baseline(statistics, constraints).config.comparison_threshold == 0.2


def test_cli_reports_it_in_one_line_with_exit_2(tmp_path, capsys):
    statistics, constraints = constraints_with(
        monitoring_config__distribution_constraints__comparison_threshold="abc"
    )
    (tmp_path / "statistics.json").write_text(json.dumps(statistics))
    (tmp_path / "constraints.json").write_text(json.dumps(constraints))
    (tmp_path / "capture").mkdir()
    code = main(
        [
            "run",
            "--capture",
            str(tmp_path / "capture"),
            "--baseline-statistics",
            str(tmp_path / "statistics.json"),
            "--baseline-constraints",
            str(tmp_path / "constraints.json"),
            "--output",
            str(tmp_path / "out"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("driftgate-monitor: error:")
    assert "comparison_threshold must be a non-negative number, got 'abc'" in err
    assert "Traceback" not in err

"""The sharded path's model: instances from the deployed stack's router, wall time from
the measured rate, merge cost measured."""

import math

import pytest

from benchmarks import sharded
from drift_monitor import routing

MERGE = {"merge_s_per_shard": 0.05, "finish_s": 0.5, "state_bytes": 1000.0}
BYTES_PER_ROW = 430.0
ROUTER = {"bytes_per_second": 30e6, "source": "test", "timeout_s": 900.0, "max_instances": 10}


def by_rows(rows):
    return {r["rows"]: r for r in rows}


def test_the_deployed_router_is_read_from_monitoring_yml():
    router = sharded.deployed_router()
    # monitoring.yml sets no DRIFTGATE_BYTES_PER_SECOND: the code's default applies.
    assert router["bytes_per_second"] == routing.DEFAULT_BYTES_PER_SECOND
    assert router["timeout_s"] == 900.0
    assert router["max_instances"] == 10


def test_a_rate_set_in_the_template_wins(tmp_path):
    template = tmp_path / "monitoring.yml"
    text = sharded.MONITORING_TEMPLATE.read_text()
    marker = "          DRIFTGATE_ENDPOINT_NAME: !Ref EndpointName\n"
    assert marker in text
    template.write_text(
        text.replace(marker, marker + "          DRIFTGATE_BYTES_PER_SECOND: '12000000'\n")
    )
    assert sharded.deployed_router(template)["bytes_per_second"] == 12e6


def test_instances_come_from_the_deployed_rate_not_the_measured_one(monkeypatch):
    # Measured 300,000 rows/s (129 MB/s): the measured rate would keep 100M rows (43 GB,
    # 333 s) in one Lambda; the deployed 30 MB/s estimates 1,433 s and shards over 4.
    monkeypatch.setattr(routing, "DEFAULT_BYTES_PER_SECOND", 30e6)
    modelled = sharded.model(300_000.0, 1_000_000, MERGE, BYTES_PER_ROW)
    big = by_rows(modelled["rows"])[100_000_000]
    assert big["estimated_s"] == pytest.approx(100_000_000 * BYTES_PER_ROW / 30e6)
    assert big["route"] == "processing"
    assert big["instances"] == math.ceil(big["estimated_s"] / routing.INSTANCE_TARGET_S) == 4
    single = 100_000_000 / 300_000.0  # the wall time uses the measured rate
    assert big["wall_s"] == pytest.approx(sharded.STARTUP_S + single / 4 + 4 * 0.05 + 0.5)
    calibrated = by_rows(modelled["calibrated"])[100_000_000]
    assert calibrated["route"] == "lambda" and calibrated["instances"] == 1
    assert calibrated["wall_s"] == pytest.approx(single + 0.5)
    # A slower deployed default shards earlier: the model follows the router's setting.
    monkeypatch.setattr(routing, "DEFAULT_BYTES_PER_SECOND", 5e6)
    slower = by_rows(sharded.model(300_000.0, 1_000_000, MERGE, BYTES_PER_ROW)["rows"])
    assert slower[100_000_000]["instances"] == sharded.deployed_router()["max_instances"]
    assert slower[10_000_000]["route"] == "processing"


def test_small_windows_stay_in_lambda_and_large_ones_shard_up_to_the_cap():
    # 20,000 rows/s and the router told so: 1M rows take 50 s (Lambda), 100M rows
    # 5,000 s (> 10 x 450 s)
    slow = {**ROUTER, "bytes_per_second": 20_000 * BYTES_PER_ROW}
    modelled = sharded.model(20_000.0, 1_000_000, MERGE, BYTES_PER_ROW, router=slow)
    rows = by_rows(modelled["rows"])
    assert rows[1_000_000]["route"] == "lambda"
    assert rows[1_000_000]["instances"] == 1
    assert rows[1_000_000]["wall_s"] == pytest.approx(50.0 + 0.5)
    big = rows[100_000_000]
    assert big["route"] == "processing"
    assert big["instances"] == ROUTER["max_instances"]
    # start-up + one shard's share of the work + merging every shard
    expected = sharded.STARTUP_S + 5000.0 / big["instances"] + big["instances"] * 0.05 + 0.5
    assert big["wall_s"] == pytest.approx(expected)
    assert big["wall_s"] < big["single_s"]


def test_a_slower_measured_rate_needs_more_instances_when_calibrated():
    slow = by_rows(sharded.model(5_000.0, 10_000, MERGE, BYTES_PER_ROW, ROUTER)["calibrated"])
    fast = by_rows(sharded.model(10_000.0, 10_000, MERGE, BYTES_PER_ROW, ROUTER)["calibrated"])
    assert slow[10_000_000]["instances"] > fast[10_000_000]["instances"]


def test_the_monitor_runs_with_the_allocator_settings_of_its_lambda(tmp_path, monkeypatch):
    # What monitoring.yml gives the function, and only the allocator's variables.
    assert sharded.deployed_allocator_env() == {"MALLOC_TOP_PAD_": "67108864"}
    template = tmp_path / "monitoring.yml"
    text = sharded.MONITORING_TEMPLATE.read_text()
    template.write_text(text.replace("MALLOC_TOP_PAD_: '67108864'", "MALLOC_TOP_PAD_: '1024'"))
    assert sharded.deployed_allocator_env(template) == {"MALLOC_TOP_PAD_": "1024"}

    # The driftgate and paired children get them; the floors and Evidently do not.
    from benchmarks import run

    seen = {}

    def fake_run(cmd, cwd, env, check):
        seen[cmd[3]] = env.get("MALLOC_TOP_PAD_")
        (tmp_path / f"{cmd[3]}.json").write_text("{}")

    monkeypatch.setattr(run.subprocess, "run", fake_run)
    monkeypatch.delenv("MALLOC_TOP_PAD_", raising=False)
    for tool in ("driftgate", "paired", "floor_msgspec_pyarrow"):
        run._run_child("python", tool, tmp_path / "plan.json", tmp_path / f"{tool}.json", [])
    assert seen == {"driftgate": "67108864", "paired": "67108864", "floor_msgspec_pyarrow": None}

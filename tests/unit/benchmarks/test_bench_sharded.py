"""The sharded path's model: instances from the monitor's router, merge cost measured."""

import pytest

from benchmarks import sharded

MERGE = {"merge_s_per_shard": 0.05, "finish_s": 0.5, "state_bytes": 1000.0}


def test_small_windows_stay_in_lambda_and_large_ones_shard_up_to_the_cap():
    # 20,000 rows/s: 1M rows take 50 s (Lambda), 100M rows 5,000 s (> 10 x 450 s)
    modelled = sharded.model(20_000.0, 1_000_000, MERGE)
    by_rows = {r["rows"]: r for r in modelled["rows"]}
    assert by_rows[1_000_000]["route"] == "lambda"
    assert by_rows[1_000_000]["instances"] == 1
    assert by_rows[1_000_000]["wall_s"] == pytest.approx(50.0 + 0.5)
    big = by_rows[100_000_000]
    assert big["route"] == "processing"
    assert big["instances"] == sharded.MAX_INSTANCES
    # start-up + one shard's share of the work + merging every shard
    expected = sharded.STARTUP_S + 5000.0 / big["instances"] + big["instances"] * 0.05 + 0.5
    assert big["wall_s"] == pytest.approx(expected)
    assert big["wall_s"] < big["single_s"]


def test_a_slower_rate_needs_more_instances():
    slow = {r["rows"]: r for r in sharded.model(5_000.0, 10_000, MERGE)["rows"]}
    fast = {r["rows"]: r for r in sharded.model(10_000.0, 10_000, MERGE)["rows"]}
    assert slow[10_000_000]["instances"] > fast[10_000_000]["instances"]

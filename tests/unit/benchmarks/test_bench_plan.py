"""Which windows the benchmark measures, and the plan file each child reads."""

from collections import Counter
from datetime import UTC, datetime

from benchmarks import workload
from benchmarks.plan import Plan, WindowPlan
from scripts import capture_generator as gen

SIZES = [10_000, 100_000, 1_000_000]
DRIFTED = {"mean_shift", "variance_change", "new_category", "missing_values"}
DRIFTED |= {"schema_drop", "schema_add"}


def kinds_at(size):
    return Counter(
        kind for s, kind, _ in workload.plan_windows(SIZES, workload.DEFAULT_REPEATS) if s == size
    )


def test_every_drift_kind_is_measured():
    assert set(workload.DRIFT_KINDS) == DRIFTED


def test_small_windows_have_three_seeds_per_kind_and_six_controls():
    counts = kinds_at(10_000)
    assert counts == Counter({**dict.fromkeys(DRIFTED, 3), "none": 6})
    assert sum(counts.values()) == 24


def test_medium_windows_have_one_seed_per_kind_and_two_controls():
    assert kinds_at(100_000) == Counter({**dict.fromkeys(DRIFTED, 1), "none": 2})


def test_a_million_rows_is_one_control_and_one_mean_shift():
    assert kinds_at(1_000_000) == Counter({"none": 1, "mean_shift": 1})


def test_seeds_never_repeat_within_a_size_so_controls_are_their_own_draws():
    windows = workload.plan_windows(SIZES, workload.DEFAULT_REPEATS)
    for size in SIZES:
        seeds = [seed for s, _, seed in windows if s == size]
        assert len(seeds) == len(set(seeds))
    assert all(seed != workload.REFERENCE_SEED for _, _, seed in windows)


def test_the_plan_is_the_same_on_every_run():
    first = workload.plan_windows(SIZES, workload.DEFAULT_REPEATS)
    assert first == workload.plan_windows(SIZES, workload.DEFAULT_REPEATS)
    assert [s for s, _, _ in first] == sorted(s for s, _, _ in first)


def test_only_requested_sizes_are_planned():
    assert {s for s, _, _ in workload.plan_windows([100_000], workload.DEFAULT_REPEATS)} == {
        100_000
    }


def test_generated_window_is_planned_over_its_hour_and_reused(tmp_path):
    plan, _ = workload.generate_window(tmp_path, 50, "new_category", 4)
    assert plan.id == "50-new_category-4"
    assert (plan.kind, plan.seed, plan.size, plan.drifted) == ("new_category", 4, 50, True)
    assert plan.feature in {f.name for f in gen.FEATURES if not f.is_numeric}
    start = datetime.fromisoformat(plan.start)
    assert start == workload.START
    assert datetime.fromisoformat(plan.end) - start == workload.PERIOD
    files = sorted((tmp_path / plan.id).rglob("*.jsonl"))
    assert sum(len(p.read_text().splitlines()) for p in files) == 50
    stamp = {p: p.stat().st_mtime_ns for p in files}
    again, _ = workload.generate_window(tmp_path, 50, "new_category", 4)
    assert again == plan
    assert {p: p.stat().st_mtime_ns for p in files} == stamp  # cached, not rewritten


def test_a_control_is_not_drifted_and_names_no_feature(tmp_path):
    plan, _ = workload.generate_window(tmp_path, 20, "none", 50)
    assert not plan.drifted
    assert plan.feature is None
    assert datetime.fromisoformat(plan.start).tzinfo == UTC


def test_plan_survives_the_trip_to_the_child(tmp_path):
    window = WindowPlan("10-none-1", 10, "none", 1, None, "/data/w", "bench", "a", "b")
    plan = Plan("ref.csv", "base", "out", ["a", "b"], [True, False], [window])
    loaded = Plan.load(plan.dump(tmp_path / "plan.json"))
    assert loaded == plan
    assert loaded.windows[0].drifted is False

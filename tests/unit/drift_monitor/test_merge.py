import itertools
import json

import numpy as np
import pytest
from dm_helpers import baseline_of, csv_record

from drift_monitor.capture import CaptureParser
from drift_monitor.evaluate import evaluate
from drift_monitor.profile import WindowProfile


@pytest.fixture
def setup(monkeypatch):
    # each of files 3..5 holds 150 distinct values of its own: alone under the cap,
    # any two together over it, so the fold happens inside shards or only at merge
    monkeypatch.setattr("drift_monitor.accumulators.CATEGORY_CAP", 200)
    rng = np.random.default_rng(3)
    base = baseline_of(
        ["x", "n", "s"],
        [rng.normal(size=500).tolist(), rng.integers(0, 9, 500).tolist(), ["a", "b"] * 250],
    )
    files = []
    for f in range(6):
        lines = []
        for i in range(300):
            rows = [
                [
                    f"{rng.normal(0.3, 1.0 + f) * 10.0 ** rng.integers(-3, 6):.9g}",
                    int(rng.integers(0, 12)),
                    f"c{f}_{rng.integers(0, 150)}" if f >= 3 else "a",
                ]
                for _ in range(1 + i % 3)
            ]
            lines.append(csv_record(rows))
        lines.append("garbage")
        files.append(lines)
    return base, files


def profile_of(base, files):
    profile = WindowProfile.for_baseline(base)
    parser = CaptureParser(profile)
    for lines in files:
        parser.feed_file(lines)
    return profile


def roundtrip(profile, base):
    return WindowProfile.from_dict(json.loads(json.dumps(profile.to_dict())), base)


@pytest.mark.parametrize(
    "split",
    [
        [[0, 1, 2], [3, 4, 5]],
        [[5, 0], [2], [4, 1, 3]],
        [[3], [0, 1, 2, 4, 5]],
        [[3], [4], [5], [0, 1, 2]],
    ],
)
def test_shards_merge_into_exactly_the_whole(setup, split):
    base, files = setup
    whole = profile_of(base, files)
    assert whole.features[2].overflowed
    merged = WindowProfile.for_baseline(base)
    for shard in reversed(split):
        merged.merge(roundtrip(profile_of(base, [files[i] for i in shard]), base))
    assert merged.to_dict() == whole.to_dict()
    a, b = evaluate(base, whole), evaluate(base, merged)
    assert json.dumps(a.statistics) == json.dumps(b.statistics)
    assert a.violations == b.violations


def test_merging_states_of_another_baseline_is_refused(setup):
    base, files = setup
    other = baseline_of(["y"], [[1.0, 2.0]])
    with pytest.raises(ValueError, match="another baseline"):
        WindowProfile.from_dict(profile_of(base, files[:1]).to_dict(), other)
    with pytest.raises(ValueError, match="not a driftgate window state"):
        WindowProfile.from_dict({"names": ["x"]}, base)


def _merged(base, files, shards, order):
    merged = WindowProfile.for_baseline(base)
    for index in order:
        merged.merge(roundtrip(profile_of(base, [files[i] for i in shards[index]]), base))
    return merged


# Shards: [4, 5] overflows on its own, [3] does not, and together with [4, 5] the merge
# overflows; [0, 1] and [2] never do. Every merge order must give the same state.
SHARDS = [[0, 1], [2], [3], [4, 5]]


@pytest.mark.parametrize("order", list(itertools.permutations(range(len(SHARDS)))))
def test_every_merge_order_gives_the_whole(setup, order):
    base, files = setup
    whole = profile_of(base, files)
    assert _merged(base, files, SHARDS, order).to_dict() == whole.to_dict()


@pytest.mark.parametrize(
    ("shards", "overflows_alone", "overflows_merged"),
    [
        ([[0], [1], [2]], False, False),  # no shard and no merge overflows
        ([[3], [0, 1, 2]], False, False),  # one categorical shard under the cap
        ([[3], [4]], False, True),  # overflow only when merged
        ([[3, 4], [5]], True, True),  # overflow inside a shard, then merged with one under
        ([[3, 4], [4, 5]], True, True),  # both overflowed (file 4 twice: counts add)
    ],
)
def test_overflow_combinations_merge_exactly(setup, shards, overflows_alone, overflows_merged):
    base, files = setup
    parts = [profile_of(base, [files[i] for i in shard]) for shard in shards]
    assert any(p.features[2].overflowed for p in parts) is overflows_alone
    whole = profile_of(base, [files[i] for shard in shards for i in shard])
    for order in itertools.permutations(range(len(shards))):
        merged = _merged(base, files, shards, order)
        assert merged.features[2].overflowed is overflows_merged
        assert merged.to_dict() == whole.to_dict(), order


def test_merging_is_associative(setup):
    base, files = setup
    left = roundtrip(profile_of(base, files[:3]), base)
    right = roundtrip(profile_of(base, files[3:]), base)
    nested = WindowProfile.for_baseline(base)
    nested.merge(left)
    nested.merge(right)
    assert nested.to_dict() == profile_of(base, files).to_dict()

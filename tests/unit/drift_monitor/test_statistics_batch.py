"""statistics.json's numeric buckets and sketch, computed for all features at once, must
be the very floats the feature-by-feature code gave (kept here verbatim as the
reference), whatever the features' sizes, ranges and signed zeros."""

import numpy as np
import pytest

from drift_monitor.accumulators import NumericAccumulator
from drift_monitor.statistics import (
    _round,
    _round_all,
    numeric_buckets,
    numeric_parts,
    numeric_sketch_items,
)


def reference_buckets(acc):
    if not acc.present:
        return []
    bounds = np.concatenate(([acc.minimum], np.clip(acc.edges, acc.minimum, acc.maximum)))
    bounds = np.concatenate((bounds, [acc.maximum])).tolist()
    size = acc.hist.size
    groups = min(10, size)
    starts = [g * (size // groups) + min(g, size % groups) for g in range(groups + 1)]
    counts = np.add.reduceat(acc.hist, starts[:-1]).tolist()
    return [
        {"lower_bound": _round(bounds[a]), "upper_bound": _round(bounds[b]), "count": int(c)}
        for a, b, c in zip(starts[:-1], starts[1:], counts, strict=True)
    ]


def reference_sketch(acc):
    if not acc.present:
        return []
    bounds = np.concatenate(([acc.minimum], np.clip(acc.edges, acc.minimum, acc.maximum)))
    bounds = np.concatenate((bounds, [acc.maximum]))
    cum = np.concatenate(([0], np.cumsum(acc.hist))).astype(np.float64) / acc.present
    n = min(1024, acc.present)
    ranks = (np.arange(n) + 0.5) / n
    return _round_all(np.interp(ranks, cum, bounds))


def bits(values):
    return np.asarray(values, dtype=np.float64).view(np.int64).tolist()


def bucket_bits(buckets):
    return [(bits([b["lower_bound"], b["upper_bound"]]), b["count"]) for b in buckets]


def accumulator(rng, edges, values):
    acc = NumericAccumulator(edges=np.asarray(edges, dtype=np.float64))
    acc.update([repr(float(v)) for v in values])
    return acc


def random_accumulators(seed):
    rng = np.random.default_rng(seed)
    accs = []
    for _ in range(12):
        bins = int(rng.choice([0, 1, 3, 9, 10, 11, 57, 99]))
        centre, spread = rng.normal(0, 1e3), 10.0 ** rng.uniform(-6, 6)
        edges = np.unique(rng.normal(centre, spread, bins)) if bins else []
        size = int(rng.choice([0, 1, 2, 5, 300, 1024, 2048, 5000]))
        values = rng.normal(centre, spread * rng.uniform(0.2, 3), size)
        if size and rng.random() < 0.3:
            values = np.round(values)  # ties of values with edges, empty bins
        accs.append(accumulator(rng, edges, values))
    return accs


@pytest.mark.parametrize("seed", range(6))
def test_all_features_at_once_equal_feature_by_feature(seed):
    accs = random_accumulators(seed)
    parts = numeric_parts(accs)
    for acc, part in zip(accs, parts, strict=True):
        assert bucket_bits(part.buckets) == bucket_bits(reference_buckets(acc))
        assert bits(part.sketch) == bits(reference_sketch(acc))
    # One feature at a time through the same code path.
    for acc in accs[:4]:
        assert bucket_bits(numeric_buckets(acc)) == bucket_bits(reference_buckets(acc))
        assert bits(numeric_sketch_items(acc)) == bits(reference_sketch(acc))


def test_signed_zeros_clip_as_before():
    rng = np.random.default_rng(1)
    accs = [
        accumulator(rng, [-0.0, 1.0, 2.0], [0.0, 0.5, 3.0]),
        accumulator(rng, [-1.0, 0.0], [-0.0, -2.0, 5.0]),
        accumulator(rng, [0.0, 0.5], [-0.0, 0.0]),
        accumulator(rng, [-0.0], [0.0, 0.0, -0.0]),
    ]
    for acc, part in zip(accs, numeric_parts(accs), strict=True):
        assert bucket_bits(part.buckets) == bucket_bits(reference_buckets(acc))
        assert bits(part.sketch) == bits(reference_sketch(acc))


def test_ties_of_ranks_with_the_cdf_take_the_bound():
    # 2048 values over 1024 sketch ranks: every odd count lands exactly on a rank.
    rng = np.random.default_rng(2)
    acc = accumulator(rng, np.arange(1.0, 2048.0), np.arange(0.5, 2048.0))
    (part,) = numeric_parts([acc])
    assert bits(part.sketch) == bits(reference_sketch(acc))


def test_features_without_values_have_no_buckets_nor_sketch():
    rng = np.random.default_rng(3)
    accs = [
        accumulator(rng, [1.0], []),
        accumulator(rng, [1.0, 2.0], [1.5]),
        accumulator(rng, [], []),
    ]
    parts = numeric_parts(accs)
    assert [(p.buckets, p.sketch) for p in parts[::2]] == [([], []), ([], [])]
    assert bits(parts[1].sketch) == bits(reference_sketch(accs[1])) == bits([1.5])


def test_a_histogram_that_does_not_fit_its_edges_is_refused():
    acc = NumericAccumulator(edges=np.array([1.0, 2.0]), present=3, minimum=0.0, maximum=3.0)
    acc.hist = np.array([1, 2], dtype=np.int64)
    with pytest.raises(ValueError):
        numeric_parts([acc])

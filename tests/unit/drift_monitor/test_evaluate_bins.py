"""evaluate keeps what a baseline's numeric bins give every run (labels, edges,
probabilities, CDF) by the arrays' contents: a baseline changed in place, or another
baseline, must never get the values of the one before."""

import numpy as np
import pytest
from test_evaluate import make, window

from drift_monitor.distances import (
    baseline_cdf,
    distance,
    linf_cdf,
    linf_cdf_of,
    linf_cdf_rows,
)
from drift_monitor.evaluate import _baseline_bins, _labels_of, evaluate


def expected_numeric(f, acc, name="model-monitor"):
    """What a numeric feature's result holds, computed from the baseline without any
    cache, as evaluate computed it before."""
    return {
        "drift": distance(name, f.bin_probs, acc.hist, ordered=True),
        "labels": list(_labels_of(np.asarray(f.edges, dtype=np.float64).tolist())),
        "edges": f.edges.astype(np.float64).tolist(),
        "baseline_probs": f.bin_probs.astype(np.float64).tolist(),
        "current_probs": (acc.hist / acc.present).tolist(),
    }


def observed(result):
    keys = ("drift", "labels", "edges", "baseline_probs", "current_probs")
    return {k: getattr(result, k) for k in keys}


def test_every_numeric_feature_gets_its_own_figures():
    baseline, profile = make(window(shift=0.5, n_values=[str(i % 3) for i in range(1000)]))
    results = evaluate(baseline, profile).features
    numeric = [j for j, f in enumerate(baseline.features) if f.is_numeric]
    assert len(numeric) == 2
    for j in numeric:
        expected = expected_numeric(baseline.features[j], profile.features[j])
        assert observed(results[j]) == expected


@pytest.mark.parametrize("name", ["model-monitor", "ks"])
def test_a_baseline_changed_in_place_is_not_served_from_the_cache(name):
    baseline, profile = make(window(shift=0.3))
    f, acc = baseline.features[0], profile.features[0]
    first = evaluate(baseline, profile, name).features[0]
    assert observed(first) == expected_numeric(f, acc, name)
    f.edges[:] = f.edges * 2 + 1  # same shapes, same object: only the contents differ
    f.bin_probs[:] = f.bin_probs[::-1]
    second = evaluate(baseline, profile, name).features[0]
    assert observed(second) == expected_numeric(f, acc, name)
    assert second.drift != first.drift and second.labels != first.labels
    # Results are the run's own: changing one does not change the next.
    second.labels.append("x")
    second.edges.clear()
    assert observed(evaluate(baseline, profile, name).features[0]) == expected_numeric(f, acc, name)


def test_the_kept_cdf_is_read_only_and_gives_linf_cdf_exactly():
    rng = np.random.default_rng(4)
    for _ in range(50):
        size = int(rng.integers(1, 120))
        p, q = rng.random(size) * (rng.random(size) > 0.2), rng.integers(0, 50, size)
        cdf = baseline_cdf(p)
        assert linf_cdf_of(cdf, q) == linf_cdf(p, q)
    baseline, profile = make(window())
    evaluate(baseline, profile)
    bins = _baseline_bins(baseline.features[0].edges, baseline.features[0].bin_probs)
    with pytest.raises(ValueError):
        bins.cdf[0] = 1.0


def test_all_rows_at_once_equal_row_by_row():
    rng = np.random.default_rng(8)
    cdfs, counts = [], []
    for size in [1, 2, 7, 100, 100, 57, 3]:
        p = rng.random(size) * (rng.random(size) > 0.3)
        cdfs.append(baseline_cdf(p))
        counts.append(rng.integers(0, 1000, size) * (rng.random(size) > 0.4))
    counts[2] = np.zeros(7, dtype=np.int64)  # an empty window row
    counts[3] = counts[3].astype(np.uint32)
    rows = linf_cdf_rows(cdfs, counts)
    assert rows == [linf_cdf_of(p, c) for p, c in zip(cdfs, counts, strict=True)]
    # Counts that are not integers, or misaligned rows, take the row-by-row path.
    odd = [np.array([0.5, 1.5]), counts[0]]
    assert linf_cdf_rows([cdfs[1], cdfs[0]], odd) == [
        linf_cdf_of(cdfs[1], odd[0]),
        linf_cdf_of(cdfs[0], odd[1]),
    ]
    assert linf_cdf_rows([], []) == []

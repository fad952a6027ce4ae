import numpy as np
import pytest
from dm_helpers import baseline_of
from scipy.spatial.distance import jensenshannon
from scipy.stats import ks_2samp, kstwobign

from drift_monitor.distances import distance, jensen_shannon, ks_critical, linf, linf_cdf, psi
from drift_monitor.profile import WindowProfile


@pytest.mark.parametrize("seed", range(5))
def test_jensen_shannon_matches_scipy(seed):
    rng = np.random.default_rng(seed)
    p, q = rng.random(30), rng.random(30)
    q[rng.integers(0, 30, 5)] = 0  # empty bins are legal
    assert jensen_shannon(p, q) == pytest.approx(jensenshannon(p, q, base=2), abs=1e-12)


def test_psi_by_hand():
    p, q = np.array([0.5, 0.5]), np.array([0.25, 0.75])
    expected = (0.25 - 0.5) * np.log(0.25 / 0.5) + (0.75 - 0.5) * np.log(0.75 / 0.5)
    assert psi(p, q) == pytest.approx(expected)
    assert psi(p, p) == 0.0


def test_linf_by_hand():
    assert linf(np.array([0.5, 0.5, 0.0]), np.array([2, 1, 1])) == pytest.approx(0.25)
    assert linf_cdf(np.array([0.5, 0.5, 0.0]), np.array([0.0, 0.5, 0.5])) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("seed", "shift", "scale"),
    [(0, 0.0, 1.0), (1, 0.1, 1.0), (2, 0.5, 1.0), (3, 0.0, 2.0), (4, 1.0, 0.5)],
)
def test_binned_ks_is_close_to_scipy_on_random_samples(seed, shift, scale):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=5000)
    b = rng.normal(shift, scale, size=4000)
    base = baseline_of(["x"], [a.tolist()])
    profile = WindowProfile.for_baseline(base)
    profile.update_columns([b.tolist()])
    ours = distance("ks", base.features[0].bin_probs, profile.features[0].hist, ordered=True)
    exact = ks_2samp(a, b).statistic
    # Evaluated on 100 baseline-quantile edges: never above, at most ~1 bin of mass below.
    assert exact - 0.025 <= ours <= exact + 1e-3


def test_ks_critical_matches_the_kolmogorov_distribution():
    n = m = 2000
    c_alpha = kstwobign.isf(0.05)
    assert ks_critical(n, m) == pytest.approx(c_alpha * np.sqrt((n + m) / (n * m)), rel=1e-3)
    assert ks_critical(0, 10) == float("inf")


def test_unknown_distance_is_rejected():
    with pytest.raises(ValueError, match="unknown distance"):
        distance("wasserstein", np.ones(2), np.ones(2), ordered=True)

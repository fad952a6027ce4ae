"""Distances between a baseline and a window distribution, both given as bin probabilities.

``model-monitor`` (default) is Model Monitor's L-infinity distance: for numerical
features the largest absolute difference between the two cumulative distributions
(evaluated at the bin edges), for categorical features the largest absolute difference
between the two normalised bucket distributions. ``ks`` is the same statistic for
numerical features (the two-sample Kolmogorov-Smirnov statistic, resolved at the bin
edges). ``psi`` is the Population Stability Index, ``js`` the Jensen-Shannon distance
(base 2, in [0, 1]).
"""

from __future__ import annotations

import math

import numpy as np

DISTANCES = ("model-monitor", "ks", "psi", "js")
PSI_EPSILON = 1e-4  # floor for empty bins, as PSI is undefined on a zero probability


def _normalise(counts: np.ndarray) -> np.ndarray:
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    return counts / total if total > 0 else counts


def linf_cdf(p: np.ndarray, q: np.ndarray) -> float:
    """Largest CDF difference of two binned distributions over ordered bins."""
    return linf_cdf_of(baseline_cdf(p), q)


def baseline_cdf(p: np.ndarray) -> np.ndarray:
    """The cumulative distribution :func:`linf_cdf` computes from ``p``."""
    return np.cumsum(_normalise(p))


def linf_cdf_of(cdf: np.ndarray, q: np.ndarray) -> float:
    """:func:`linf_cdf` of ``p`` and ``q`` given ``baseline_cdf(p)``: the same float (a
    baseline's CDF is the same every run, the window's is new)."""
    return float(np.max(np.abs(cdf - np.cumsum(_normalise(q))), initial=0))


def linf_cdf_rows(cdfs: list[np.ndarray], counts: list[np.ndarray]) -> list[float]:
    """``linf_cdf_of(cdfs[k], counts[k])`` for every k, the same floats, in a few numpy
    calls for all features: rows padded with zero counts (and the baseline's last CDF
    value) keep their own sums of integer counts (exact), their own running sums
    (sequential per row) and their own largest gap (exact)."""
    if not counts:
        return []
    plain = all(
        c.ndim == 1 and c.dtype.kind in "iu" and c.shape == p.shape and p.size
        for p, c in zip(cdfs, counts, strict=True)
    )
    if not plain:
        return [linf_cdf_of(p, c) for p, c in zip(cdfs, counts, strict=True)]
    width = max(c.size for c in counts)
    window = np.zeros((len(counts), width))
    baseline = np.empty((len(counts), width))
    for k, (p, c) in enumerate(zip(cdfs, counts, strict=True)):
        window[k, : c.size] = c
        baseline[k, : p.size] = p
        baseline[k, p.size :] = p[-1]
    totals = window.sum(axis=1, keepdims=True)
    totals[totals == 0] = 1.0  # _normalise leaves an all-zero row as it is
    window /= totals
    gaps = np.abs(baseline - np.cumsum(window, axis=1))
    return gaps.max(axis=1, initial=0).tolist()


def linf(p: np.ndarray, q: np.ndarray) -> float:
    """Largest difference of two (unordered, categorical) distributions."""
    return float(np.max(np.abs(_normalise(p) - _normalise(q)), initial=0))


def psi(p: np.ndarray, q: np.ndarray) -> float:
    pn = np.clip(_normalise(p), PSI_EPSILON, None)
    qn = np.clip(_normalise(q), PSI_EPSILON, None)
    return float(np.sum((qn - pn) * np.log(qn / pn)))


def jensen_shannon(p: np.ndarray, q: np.ndarray) -> float:
    pn, qn = _normalise(p), _normalise(q)
    m = (pn + qn) / 2

    def kl(a: np.ndarray) -> float:
        mask = a > 0
        return float(np.sum(a[mask] * np.log2(a[mask] / m[mask])))

    return math.sqrt(max((kl(pn) + kl(qn)) / 2, 0.0))


def ks_critical(n: int, m: int, alpha: float = 0.05) -> float:
    """Asymptotic two-sample KS critical value: c(alpha) * sqrt((n + m) / (n m))."""
    if n <= 0 or m <= 0:
        return math.inf
    c_alpha = math.sqrt(-math.log(alpha / 2) / 2)
    return c_alpha * math.sqrt((n + m) / (n * m))


def distance(name: str, p: np.ndarray, q: np.ndarray, ordered: bool) -> float:
    """Distance ``name`` between baseline ``p`` and current ``q`` (aligned bins)."""
    if name in ("model-monitor", "ks"):
        return linf_cdf(p, q) if ordered else linf(p, q)
    if name == "psi":
        return psi(p, q)
    if name == "js":
        return jensen_shannon(p, q)
    raise ValueError(f"unknown distance {name!r}; choose one of {', '.join(DISTANCES)}")

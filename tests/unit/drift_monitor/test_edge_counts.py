"""bin_counts is the plain search of every value among the edges, where a shortcut
would differ: values on and next to the edges, outside their span, whole numbers."""

import numpy as np
import pytest

from drift_monitor import edge_counts
from drift_monitor.edge_counts import INTEGER_SPAN, bin_counts

RNG = np.random.default_rng(11)


def _searched(edges: np.ndarray, values: np.ndarray) -> np.ndarray:
    return np.bincount(np.searchsorted(edges, values, side="left"), minlength=edges.size + 1)


def _counted(edges: np.ndarray, values: np.ndarray) -> np.ndarray:
    whole = bool((np.rint(values) == values).all())
    return bin_counts(edges, values, float(values.min()), float(values.max()), whole)


def _around(edges: np.ndarray) -> np.ndarray:
    return np.concatenate([edges, np.nextafter(edges, np.inf), np.nextafter(edges, -np.inf)])


QUANTILE_EDGES = np.unique(np.quantile(RNG.normal(0, 1, 20_000), np.linspace(0.01, 0.99, 99)))
WHOLE = RNG.poisson(20, 10_000).astype(np.float64)
WHOLE_EDGES = np.quantile(WHOLE, np.linspace(0.05, 0.95, 19)).round()


@pytest.mark.parametrize(
    ("edges", "values"),
    [
        # On, just above and just below every edge, far outside, and a uniform spread.
        (
            QUANTILE_EDGES,
            np.concatenate(
                [
                    _around(QUANTILE_EDGES),
                    [-1e308, 1e308, -5.0, 5.0, 0.0, -0.0],
                    RNG.uniform(QUANTILE_EDGES[0], QUANTILE_EDGES[-1], 100_000),
                ]
            ),
        ),
        (QUANTILE_EDGES, RNG.normal(0.3, 1.2, 10_000)),
        (WHOLE_EDGES, WHOLE),  # whole numbers on whole edges
        (WHOLE_EDGES, WHOLE - 100),  # all below the edges
        (WHOLE_EDGES + 0.5, WHOLE),
        (WHOLE_EDGES, np.array([2.0**60, 0.0])),  # whole, but too wide to count per integer
        (WHOLE_EDGES, np.array([-7.0])),
        (np.array([2.0, 2.0, 2.0]), WHOLE % 5),  # repeated edges
        (np.array([0.0, 0.0, 1.0, 1.0]), np.concatenate([RNG.normal(0, 3, 1000), [0.0, 1.0]])),
        (np.array([1.0]), np.concatenate([WHOLE, [1.0, 0.5, 1.5]])),  # one edge: no span
        (np.array([]), RNG.normal(0, 1, 10)),  # no edge: one bin
        (np.array([-1e308, 1e308]), np.array([-1e308, 0.0, 1e308, 1e300])),  # span overflows
        (np.array([1e-300, 2e-300]), _around(np.array([1e-300, 2e-300]))),
        (
            np.arange(1000.0),
            np.concatenate([RNG.normal(500, 300, 5000), _around(np.arange(1000.0))]),
        ),
    ],
)
def test_counts_equal_searching_every_value(edges, values):
    assert _counted(edges, values).tolist() == _searched(edges, values).tolist()


@pytest.fixture
def searched(monkeypatch):
    """How many values each np.searchsorted call in edge_counts searched, in order."""
    sizes: list[int] = []
    real = np.searchsorted

    def counting(a, v, side="left"):
        sizes.append(np.size(v))
        return real(a, v, side=side)

    monkeypatch.setattr(edge_counts.np, "searchsorted", counting)
    return sizes


def test_most_values_are_read_from_the_table_not_searched(searched):
    values = RNG.normal(0, 1, 10_000)
    _counted(QUANTILE_EDGES + 1e-7, values)  # a grid built within the test
    assert sum(searched[1:]) < 0.05 * values.size  # searched[0] builds the table


def test_whole_numbers_are_counted_per_integer_not_searched(searched):
    assert _counted(WHOLE_EDGES, WHOLE).tolist() == _searched(WHOLE_EDGES, WHOLE).tolist()
    # Only the distinct integers (plus the reference search above) were searched.
    assert searched[0] <= np.unique(WHOLE).size
    assert WHOLE.max() - WHOLE.min() < INTEGER_SPAN

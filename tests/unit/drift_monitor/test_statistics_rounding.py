"""The numpy rounding of statistics.json's sketch items must give exactly the doubles
the original implementation gave (outputs are byte-identical across versions): it is
checked here against that implementation, kept verbatim as the reference."""

import math
import sys

import numpy as np
import pytest

from drift_monitor.statistics import _round, _round_all, _round_array


def reference_round_all(values: np.ndarray) -> list[float]:
    """The implementation before the power-of-ten table (three numpy powers a value)."""
    x = np.asarray(values, dtype=np.float64)
    out = x.copy()
    magnitude = np.abs(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        exponent = np.floor(np.log10(magnitude))
    ok = np.isfinite(exponent)
    exponent = np.where(ok, exponent, 0.0)
    with np.errstate(over="ignore"):
        exponent += magnitude >= 10.0 ** (exponent + 1)
        exponent -= (magnitude < 10.0**exponent) & ok
    digits = 11 - exponent
    up = ok & (digits >= 0) & (digits <= 22)
    down = ok & (digits < 0) & (digits >= -22)
    scale = 10.0 ** np.abs(np.where(up | down, digits, 0.0))
    out[up] = np.rint(x[up] * scale[up]) / scale[up]
    out[down] = np.rint(x[down] / scale[down]) * scale[down]
    rounded = out.tolist()
    for i in np.flatnonzero(~(up | down)).tolist():
        rounded[i] = _round(float(x[i]))
    return rounded


def bits(values: list[float]) -> list[int]:
    """Compared as bit patterns: -0.0 and 0.0 differ in the JSON, NaN never occurs."""
    return np.asarray(values, dtype=np.float64).view(np.int64).tolist()


def magnitudes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Values over the whole double range, dense around the exact-power boundary."""
    mantissa = rng.uniform(1.0, 10.0, n) * rng.choice([-1.0, 1.0], n)
    return mantissa * 10.0 ** rng.integers(-320, 308, n).astype(np.float64)


def edge_values() -> np.ndarray:
    powers = [10.0**k for k in range(-330, 309)]
    near = [math.nextafter(p, math.inf) for p in powers] + [
        math.nextafter(p, -math.inf) for p in powers
    ]
    ties = [(2 * i + 1) * 10.0**k / 2 for i in range(20) for k in range(-14, 14)]
    specials = [0.0, -0.0, math.inf, -math.inf, sys.float_info.max, -sys.float_info.max]
    specials += [5e-324, -5e-324, sys.float_info.min, 1e-11, 9.99999999999e-12, 1e22, 1e33]
    return np.array(powers + near + ties + specials + [-v for v in powers], dtype=np.float64)


@pytest.mark.parametrize("seed", range(4))
def test_rounding_equals_the_reference_on_random_values(seed):
    rng = np.random.default_rng(seed)
    values = np.concatenate(
        [
            magnitudes(rng, 20_000),
            rng.normal(50, 20, 20_000),  # the usual sketch: one decade or two
            np.round(rng.normal(0, 1000, 5_000)),  # integral features, zeros among them
            rng.uniform(-1e-10, 1e-10, 2_000),
            rng.uniform(1e11, 1e35, 2_000),
        ]
    )
    assert bits(_round_all(values)) == bits(reference_round_all(values))


def test_rounding_equals_the_reference_at_powers_of_ten_ties_and_limits():
    values = edge_values()
    assert bits(_round_all(values)) == bits(reference_round_all(values))


def test_the_fast_path_of_only_ordinary_values_equals_the_reference():
    values = np.random.default_rng(9).uniform(0.5, 5000.0, 4096)
    rounded = _round_array(values)
    assert isinstance(rounded, np.ndarray)
    assert bits(rounded.tolist()) == bits(reference_round_all(values))


def test_zeros_keep_their_sign_and_non_finite_values_take_round():
    rounded = _round_all(np.array([0.0, -0.0, math.inf, -math.inf, 1.5]))
    assert bits(rounded) == bits([0.0, -0.0, sys.float_info.max, -sys.float_info.max, 1.5])
    assert _round_all(np.array([math.nan])) == [0.0]


def test_remembered_bound_rounding_equals_round_whatever_came_before(monkeypatch):
    from drift_monitor import statistics

    monkeypatch.setattr(statistics, "_ROUNDED", {})
    monkeypatch.setattr(statistics, "_ROUNDED_MAX", 64)
    rng = np.random.default_rng(3)
    values = [0.0, -0.0, 0.0, math.inf, -math.inf, sys.float_info.max, 5e-324, -5e-324]
    values += rng.normal(0, 1e6, 200).tolist() + (-rng.normal(0, 1e-9, 50)).tolist()
    for x in values + values[::-1]:  # first computed, then remembered
        assert bits([statistics._round_bound(x)]) == bits([_round(x)])
    assert 0 < len(statistics._ROUNDED) <= 64  # bounded


def test_the_fast_path_next_to_powers_of_ten_equals_the_reference(monkeypatch):
    """Values within a few units in the last place of a power of ten, all in the usual
    range: log10 may be one off there, and the fast path does not correct it."""
    from drift_monitor import statistics

    def near(p):
        out, up, down = [p], p, p
        for _ in range(64):
            up, down = math.nextafter(up, math.inf), math.nextafter(down, -math.inf)
            out += [up, down]
        return out

    values = [v for k in range(-11, 12) for v in near(10.0**k)]
    values = [v for v in values if 1e-11 <= v < 1e12]
    values += [(2 * i + 1) * 10.0**k / 2 for i in range(50) for k in range(-10, 11)]
    values += [-v for v in values]
    array = np.array(values)

    def refuse(_):
        raise AssertionError("the fast path was not taken")

    monkeypatch.setattr(statistics, "_round_any", refuse)
    assert bits(_round_all(array)) == bits(reference_round_all(array))

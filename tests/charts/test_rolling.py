"""Rolling kernels for the alarm engine: compiled vs numpy twin, vs a brute-force reference, and
the behaviour rules rely on (NaN never poisons, flat baselines, spikes flagged)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@st.composite
def signal(draw, max_n=300):
    n = draw(st.integers(0, max_n))
    y = draw(hnp.arrays(np.float64, n, elements=st.floats(-1e4, 1e4, allow_nan=False))).copy()
    for _ in range(draw(st.integers(0, 3))):
        if n == 0:
            break
        a = draw(st.integers(0, n - 1))
        b = min(n, a + draw(st.integers(1, 40)))
        y[a:b] = draw(st.sampled_from([np.nan, np.inf, y[a]]))
    return y


@st.composite
def window_and_t(draw, n):
    if draw(st.booleans()):
        return draw(st.integers(1, 50)), None
    t = np.cumsum(draw(hnp.arrays(np.int64, n, elements=st.integers(0, 10_000_000_000))))
    return draw(st.integers(1, 200_000_000_000)), t


def _brute(y, lo, hi, ddof=1, min_periods=1):
    mean = np.full(len(y), np.nan)
    std = np.full(len(y), np.nan)
    for i in range(len(y)):
        w = y[lo[i] : hi[i]]
        w = w[np.isfinite(w)]
        if len(w) >= min_periods:
            mean[i] = w.mean()
            if len(w) - ddof > 0:
                std[i] = w.std(ddof=ddof)
    return mean, std


def _close(a, b, y):
    scale = (
        max(1.0, float(np.nanmax(np.abs(np.where(np.isfinite(y), y, np.nan)))))
        if np.isfinite(y).any()
        else 1.0
    )
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-7 * scale, equal_nan=True)


@SETTINGS
@given(data=st.data())
def test_rolling_compiled_equals_twin_and_reference(compiled_rolling, twin_rolling, data):
    from console.kernels import prep

    y = data.draw(signal())
    window, t = data.draw(window_and_t(len(y)))
    for impl in (compiled_rolling, twin_rolling):
        mean = impl.rolling_mean(y, window, t=t)
        std = impl.rolling_std(y, window, t=t)
        lo, hi = prep.window_starts(len(y), window, t, include_current=True)
        ref_mean, _ = _brute(y, lo, hi)
        _, ref_std = _brute(y, lo, hi, min_periods=2)
        _close(mean, ref_mean, y)
        _close(std, ref_std, y)


@SETTINGS
@given(data=st.data())
def test_zscore_and_ewma_compiled_equals_twin(compiled_rolling, twin_rolling, data):
    y = data.draw(signal())
    window, t = data.draw(window_and_t(len(y)))
    za = compiled_rolling.zscore(y, window, t=t, min_periods=3)
    zb = twin_rolling.zscore(y, window, t=t, min_periods=3)
    np.testing.assert_array_equal(np.isnan(za), np.isnan(zb))
    # z divides by a std that can be tiny (floored at 1e-9 of the level): on a flat baseline the
    # two summation orders leave ~1e-12 of rounding in the mean, i.e. |z| ~ 1e-6; thresholds are ~3
    both = np.isfinite(za) & np.isfinite(zb) & (np.abs(za) < 1e6)
    np.testing.assert_allclose(za[both], zb[both], rtol=1e-6, atol=1e-4)
    alpha = data.draw(st.floats(0.01, 1.0))
    np.testing.assert_array_equal(compiled_rolling.ewma(y, alpha=alpha), twin_rolling.ewma(y, alpha=alpha))
    if t is not None:
        hl = data.draw(st.integers(1, 10**11))
        np.testing.assert_array_equal(
            compiled_rolling.ewma(y, halflife=hl, t=t), twin_rolling.ewma(y, halflife=hl, t=t)
        )


@pytest.mark.parametrize("impl", ["compiled", "twin"])
def test_spike_on_noise_is_flagged_nan_does_not_poison(request, impl):
    mod = request.getfixturevalue(f"{impl}_rolling")
    rng = np.random.default_rng(5)
    y = 50 + rng.standard_normal(5_000)
    y[1_000:1_050] = np.nan  # a feed outage
    y[3_000] = 80.0  # a real spike
    flags = mod.anomalies(y, 200, threshold=6.0)
    assert flags[3_000]
    assert flags.sum() == 1, np.flatnonzero(flags)
    assert np.isfinite(mod.rolling_mean(y, 200)[1_060:]).all()
    m = mod.ewma(y, alpha=0.05)
    assert np.isfinite(m[10:]).all() and abs(m[999] - 50) < 1.5
    assert m[1_020] == m[999], "a missing sample leaves the smoothed level where it was"


@pytest.mark.parametrize("impl", ["compiled", "twin"])
def test_flat_baseline_and_time_windows(request, impl):
    mod = request.getfixturevalue(f"{impl}_rolling")
    y = np.full(100, 7.25)
    z = mod.zscore(y, 20)
    assert np.all(z[5:] == 0.0), "a flat signal at its level is not anomalous"
    y[60] = 7.5
    assert mod.anomalies(y, 20, threshold=3.0)[60], "any step off a perfectly flat baseline stands out"
    # time windows: irregular sampling, 10 s window covers exactly the samples of the last 10 s
    t = np.array([0, 1, 2, 3, 20, 21, 22], dtype=np.int64) * 1_000_000_000
    v = np.array([1.0, 2, 3, 4, 10, 20, 30])
    np.testing.assert_allclose(mod.rolling_mean(v, 10_000_000_000, t=t), [1, 1.5, 2, 2.5, 10, 15, 20])
    # time-aware EWMA: a sample one half-life later moves the level half way
    e = mod.ewma(np.array([0.0, 10.0]), halflife=5_000_000_000, t=np.array([0, 5_000_000_000]))
    assert e[1] == pytest.approx(5.0)


@pytest.mark.parametrize("impl", ["compiled", "twin"])
def test_rolling_argument_errors(request, impl):
    mod = request.getfixturevalue(f"{impl}_rolling")
    with pytest.raises(ValueError):
        mod.rolling_mean(np.arange(5.0), 0)
    with pytest.raises(ValueError):
        mod.ewma(np.arange(5.0))
    with pytest.raises(ValueError):
        mod.ewma(np.arange(5.0), alpha=1.5)
    with pytest.raises(ValueError):
        mod.anomalies(np.arange(5.0), 3, threshold=0)
    with pytest.raises(ValueError):
        mod.rolling_mean(np.arange(5.0), 10, t=np.arange(4))
    assert len(mod.rolling_std(np.array([]), 3)) == 0


def test_long_series_does_not_drift(compiled_rolling):
    """Welford add/remove over a million samples with a large level stays exact to rounding."""
    rng = np.random.default_rng(11)
    y = 1e6 + rng.standard_normal(1_000_000) * 1e-2
    std = compiled_rolling.rolling_std(y, 100)
    ref = np.std(y[-100:], ddof=1)
    assert std[-1] == pytest.approx(ref, rel=1e-6)

"""console.forecast: the damped-trend forecast is unbiased on trends, its interval covers what happens
about as often as it says, and it refuses to forecast from too little data."""

from __future__ import annotations

import numpy as np

from console.forecast import NS, damped_holt, forecast_many, regular_grid


def test_regular_grid_means_and_gaps():
    t = np.array([0, 10, 20, 130, 140], np.int64) * NS
    v = np.array([1.0, 2.0, 3.0, 10.0, 20.0])
    ends, vals = regular_grid(t, v, 60.0, 180.0, end_ns=180 * NS)
    assert list(ends // NS) == [60, 120, 180]
    assert vals[0] == 2.5 and np.isnan(vals[1]) and vals[2] == 15.0  # bins are (end - step, end]


def test_too_little_data_gives_no_forecast():
    t = np.arange(0, 5 * 60, 30) * NS
    assert forecast_many([(t, np.ones(len(t)))], horizon_s=3600, min_points=10) == [None]
    assert damped_holt(np.full((2, 20), np.nan), 10) == [None, None]


def test_linear_trend_is_followed_and_flat_stays_flat():
    t = np.arange(0, 90 * 60, 30) * NS
    rng = np.random.default_rng(3)
    rising = 40 + 0.3 * t / NS / 60 + rng.normal(0, 0.3, len(t))
    flat = 70 + rng.normal(0, 0.5, len(t))
    up, level = forecast_many([(t, rising), (t, flat)], horizon_s=1800, bounds=(0, 100))
    truth = 40 + 0.3 * (t[-1] / NS / 60 + 30)
    mean, lo, hi = up.at(30)
    assert lo <= truth <= hi and abs(mean - truth) < 4
    mean, lo, hi = level.at(30)
    assert abs(mean - 70) < 2 and lo < 70 < hi
    assert level.crossing(95) == (None, None, None)


def test_interval_coverage_on_random_walks():
    """Random walk + noise: the 80 % interval 20 minutes ahead covers the truth 70-95 % of the time."""
    rng = np.random.default_rng(11)
    n, steps, ahead = 300, 90, 20
    walks = np.cumsum(rng.normal(0, 0.5, (n, steps + ahead)), axis=1) + 50
    observed = walks + rng.normal(0, 0.3, walks.shape)
    t = np.arange(steps) * 60 * NS
    fits = forecast_many([(t, observed[i, :steps]) for i in range(n)], horizon_s=ahead * 60, level=0.8)
    hits = 0
    for i, f in enumerate(fits):
        _mean, lo, hi = f.at(ahead)
        hits += lo <= observed[i, steps + ahead - 1] <= hi
    assert 0.70 <= hits / n <= 0.95, hits / n

"""Pixel-aligned chart bins: the incremental update always equals a fresh computation, and only the
bins that changed are rescanned."""

from __future__ import annotations

import numpy as np

from console.chart_data import PixelBins
from console.series import NS, SeriesConfig, SeriesStore

T0 = 1_700_000_000 * NS


def _fresh(store, t0, t1, width):
    return PixelBins(store, "s/x").points(t0, t1, width)


def test_incremental_equals_fresh_through_appends_scrolls_late_data_and_drops():
    rng = np.random.default_rng(3)
    store = SeriesStore(config=SeriesConfig(points_per_signal=3_200, initial_points=3_200))
    n = 3_000
    store.append("s/x", T0 + np.arange(n) * NS, rng.standard_normal(n))
    bins = PixelBins(store, "s/x")
    width = 200
    px = 20 * NS
    newest = T0 + (n - 1) * NS
    for k in range(400):
        newest += int(rng.integers(1, 3)) * NS
        store.append("s/x", [newest], [float(rng.standard_normal() * 4)])
        if k % 53 == 0:  # a late sample: merged into the past, the ring is rewritten
            store.append("s/x", [newest - 7 * NS - 1], [float(rng.standard_normal())])
        if k % 97 == 0:  # a gap marker and NaN values
            store.append("s/x", [newest + 200 * NS], [np.nan])
            newest += 200 * NS
        t1 = -(-newest // px) * px
        t0 = t1 - width * px
        got = bins.points(t0, t1, width)
        want = _fresh(store, t0, t1, width)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
    assert len(store.window("s/x")) == 3_200, "the ring filled up and dropped old samples meanwhile"


def test_a_new_sample_rescans_one_bin_and_spikes_survive():
    store = SeriesStore()
    t = T0 + np.arange(10_000) * NS
    v = np.sin(np.arange(10_000) / 300.0)
    v[4_321] = 50.0
    store.append("s/x", t, v)
    bins = PixelBins(store, "s/x")
    px = 10 * NS
    t1 = T0 + 10_000 * NS
    pts = bins.points(t1 - 1_000 * px, t1, 1_000)
    assert bins.rescanned_bins == 1_000 and bins.changed_from == 0
    assert pts[1].max() == 50.0 and len(pts[0]) <= 2_000
    store.append("s/x", [t1 - 1], [0.5])  # just after the newest sample, in the last column
    bins.points(t1 - 1_000 * px, t1, 1_000)
    assert bins.rescanned_bins == 1 and bins.changed_from == 999
    bins.points(t1 - 999 * px, t1 + px, 1_000)  # scrolled by one column
    assert bins.rescanned_bins == 1 and bins.changed_from == 0


class _History:
    def __init__(self, fail: bool = False):
        self.fail = fail
        self.calls = 0

    def history(self, signal, t0, t1, n_out):
        self.calls += 1
        if self.fail:
            raise OSError("database unreachable")
        return np.linspace(t0, t1 - 1, n_out).astype(np.int64), np.full(n_out, -5.0)


def test_zoom_out_beyond_the_ring_draws_provider_history_first(caplog):
    store = SeriesStore(config=SeriesConfig(points_per_signal=1_000, initial_points=1_000))
    store.append("s/x", T0 + np.arange(5_000) * NS, np.arange(5_000.0))  # the ring keeps the last 1000
    hist = _History()
    store.set_history(hist)
    bins = PixelBins(store, "s/x")
    t, v = bins.points(T0, T0 + 5_000 * NS, 500)
    assert np.all(np.diff(t) >= 0) and v[0] == -5.0 and v.max() == 4_999.0
    assert t[np.argmax(v == 4_000.0)] == T0 + 4_000 * NS  # ring data starts where the ring does
    bins.points(T0, T0 + 5_000 * NS, 500)
    assert hist.calls == 1, "the same window does not ask the provider again"
    store.set_history(_History(fail=True))
    with caplog.at_level("ERROR"):
        t, v = PixelBins(store, "s/x").points(T0, T0 + 5_000 * NS, 500)
    assert v.min() >= 4_000 and "database unreachable" in caplog.text

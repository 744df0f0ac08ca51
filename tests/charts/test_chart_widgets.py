"""Chart widgets offscreen: redraw only on change, decimation to the pixel width, bands and stale
dimming from metadata and health, gaps, shared cursor, live/paused, the dock panel and the snapshot."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from console import i18n
from console.health import FeedHealth, FeedState
from console.model import Reading
from console.series import NS, SeriesConfig, SeriesStore

pytestmark = pytest.mark.gui

TZ = "Asia/Tehran"
ORIGIN = 1_764_016_200 * NS  # 2025-11-25 00:00 in Tehran (4 Azar 1404)
NOW = ORIGIN + 16 * 3600 * NS


class Clock:
    def __init__(self, t: int = NOW):
        self.t = t

    def __call__(self) -> int:
        return self.t


def _aqi_store(n: int = 200_000, spike_at: int | None = 123_456) -> SeriesStore:
    store = SeriesStore(config=SeriesConfig(points_per_signal=1 << 20))
    t = NOW - (n - np.arange(n)) * (NS // 10)  # 10 Hz up to now
    v = 60 + 10 * np.sin(np.arange(n) / 5_000)
    if spike_at is not None:
        v[spike_at] = 420.0
    store.append("aq-1/aqi", t, v, etype="AirQualityObserved", source="air-feed")
    return store


@pytest.fixture
def grid(qapp, qtbot):
    from widgets.chart_grid import ChartGrid

    def build(store, signals, clock=None, **kw):
        g = ChartGrid(store, clock=clock or Clock(), origin_ns=ORIGIN, **kw)
        qtbot.addWidget(g)
        g.resize(1200, 700)
        g.show()
        qtbot.waitExposed(g)
        g.timer.stop()  # tests drive frames explicitly
        g.set_signals(signals)
        qtbot.waitUntil(lambda: all(c.isVisible() for c in g.charts))
        return g

    return build


def test_redraw_decimates_to_the_width_and_skips_when_nothing_changed(grid):
    store = _aqi_store()
    clock = Clock()
    g = grid(store, ["aq-1/aqi"], clock=clock, window_s=6 * 3600)
    chart = g.charts[0]
    assert g.tick(force=True) == 1
    x, y = chart.drawn()
    width = int(chart.vb.width())
    assert 0 < len(x) <= 2 * width + 8, (len(x), width)
    assert np.nanmax(y) == 420.0, "MinMax never loses a spike between pixels"
    assert g.tick() == 0, "same data, same window: no redraw"
    store.append("aq-1/aqi", [NOW + NS // 10], [61.0])
    clock.t += NS // 10
    assert g.tick() == 1, "new data: redraw"
    assert g.timer.interval() >= 33, "redraws are capped at 30 Hz"


def test_a_new_sample_redraws_only_the_live_tail(grid):
    store = _aqi_store()
    clock = Clock()
    g = grid(store, ["aq-1/aqi"], clock=clock, window_s=6 * 3600)
    chart = g.charts[0]
    g.tick(force=True)
    body, tail = chart.curve.xData, chart.tail.xData
    store.append("aq-1/aqi", [NOW + 1], [75.0])
    clock.t += 1
    assert g.tick() == 1
    assert chart.curve.xData is body, "the settled part is not touched by a new sample"
    assert chart.tail.xData is not tail and chart.drawn()[1][-1] == 75.0
    assert chart.bins.rescanned_bins == 1


def test_bands_units_and_value_from_metadata(grid):
    g = grid(_aqi_store(), ["aq-1/aqi"], window_s=6 * 3600)
    chart = g.charts[0]
    g.tick(force=True)
    assert chart.bands["warn_hi"].isVisible() and chart.bands["alarm_hi"].isVisible()
    lo, hi = chart.bands["warn_hi"].getRegion()
    assert (lo, hi) == (101.0, 151.0)
    assert chart.value.text().endswith("AQI")
    assert "شاخص کیفیت هوا" in chart.title.text()


def test_stale_source_or_old_data_is_dimmed_with_the_reason(grid):
    health = FeedHealth()
    health.register("air-feed")
    health.set_state("air-feed", FeedState.CONNECTED)
    clock = Clock()
    g = grid(_aqi_store(), ["aq-1/aqi"], clock=clock, health=health)
    chart = g.charts[0]
    g.tick(force=True)
    assert not chart.state.isVisible() and chart.curve.opts["pen"].style() == Qt.SolidLine
    health.set_state("air-feed", FeedState.DOWN)
    assert g.tick() == 1
    assert chart.curve.opts["pen"].style() == Qt.DashLine
    assert i18n.tr("feed.down") in chart.state.text()
    health.set_state("air-feed", FeedState.CONNECTED)
    clock.t += 600 * NS  # ten minutes without data (AQI is stale after 120 s)
    g.tick()
    assert chart.state.isVisible() and "۱۰" in chart.state.text()


def test_a_gap_breaks_the_line(grid):
    store = SeriesStore()
    t = NOW - np.arange(600, 0, -1) * 10 * NS
    v = np.full(600, 50.0)
    keep = np.r_[0:200, 300:600]  # 1000 s without data; AQI stale-after is 120 s
    store.append("aq-2/aqi", t[keep], v[keep], etype="AirQualityObserved")
    g = grid(store, ["aq-2/aqi"], window_s=2 * 3600)
    g.tick(force=True)
    _, y = g.charts[0].drawn()
    assert np.isnan(y).any() and np.isfinite(y).sum() > 10


def test_shared_cursor_shows_the_same_instant_everywhere(grid):
    store = _aqi_store(spike_at=None)
    store.append(
        "river/level", NOW - np.arange(100, 0, -1) * NS, np.linspace(1, 2, 100), etype="WaterObserved"
    )
    g = grid(store, ["aq-1/aqi", "river/level"], window_s=600)
    g.tick(force=True)
    t = NOW - 30 * NS
    g.charts[1].sig_hover.emit(t)  # the pointer is over the second chart
    for chart in g.charts:
        assert chart.cursor_line.isVisible()
        assert chart.cursor_line.value() == pytest.approx((t - ORIGIN) / NS)
    assert g.charts[1].readout.textItem.toPlainText().startswith("۱٫۷۱ m")
    assert g.charts[0].readout.textItem.toPlainText().endswith("۱۴۰۴/۰۹/۰۴ ۱۵:۵۹:۳۰")  # Jalali, local time
    g.charts[0].sig_hover.emit(None)
    assert not any(c.cursor_line.isVisible() for c in g.charts)


def test_manual_zoom_pauses_and_back_to_live_returns(grid):
    clock = Clock()
    g = grid(_aqi_store(), ["aq-1/aqi"], clock=clock, window_s=600)
    g.tick(force=True)
    vb = g.charts[0].vb
    vb.sigRangeChangedManually.emit([True, False])  # what a wheel zoom or drag emits
    assert not g.live and g.back.isVisible()
    vb.setXRange(-3 * 3600 + (NOW - ORIGIN) / NS, (NOW - ORIGIN) / NS - 3600, padding=0)
    clock.t += 5 * NS
    g.tick()
    t0, t1 = g.visible_range(clock.t)
    assert t1 < NOW - 3_000 * NS, "paused: the view stays where the operator put it"
    g.back.click()
    assert g.live and not g.back.isVisible()
    t0, t1 = g.visible_range(clock.t)
    assert t1 >= clock.t and t1 - t0 == 600 * NS


def test_fewer_charts_take_the_whole_grid(grid, qtbot):
    store = _aqi_store()
    for k in range(2, 7):
        store.append(f"aq-{k}/aqi", [NOW - NS], [50.0], etype="AirQualityObserved")
    g = grid(store, [f"aq-{k}/aqi" for k in range(1, 7)])
    g.set_signals(["aq-1/aqi"])
    qtbot.waitUntil(lambda: g.charts[0].width() > 0.9 * g.width())  # no stretch left over from 6 cells


def test_grid_columns_follow_the_aspect():
    from widgets.chart_grid import grid_columns

    assert grid_columns(12, 1920, 1040) == 3
    assert grid_columns(6, 460, 900) == 1
    assert grid_columns(1, 100, 100) == 1
    assert grid_columns(6, 780, 330) <= 2, "a wide, low dock never gets columns narrower than a chart"


def test_time_axis_labels_in_persian_and_english(grid):
    g = grid(_aqi_store(), ["aq-1/aqi"], window_s=7 * 86_400)
    axis = g.charts[0].time_axis
    i18n.set_lang("fa")
    labels = axis.tickStrings([0.0, 3600.0 * 13], 1.0, 3600)
    assert "آذر" in labels[0] and labels[1] == "۱۳:۰۰"
    i18n.set_lang("en")
    assert axis.tickStrings([0.0], 1.0, 86_400) == ["25 Nov"]
    assert axis.tickStrings([3600.0 * 13], 1.0, 3600) == ["13:00"]


def _reading(entity: str, etype: str, key: str, value: float, i: int) -> Reading:
    return Reading(
        source="feed", seq=i, topic="t", entity=entity, etype=etype, t=NOW + i * NS, values={key: value}
    )


def test_panel_shows_an_empty_state_then_sensible_signals(qapp, qtbot):
    from widgets.chart_panel import ChartPanel

    store = SeriesStore()
    panel = ChartPanel(store)
    qtbot.addWidget(panel)
    panel.resize(500, 900)
    panel.show()
    assert panel.stack.currentWidget() is panel.empty
    assert panel.empty.text() == i18n.tr("charts.empty")
    readings = [_reading(f"bus-{k}", "Vehicle", "speed", 30.0, k) for k in range(20)]
    readings += [_reading(f"aq-{k}", "AirQualityObserved", "aqi", 80.0, k) for k in range(5)]
    readings += [
        _reading("river-1", "WaterObserved", "level", 1.2, 0),
        _reading("seg-4", "TrafficFlowObserved", "speed", 40, 0),
    ]
    store.ingest(readings)
    panel.follow_store()
    assert panel.stack.currentWidget() is panel.grid
    assert panel.grid.signals() == ["aq-0/aqi", "seg-4/speed", "river-1/level", "aq-1/aqi", "aq-2/aqi"]
    panel.resize(500, 330)  # a low dock: only as many charts as stay readable
    qtbot.waitUntil(lambda: len(panel.grid.signals()) <= 2)
    assert panel.grid.signals() == ["aq-0/aqi", "seg-4/speed"][: len(panel.grid.signals())]
    panel.picked = ["river-1/level"]  # the operator's choice sticks
    panel.follow_store()
    assert panel.grid.signals() == ["river-1/level"]


def test_signal_picker_filters_and_returns_the_ticked(qapp, qtbot):
    from widgets.chart_panel import SignalPicker

    store = SeriesStore()
    store.ingest([_reading(f"aq-{k}", "AirQualityObserved", "aqi", 80.0, k) for k in range(3)])
    dlg = SignalPicker(store, ["aq-1/aqi"])
    qtbot.addWidget(dlg)
    assert dlg.chosen() == ["aq-1/aqi"]
    dlg.filter.setText("aq-2")
    visible = [
        dlg.list.item(i).data(Qt.UserRole) for i in range(dlg.list.count()) if not dlg.list.item(i).isHidden()
    ]
    assert visible == ["aq-2/aqi"]


def test_main_window_has_the_chart_panel(window):
    from widgets.chart_panel import ChartPanel

    win = window()
    assert isinstance(win.docks["charts"].widget(), ChartPanel)


def test_snapshot_view_labels_generated_data(qapp, qtbot, make_core):
    import argparse

    from widgets.chart_panel import snapshot_view

    class _Win:
        core = make_core()

    grid = snapshot_view(_Win(), argparse.Namespace(points=50_000, charts=4))
    qtbot.addWidget(grid)
    assert grid.banner.isVisibleTo(grid) and i18n.tr("charts.test_data") in grid.banner.text()
    assert len(grid.charts) == 4 and len(grid.store.window(grid.signals()[0])) == 50_000

"""A 1920x1080 desk must hold the whole console: long one-line texts give way instead of widening it."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.gui


def test_elided_label_gives_way_and_keeps_the_whole_text(qapp, qtbot):
    from widgets.elided_label import ElidedLabel

    text = "نقشهٔ پایه: برداری (بدون اینترنت) | مناطق نمونه (مصنوعی) | ۱٬۴۰۰ خودرو | ۳۰۰ حسگر"
    label = ElidedLabel(None, text)
    qtbot.addWidget(label)
    full = label.sizeHint().width()
    assert label.minimumSizeHint().width() < full / 3  # it may be much narrower than its text
    label.resize(full + 10, 30)
    label.show()
    assert label.shown_text() == text and label.text() == text
    label.resize(full // 3, 30)
    qtbot.waitUntil(lambda: label.shown_text() != text)
    assert label.shown_text().endswith(("…", "...")) and len(label.shown_text()) < len(text)
    assert label.text() == text and label.toolTip() == text  # nothing lost: the tooltip has it all
    label.setText("کوتاه")
    assert label.shown_text() == "کوتاه"


def test_map_bar_fits_beside_the_docks_with_long_texts(qapp, qtbot):
    from widgets.map_panels import MapBar

    bar = MapBar()
    qtbot.addWidget(bar)
    bar.base_label.setText("Base map: vector (offline) — districts (synthetic demo) " * 3)
    bar.counts_label.setText("10,000 vehicles | 246 segments | 300 sensors | 12 stale " * 3)
    assert bar.minimumSizeHint().width() < 700


def test_many_kpi_tiles_wrap_into_a_narrow_dock(qapp, qtbot):
    from widgets.kpi_tiles import KpiStrip, Tile

    strip = KpiStrip(8)
    qtbot.addWidget(strip)
    strip.set_tiles([Tile(f"k{i}", "شاخص", "KPI", float(i)) for i in range(8)])
    assert strip.minimumSizeHint().width() <= 3 * KpiStrip.MIN_TILE_PX  # three short rows at most

"""The feed-health panel: every source with state (glyph + word + colour), rates and counters,
worst first, and a banner that makes a stale or down source impossible to miss; fa and en."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from console import i18n
from console.core import Core
from console.health import FeedHealth, FeedState
from console.settings import Settings

pytestmark = pytest.mark.gui


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


@pytest.fixture
def core():
    c = Core(Settings(vehicles=20), load_plugins=False)
    c.health = FeedHealth()
    yield c
    c.bus.close()


def populate(health: FeedHealth) -> None:
    for sid, fa, en in (
        ("sim.bus", "اتوبوس‌ها", "Buses"),
        ("sim.air", "کیفیت هوا", "Air quality"),
        ("sim.water", "سنجه‌های آب", "Water gauges"),
    ):
        health.register(sid, title_fa=fa, title_en=en, stale_after_s=15, connection="sim")
        health.set_state(sid, FeedState.CONNECTED)
    health.count("sim.bus", messages=1234, gaps=2, missing=17, duplicates=5, quarantined=3)
    health.note("sim.bus", last_seq=1234, latency_ms=12.5)
    health.set_state("sim.water", FeedState.DOWN, "connection refused")
    health.set_state("sim.air", FeedState.STALE, "no data for 120 s")


def texts(widget, row: int) -> list[str]:
    m = widget.model
    return [m.data(m.index(row, c)) for c in range(m.columnCount())]


def test_rows_worst_first_with_glyphs_words_and_counters(qapp, qtbot, core):
    from widgets.feed_health import FeedHealthWidget

    i18n.set_lang("en")
    populate(core.health)
    w = FeedHealthWidget(core)
    qtbot.addWidget(w)
    w.resize(600, 400)
    w.show()
    assert [w.model.rows[i].source for i in range(3)] == ["sim.water", "sim.air", "sim.bus"]
    assert texts(w, 0)[:2] == ["✖ down", "Water gauges"]
    assert texts(w, 1)[0] == "◐ stale"
    bus = texts(w, 2)
    assert bus[0] == "●" and bus[1] == "Buses"
    assert bus[3:] == ["1234", "2", "5", "3", "12"]
    assert "17" in w.model.data(w.model.index(2, 4), Qt.ToolTipRole)  # tooltip: messages lost in the gaps
    assert w.banner.property("feedState") == "down"
    banner = w.banner.text()
    assert "✖ 1 source(s) down: Water gauges" in banner and "◐ 1 source(s) stale" in banner
    assert "connection refused" in w.model.data(w.model.index(0, 0), Qt.ToolTipRole)


def test_persian_digits_and_retranslate(qapp, qtbot, core):
    from widgets.feed_health import FeedHealthWidget

    populate(core.health)
    i18n.set_lang("fa")
    w = FeedHealthWidget(core)
    qtbot.addWidget(w)
    assert texts(w, 0)[:2] == ["✖ قطع", "سنجه‌های آب"]
    assert texts(w, 2)[3] == "۱۲۳۴"
    assert "قطع" in w.banner.text()
    assert w.model.headerData(0, Qt.Horizontal) == "وضعیت"
    i18n.set_lang("en")
    w.retranslate()
    assert w.model.headerData(0, Qt.Horizontal) == "State" and texts(w, 2)[3] == "1234"


def test_all_live_banner_and_simulated_provenance(qapp, qtbot):
    from widgets.feed_health import FeedHealthWidget

    i18n.set_lang("en")
    core = Core(Settings(vehicles=20, scenario="flood"), load_plugins=False)
    for st in core.health.snapshot():
        core.health.set_state(st.source, FeedState.CONNECTED)
    w = FeedHealthWidget(core)
    qtbot.addWidget(w)
    assert w.banner.property("feedState") == "connected"
    from console.sim import SOURCES

    assert w.banner.text().startswith(f"● All {len(SOURCES)} sources live")
    assert "Simulated data" in w.provenance.text() and "Flood" in w.provenance.text()
    core.bus.close()


def test_the_shell_uses_it_and_snapshot_has_a_feeds_view(qapp, qtbot, core):
    from widgets import docks, snapshot
    from widgets.feed_health import FeedHealthWidget

    assert isinstance(docks.make_feeds(core, None), FeedHealthWidget)
    assert "feeds" in snapshot.VIEWS

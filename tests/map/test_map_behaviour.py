"""The map widget as an operator meets it: details of a 137 report, plugin layers, reload, back-pressure."""

from __future__ import annotations

import base64
import io
import json

import pytest
from PIL import Image

from console import i18n
from console.maplayers import LegendItem, MapFeature, MapLayer
from console.model import Reading
from console.plugins import LayerSpec
from tests.map.fleet import vehicle
from tests.map.harness import spin

pytestmark = pytest.mark.gui
T0 = 1_770_000_000_000_000_000


def _photo_uri() -> str:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 60, 60)).save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def test_report_details_show_text_category_photo_in_the_operators_language(harness):
    h = harness()
    report = Reading(
        source="sim.137",
        seq=1,
        topic="report/137",
        entity="137-000001",
        etype="CitizenReport",
        t=T0,
        lat=34.64,
        lon=50.88,
        values={"count": 1.0, "urgency": 4.0},
        attrs={
            "category_fa": "نشت گاز",
            "category_en": "Gas leak",
            "text": "بوی شدید گاز در کوچه",
            "status": "new",
            "district": "d1",
            "image": _photo_uri(),
        },
    )
    h.feed([report], "report/137")
    assert h.flush()
    assert (h.entity("137-000001")["style"] >> 5) & 7 == 3  # urgency 4: the most severe level
    assert h.widget.select("137-000001")
    d = h.widget.details
    shown = d.describe()
    assert shown["kind"] == "گزارش ۱۳۷"
    assert shown["rows"]["موضوع"] == "نشت گاز" and shown["rows"]["وضعیت"] == "جدید"
    assert shown["rows"]["منطقه"] == "منطقهٔ ۱" and "image" not in shown["rows"]
    assert d.photo.isVisible() and d.photo.pixmap().width() == 64
    assert not d.replay.isVisible()  # reports have no track
    i18n.set_lang("en")
    h.widget.retranslate()
    shown = d.describe()
    assert shown["rows"]["Category"] == "Gas leak" and shown["rows"]["Status"] == "New"


def test_plugin_layers_get_a_switch_and_reach_the_page(harness):
    h = harness()
    layer = MapLayer(
        "traffic.cameras", "دوربین‌ها", "Cameras", z=30, legend=[LegendItem("#ff00aa", "دوربین", "Camera")]
    )
    layer.upsert(MapFeature.point("cam-1", 34.64, 50.88, title_fa="دوربین ۱", title_en="Camera 1"))
    spec = LayerSpec("traffic", "traffic.cameras", "دوربین‌ها", "Cameras", layer)
    h.core.plugins.map_layers.add(spec)
    assert spin(lambda: "traffic.cameras" in h.widget.panel.checks, 5)
    assert h.widget.panel.checks["traffic.cameras"].text() == "دوربین‌ها"
    assert h.flush()
    assert h.wait_js(
        "RasadMap.stats()", lambda v: dict(json.loads(v)["features"]).get("traffic.cameras") == 1
    )
    h.widget.panel.checks["traffic.cameras"].setChecked(False)
    assert h.wait_js("document.querySelectorAll('.rasad-feature').length", lambda v: v == 0)
    h.core.plugins.map_layers.remove(spec)  # the plugin went away: its switch and features go too
    assert spin(lambda: "traffic.cameras" not in h.widget.panel.checks, 5)
    assert h.flush()
    assert h.wait_js("RasadMap.stats()", lambda v: "traffic.cameras" not in dict(json.loads(v)["features"]))


def test_a_reloaded_page_gets_everything_again(harness, qtbot):
    h = harness()
    h.feed([vehicle("bus-1", 34.64, 50.87, T0), vehicle("bus-2", 34.65, 50.88, T0)], "vehicle/bus")
    assert h.flush()
    with qtbot.waitSignal(h.widget.sig_page_ready, timeout=30000):
        h.web.reload()  # what the widget does after a renderer crash
    assert h.flush()
    assert h.entity("bus-1") is not None and h.stats()["alive"] == 2


def test_a_slow_page_gets_one_coalesced_batch_not_a_queue(harness):
    h = harness()
    h.feed([vehicle("bus-1", 34.64, 50.87, T0)], "vehicle/bus")
    assert h.flush()
    h.widget._pump_timer.stop()
    h.widget.inflight, h.widget.inflight_t = 999_999, 1e18  # pretend the page has not acked yet
    before = h.widget.stats["batches"]
    for k in range(20):
        h.feed([vehicle("bus-1", 34.64 + k * 1e-4, 50.87, T0 + k * 10**9)], "vehicle/bus")
        h.widget.pump()
    assert h.widget.stats["batches"] == before and h.widget.stats["waits"] >= 20
    h.widget.inflight = None
    assert h.flush()
    assert h.widget.stats["batches"] == before + 1  # twenty moves, one batch with the latest position
    assert h.entity("bus-1")["lat"] == pytest.approx(34.64 + 19 * 1e-4, abs=1e-5)


def test_map_and_alarm_list_select_each_other(harness, qtbot):
    from PySide6.QtCore import Signal
    from PySide6.QtWidgets import QWidget

    from widgets.selection import link_selection

    class AlarmList(QWidget):  # the protocol the alarm room's list speaks
        sig_entity_selected = Signal(str)

        def __init__(self):
            super().__init__()
            self.selected: list[str] = []

        def select(self, ref: str) -> bool:
            self.selected.append(ref)
            return True

    h = harness()
    alarms = AlarmList()
    qtbot.addWidget(alarms)
    assert link_selection(h.widget, alarms)
    assert not link_selection(h.widget, QWidget())
    h.feed([vehicle("taxi-3", 34.66, 50.90, T0, fleet="taxi")], "vehicle/taxi")
    assert h.flush()
    alarms.sig_entity_selected.emit("taxi-3")  # picked in the list: the map pans and shows it
    assert h.widget.selected == "taxi-3" and h.widget.details.isVisible()
    assert h.wait_js("RasadMap.map().getCenter().lat", lambda v: abs(v - 34.66) < 1e-3)
    h.set_view(34.66, 50.90, 16)
    assert h.flush()
    h.js("RasadMap.clickAt(34.66, 50.90); 1")  # clicked on the map: the list follows
    assert spin(lambda: alarms.selected == ["taxi-3"], 5)

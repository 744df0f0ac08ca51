"""The alarm list, banner, annunciator and shell integration, offscreen (sound on a PulseAudio null sink)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
import wave
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from console import i18n
from console.alarms.rules import Threshold
from console.model import AlarmState, Operator, Priority, Role
from tests.alarms.conftest import reading
from tests.gui.conftest import make_core, window  # noqa: F401 - the GUI fixtures

ROOT = Path(__file__).resolve().parents[2]
RULES = [
    Threshold(
        id="x",
        topic="water/gauge",
        key="level",
        high=4.5,
        priority=Priority.EXTREME,
        department="crisis",
        title_fa="سیلاب",
        title_en="Flood stage",
    ),
    Threshold(
        id="lvl",
        topic="water/gauge",
        key="level",
        high=3.0,
        priority=Priority.SEVERE,
        department="crisis",
        title_fa="تراز بالا",
        title_en="Water high",
    ),
    Threshold(
        id="pm",
        topic="air/station",
        key="pm25",
        high=55.5,
        priority=Priority.MODERATE,
        department="environment",
        title_fa="ذرات",
        title_en="PM2.5",
    ),
]
QOM = (34.6401, 50.8764)


class Session:
    def __init__(self, op):
        self.operator = op


@pytest.fixture
def alarm_core(make_core):  # noqa: F811
    core = make_core()
    engine = core.services["alarms"]
    for r in RULES:
        engine.add_rule(r)
    return core


def feed(core, *readings):
    for r in readings:
        core.services["alarms"].process(r.topic, [r])


@pytest.fixture
def alarm_list(qapp, qtbot, alarm_core):
    from widgets.alarm_list import AlarmListWidget

    w = AlarmListWidget(alarm_core, sound=False, poll_ms=50)
    qtbot.addWidget(w)
    w.resize(1500, 500)
    w.show()
    return w


def rows(w):
    from widgets.alarm_model import ALARM_ROLE

    return [w.proxy.index(r, 0).data(ALARM_ROLE).id for r in range(w.proxy.rowCount())]


def test_list_sorts_filters_and_marks(alarm_list, alarm_core, qtbot):
    w = alarm_list
    feed(
        alarm_core,
        reading(level=3.2, t_s=1, lat=QOM[0], lon=QOM[1]),
        reading(
            topic="air/station", entity="aq1", etype="AirQualityObserved", t_s=2, pm25=80, lat=34.66, lon=50.9
        ),
        reading(entity="g2", level=5.0, t_s=3),
    )
    qtbot.waitUntil(lambda: len(rows(w)) == 4)
    assert rows(w)[0] == "x:g2" and rows(w)[-1] == "pm:aq1"  # by priority, Extreme first
    first = [a for a in w.model.rows if a.first_out]
    assert [a.id for a in first] == ["lvl:g1"]  # the first of the cascade carries the marker
    w.prio_buttons[Priority.MODERATE].setChecked(False)
    assert "pm:aq1" not in rows(w)
    w.prio_buttons[Priority.MODERATE].setChecked(True)
    w.dept_box.setCurrentIndex(w.dept_box.findData("environment"))
    assert rows(w) == ["pm:aq1"]
    w.dept_box.setCurrentIndex(0)
    district = alarm_core.services["alarms"].get("lvl:g1").district
    assert district
    w.district_box.setCurrentIndex(w.district_box.findData(district))
    assert "lvl:g1" in rows(w) and "x:g2" not in rows(w)  # g2 has no position, no district
    w.district_box.setCurrentIndex(0)
    w.search.setText("PM2")
    assert rows(w) == ["pm:aq1"]
    w.search.clear()
    priority_cell = w.proxy.index(0, 1).data()
    assert (
        priority_cell.startswith("◆") and i18n.tr("alarms.priority.extreme") in priority_cell
    )  # shape + word


def test_ack_keys_note_for_extreme_and_ack_page(alarm_list, alarm_core, qtbot):
    w = alarm_list
    feed(alarm_core, reading(level=5.0, t_s=1), reading(entity="g2", level=3.5, t_s=2))
    qtbot.waitUntil(lambda: len(rows(w)) == 3)
    w.ask_note = lambda alarms: None  # the operator cancels the note
    w.select("alarms:x:g1")
    assert w.ack_selected() == 0 and "note" in w.message.text()
    w.ask_note = lambda alarms: "crew on site"
    w.view.setFocus()
    qtbot.keyClick(w.view, Qt.Key_F2)  # F2: acknowledge the selection
    engine = alarm_core.services["alarms"]
    assert engine.get("x:g1").state is AlarmState.ACKED and engine.get("x:g1").ack_note == "crew on site"
    assert w.ack_page() == 2  # the rest of the page
    assert all(not a.unacked for a in [engine.get(i) for i in ("lvl:g1", "lvl:g2")])


def test_roles_gate_shelving_and_selection_protocol(alarm_list, alarm_core, qtbot):
    w = alarm_list
    feed(alarm_core, reading(level=3.5, t_s=1, lat=QOM[0], lon=QOM[1]))
    qtbot.waitUntil(lambda: len(rows(w)) == 1)
    with qtbot.waitSignal(w.sig_entity_selected) as sig:
        w.select("g1")  # an entity selects its alarms ...
    assert sig.args == ["g1"]  # ... and a selected alarm names its entity for the map
    assert not w.buttons["shelve"].isEnabled()  # the demo operator has the operator role only
    assert i18n.tr("alarms.tip.needs_role", who="demo") in w.buttons["shelve"].toolTip()
    alarm_core.services["session"] = Session(Operator(name="reza", roles=frozenset({Role.SUPERVISOR})))
    w._update_buttons()
    assert w.buttons["shelve"].isEnabled()
    w.ask_shelve = lambda a: ("gauge maintenance", 1800.0)
    w.shelve_selected()
    engine = alarm_core.services["alarms"]
    assert engine.get("lvl:g1").state is AlarmState.SHELVED and engine.get("lvl:g1").shelved_by == "reza"
    qtbot.waitUntil(lambda: rows(w) == [])  # hidden alarms leave the default view ...
    w.state_box.setCurrentIndex(w.state_box.findData("hidden"))
    assert rows(w) == ["lvl:g1"]  # ... and stay findable
    w.select("alarms:lvl:g1")
    assert w.menu_actions["unshelve"].isEnabled()
    w.menu_actions["unshelve"].trigger()
    assert engine.get("lvl:g1").state is AlarmState.UNACK


def test_banner_shows_the_most_urgent_and_flashes_until_acked(qapp, qtbot, alarm_core):
    from widgets.banner import AlarmBanner

    engine = alarm_core.services["alarms"]
    b = AlarmBanner(engine, poll_ms=50)
    qtbot.addWidget(b)
    b.show()
    assert b.alarm is None and i18n.tr("alarms.banner.none") in b.text.text()
    feed(alarm_core, reading(level=3.5, t_s=1), reading(entity="g2", level=5.0, t_s=2))
    qtbot.waitUntil(lambda: b.alarm is not None and b.alarm.id == "x:g2")
    assert "◆" in b.glyph.text() and "سیلاب" in b.text.text()
    sheets = set()
    for _ in range(3):
        b._toggle()
        sheets.add(b.styleSheet())
    assert len(sheets) == 2  # it flashes
    with qtbot.waitSignal(b.sig_ack) as sig:
        b.ack_button.click()
    assert sig.args == ["x:g2"]
    engine.ack("x:g2", engine.current_operator(), "on it")
    qtbot.waitUntil(lambda: b.alarm is not None and b.alarm.id == "lvl:g2")  # the next most urgent


def test_main_window_has_the_banner_on_top_and_the_list_below(window, alarm_core, qtbot):  # noqa: F811
    from PySide6.QtWidgets import QToolBar

    from widgets.alarm_list import AlarmListWidget
    from widgets.banner import AlarmBanner

    win = window(alarm_core)
    assert isinstance(win.dock_widget("alarms"), AlarmListWidget)
    strip = win.findChild(QToolBar, "alarmBannerStrip")
    assert isinstance(win.banner, AlarmBanner) and win.toolBarArea(strip) == Qt.TopToolBarArea
    feed(alarm_core, reading(entity="g2", level=5.0, t_s=2))
    qtbot.waitUntil(lambda: win.banner.alarm is not None)
    win.banner.sig_select.emit("x:g2")
    assert [a.id for a in win.dock_widget("alarms").selected()] == ["x:g2"]
    win.set_language("en")
    assert win.dock_widget("alarms").buttons["ack"].text() == "Acknowledge"
    assert win.banner.ack_button.text() == "Acknowledge"


def test_alarms_reach_the_map_layers(alarm_core):
    from console.alarms.cap import parse_cap
    from console.alarms.maplink import AlarmMapLink

    engine = alarm_core.services["alarms"]
    layers = alarm_core.services["maplayers"]
    link = AlarmMapLink(engine, layers)
    feed(alarm_core, reading(level=3.5, t_s=1, lat=QOM[0], lon=QOM[1]))
    alert = (
        ROOT.parent / "shared/corpus/cap/google-cap-library/validator-examples/thunderstorm.cap"
    ).read_bytes()
    alert = alert.replace(b"2003-06-17T16:00:00-07:00", b"2099-06-17T16:00:00-07:00")  # not yet expired
    engine.apply_cap(parse_cap(alert).alerts)
    assert link.refresh() == 2
    point = layers.layer("alarms").get("lvl:g1")
    assert point.style.pulse and point.entity == "g1" and point.priority == int(Priority.SEVERE)
    assert [f.id for f in layers.layer("cap").features()] == ["cap:KSTO@NWS.NOAA.GOV,KSTO1055887203#0"]
    engine.ack("lvl:g1", engine.current_operator())
    link.refresh()
    assert not layers.layer("alarms").get("lvl:g1").style.pulse  # acknowledged: steady
    feed(alarm_core, reading(level=1.0, t_s=9))
    link.refresh()
    assert layers.layer("alarms").get("lvl:g1") is None  # back to normal: off the map


def test_tones_are_distinct_and_well_formed(tmp_path):
    from console.alarms.tones import PATTERNS, file_name, write_tones

    write_tones(tmp_path)
    for priority, pattern in PATTERNS.items():
        with wave.open(str(tmp_path / file_name(priority))) as w:
            assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 22050)
            samples = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
        assert len(samples) == int(pattern.period_s * 22050)
        peak = np.abs(samples).max()
        assert 16000 < peak < 16500  # -6 dBFS, no clipping
        spectrum = np.abs(np.fft.rfft(samples.astype(float)))
        assert np.fft.rfftfreq(len(samples), 1 / 22050)[spectrum.argmax()] == pytest.approx(
            pattern.freq, rel=0.01
        )
        onsets = np.flatnonzero(np.diff((np.abs(samples) > 1000).astype(int)) == 1)
        assert len(onsets) >= len(pattern.pulses)  # each pulse starts a burst


SOUND_SCRIPT = """
import os, sys
from PySide6.QtWidgets import QApplication
from PySide6.QtCore import QTimer
app = QApplication([])
from console.bus import FeedBus
from console.alarms.config import AlarmConfig
from console.alarms.engine import AlarmEngine
from console.alarms.rules import Threshold
from console.model import Operator, Priority, Reading
from widgets.annunciator import Annunciator
engine = AlarmEngine(FeedBus(), config=AlarmConfig(band_rules=False, console="t"), rule_folders=[])
engine.add_rule(Threshold(id="lvl", topic="water/gauge", key="level", high=3, priority=Priority.SEVERE))
ann = Annunciator(engine, poll_ms=50)
op = Operator(name="sara")
steps = []
def r(e, v):
    return Reading(source="t", seq=1, topic="water/gauge", entity=e, etype="W", t=1, values={"level": v})
def step(n=[0]):
    n[0] += 1
    steps.append((ann.state(), ann.is_playing()))
    if n[0] == 1: engine.process("water/gauge", [r("g1", 5)])
    if n[0] == 3: engine.silence(op)
    if n[0] == 5: engine.process("water/gauge", [r("g2", 5)])
    if n[0] == 7: engine.ack_many(["lvl:g1", "lvl:g2"], op)
    if n[0] == 9:
        print(steps); app.quit()
t = QTimer(); t.timeout.connect(step); t.start(400)
app.exec()
"""


@pytest.fixture
def null_sink(tmp_path):
    """A private PulseAudio daemon with a null sink (killed by its own pid afterwards)."""
    exe = shutil.which("pulseaudio")
    if exe is None:
        pytest.fail("pulseaudio is not installed (make system installs it)")
    run = tmp_path / "pulse"
    run.mkdir()
    env = dict(os.environ, PULSE_RUNTIME_PATH=str(run), PULSE_STATE_PATH=str(run), HOME=str(run))
    proc = subprocess.Popen(
        [
            exe,
            "--daemonize=no",
            "--exit-idle-time=-1",
            "-n",
            "-F",
            "/dev/null",
            f"--load=module-native-protocol-unix socket={run}/native auth-anonymous=1",
            "--load=module-null-sink",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not (run / "native").exists():
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail("pulseaudio did not start")
        time.sleep(0.05)
    yield f"unix:{run}/native"
    proc.terminate()
    proc.wait(timeout=10)


def test_annunciator_sounds_until_silenced_and_again_for_a_new_alarm(null_sink):
    env = dict(os.environ, PULSE_SERVER=null_sink, QT_QPA_PLATFORM="offscreen", RASAD_PURE_PYTHON="0")
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SOUND_SCRIPT)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    steps = eval(out.stdout.strip().splitlines()[-1])  # list of (state, playing) tuples printed by the script
    assert steps[0] == ("quiet", False)
    assert steps[2] == ("playing:severe", True)  # sounding, repeating
    assert steps[4] == ("quiet", False)  # silenced: sound only
    assert steps[6] == ("playing:severe", True)  # a new alarm sounds again
    assert steps[8] == ("quiet", False)  # acknowledged: quiet


def test_drawn_geofences_become_rules(tmp_path, make_rig):
    from console.geofences import GeofenceStore

    store = GeofenceStore(path=tmp_path / "fences.geojson")
    ring = [[50.87, 34.63], [50.89, 34.63], [50.89, 34.65], [50.87, 34.65], [50.87, 34.63]]
    fid = store.add("Depot", {"type": "Polygon", "coordinates": [ring]}, operator="sara")
    rig = make_rig(services={"geofences": store})
    rig.engine.start(restore=False)
    rule = {r.id: r for r in rig.engine.rules()}[f"geofence.{fid}"]
    assert rule.owner == "geofences" and rule.topic == "vehicle/+" and "Depot" in rule.title_en
    rig.engine.process("vehicle/taxi", [reading(topic="vehicle/taxi", entity="t1", lat=34.64, lon=50.88)])
    assert rig.state(f"geofence.{fid}:t1") == "unack"
    store.remove(fid)
    assert f"geofence.{fid}" not in {r.id for r in rig.engine.rules()}
    assert rig.state(f"geofence.{fid}:t1") == "normal"  # retired with its fence, journaled


def test_cap_composer_builds_a_valid_bilingual_warning(qapp, alarm_core, corpus):
    from console.alarms.cap import parse_cap, to_xml, validate_xsd
    from widgets.alarm_dialogs import CapComposer

    feed(
        alarm_core,
        reading(entity="g2", level=5.0, t_s=2, lat=QOM[0], lon=QOM[1], attrs={"name_fa": "سنجهٔ ۲"}),
    )
    alarm = alarm_core.services["alarms"].get("x:g2")
    dlg = CapComposer(alarm, "منطقهٔ ۱", "crisis@qom.example")
    assert dlg.severity.currentText() == "Extreme" and dlg.fields["fa-IR"]["event"].text() == "سیلاب"
    dlg.fields["fa-IR"]["instruction"].setPlainText("از بستر رودخانه دور شوید.")
    dlg.fields["en-US"]["instruction"].setPlainText("Keep away from the river bed.")
    dlg.radius.setValue(2.5)
    xml = to_xml(dlg.warning())
    assert validate_xsd(xml, corpus / "cap/ibm-cap/CAP-v1.2.xsd") == []
    back = parse_cap(xml).alerts[0]
    assert [i.language for i in back.infos] == ["fa-IR", "en-US"]
    assert back.infos[0].areas[0].desc == "منطقهٔ ۱" and back.infos[0].areas[0].circles[0][2] == 2.5

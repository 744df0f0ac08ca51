"""Traffic plugin: accident detection on the major-accident scenario (sudden speed drop + witness
reports), work zones explain drops, dark signals after the earthquake's power cuts."""

from __future__ import annotations

from console.geo import haversine_m
from console.model import Reading
from tests.plugins.rig import START

SCENE = (34.6545, 50.8586)  # seg-031 on Ring 2, where the major-accident scenario crashes


def test_major_accident_is_detected_confirmed_by_reports_and_fires_one_alarm(make_rig):
    rig = make_rig("traffic")
    rig.run("major-accident", 240, vehicles=40)
    acts = rig.activations("traffic")
    accidents = [a for a in acts if a.rule_id == "traffic.accident"]
    assert len(accidents) == 1, [a.alarm_id for a in acts]  # one crash, one alarm (its queue is one incident)
    alarm = accidents[0]
    assert haversine_m(alarm.lat, alarm.lon, *SCENE) < 800
    assert (alarm.t - START) / 1e9 < 120  # within ~100 s of the crash at 20 s
    assert alarm.district == "d3"
    desk = rig.department("traffic").state
    (incident,) = desk.snapshot()["incidents"]
    _id, values, attrs, _lat, _lon = incident
    assert attrs["status"] == "confirmed" and "seg-031" in attrs["segments"]
    assert values["reports"] >= 2 and values["confidence"] >= 0.9 and values["drop_pct"] > 80
    # the minor "speed drop" alarm of the same incident is suppressed by design, not shown twice
    drops = [t for t in rig.transitions if t.rule_id == "traffic.speed-drop"]
    assert drops and all(t.to_state.value in ("suppressed", "normal") for t in drops)
    assert rig.layers.layer("traffic.incidents").get(incident[0]) is not None
    assert len(rig.layers.layer("traffic.slow")) >= 3
    assert desk.open_accidents() == 1.0 and desk.mean_speed() > 10


def _segment(seg: str, t_s: float, speed: float) -> Reading:
    return Reading(
        source="t",
        seq=int(t_s),
        topic="traffic/segment",
        entity=seg,
        etype="TrafficFlowObserved",
        t=START + int(t_s * 1e9),
        values={"speed": speed},
        attrs={"district": "d3"},
    )


def test_a_drop_at_a_work_zone_is_explained_not_an_accident(make_rig):
    rig = make_rig("traffic")
    site = Reading(
        source="w",
        seq=1,
        topic="works/site",
        entity="ws-900",
        etype="WorkSite",
        t=START,
        values={},
        attrs={"segment": "seg-031", "closure": "none", "closure_planned": "full", "status": "dispatched"},
    )
    rig.publish(site)
    for k in range(60):  # 5 minutes at 5 s: 55 km/h, then the closure takes the segment to 5 km/h
        rig.publish(_segment("seg-031", 5 * k, 55.0 if k < 30 else 5.0))
    (incident,) = rig.department("traffic").state.snapshot()["incidents"]
    assert incident[2]["status"] == "explained" and incident[1]["confidence"] < 0.5
    assert not rig.activations("traffic")


def test_earthquake_power_cuts_darken_signals(make_rig):
    rig = make_rig("traffic")
    rig.run("earthquake", 200, vehicles=40)
    fired = {a.rule_id for a in rig.activations("traffic")}
    assert "traffic.signals-dark" in fired
    desk = rig.department("traffic").state
    assert desk.elements_online_pct() < 80
    dark = {d: st["signals_down"] for d, st in desk.snapshot()["districts"].items() if st.get("signals_down")}
    assert sum(dark.values()) >= 10

"""Environment: AQI per station and pollutant, episodes (rules fire, a CAP draft in fa+en appears, valid
CAP 1.2), heat image, noise; quiet on a calm day."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from console.alarms.cap import parse_cap, validate_xsd
from tests.plugins.checks import assert_leaves_nothing_behind

CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"


def episode_drafted(rig) -> bool:
    desk = rig.department("environment")
    episode = desk.current_episode()
    return episode is not None and bool(episode.draft_id)


def test_activate_deactivate_leaves_nothing_behind(make_rig):
    assert_leaves_nothing_behind(make_rig, "environment")


@pytest.fixture
def episode_rig(make_rig):
    rig = make_rig("environment")
    s = rig.play("air-pollution", 1500, until=lambda r: "environment.episode" in r.fired("environment"))
    return rig, s


def test_air_pollution_episode_fires_and_drafts_a_valid_bilingual_warning(episode_rig, corpus):
    rig, seconds = episode_rig
    desk = rig.department("environment")
    fired = rig.fired("environment")
    assert {
        "environment.episode",
        "environment.episode.very_unhealthy",
        "environment.station.unhealthy",
    } <= fired
    assert seconds < 1200  # AQI passes 151 within ~4 minutes, + the 10-minute persistence of the rule
    episode = desk.current_episode()
    assert episode is not None and episode.ended is None
    assert episode.alarm_ids == {"environment.episode.very_unhealthy:qom", "environment.episode:qom"}
    assert episode.max_aqi > 200 and episode.dominant == "pm25" and len(episode.stations) >= 30
    # one draft: the later, less severe episode alarm joined the episode without a second warning
    drafts = rig.services["cap_drafts"].list()
    assert len(drafts) == 1 and drafts[0].identifier == episode.draft_id
    draft = drafts[0]
    assert draft.state == "draft" and draft.severity == "Extreme" and not draft.problems
    assert draft.source == "plugin:environment" and draft.alarm_id == "environment.episode.very_unhealthy:qom"
    xml = draft.xml.encode("utf-8")
    assert validate_xsd(xml, corpus / "cap" / "ibm-cap" / "CAP-v1.2.xsd") == []
    (alert,) = parse_cap(xml).alerts
    assert alert.status == "Draft" and alert.msg_type == "Alert" and alert.scope == "Public"
    fa, en = alert.infos
    assert fa.language == "fa-IR" and en.language == "en-US"
    assert "آلودگی هوا" in fa.event and "۲" in fa.headline  # Persian text with Persian digits
    assert en.headline.startswith("Air pollution warning") and f"{episode.max_aqi:.0f}" in en.headline
    assert "Env" in en.categories and en.severity == "Extreme" and en.expires > alert.sent
    assert en.areas and en.areas[0].polygons and all(r[0] == r[-1] for r in en.areas[0].polygons)
    assert "District" in en.areas[0].desc and "منطقه" in fa.areas[0].desc
    root = ET.fromstring(xml)
    assert root.find(f"{CAP}status").text == "Draft"
    # the map shows the episode area and AQI per station; the heat image covers the city
    assert len(rig.layer("environment.episode")) == 1
    assert len(rig.layer("environment.aqi")) == 40
    rgba, bbox = desk.heat
    assert bbox == desk.city.bbox
    assert rgba.shape == (200, 200, 4) and rgba[..., 3].max() > 0
    kpis = rig.kpis("environment")
    assert kpis["stations_unhealthy"] >= 30 and kpis["aqi_max"] > 200
    assert 100_000 < kpis["people_unhealthy_air"] <= sum(d.population for d in desk.city.districts)
    # the episode goes on: its area names the alarm that started it, nothing failed on the way
    rig.play_more(60)
    (area,) = rig.layer("environment.episode").features()
    assert area.entity == "environment.episode.very_unhealthy:qom" and area.priority == 4
    assert desk.errors == 0, desk.last_error
    # the episode alarms clear: the episode ends and its unpublished draft expires
    for alarm_id in sorted(episode.alarm_ids):
        desk.on_transitions(
            "alarm/transition", [_transition(alarm_id, "clear", episode.priority, rig.clock.t)]
        )
    assert desk.current_episode() is None and episode.ended == rig.clock.t
    draft = rig.services["cap_drafts"].get(episode.draft_id)
    assert draft.state == "expired" and "ended" in draft.note


def test_station_table_per_pollutant_and_noise(make_rig):
    rig = make_rig("environment")
    rig.play("calm", 120)
    desk = rig.department("environment")
    stations = desk.stations()
    assert len(stations) == 40
    s = stations[0]
    # the reported AQI agrees with the one computed from the concentrations (EPA breakpoints)
    assert abs(s.aqi - s.result.aqi) <= 1.0 and s.result.dominant in s.result.sub
    summary = {p["pollutant"]: p for p in desk.pollutant_summary()}
    assert set(summary) == {"pm25", "pm10", "no2", "co", "o3"}
    assert all(p["n"] == 40 and p["mean"] <= p["max"] for p in summary.values())
    assert sum(p["dominant_at"] for p in summary.values()) == 40
    assert 45 < desk.mean_noise() < 75


def test_calm_day_is_quiet(make_rig):
    rig = make_rig("environment")
    rig.play("calm", 1200)
    assert not rig.fired("environment"), rig.fired("environment")
    assert rig.department("environment").current_episode() is None
    assert rig.services["cap_drafts"].list() == []
    assert len(rig.layer("environment.episode")) == 0
    assert rig.kpis("environment")["people_unhealthy_air"] == 0


def _activate(alarm_id: str, priority, t: int):
    return _transition(alarm_id, "activate", priority, t)


def _transition(alarm_id: str, action: str, priority, t: int):
    from console.model import AlarmState, AlarmTransition

    before, after = (
        (AlarmState.NORMAL, AlarmState.UNACK)
        if action == "activate"
        else (AlarmState.UNACK, AlarmState.RTN_UNACK)
    )
    return AlarmTransition(
        alarm_id=alarm_id,
        rule_id=alarm_id.split(":")[0],
        t=t,
        action=action,
        from_state=before,
        to_state=after,
        priority=priority,
    )


def test_publishing_needs_a_crisis_manager_and_a_more_severe_episode_drafts_an_update(
    make_rig, corpus, tmp_path
):
    from console.model import Operator, Priority, Role
    from console.roles import PermissionDenied

    xsd = corpus / "cap" / "ibm-cap" / "CAP-v1.2.xsd"
    rig = make_rig("environment", cap_schema=str(xsd), cap_dir=str(tmp_path / "published"))
    rig.play("air-pollution", 400)  # unhealthy air everywhere, no episode alarm yet
    desk = rig.department("environment")
    store = rig.services["cap_drafts"]
    desk.on_transitions(
        "alarm/transition", [_activate("environment.episode:qom", Priority.SEVERE, rig.clock.t)]
    )
    (draft,) = store.list()
    assert draft.severity == "Severe" and draft.schema == str(xsd) and draft.problems == []

    operator = Operator("sara", roles=frozenset({Role.OPERATOR}))
    manager = Operator("reza", roles=frozenset({Role.CRISIS_MANAGER}))
    with pytest.raises(PermissionDenied):
        store.publish(draft.identifier, rig.engine, operator, "looks right")
    with pytest.raises(PermissionDenied):
        store.publish(draft.identifier, rig.engine, manager, "  ")
    assert store.get(draft.identifier).state == "draft"
    published = store.publish(draft.identifier, rig.engine, manager, "AQI over 150 city-wide, confirmed")
    assert published.state == "published" and published.by == "reza"
    xml = Path(published.published_file).read_bytes()
    (alert,) = parse_cap(xml).alerts
    assert alert.status == "Actual" and alert.identifier == draft.identifier
    assert validate_xsd(xml, xsd) == []
    rig.settle()
    (audit,) = [a for a in rig.audits if a.kind == "cap-publish"]
    assert audit.operator == "reza" and audit.subject == draft.identifier
    assert audit.detail["reason"] == "AQI over 150 city-wide, confirmed"

    # the episode grows very unhealthy: a new draft, an Update that references what was published
    desk.on_transitions(
        "alarm/transition",
        [_activate("environment.episode.very_unhealthy:qom", Priority.EXTREME, rig.clock.t)],
    )
    update = next(d for d in store.list() if d.identifier != draft.identifier)
    assert update.severity == "Extreme" and update.problems == []
    (alert,) = parse_cap(update.xml.encode()).alerts
    assert alert.msg_type == "Update"
    assert alert.references == [(published.alert["sender"], draft.identifier, published.published_sent)]
    assert store.get(draft.identifier).state == "published"  # what went out stays as it went out


def test_drafts_live_beside_a_sqlite_database(tmp_path):
    from console.capdrafts import folder_for
    from console.paths import data_dir
    from console.settings import Settings

    assert folder_for(Settings(db=f"sqlite:///{tmp_path}/x.db")) == tmp_path / "cap-drafts"
    assert folder_for(Settings()) == data_dir() / "cap" / "drafts"
    assert folder_for(Settings(db="postgresql+psycopg://u@h/rasad")) == data_dir() / "cap" / "drafts"

"""Scenario tests: the simulated city through a disaster and through a calm day, with citizen-137 and
crisis active on a real core (alarm engine, entity state, bus) — earthquake → the reports cluster into
alarms and the crisis cell sees them with the districts they affect; flood → flooding clusters near
the rising gauges; calm day → quiet."""

from __future__ import annotations

import importlib
import time

from console.city import load_city
from console.model import Priority
from tests.plugins.conftest import feed

QOM = load_city("qom")


def c137():
    return importlib.import_module("plugins.citizen-137").plugin.desk


def crisis():
    return importlib.import_module("plugins.crisis").plugin.desk


def test_earthquake_reports_cluster_into_alarms_with_the_reports_behind_them(earthquake_core):
    dept = c137()
    assert len(dept.triage) > 100  # the scenario floods 137
    clusters = dept.clusters()
    kinds = {c.alarm.rule_id for c in clusters}
    assert {"c137.cluster.building_damage", "c137.cluster.trapped_people", "c137.cluster.gas_leak"} <= kinds
    assert all(c.alarm.district == "d6" for c in clusters)  # around the epicentre in the south
    for c in clusters:
        assert len(c.cases) >= c.alarm.value * 0.5 and all(x.category == c.category for x in c.cases)
    assert all(c.alarm.department == "citizen-137" for c in clusters)  # tagged with the plugin's department
    # the map follows on the plugin's own upkeep thread, with no panel on screen
    deadline = time.monotonic() + 5
    while len(dept.cluster_layer) != len(clusters) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(dept.pins) == len(dept.triage.cases()) and len(dept.cluster_layer) == len(clusters)
    overdue = [f for f in dept.pins.features() if f.style.pulse]
    assert overdue and all(dept.triage.overdue(dept.triage.get(f.id)) for f in overdue)


def test_earthquake_shows_cluster_alarms_and_the_districts_they_affect(earthquake_core):
    dept = crisis()
    ov = dept.overview(max_age_s=0)
    rules = {a.rule_id for a in ov.alarms}
    assert {"c137.cluster.building_damage", "c137.cluster.trapped_people", "energy.substation.down"} <= rules
    assert "crisis.quake.damage_confirmed" in rules  # confirmed by independent evidence
    affected = {d.id for d in ov.affected}
    assert "d6" in affected and ov.affected_population >= QOM.districts[5].population
    assert 0 < ov.people_estimate <= ov.affected_population
    cluster = next(a for a in ov.alarms if a.rule_id == "c137.cluster.building_damage")
    assert dept.radius_of(cluster) == 500
    d = dept.nearest(cluster)
    assert d.candidates and d.method == "road" and d.live_segments > 0
    assert [c.seconds for c in d.candidates] == sorted(c.seconds for c in d.candidates)
    dept.update_affected(ov)
    dept.update_dispatch(cluster, d)
    assert {f.id for f in dept.affected_layer.features()} == affected
    assert len(dept.dispatch_layer) == 2 * min(5, len(d.candidates))
    assert any(tr.rule_id.startswith("c137.") for tr in dept.timeline)  # the journal reached the timeline
    kpis = {k.name: k.fn() for k in earthquake_core.plugins.kpis.items() if k.owner == "crisis"}
    assert kpis["crisis_districts_affected"] == len(affected) and kpis["crisis_severe_alarms_active"] > 0


def test_flood_reports_cluster_near_the_rising_gauges(city_core):
    core = city_core(["citizen-137"])
    feed(core, "flood", 900, vehicles=50)
    clusters = c137().clusters()
    assert clusters and {c.alarm.rule_id for c in clusters} == {"flood.reports.cluster"}  # the console's rule
    assert {c.alarm.district for c in clusters} <= {"d5", "d6", "d7"}  # the south-west river bed


def test_calm_day_stays_quiet(city_core):
    core = city_core(["citizen-137", "crisis"])
    counts = feed(core, "calm", 1800, vehicles=50)
    assert (
        counts.get("report/137", 0) == c137().triage.received > 0
    )  # the usual trickle of reports arrives ...
    assert c137().clusters() == []  # ... and no cluster alarm
    _v, alarms = core.services["alarms"].snapshot()
    assert not [a for a in alarms if a.rule_id.startswith(("c137.", "crisis."))]
    ov = crisis().overview(max_age_s=0)
    assert ov.count(int(Priority.SEVERE)) == 0 and ov.affected == [] and ov.people_estimate == 0

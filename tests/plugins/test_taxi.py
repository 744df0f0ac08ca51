"""Taxi plugin: the earthquake's surge of ride requests near the epicentre outruns the free taxis
there (shortage), and the mobile network failure takes payment terminals offline."""

from __future__ import annotations


def test_earthquake_shortage_near_the_epicentre_and_payment_terminals_offline(make_rig):
    rig = make_rig("taxi")
    seen: dict[str, float] = {}

    def worst(_topic, items):
        for r in items:
            seen[r.entity] = max(seen.get(r.entity, 0.0), r.values.get("shortage", 0.0))

    rig.bus.subscribe("derived/taxi/district", worst)
    rig.run("earthquake", 500, vehicles=700)
    fired = {a.alarm_id for a in rig.activations("taxi")}
    assert "taxi.payment:all" in fired
    short = {d for d, index in seen.items() if index >= 2.0 and d != "all"}  # the shortage rule's condition
    assert short and short <= {"d5", "d6", "d7"}, seen  # the districts around the epicentre (south)
    desk = rig.department("taxi").state
    stats = desk.snapshot()["stats"]
    assert stats["all"]["waiting"] > 20 and stats["all"]["payment_offline_pct"] > 10
    in_districts = sum(stats[d]["free"] + stats[d]["hired"] for d in stats if d != "all")
    city = stats["all"]["free"] + stats["all"]["hired"]
    assert (
        city - 5 <= in_districts <= city
    )  # a taxi beyond every district (outer ring) counts for the city only
    assert len(rig.layers.layer("taxi.shortage")) >= 1
    kpis = {k.name: k.fn() for k in rig.host.kpis.items()}
    assert kpis["taxi.payment_online"] < 90 and kpis["taxi.waiting"] > 20

from __future__ import annotations

from console.departments import LatestTable, by_district, live, mean
from console.health import FeedHealth, FeedState
from console.model import Reading

NS = 1_000_000_000


def r(entity, t_s, source="s1", **values):
    return Reading(
        source=source,
        seq=int(t_s),
        topic="air/station",
        entity=entity,
        etype="AirQualityObserved",
        t=int(t_s * NS),
        values=values,
        attrs={"district": "d2" if entity != "c" else "d3"},
    )


def test_latest_keeps_newest_per_entity_and_judges_staleness_by_data_time():
    table = LatestTable()
    table.on_readings("air/station", [r("a", 10, aqi=50.0), r("b", 10, aqi=80.0), r("a", 5, aqi=999.0)])
    assert table.get("a").value("aqi") == 50.0  # an older, late reading does not overwrite
    table.on_readings("air/station", [r("a", 200, aqi=60.0)])
    rows = {row.entity: row for row in table.rows()}
    assert not rows["a"].stale
    assert rows["b"].stale  # AQI stale-after is 120 s in the catalog; b is 190 s behind the newest
    assert [x.entity for x in live(table.rows())] == ["a"]


def test_source_state_makes_rows_stale():
    health = FeedHealth()
    health.register("s1", stale_after_s=10)
    health.set_state("s1", FeedState.CONNECTED)
    table = LatestTable(health)
    table.on_readings("air/station", [r("a", 10, aqi=50.0)])
    assert not table.get("a").stale
    health.set_state("s1", FeedState.DOWN)
    assert table.get("a").stale
    table.on_readings("air/station", [r("z", 10, source="unregistered", aqi=1.0)])
    assert not table.get("z").stale  # an unknown source is judged by age only


def test_helpers_never_invent_numbers():
    assert mean([]) is None and mean([None, None]) is None
    assert mean([1.0, None, 3.0]) == 2.0
    table = LatestTable()
    table.on_readings("air/station", [r("a", 1, aqi=1.0), r("b", 1, aqi=2.0), r("c", 1, aqi=3.0)])
    groups = by_district(table.rows())
    assert sorted(groups) == ["d2", "d3"] and len(groups["d2"]) == 2

"""The engine and the real store (SQLite): transitions persisted from the bus, states restored at start."""

from __future__ import annotations

from console.alarms.config import AlarmConfig
from console.alarms.engine import AlarmEngine
from console.alarms.rules import Threshold
from console.model import AlarmState, Operator, Priority, Role
from tests.alarms.conftest import NS, T0, reading
from tests.store.conftest import make_store, sqlite_url  # noqa: F401 - the store's own fixtures

RULE = Threshold(id="lvl", topic="water/gauge", key="level", high=3.0, priority=Priority.SEVERE)
SUP = Operator(name="reza", roles=frozenset({Role.SUPERVISOR}))


def engine_on(bus, clock, services=None):
    engine = AlarmEngine(
        bus,
        config=AlarmConfig(band_rules=False, console="desk-1"),
        clock=clock,
        rule_folders=[],
        services=services,
    )
    engine.add_rule(RULE)
    return engine


def test_states_survive_a_restart_through_the_store(make_store, sqlite_url, clock):  # noqa: F811
    store, bus = make_store(sqlite_url)
    first = engine_on(bus, clock)
    first.process("water/gauge", [reading(entity=g, level=5, t_s=1) for g in ("g1", "g2", "g3")])
    clock.at(10)
    first.ack("lvl:g2", SUP, "crew sent")
    until = first.shelve("lvl:g3", SUP, "gauge cleaning", 1800)
    assert store.flush()
    store.close()
    # a new console process: same database, a fresh store and engine
    store2, bus2 = make_store(sqlite_url)
    second = engine_on(bus2, clock, services={"store": store2, "history": store2})
    assert second.restore_from_provider() == 3
    g1, g2, g3 = (second.get(f"lvl:{g}") for g in ("g1", "g2", "g3"))
    assert g1.state is AlarmState.UNACK and g2.state is AlarmState.ACKED and g3.state is AlarmState.SHELVED
    assert (g2.acked_by, g2.acked_console) == ("reza", "desk-1")
    assert g3.shelved_until == until == T0 + 1810 * NS
    second.process(
        "water/gauge", [reading(entity="g1", level=1, t_s=20), reading(entity="g2", level=1, t_s=20)]
    )
    assert second.get("lvl:g1").state is AlarmState.RTN_UNACK  # restored alarms clear normally
    assert second.get("lvl:g2").state is AlarmState.NORMAL
    clock.at(1811)
    second.tick()
    assert second.get("lvl:g3").state is AlarmState.UNACK  # the shelving ran out, as set before the restart

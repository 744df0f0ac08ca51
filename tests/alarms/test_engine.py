"""The engine: rules → ISA-18.2 transitions → journal; operator actions with roles; time; sync; restore."""

from __future__ import annotations

import pytest

from console.alarms.config import AlarmConfig
from console.alarms.rules import Composite, CountInArea, Stale, Threshold
from console.alarms.states import NoteRequired
from console.model import AlarmState, AlarmTransition, Operator, Priority, Role
from console.roles import PermissionDenied
from tests.alarms.conftest import NS, T0, reading

OP = Operator(name="sara", roles=frozenset({Role.OPERATOR}))
SUP = Operator(name="reza", roles=frozenset({Role.SUPERVISOR}))
LEVEL = Threshold(
    id="lvl",
    topic="water/gauge",
    key="level",
    high=3.0,
    priority=Priority.SEVERE,
    unit="m",
    title_fa="تراز آب بالا",
    title_en="Water high",
    message_en="{name}: {value} {unit}",
)


def test_isa_cycle_is_journaled_with_operator_and_time(make_rig, clock):
    rig = make_rig(LEVEL)
    rig.feed(reading(level=3.5, t_s=1, attrs={"name": "Gauge 1"}))
    a = rig.engine.get("lvl:g1")
    assert a.state is AlarmState.UNACK and a.message_en == "Gauge 1: 3.50 m" and a.first_out
    clock.at(5)
    assert rig.engine.ack("lvl:g1", OP, "checking") is True
    assert rig.engine.ack("lvl:g1", OP) is False  # nothing left to acknowledge
    rig.feed(reading(level=2.0, t_s=9))
    assert rig.actions("lvl:g1") == [("activate", "unack"), ("ack", "acked"), ("clear", "normal")]
    ack = rig.transitions("lvl:g1")[1]
    assert (ack.operator, ack.note, ack.t, ack.console, ack.from_state) == (
        "sara",
        "checking",
        T0 + 5 * NS,
        "desk-1",
        AlarmState.UNACK,
    )
    assert [e.detail["action"] for e in rig.audits()] == ["ack"]
    assert rig.engine.snapshot()[1] == []  # normal alarms leave the list


def test_return_to_normal_unacknowledged_then_ack(make_rig):
    rig = make_rig(LEVEL)
    rig.feed(reading(level=3.5, t_s=1), reading(level=1.0, t_s=2))
    assert rig.state("lvl:g1") == "rtn_unack"
    rig.engine.ack("lvl:g1", OP)
    assert rig.state("lvl:g1") == "normal"


def test_extreme_needs_a_note_and_ack_page_reports_refusals(make_rig):
    rule = Threshold(id="x", topic="water/gauge", key="level", high=4.5, priority=Priority.EXTREME)
    rig = make_rig(rule, LEVEL)
    rig.feed(reading(level=5, t_s=1))
    with pytest.raises(NoteRequired):
        rig.engine.ack("x:g1", OP, " ")
    done, refused = rig.engine.ack_many(["x:g1", "lvl:g1", "nope"], OP)
    assert done == ["lvl:g1"] and set(refused) == {"x:g1", "nope"}
    assert rig.engine.ack("x:g1", OP, "crew dispatched")


def test_shelving_needs_role_reason_and_limit_and_runs_out(make_rig, clock):
    rig = make_rig(LEVEL, config=AlarmConfig(band_rules=False, console="d", shelve_max_s=3600))
    rig.feed(reading(level=3.5, t_s=0))
    with pytest.raises(PermissionDenied, match=r"sara may not alarm\.shelve"):
        rig.engine.shelve("lvl:g1", OP, "maintenance")
    with pytest.raises(PermissionDenied, match="needs a reason"):
        rig.engine.shelve("lvl:g1", SUP, "")
    with pytest.raises(ValueError, match="between 0 and 1 h"):
        rig.engine.shelve("lvl:g1", SUP, "work", 7200)
    until = rig.engine.shelve("lvl:g1", SUP, "gauge being cleaned", 600)
    assert until == T0 + 600 * NS and rig.state("lvl:g1") == "shelved"
    assert rig.transitions("lvl:g1")[-1].until == until
    rig.feed(reading(level=3.9, t_s=100))  # still active while shelved: nothing annunciated
    clock.at(599)
    rig.tick()
    assert rig.state("lvl:g1") == "shelved"
    clock.at(600)
    rig.tick()
    assert rig.state("lvl:g1") == "unack"  # still active: annunciated again
    last = rig.transitions("lvl:g1")[-1]
    assert (last.action, last.operator, last.note) == ("unshelve", "system", "shelving time ran out")
    assert [e.kind for e in rig.audits()] == ["shelve"]


def test_out_of_service_and_manual_suppression(make_rig):
    rig = make_rig(LEVEL)
    rig.feed(reading(level=3.5, t_s=0))
    with pytest.raises(PermissionDenied):
        rig.engine.remove_from_service("lvl:g1", OP, "sensor broken")
    rig.engine.remove_from_service("lvl:g1", SUP, "sensor broken")
    rig.feed(reading(level=1.0, t_s=10))
    assert rig.state("lvl:g1") == "oos"
    rig.engine.return_to_service("lvl:g1", SUP)
    assert rig.state("lvl:g1") == "normal"
    rig.feed(reading(level=3.5, t_s=20))
    rig.engine.suppress("lvl:g1", SUP, "known issue")
    with pytest.raises(PermissionDenied):
        rig.engine.unsuppress("lvl:g1", OP)
    rig.engine.unsuppress("lvl:g1", SUP)
    assert rig.state("lvl:g1") == "unack"


def test_suppression_by_design_follows_the_parent(make_rig):
    parent = Threshold(
        id="sub.down",
        topic="energy/substation",
        key="voltage",
        low=5,
        priority=Priority.EXTREME,
        suppresses=("air.silent",),
    )
    child = Stale(id="air.silent", topic="air/station", after_s=60)
    rig = make_rig(parent, child)
    rig.feed(
        reading(topic="air/station", entity="aq1", t_s=0, pm25=10),
        reading(topic="air/station", entity="aq2", t_s=0, pm25=10),
    )
    rig.engine.clock.at(61)
    rig.tick()  # aq1 and aq2 go stale
    rig.feed(reading(topic="energy/substation", entity="s1", t_s=62, voltage=0))
    assert rig.state("air.silent:aq1") == "suppressed"
    assert rig.engine.get("air.silent:aq1").suppressed_by == "sub.down:s1"
    rig.feed(reading(topic="air/station", entity="aq1", t_s=70, pm25=10))  # aq1 is back while suppressed
    rig.feed(reading(topic="energy/substation", entity="s1", t_s=80, voltage=20))
    assert rig.state("air.silent:aq1") == "normal"  # recovered meanwhile: released quietly
    assert rig.state("air.silent:aq2") == "unack"  # still stale: annunciated again
    assert ("suppress", "suppressed") in rig.actions("air.silent:aq2")


def test_composite_alarm_from_child_alarms(make_rig):
    a = Threshold(id="a", topic="water/gauge", key="level", high=3)
    b = CountInArea(id="b", topic="report/137", count=2, radius_m=200, window_s=600)
    both = Composite(id="both", of=("a", "b"), op="and", priority=Priority.EXTREME)
    rig = make_rig(a, b, both)
    rig.feed(reading(level=4, t_s=1))
    rig.feed(
        *(reading(topic="report/137", entity=f"r{k}", t_s=2 + k, lat=34.64, lon=50.88) for k in range(2))
    )
    assert rig.state("both") == "unack"
    assert rig.engine.get("both").priority is Priority.EXTREME


def test_chattering_alarm_is_held_and_released(make_rig, clock):
    rig = make_rig(LEVEL)
    for k, v in enumerate([4, 2, 4, 2, 4, 2]):
        clock.at(k * 5)  # the room's clock moves with the data here
        rig.feed(reading(level=v, t_s=k * 5))
    a = rig.engine.get("lvl:g1")
    assert a.chattering and a.held and a.state is AlarmState.UNACK
    notes = [(t.action, t.note) for t in rig.transitions("lvl:g1")]
    assert notes[:3] == [("activate", ""), ("clear", ""), ("activate", "")]
    assert notes[3:] == [
        ("clear", "chattering: held"),
        ("activate", "chattering: held"),
        ("clear", "chattering: held"),
    ]
    assert [n.kind for n in rig.annunciations()].count("alarm") == 1  # annunciated once
    assert [n.kind for n in rig.annunciations()].count("chatter") == 1
    clock.at(25 + 59)
    rig.tick()
    assert rig.engine.get("lvl:g1").held
    clock.at(25 + 60)
    rig.tick()
    a = rig.engine.get("lvl:g1")
    assert not a.held and not a.chattering and a.state is AlarmState.RTN_UNACK


def test_escalation_timing_with_a_fake_clock(make_rig, clock):
    x = Threshold(id="x", topic="water/gauge", key="level", high=4.5, priority=Priority.EXTREME)
    rig = make_rig(x, LEVEL)
    clock.at(0)
    rig.feed(reading(level=5, t_s=0), reading(entity="g2", level=5, t_s=0))
    for t, want in [(59, 0), (60, 1), (119, 1), (120, 2), (1000, 2)]:
        clock.at(t)
        rig.tick()
        assert rig.engine.get("x:g1").escalation == want, t
    assert rig.engine.get("lvl:g2").escalation == 1  # severe: 5 minutes
    esc = [t for t in rig.transitions("x:g1") if t.action == "escalate"]
    assert [(e.t, e.note) for e in esc] == [
        (T0 + 60 * NS, "escalated to supervisor"),
        (T0 + 120 * NS, "escalated to crisis-manager"),
    ]
    assert rig.engine.banner().id == "x:g1"
    # acknowledged in time: never escalated
    rig.feed(reading(entity="g3", level=5, t_s=1000))
    clock.at(1030)
    rig.engine.ack("x:g3", OP, "on it")
    clock.at(2000)
    rig.tick()
    assert rig.engine.get("x:g3").escalation == 0


def test_silence_stops_sound_not_the_alarm(make_rig, clock):
    rig = make_rig(LEVEL)
    rig.feed(reading(level=5, t_s=0))
    assert rig.engine.audible() is Priority.SEVERE
    rig.engine.silence(OP)
    assert rig.engine.audible() is None
    assert rig.state("lvl:g1") == "unack" and rig.engine.banner().id == "lvl:g1"
    rig.feed(reading(entity="g2", level=5, t_s=1))
    assert rig.engine.audible() is Priority.SEVERE  # a new alarm sounds again


def remote(action, frm, to, t_s, console="desk-2", operator="ali", note=""):
    return AlarmTransition(
        alarm_id="lvl:g1",
        rule_id="lvl",
        t=T0 + int(t_s * NS),
        action=action,
        from_state=frm,
        to_state=to,
        priority=Priority.SEVERE,
        operator=operator,
        console=console,
        note=note,
    )


def test_remote_ack_applied_and_late_ack_recorded_once(make_rig, clock):
    rig = make_rig(LEVEL)
    rig.feed(reading(level=5, t_s=0))
    rig.engine.apply_remote([remote("ack", AlarmState.UNACK, AlarmState.ACKED, 3)])
    a = rig.engine.get("lvl:g1")
    assert a.state is AlarmState.ACKED and (a.acked_by, a.acked_console) == ("ali", "desk-2")
    clock.at(4)
    assert rig.engine.ack("lvl:g1", OP) is False  # already acknowledged here
    rig.engine.apply_remote(
        [remote("ack", AlarmState.UNACK, AlarmState.ACKED, 5, console="desk-3", operator="mina")]
    )
    a = rig.engine.get("lvl:g1")
    assert a.acked_by == "ali" and a.late_acks == (("mina", "desk-3", T0 + 5 * NS),)
    assert [t.action for t in rig.transitions()] == ["activate"]  # remote changes are not re-published
    assert rig.audits()[-1].detail["action"] == "ack-late"


def test_concurrent_acks_converge_on_the_first(make_rig, clock):
    rig = make_rig(LEVEL)
    rig.feed(reading(level=5, t_s=0))
    clock.at(10)
    rig.engine.ack("lvl:g1", OP, "mine")  # ours at t=10
    rig.engine.apply_remote([remote("ack", AlarmState.UNACK, AlarmState.ACKED, 9)])  # theirs was first
    a = rig.engine.get("lvl:g1")
    assert (a.acked_by, a.acked_console, a.acked_t) == ("ali", "desk-2", T0 + 9 * NS)
    assert a.late_acks == (("sara", "desk-1", T0 + 10 * NS),)
    rig.engine.apply_remote([remote("ack", AlarmState.UNACK, AlarmState.ACKED, 9, console="desk-1")])
    assert rig.engine.get("lvl:g1").late_acks == a.late_acks  # our own echo is ignored


def test_remote_shelve_and_unknown_alarm(make_rig):
    rig = make_rig(LEVEL)
    rig.feed(reading(level=5, t_s=0))
    tr = remote("shelve", AlarmState.UNACK, AlarmState.SHELVED, 2, note="maintenance")
    rig.engine.apply_remote([msgspec_replace(tr, until=T0 + 100 * NS)])
    a = rig.engine.get("lvl:g1")
    assert (
        a.state is AlarmState.SHELVED
        and a.shelved_until == T0 + 100 * NS
        and a.shelve_reason == "maintenance"
    )
    other = AlarmTransition(
        alarm_id="cap:abc",
        rule_id="cap",
        t=T0,
        action="activate",
        from_state=AlarmState.NORMAL,
        to_state=AlarmState.UNACK,
        priority=Priority.EXTREME,
        console="desk-2",
        message_en="Flood warning",
    )
    rig.engine.apply_remote([other, "not a transition"])
    assert rig.state("cap:abc") == "unack" and rig.engine.stats["remote_ignored"] == 1


def msgspec_replace(s, **kw):
    import msgspec

    return msgspec.structs.replace(s, **kw)


class Provider:
    """Stands in for console.store.Store.alarm_snapshot() (which has its own tests in tests/store)."""

    def __init__(self, items):
        self.items = items

    def alarm_snapshot(self):
        from types import SimpleNamespace

        return SimpleNamespace(seq=7, alarms=self.items)


def test_restore_from_provider_and_clear_normally(make_rig, clock):
    items = [
        remote("activate", AlarmState.NORMAL, AlarmState.UNACK, -100, console="desk-1"),
        AlarmTransition(
            alarm_id="lvl:g2",
            rule_id="lvl",
            t=T0 - 50 * NS,
            action="ack",
            from_state=AlarmState.UNACK,
            to_state=AlarmState.ACKED,
            priority=Priority.SEVERE,
            operator="ali",
            entity="g2",
        ),
    ]
    items[0] = msgspec_replace(items[0], entity="g1")
    rig = make_rig(LEVEL, services={"store": Provider(items)})
    rig.engine.start()
    assert rig.state("lvl:g1") == "unack" and rig.state("lvl:g2") == "acked"
    assert rig.engine.get("lvl:g2").acked_by == "ali"
    rig.feed(reading(level=1, t_s=1), reading(entity="g2", level=1, t_s=1))
    assert rig.state("lvl:g1") == "rtn_unack" and rig.state("lvl:g2") == "normal"


def test_rule_edits_need_a_role_and_removal_retires_alarms(make_rig):
    rig = make_rig(LEVEL)
    rig.feed(reading(level=5, t_s=0))
    with pytest.raises(PermissionDenied):
        rig.engine.remove_rule("lvl", OP, "obsolete")
    assert rig.engine.remove_rule("lvl", SUP, "gauge replaced")
    assert rig.state("lvl:g1") == "normal"
    assert rig.actions("lvl:g1")[-2:] == [("clear", "rtn_unack"), ("ack", "normal")]
    assert rig.audits()[-1].kind == "rule-edit"


def test_bad_readings_never_stop_the_engine(make_rig):
    rig = make_rig(LEVEL)
    rig.engine.process("water/gauge", ["not a reading", None])
    assert rig.engine.stats["errors"] == 1
    rig.feed(reading(level=5, t_s=0))
    assert rig.state("lvl:g1") == "unack"


def test_worker_thread_and_ticker(make_rig):
    rig = make_rig(LEVEL)
    rig.engine.start()
    rig.bus.publish_many("water/gauge", [reading(level=5, t_s=0), reading(entity="g2", level=1, t_s=0)])
    assert rig.bus.drain_workers(5)
    assert rig.state("lvl:g1") == "unack"
    rig.engine.stop()


PLUGIN = """
from console.alarms.rules import Threshold

def activate(ctx):
    ctx.add_rule(Threshold(id="plug.lvl", topic="water/gauge", key="level", high=2.0))
    ctx.add_rule({"id": "plug.stale", "type": "stale", "topic": "water/gauge", "after_s": 60, "priority": "minor"})
    ctx.add_rule({"id": "plug.bad", "type": "threshold"})
"""


def test_plugin_rules_are_followed_in_and_out(tmp_path):
    import textwrap

    from console.core import Core
    from console.settings import Settings

    folder = tmp_path / "plugs" / "waterwatch"
    folder.mkdir(parents=True)
    (folder / "plugin.toml").write_text(
        'name = "waterwatch"\nversion = "1.0"\napi = 1\ntitle_fa = "آب"\ntitle_en = "Water"\n',
        encoding="utf-8",
    )
    (folder / "__init__.py").write_text(textwrap.dedent(PLUGIN), encoding="utf-8")
    core = Core(Settings(plugin_dirs=[str(tmp_path / "plugs")]), entry_point_plugins=False)
    engine = core.services["alarms"]
    assert "band.water/gauge.level.alarm_hi" in {r.id for r in engine.rules()}
    core.plugins.discover(folders=[tmp_path / "plugs"], entry_points=False)
    core.plugins.activate_all()
    rules = {r.id: r for r in engine.rules()}
    assert rules["plug.lvl"].owner == "plugin:waterwatch" and rules["plug.stale"].priority is Priority.MINOR
    assert any("plugin:waterwatch: rule 'plug.bad'" in e for e in engine.rule_errors)
    engine.process("water/gauge", [reading(level=2.5)])
    assert engine.get("plug.lvl:g1").state is AlarmState.UNACK
    core.plugins.deactivate("waterwatch")
    assert "plug.lvl" not in {r.id for r in engine.rules()}
    assert engine.get("plug.lvl:g1").state is AlarmState.NORMAL  # retired with its rule, journaled
    core.bus.close()


def test_superseded_ack_hands_attribution_to_the_winner(make_rig, clock):
    for remote_first in (False, True):
        rig = make_rig(LEVEL)
        rig.feed(reading(level=5, t_s=0))
        clock.at(5)
        rig.engine.ack("lvl:g1", OP, "mine")  # we believe we were first (t=5) ...
        mine = rig.transitions("lvl:g1")[-1]
        theirs = remote("ack", AlarmState.UNACK, AlarmState.ACKED, 6)  # ... their clock says later
        if remote_first:
            rig.engine.apply_remote([theirs])
        rig.engine.apply_superseded([mine])  # but the database committed theirs first
        if not remote_first:
            rig.engine.apply_remote([theirs])
        a = rig.engine.get("lvl:g1")
        assert (a.acked_by, a.acked_console) == ("ali", "desk-2"), remote_first
        assert a.late_acks == (("sara", "desk-1", T0 + 5 * NS),)
        assert a.state is AlarmState.ACKED

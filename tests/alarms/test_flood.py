"""Flood and chatter with 1,000 alarms a minute: at most 10 annunciations per 10 minutes per area,
Extreme always shown, every change journaled."""

from __future__ import annotations

from bisect import bisect_left

from console.alarms.annunciation import AnnunciationConfig, AnnunciationPolicy
from console.alarms.rules import Threshold
from console.model import Priority
from tests.alarms.conftest import NS, T0, reading

RULES = [
    Threshold(id=f"p{p.value}", topic=f"storm/{p.name.lower()}", key="v", high=1.0, priority=p)
    for p in Priority
]
WINDOW = 600 * NS


def max_in_window(times: list[int]) -> int:
    times = sorted(times)
    return max((bisect_left(times, t + WINDOW) - i for i, t in enumerate(times)), default=0)


def test_storm_of_1000_alarms_per_minute(make_rig, clock):
    rig = make_rig(*RULES)
    created: list[tuple[str, Priority]] = []
    minutes = 12
    for minute in range(minutes):
        for part in range(10):  # the bus delivers a batch every 6 seconds
            batch = []
            for k in range(part * 100, part * 100 + 100):
                n = minute * 1000 + k
                prio = (
                    Priority.EXTREME
                    if n % 97 == 0
                    else (Priority.MINOR, Priority.MODERATE, Priority.SEVERE)[n % 3]
                )
                t_s = minute * 60 + k * 0.06
                batch.append(reading(topic=f"storm/{prio.name.lower()}", entity=f"e{n}", t_s=t_s, v=5))
                created.append((f"p{prio.value}:e{n}", prio))
            for c in range(50):  # 50 chattering alarms flip every batch
                batch.append(
                    reading(topic="storm/minor", entity=f"chat{c}", t_s=t_s, v=5 if part % 2 == 0 else 0)
                )
            clock.at(minute * 60 + part * 6)
            rig.feed(*batch)
        clock.at(minute * 60 + 60)
        rig.tick()
    anns = rig.annunciations()
    loud = [a.t for a in anns if a.kind in ("alarm", "flood-start") and a.priority is not Priority.EXTREME]
    assert max_in_window(loud) <= 10
    assert sum(a.kind == "flood-start" for a in anns) == 1  # one flood, one summary

    extremes = {aid for aid, p in created if p is Priority.EXTREME}
    shown = {a.alarm_id for a in anns if a.kind == "alarm" and a.priority is Priority.EXTREME}
    assert extremes and shown == extremes  # every Extreme annunciated on its own
    assert all(not rig.engine.get(aid).grouped for aid in extremes)
    assert rig.engine.banner().priority is Priority.EXTREME

    journal = rig.transitions()
    activated = {t.alarm_id for t in journal if t.action == "activate"}
    assert {aid for aid, _ in created} <= activated  # 100% journaled, grouped or not
    assert len(rig.engine.snapshot()[1]) >= len(created)  # and still listed: grouped is not hidden
    grouped = sum(1 for aid, _ in created if rig.engine.get(aid).grouped)
    assert grouped > 11_000

    chat = [rig.engine.get(f"p1:chat{c}") for c in range(50)]
    assert all(a.chattering for a in chat)
    chat_journal = [t for t in journal if t.entity == "chat0"]
    assert len(chat_journal) == 12 * 10  # every raw flip journaled, held or not
    assert sum(1 for a in anns if a.kind == "chatter") == 50

    # the storm passes: the flood ends once fewer than 5 new alarms a window
    clock.at(minutes * 60 + 601)
    rig.tick()
    assert [a.kind for a in rig.annunciations()][-1] == "flood-end"
    assert not rig.engine.floods()


def test_flood_policy_thresholds_and_areas():
    pol = AnnunciationPolicy(AnnunciationConfig(flood_enter=10, flood_exit=5, budget=10))
    decisions = [pol.on_new_alarm(f"a{k}", Priority.MINOR, "north", T0 + k * NS) for k in range(12)]
    assert [d.annunciate for d in decisions] == [True] * 9 + [False] * 3
    assert [e.kind for e in decisions[9].events] == ["flood-start"]
    assert decisions[0].first_out and decisions[5].cascade == "a0" and not decisions[5].first_out
    other = pol.on_new_alarm("b0", Priority.MINOR, "south", T0 + 12 * NS)
    assert other.annunciate and other.first_out  # areas are counted apart
    ext = pol.on_new_alarm("x", Priority.EXTREME, "north", T0 + 13 * NS)
    assert ext.annunciate and not ext.grouped
    summary = pol.flood("north")
    assert summary.active and summary.grouped == 2 + 1 and summary.by_priority == {Priority.MINOR: 3}
    assert pol.tick(T0 + 300 * NS) == []  # still 14 in the window
    ends = pol.tick(T0 + 612 * NS)  # only the last alarms are inside the window now
    assert [e.kind for e in ends] == ["flood-end"] and not pol.flood("north").active
    after = pol.on_new_alarm("c", Priority.MINOR, "north", T0 + 2000 * NS)
    assert after.annunciate and after.first_out  # calm again, a new cascade


def test_chatter_detection_window():
    pol = AnnunciationPolicy()
    assert not pol.on_condition_change("a", T0)
    assert not pol.on_condition_change("a", T0 + 30 * NS)
    assert not pol.on_condition_change("a", T0 + 61 * NS)  # the first one left the minute
    assert pol.on_condition_change("a", T0 + 62 * NS)
    assert not pol.quiet("a", T0 + 100 * NS)
    assert pol.quiet("a", T0 + 122 * NS)
    assert pol.quiet("never", T0)

"""Transitions and readings as the alarm engine and the feeds would publish them."""

from __future__ import annotations

from console.model import AlarmState, AlarmTransition, Priority, Reading

T0 = 1_780_000_020_000_000_000  # 2026-05-28 UTC, on a minute boundary, in ns
S = 1_000_000_000


def transition(
    alarm_id: str, action: str, frm: AlarmState, to: AlarmState, t: int = T0, **kw
) -> AlarmTransition:
    return AlarmTransition(
        alarm_id=alarm_id,
        rule_id=kw.pop("rule_id", "water.level.high"),
        t=t,
        action=action,
        from_state=frm,
        to_state=to,
        priority=kw.pop("priority", Priority.SEVERE),
        **kw,
    )


def activate(alarm_id: str, t: int = T0, **kw) -> AlarmTransition:
    return transition(alarm_id, "activate", AlarmState.NORMAL, AlarmState.UNACK, t, **kw)


def ack(alarm_id: str, operator: str, t: int = T0 + S, **kw) -> AlarmTransition:
    return transition(alarm_id, "ack", AlarmState.UNACK, AlarmState.ACKED, t, operator=operator, **kw)


def reading(entity: str, t: int, seq: int = 0, topic: str = "water/gauge", **values: float) -> Reading:
    return Reading(
        source="test", seq=seq, topic=topic, entity=entity, etype="WaterObserved", t=t, values=values
    )


def bus_fix(entity: str, i: int, *, lat: float, lon: float = 50.9, step: int = S, **kw) -> Reading:
    """Sample i of a bus: t = T0 + i*step at (lat, lon); `values`/`attrs` passed through."""
    return Reading(
        source="test",
        seq=i,
        topic="vehicle/bus",
        entity=entity,
        etype="Vehicle",
        t=T0 + i * step,
        lat=lat,
        lon=lon,
        **kw,
    )

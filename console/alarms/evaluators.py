"""Streaming evaluators of the value rules (threshold, rate, anomaly), stale watches and composites.

Each keeps O(1) state per entity and returns a `Change` only when its alarm condition flips. Times
are the readings' own times (int ns). Geofences live in fences.py, count-in-area in clusters.py.
"""

from __future__ import annotations

from console.alarms.rules import Anomaly, Composite, Geofence, RateOfChange, Rule, Stale, Threshold
from console.kernels import load

_k, KERNEL = load("alarmeval")  # compiled (Cython) or the pure-Python twin
Change = _k.Change
_change = _k._change
ThresholdEval = _k.ThresholdEval
DelayedThresholdEval = _k.DelayedThresholdEval
RateEval = _k.RateEval
RollingZ = _k.RollingZ
AnomalyEval = _k.AnomalyEval
value_entry = _k.value_entry
reading_entry = _k.reading_entry
evaluate = _k.evaluate
FenceGrid = _k.FenceGrid
FenceCore = _k.FenceCore
StaleCore = _k.StaleCore
NS = 1_000_000_000


def threshold_eval(rule: Threshold) -> ThresholdEval:
    return DelayedThresholdEval(rule) if rule.on_delay_s or rule.off_delay_s else ThresholdEval(rule)


class StaleWatch(StaleCore):
    """Last data time per entity of a topic: `update(r)` (the kernel's hot half) records data and
    clears stale alarms, `tick(now)` raises them. `due` is a lower bound of the next time an entity
    can go stale (data only moves deadlines later), so most ticks return at once.
    """

    def __init__(self, rule: Stale, started: int):
        super().__init__(rule, int(rule.after_s * NS))
        if rule.entity != "*":
            self.last[rule.entity] = started  # a named entity is expected from the start
            self.due = started + self.after_ns

    def tick(self, now: int) -> list[Change]:
        if now <= self.due:
            return []
        out = []
        due = 1 << 62
        for entity, last in self.last.items():
            if entity in self.stale:
                continue
            if now - last > self.after_ns:
                self.stale.add(entity)
                r = self.readings.get(entity)
                age = float(round((now - last) / NS))
                out.append(
                    Change(self.rule, entity, True, now, age, r.lat if r else None, r.lon if r else None, r)
                )
            elif last + self.after_ns < due:
                due = last + self.after_ns
        self.due = due
        return out

    def seed(self, entity: str, active: bool) -> None:
        if active:
            self.stale.add(entity)
            self.last.setdefault(entity, 0)


class CompositeEval:
    """AND / OR over other rules' alarms: fed with their condition changes, not with readings."""

    def __init__(self, rule: Composite):
        self.rule = rule
        self.window_ns = int(rule.window_s * NS)
        self.active_children: dict[str, dict[str, int]] = {rid: {} for rid in rule.of}  # rule -> alarm -> t
        self.active = False

    def child(self, rule_id: str, alarm_id: str, active: bool, t: int) -> Change | None:
        alarms = self.active_children.get(rule_id)
        if alarms is None:
            return None
        if active:
            alarms[alarm_id] = t
        else:
            alarms.pop(alarm_id, None)
        want = self._holds()
        if want == self.active:
            return None
        self.active = want
        return Change(self.rule, "", want, t, None)

    def _holds(self) -> bool:
        live = [max(a.values()) for a in self.active_children.values() if a]
        if self.rule.op == "or":
            return bool(live)
        if len(live) < len(self.active_children):
            return False
        return self.active or max(live) - min(live) <= self.window_ns


PER_ENTITY = (Threshold, RateOfChange, Anomaly, Geofence)
VALUE_RULES = (Threshold, RateOfChange, Anomaly)


def rule_key(rule: Rule) -> str | None:
    """The value key a per-entity rule reads (None: it needs the whole reading)."""
    return getattr(rule, "key", None) if isinstance(rule, VALUE_RULES) else None

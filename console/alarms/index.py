"""The rule index: a reading reaches only the evaluators of its topic, entity and value key.

For each concrete topic the index keeps a *bucket* per entity: a tuple of (value key, update
function) pairs, built on first sight of the entity from the rules for that entity and the
wildcard ("*") rules of the topic. Evaluating a reading is one dict lookup and a walk over its
own bucket, never a loop over all rules. Topics whose rules are all topic-level (count-in-area)
share one bucket, so topics with a new entity id per message (137 reports) cost no memory.

Evaluator state lives in the index, keyed by (rule id, entity); rebuilding buckets after a rule is
added or removed keeps the state of every other rule.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from console.alarms.clusters import CountEval, CountRouter
from console.alarms.evaluators import (
    PER_ENTITY,
    AnomalyEval,
    Change,
    CompositeEval,
    RateEval,
    StaleWatch,
    evaluate,
    reading_entry,
    rule_key,
    threshold_eval,
    value_entry,
)
from console.alarms.fences import CompiledArea, FenceSet, FenceTracker, GeofenceEval
from console.alarms.rules import (
    Anomaly,
    Composite,
    CountInArea,
    Geofence,
    RateOfChange,
    Rule,
    Stale,
    Threshold,
)
from console.bus import topic_matches
from console.geo import LocalProjection
from console.model import Reading

log = logging.getLogger(__name__)

Bucket = tuple[tuple[str | None, Any], ...]


def evaluator_for(rule: Rule, *, area: CompiledArea | None = None) -> Any:
    """A fresh per-entity evaluator for value and geofence rules."""
    if isinstance(rule, Threshold):
        return threshold_eval(rule)
    if isinstance(rule, RateOfChange):
        return RateEval(rule)
    if isinstance(rule, Anomaly):
        return AnomalyEval(rule)
    if isinstance(rule, Geofence):
        return GeofenceEval(rule, area or CompiledArea(rule.area))
    raise TypeError(f"{rule.kind} rules have no per-entity evaluator")


class _TopicIndex:
    __slots__ = ("buckets", "fences", "named", "per_entity", "shared", "wild")

    def __init__(self) -> None:
        self.fences: FenceSet | None = None  # wildcard geofences, on a grid
        self.wild: list[Rule] = []
        self.named: dict[str, list[Rule]] = {}
        self.shared: list[tuple[str | None, Any]] = []
        self.buckets: dict[str, Bucket] = {}
        self.per_entity = False


class RuleIndex:
    def __init__(self, projection: LocalProjection, started_ns: int = 0):
        self.proj = projection
        self.started_ns = started_ns
        self.rules: dict[str, Rule] = {}
        self._topics: dict[str, _TopicIndex] = {}
        self._evals: dict[str, dict[str, Any]] = {}  # entity -> rule id -> evaluator
        self._areas: dict[str, CompiledArea] = {}
        self._counts: dict[str, CountEval] = {}
        self._stale: dict[str, StaleWatch] = {}
        self._composites: dict[str, CompositeEval] = {}
        self._parents: dict[str, list[CompositeEval]] = {}

    # -- rules ------------------------------------------------------------------------------------------
    def add(self, rule: Rule) -> None:
        """Add or replace a rule (replacing resets that rule's evaluator state)."""
        if isinstance(rule, Composite):
            self._check_cycle(rule)
        if rule.id in self.rules:
            self.remove(rule.id)
        self.rules[rule.id] = rule
        if not rule.enabled:
            return
        if isinstance(rule, Geofence):
            self._areas[rule.id] = CompiledArea(rule.area)
        elif isinstance(rule, CountInArea):
            self._counts[rule.id] = CountEval(rule, self.proj)
        elif isinstance(rule, Stale):
            self._stale[rule.id] = StaleWatch(rule, self.started_ns)
        elif isinstance(rule, Composite):
            ev = CompositeEval(rule)
            self._composites[rule.id] = ev
            for child in rule.of:
                self._parents.setdefault(child, []).append(ev)
        self._topics.clear()

    def add_many(self, rules: Iterable[Rule]) -> None:
        for rule in rules:
            self.add(rule)

    def remove(self, rule_id: str) -> Rule | None:
        rule = self.rules.pop(rule_id, None)
        if rule is None:
            return None
        for evals in self._evals.values():
            evals.pop(rule_id, None)
        self._areas.pop(rule_id, None)
        self._counts.pop(rule_id, None)
        self._stale.pop(rule_id, None)
        ev = self._composites.pop(rule_id, None)
        if ev is not None:
            for child in ev.rule.of:
                parents = self._parents.get(child, [])
                if ev in parents:
                    parents.remove(ev)
        self._topics.clear()
        return rule

    def _check_cycle(self, rule: Composite) -> None:
        seen: set[str] = set()
        stack = list(rule.of)
        while stack:
            rid = stack.pop()
            if rid == rule.id:
                raise ValueError(f"composite rule {rule.id}: cycle through {rid}")
            if rid in seen:
                continue
            seen.add(rid)
            other = self.rules.get(rid)
            if isinstance(other, Composite):
                stack.extend(other.of)

    def __len__(self) -> int:
        return len(self.rules)

    def topics(self) -> set[str]:
        return {r.topic for r in self.rules.values() if r.topic and r.enabled}

    # -- the index -------------------------------------------------------------------------------------
    def _topic(self, topic: str) -> _TopicIndex:
        ti = _TopicIndex()
        fences: list[Geofence] = []
        counts: list[CountEval] = []
        for rule in self.rules.values():
            if not rule.enabled or not rule.topic or not topic_matches(rule.topic, topic):
                continue
            if isinstance(rule, Geofence) and rule.entity == "*":
                fences.append(rule)
                ti.per_entity = True
            elif isinstance(rule, PER_ENTITY) or (isinstance(rule, Stale) and rule.entity != "*"):
                ti.per_entity = True
                if rule.entity == "*":
                    ti.wild.append(rule)
                else:
                    ti.named.setdefault(rule.entity, []).append(rule)
            elif isinstance(rule, Stale):
                ti.shared.append(reading_entry(self._stale[rule.id]))
                ti.per_entity = True  # stale watches need a bucket per entity to stay O(1)
            elif isinstance(rule, CountInArea):
                counts.append(self._counts[rule.id])
        if counts:
            ti.shared.append(reading_entry(CountRouter(counts)))
        if fences:
            ti.fences = FenceSet(fences, self._areas)
        self._topics[topic] = ti
        return ti

    def _entity_evals(self, entity: str) -> dict[str, Any]:
        evals = self._evals.get(entity)
        if evals is None:
            evals = self._evals[entity] = {}
        return evals

    def _evaluator(self, rule: Rule, entity: str) -> Any:
        evals = self._entity_evals(entity)
        ev = evals.get(rule.id)
        if ev is None:
            ev = evals[rule.id] = evaluator_for(rule, area=self._areas.get(rule.id))
        return ev

    def _bucket(self, ti: _TopicIndex, entity: str) -> Bucket:
        entries: list[tuple[str | None, Any]] = []
        for rule in (*ti.wild, *ti.named.get(entity, ())):
            if isinstance(rule, Stale):
                entries.append(reading_entry(self._stale[rule.id]))
                continue
            key = rule_key(rule)
            ev = self._evaluator(rule, entity)
            entries.append(value_entry(key, ev) if key is not None else reading_entry(ev))
        if ti.fences is not None:
            entries.append(reading_entry(FenceTracker(ti.fences, self._entity_evals(entity))))
        entries += ti.shared
        bucket = tuple(entries)
        ti.buckets[entity] = bucket
        return bucket

    # -- evaluation ------------------------------------------------------------------------------------
    def evaluate(self, topic: str, readings: Iterable[Reading], out: list[Change]) -> None:
        """Append the condition changes caused by `readings` (all on `topic`) to `out`."""
        ti = self._topics.get(topic)
        if ti is None:
            ti = self._topic(topic)
        if not ti.per_entity:
            shared = ti.shared
            if shared:
                for r in readings:
                    for _key, fn in shared:
                        ch = fn(r)
                        if ch is not None:
                            if ch.__class__ is list:
                                out.extend(ch)
                            else:
                                out.append(ch)
            return
        evaluate(ti.buckets, readings, out, lambda entity: self._bucket(ti, entity))

    def tick(self, now_ns: int) -> list[Change]:
        """Time-driven conditions: stale entities, count clusters thinning out."""
        out: list[Change] = []
        for watch in self._stale.values():
            if now_ns > watch.due:  # nothing can be stale before `due`: skip the call
                out += watch.tick(now_ns)
        for ev in self._counts.values():
            out += ev.tick(now_ns)
        return out

    def child_changed(self, rule_id: str, alarm_id: str, active: bool, t: int) -> list[Change]:
        """Feed a rule's condition change to the composites that use it."""
        out = []
        for ev in self._parents.get(rule_id, ()):
            ch = ev.child(rule_id, alarm_id, active, t)
            if ch is not None:
                out.append(ch)
        return out

    def seed(self, rule_id: str, subject: str, active: bool, lat: float | None, lon: float | None) -> None:
        """Align evaluator state with an alarm restored from storage, so it can clear normally."""
        rule = self.rules.get(rule_id)
        if rule is None or not rule.enabled:
            return
        if isinstance(rule, PER_ENTITY):
            ev = self._evaluator(rule, subject)
            ev.active = active
            if isinstance(rule, Geofence):
                ev.inside = active if rule.mode != "exit" else not active
                ev.entered = self.started_ns if ev.inside else None
            for ti in self._topics.values():
                ti.buckets.pop(subject, None)
        elif isinstance(rule, Stale):
            self._stale[rule_id].seed(subject, active)
        elif isinstance(rule, CountInArea):
            self._counts[rule_id].seed(subject, active, lat, lon)
        elif isinstance(rule, Composite):
            self._composites[rule_id].active = active

    def describe(self) -> dict[str, Any]:
        kinds: dict[str, int] = {}
        for r in self.rules.values():
            kinds[r.kind] = kinds.get(r.kind, 0) + 1
        n = sum(len(e) for e in self._evals.values())
        return {"rules": len(self.rules), "kinds": kinds, "evaluators": n}

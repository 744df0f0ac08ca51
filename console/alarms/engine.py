"""The alarm engine (core service "alarms"): readings → rules → ISA-18.2 states → annunciation → journal.

Threads: the engine subscribes to the FeedBus as a *worker* ("alarms" thread), so rules never run on
the UI thread; a ticker thread drives time (stale data, shelving running out, escalation, floods
ending). Operator actions come from the UI thread. One lock guards the state; readings are
evaluated in chunks so an operator's acknowledgement waits at most one chunk. The UI reads copies
(`snapshot()`, `changes_since(version)`) and polls `version`; it never touches engine state.

Journal: every state change is an `AlarmTransition` published on `alarm/transition` (storage keeps
them durably), operator actions also as `AuditEvent`s on `audit/event`, and what the room is told
as `Annunciation`s on `alarm/annunciation`. Nothing is journaled twice: transitions received from
other consoles on `alarm/remote` are applied, not re-published.

Multi-console: another console's acknowledgement is applied if the alarm is still unacknowledged;
if it is not, the acknowledgement is recorded (`late_acks`, an audit event) and the earlier of the
two keeps the attribution, so every console ends with the same answer to "who acknowledged".

Restore: at start the engine asks the provider (`AlarmStateProvider`: the store's `alarm_snapshot()`)
for the last applied transition of every non-normal alarm and takes those states over, seeding the
rule evaluators so that restored alarms clear normally. Sync then delivers everything after the
snapshot on `alarm/remote`. When the store records one of this console's transitions as superseded
(another console was first, `alarm/superseded`), the engine hands the attribution to the winner.

The current operator is `services["session"].operator` when a session service exists (storage);
until then an `Operator` named by `settings.operator` with the operator role.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from console import i18n
from console.alarms.alarm import Alarm
from console.alarms.annunciation import Annunciation, AnnunciationPolicy, FloodSummary
from console.alarms.config import AlarmConfig, load_alarm_config
from console.alarms.escalation import Escalation
from console.alarms.evaluators import Change
from console.alarms.index import RuleIndex
from console.alarms.rules import Rule, band_rules, iter_rules, load_rule_files, render_message
from console.alarms.states import HIDDEN_STATES, Event, IllegalTransition, NoteRequired, Status, step
from console.geo import LocalProjection
from console.logsetup import LogOnce
from console.model import AlarmState, AlarmTransition, AuditEvent, Operator, Priority, Reading, Role, now_ns
from console.paths import data_dir, resource
from console.roles import PermissionDenied, allowed, require

log = logging.getLogger(__name__)
_once = LogOnce(log)

TOPIC_TRANSITION = "alarm/transition"
TOPIC_REMOTE = "alarm/remote"
TOPIC_ANNUNCIATION = "alarm/annunciation"
TOPIC_AUDIT = "audit/event"
TOPIC_SUPERSEDED = "alarm/superseded"  # the store: one of our transitions lost to another console's
TOPIC_CAP = "cap/alert"
SYSTEM = "system"
NS = 1_000_000_000
DEFAULT_CENTER = (34.6401, 50.8764)  # Qom, when no city geography is available


@runtime_checkable
class AlarmStateProvider(Protocol):
    """Where current alarm states come from at start (console.store.Store implements it).

    `alarm_snapshot()` returns an object whose `alarms` are the last applied AlarmTransition of every
    alarm that is not Normal (Normal ones too are harmless). Called once at start, off the UI thread.
    """

    def alarm_snapshot(self) -> Any: ...


class UnknownAlarm(KeyError):
    pass


def _number_fa(value: float, decimals: int) -> str:
    return i18n.number(value, decimals, "fa")


def _number_en(value: float, decimals: int) -> str:
    return i18n.number(value, decimals, "en")


def _alarm_id(rule_id: str, subject: str) -> str:
    return f"{rule_id}:{subject}" if subject else rule_id


class AlarmEngine:
    def __init__(
        self,
        bus: Any,
        *,
        settings: Any = None,
        config: AlarmConfig | None = None,
        clock: Callable[[], int] = now_ns,
        city: Any = None,
        services: dict[str, Any] | None = None,
        registry: Any = None,
        rule_folders: list[Path] | None = None,
    ):
        self.bus = bus
        self.settings = settings
        self.config = config or load_alarm_config()
        # one name per console for the engine, the store and sync: --console / settings.console_id first
        self.console = getattr(settings, "console_id", "") or self.config.console or socket.gethostname()
        self.clock = clock
        self.services = services if services is not None else {}
        self.city = city
        center = tuple(city.center) if city is not None else DEFAULT_CENTER
        self.index = RuleIndex(LocalProjection(*center), started_ns=clock())
        self.policy = AnnunciationPolicy(self.config.annunciation)
        self.escalation = Escalation(self.config.escalation)
        self._lock = threading.RLock()
        self._processing = threading.RLock()  # held while a bus batch is evaluated (see stop)
        self._alarms: dict[str, Alarm] = {}
        self._by_rule: dict[str, set[str]] = {}
        self._active_by_rule: dict[str, int] = {}
        self._suppressors: dict[str, set[str]] = {}  # child rule -> parent rules (suppression by design)
        self._shelved: set[str] = set()
        self._held: set[str] = set()
        self._marks: dict[str, int] = {}  # alarm id -> version of its last change (UI diffs)
        self._out: list[tuple[str, Any]] = []
        self.journal: deque[AlarmTransition] = deque(maxlen=200_000)
        self.annunciations: deque[Annunciation] = deque(maxlen=5_000)
        self.version = 0
        self.rule_errors: list[str] = []
        self.stats: dict[str, int] = dict.fromkeys(
            (
                "readings",
                "changes",
                "transitions",
                "audit",
                "remote_applied",
                "remote_ignored",
                "late_acks",
                "errors",
                "cap_alerts",
                "cap_ignored",
            ),
            0,
        )
        self._registry = registry
        self._unsubs: list[Callable[[], None]] = []
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()
        self._cap: Any = None  # console.alarms.cap_alarms.CapAlarms, created on first CAP alert
        self.maplink: Any = None  # console.alarms.maplink.AlarmMapLink, when the map room is there
        self.geofence_rules: Any = None  # drawn geofences as rules (console.alarms.geofence_rules)
        self._load_rules(rule_folders)

    # -- rules ------------------------------------------------------------------------------------------
    def _load_rules(self, folders: list[Path] | None) -> None:
        """Catalog band rules, rule files (resources/rules and the configured folders), plugin rules."""
        rules: list[Rule] = []
        if self.config.band_rules:
            rules += band_rules(i18n.tr)
        if folders is None:
            folders = [resource("rules"), *(Path(p) for p in self.config.rule_dirs)]
        for path in folders:
            found, errors = load_rule_files(path)
            rules += found
            for err in errors:
                self.rule_errors.append(err)
                log.error("alarm rules: %s", err)
        if self._registry is not None:
            rules += self._plugin_rules(self._registry.items())
            self._unsubs.append(self._registry.on_change(self._on_rule_added, self._on_rule_removed))
        with self._lock:
            for rule in rules:
                self._add_rule(rule)

    def _add_rule(self, rule: Rule) -> bool:
        old = self.index.rules.get(rule.id)
        if old is not None and old.owner != rule.owner:
            msg = f"rule {rule.id} from {rule.owner or 'code'} ignored: already defined by {old.owner or 'code'}"
            self.rule_errors.append(msg)
            log.error("alarm rules: %s", msg)
            return False
        try:
            self.index.add(rule)
        except ValueError as exc:
            self.rule_errors.append(str(exc))
            log.error("alarm rules: %s", exc)
            return False
        if rule.suppresses or (old is not None and old.suppresses):
            self._rebuild_suppressors()
        return True

    def _rebuild_suppressors(self) -> None:
        self._suppressors = {}
        for r in self.index.rules.values():
            for child in r.suppresses:
                self._suppressors.setdefault(child, set()).add(r.id)

    def add_rule(self, rule: Rule, operator: Operator | None = None, reason: str = "") -> bool:
        """Add or replace a rule at run time. A person doing it needs rule.edit and a reason (audited)."""
        if operator is not None:
            require(operator, "rule.edit", reason)
        with self._lock:
            ok = self._add_rule(rule)
            if ok and operator is not None:
                self._audit("rule-edit", operator.name, rule.id, {"action": "add", "reason": reason})
            self._commit()
        return ok

    def remove_rule(self, rule_id: str, operator: Operator | None = None, reason: str = "") -> bool:
        """Remove a rule; its standing alarms return to normal (journaled)."""
        if operator is not None:
            require(operator, "rule.edit", reason)
        with self._lock:
            rule = self.index.remove(rule_id)
            if rule is None:
                return False
            self._rebuild_suppressors()
            t = self.clock()
            who = operator.name if operator else SYSTEM
            for alarm_id in list(self._by_rule.get(rule_id, ())):
                self._retire(self._alarms[alarm_id], t, who, f"rule {rule_id} removed")
            if operator is not None:
                self._audit("rule-edit", who, rule_id, {"action": "remove", "reason": reason})
            self._commit()
        return True

    def _plugin_rules(self, specs: Iterable[Any]) -> list[Rule]:
        errors: list[str] = []
        rules = list(iter_rules(specs, errors))
        for msg in errors:
            self.rule_errors.append(msg)
            log.error("alarm rules: %s", msg)
        return rules

    def _on_rule_added(self, spec: Any) -> None:
        for rule in self._plugin_rules([spec]):
            self.add_rule(rule)

    def _on_rule_removed(self, spec: Any) -> None:
        for rule in iter_rules([spec]):
            with self._lock:
                mine = self.index.rules.get(rule.id)
            if mine is not None and mine.owner == rule.owner:
                self.remove_rule(rule.id)

    def rules(self) -> list[Rule]:
        with self._lock:
            return list(self.index.rules.values())

    # -- evaluation (bus worker thread) -----------------------------------------------------------------
    def process(self, topic: str, items: list[Any]) -> None:
        """FeedBus callback: readings, CAP alerts and other consoles' transitions."""
        with self._processing:  # stop() waits for a batch being evaluated
            self._process(topic, items)

    def _process(self, topic: str, items: list[Any]) -> None:
        if topic == TOPIC_REMOTE:
            self.apply_remote(items)
            return
        if topic == TOPIC_SUPERSEDED:
            self.apply_superseded(items)
            return
        if topic == TOPIC_CAP:
            self.apply_cap(items)
            return
        if topic.startswith(("alarm/", "audit/")):
            return
        chunk = self.config.chunk
        for start in range(0, len(items), chunk):
            part = items[start : start + chunk] if len(items) > chunk else items
            changes: list[Change] = []
            with self._lock:
                try:
                    self.index.evaluate(topic, part, changes)
                except Exception as exc:  # a bad reading or rule never stops the engine
                    self.stats["errors"] += 1
                    _once.error(("evaluate", topic), "alarm rules failed on %s: %r", topic, exc)
                self.stats["readings"] += len(part)
                if changes:
                    self._apply_changes(changes)
                    self._commit()

    def _apply_changes(self, changes: Iterable[Change]) -> None:
        queue = deque(changes)
        while queue:
            ch = queue.popleft()
            rule = ch.rule
            if self.index.rules.get(rule.id) is not rule:
                continue  # the rule was replaced or removed meanwhile
            self.stats["changes"] += 1
            alarm_id = _alarm_id(rule.id, ch.subject)
            a = self._alarms.get(alarm_id)
            try:
                if ch.active:
                    if a is None:
                        a = self._create(alarm_id, rule, ch)
                    elif a.condition:
                        continue
                    self._activate(a, rule, ch)
                else:
                    if a is None or not a.condition:
                        continue
                    self._clear(a, ch)
            except IllegalTransition as exc:  # a bug, never silence it, never stop the engine
                self.stats["errors"] += 1
                _once.error(("fsm", rule.id), "alarm %s: %s", alarm_id, exc)
                continue
            queue.extend(self.index.child_changed(rule.id, alarm_id, ch.active, ch.t))
            if rule.suppresses:
                self._design_suppression(rule, ch.t)

    def _create(self, alarm_id: str, rule: Rule, ch: Change) -> Alarm:
        a = Alarm(
            id=alarm_id,
            rule_id=rule.id,
            subject=ch.subject,
            kind=rule.kind,
            priority=rule.priority,
            title_fa=rule.title("fa"),
            title_en=rule.title("en"),
            department=rule.department,
            unit=rule.unit,
        )
        self._alarms[alarm_id] = a
        self._by_rule.setdefault(rule.id, set()).add(alarm_id)
        return a

    def _place(self, a: Alarm, lat: float | None, lon: float | None) -> None:
        if lat is None or lon is None:
            return
        a.lat, a.lon = lat, lon
        if self.city is not None:
            d = self.city.district_at(lat, lon)
            a.district = d.id if d else ""
        a.area = self.config.area_of(a.district)

    def _activate(self, a: Alarm, rule: Rule, ch: Change) -> None:
        a.condition = True
        self._active_by_rule[rule.id] = self._active_by_rule.get(rule.id, 0) + 1
        if ch.value != a.value or not a.message_en:  # same value, same words: skip the formatting
            a.message_fa = render_message(rule, ch, "fa", _number_fa)
            a.message_en = render_message(rule, ch, "en", _number_en)
        a.value = ch.value
        if ch.lat != a.lat or ch.lon != a.lon:
            self._place(a, ch.lat, ch.lon)
        chattering = self._chatter(a, self.clock())
        if a.held:  # back before its held clear was released: nothing changed for the room
            a.held = False
            self._held.discard(a.id)
            self._raw(a, Event.ACTIVATE, ch.t, "chattering: held")
            return
        parent = self._design_parent(rule.id)
        if parent and not a.hidden:
            a.suppressed_by = parent
            self._step(a, Event.SUPPRESS, ch.t, SYSTEM, f"suppressed by design: {parent}")
        before = a.state
        self._step(a, Event.ACTIVATE, ch.t)
        if a.state is AlarmState.UNACK:
            self._announce(a, ch.t, chattering, reactivated=before is AlarmState.RTN_UNACK)

    def _clear(self, a: Alarm, ch: Change) -> None:
        a.condition = False
        self._active_by_rule[a.rule_id] = max(0, self._active_by_rule.get(a.rule_id, 0) - 1)
        if ch.value is not None:
            a.value = ch.value
        chattering = self._chatter(a, self.clock())
        if chattering and a.state in (AlarmState.UNACK, AlarmState.ACKED):
            a.held = True
            self._held.add(a.id)
            self._raw(a, Event.CLEAR, ch.t, "chattering: held")
            return
        self._step(a, Event.CLEAR, ch.t)

    def _chatter(self, a: Alarm, t: int) -> bool:
        chattering = self.policy.on_condition_change(a.id, t)
        if chattering and not a.chattering:
            a.chattering = True
            self._held.add(a.id)  # watched by the ticker until quiet
            self._annunciate(self.policy.event("chatter", a.area, a.priority, t, alarm_id=a.id))
        return chattering

    def _announce(self, a: Alarm, t: int, chattering: bool, reactivated: bool = False) -> None:
        """`t` is when the condition arose (data time); escalation and flood control count the room's
        time (the engine clock), so a replay or a fast simulator cannot fool them."""
        """A transition into Unacknowledged-Active: a new episode for the room."""
        a.episode += 1
        a.raised_t = t
        now = a.announced_ns = self.clock()
        a.acked_by, a.acked_t, a.acked_console, a.ack_note = "", 0, "", ""
        a.escalation = 0
        self.escalation.schedule(a.id, a.priority, now, a.episode)
        if chattering and reactivated:
            return  # a chattering alarm is annunciated once, then held with its indication
        decision = self.policy.on_new_alarm(a.id, a.priority, a.area, now)
        a.first_out, a.cascade, a.grouped = decision.first_out, decision.cascade, decision.grouped
        for ev in decision.events:
            if ev.kind == "alarm":
                a.ann_seq = ev.seq
            self._annunciate(ev)

    # -- alarms raised from outside the rules (CAP alerts, other consoles) ------------------------------
    def _external_activate(self, a: Alarm, t: int, note: str) -> None:
        a.condition = True
        before = a.state
        self._step(a, Event.ACTIVATE, t, SYSTEM, note)
        if a.state is AlarmState.UNACK:
            self._announce(a, t, False, reactivated=before is AlarmState.RTN_UNACK)

    def _external_clear(self, a: Alarm, t: int, note: str) -> None:
        a.condition = False
        self._step(a, Event.CLEAR, t, SYSTEM, note)

    def _external_update(self, a: Alarm, t: int, note: str) -> None:
        """New content for an active alarm: journaled with its new message, state unchanged."""
        self._record(self._transition(a, "activate", a.state, t, operator=SYSTEM, note=note), True)

    # -- suppression by design ---------------------------------------------------------------------------
    def _design_parent(self, rule_id: str) -> str:
        for parent in self._suppressors.get(rule_id, ()):
            if self._active_by_rule.get(parent, 0):
                return next(
                    (i for i in sorted(self._by_rule.get(parent, ())) if self._alarms[i].condition), parent
                )
        return ""

    def _design_suppression(self, parent_rule: Rule, t: int) -> None:
        for child in parent_rule.suppresses:
            parent = self._design_parent(child)
            for alarm_id in sorted(self._by_rule.get(child, ())):
                a = self._alarms[alarm_id]
                if parent and a.standing and not a.hidden:
                    a.suppressed_by = parent
                    self._step(a, Event.SUPPRESS, t, SYSTEM, f"suppressed by design: {parent}")
                elif (
                    not parent
                    and a.state is AlarmState.SUPPRESSED
                    and not a.suppressed_by.startswith("operator:")
                ):
                    a.suppressed_by = ""
                    self._step(a, Event.UNSUPPRESS, t, SYSTEM, "parent alarm cleared")
                    if a.state is AlarmState.UNACK:
                        self._announce(a, t, False)

    # -- journal ---------------------------------------------------------------------------------------
    def _transition(self, a: Alarm, action: str, before: AlarmState, t: int, **kw: Any) -> AlarmTransition:
        return AlarmTransition(
            alarm_id=a.id,
            rule_id=a.rule_id,
            t=t,
            action=action,
            from_state=before,
            to_state=a.state,
            priority=a.priority,
            console=kw.pop("console", None) or self.console,
            entity=a.subject,
            district=a.district,
            message_fa=a.message_fa,
            message_en=a.message_en,
            lat=a.lat,
            lon=a.lon,
            **kw,
        )

    def _step(
        self,
        a: Alarm,
        event: Event,
        t: int,
        operator: str = "",
        note: str = "",
        *,
        console: str | None = None,
        publish: bool = True,
        until: int | None = None,
    ) -> AlarmTransition:
        before = a.state
        new = step(Status(a.state, a.active), event, a.priority, note)
        a.state, a.active, a.changed_t = new.state, new.active, t
        if new.state is AlarmState.SHELVED:
            self._shelved.add(a.id)
        else:
            self._shelved.discard(a.id)
        tr = self._transition(
            a, event.value, before, t, operator=operator, note=note, console=console, until=until
        )
        self._record(tr, publish)
        return tr

    def _raw(self, a: Alarm, event: Event, t: int, note: str) -> None:
        """A condition change that does not move the state (held while chattering): journaled anyway."""
        self._record(self._transition(a, event.value, a.state, t, note=note), True)

    def _record(self, tr: AlarmTransition, publish: bool) -> None:
        self.journal.append(tr)
        self.stats["transitions"] += 1
        self._marks[tr.alarm_id] = self.version + 1
        if publish:
            self._out.append((TOPIC_TRANSITION, tr))

    def _audit(self, kind: str, operator: str, subject: str, detail: dict[str, Any]) -> None:
        self.stats["audit"] += 1
        ev = AuditEvent(
            t=self.clock(), kind=kind, operator=operator, console=self.console, subject=subject, detail=detail
        )
        self._out.append((TOPIC_AUDIT, ev))

    def _annunciate(self, ev: Annunciation) -> None:
        self.annunciations.append(ev)
        self._out.append((TOPIC_ANNUNCIATION, ev))

    def _commit(self) -> None:
        """Publish what this change produced (under the lock, so the journal keeps its order)."""
        self.version += 1
        out, self._out = self._out, []
        if not out:
            return
        topic, batch = out[0][0], []
        for t, item in out:
            if t != topic:
                self.bus.publish_many(topic, batch)
                topic, batch = t, []
            batch.append(item)
        self.bus.publish_many(topic, batch)

    # -- operator actions (UI thread) -------------------------------------------------------------------
    def current_operator(self) -> Operator:
        session = self.services.get("session")
        op = getattr(session, "operator", None)
        if isinstance(op, Operator):
            return op
        name = getattr(self.settings, "operator", "") or "operator"
        return Operator(name=name, display_name=name, roles=frozenset({Role.OPERATOR}))

    def _need(self, alarm_id: str) -> Alarm:
        a = self._alarms.get(alarm_id)
        if a is None:
            raise UnknownAlarm(alarm_id)
        return a

    def ack(self, alarm_id: str, operator: Operator, note: str = "") -> bool:
        """Acknowledge; False when there is nothing to acknowledge. NoteRequired for Extreme without note."""
        require(operator, "alarm.ack")
        with self._lock:
            a = self._need(alarm_id)
            if not a.unacked:
                return False
            t = self.clock()
            self._step(a, Event.ACK, t, operator.name, note.strip())
            a.acked_by, a.acked_t, a.acked_console, a.ack_note = operator.name, t, self.console, note.strip()
            self._audit("alarm", operator.name, a.id, {"action": "ack", "note": note.strip()})
            self._commit()
        return True

    def ack_many(
        self, alarm_ids: Iterable[str], operator: Operator, note: str = ""
    ) -> tuple[list[str], dict[str, str]]:
        """Acknowledge a page: (acknowledged ids, {id: reason} for those that were not)."""
        done, refused = [], {}
        for alarm_id in alarm_ids:
            try:
                if self.ack(alarm_id, operator, note):
                    done.append(alarm_id)
            except NoteRequired as exc:
                refused[alarm_id] = str(exc)
            except UnknownAlarm:
                refused[alarm_id] = "unknown alarm"
        return done, refused

    def shelve(self, alarm_id: str, operator: Operator, reason: str, duration_s: float | None = None) -> int:
        """Shelve for `duration_s` (default and maximum from the config); returns when it runs out (ns)."""
        require(operator, "alarm.shelve", reason)
        duration = self.config.shelve_default_s if duration_s is None else float(duration_s)
        if not 0 < duration <= self.config.shelve_max_s:
            raise ValueError(
                f"shelving time must be between 0 and {self.config.shelve_max_s / 3600:g} h, not {duration / 3600:g} h"
            )
        with self._lock:
            a = self._need(alarm_id)
            t = self.clock()
            until = t + int(duration * NS)
            self._step(a, Event.SHELVE, t, operator.name, reason.strip(), until=until)
            a.shelved_by, a.shelve_reason, a.shelved_until = operator.name, reason.strip(), until
            self._audit("shelve", operator.name, a.id, {"reason": reason.strip(), "until": until})
            self._commit()
        return until

    def _release(self, alarm_id: str, operator: Operator, action: str, event: Event, note: str = "") -> None:
        if not allowed(operator, action):
            raise PermissionDenied(f"{operator.name} may not {event.value} (needs {action})")
        with self._lock:
            a = self._need(alarm_id)
            t = self.clock()
            self._step(a, event, t, operator.name, note)
            self._after_release(a, t)
            self._audit("alarm", operator.name, a.id, {"action": event.value})
            self._commit()

    def _after_release(self, a: Alarm, t: int) -> None:
        a.shelved_by, a.shelve_reason, a.shelved_until = "", "", 0
        a.suppressed_by, a.oos_by, a.oos_reason = "", "", ""
        if a.state is AlarmState.UNACK:
            self._announce(a, t, False)

    def unshelve(self, alarm_id: str, operator: Operator) -> None:
        self._release(alarm_id, operator, "alarm.shelve", Event.UNSHELVE)

    def suppress(self, alarm_id: str, operator: Operator, reason: str) -> None:
        require(operator, "alarm.suppress", reason)
        with self._lock:
            a = self._need(alarm_id)
            self._step(a, Event.SUPPRESS, self.clock(), operator.name, reason.strip())
            a.suppressed_by = f"operator:{operator.name}"
            self._audit("alarm", operator.name, a.id, {"action": "suppress", "reason": reason.strip()})
            self._commit()

    def unsuppress(self, alarm_id: str, operator: Operator) -> None:
        self._release(alarm_id, operator, "alarm.suppress", Event.UNSUPPRESS)

    def remove_from_service(self, alarm_id: str, operator: Operator, reason: str) -> None:
        require(operator, "alarm.oos", reason)
        with self._lock:
            a = self._need(alarm_id)
            self._step(a, Event.REMOVE, self.clock(), operator.name, reason.strip())
            a.oos_by, a.oos_reason = operator.name, reason.strip()
            self._audit("alarm", operator.name, a.id, {"action": "oos", "reason": reason.strip()})
            self._commit()

    def return_to_service(self, alarm_id: str, operator: Operator) -> None:
        self._release(alarm_id, operator, "alarm.oos", Event.RETURN)

    def silence(self, operator: Operator) -> int:
        """Stop the sound of everything annunciated so far; alarms stay unacknowledged and flashing."""
        require(operator, "alarm.silence")
        with self._lock:
            seq = self.policy.silence()
            self._audit("alarm", operator.name, "*", {"action": "silence", "seq": seq})
            self._commit()
        return seq

    def _retire(self, a: Alarm, t: int, who: str, note: str) -> None:
        """Bring an alarm back to Normal whatever its state (its rule is gone), journaling each step."""
        if a.hidden:
            self._step(
                a,
                {AlarmState.SHELVED: Event.UNSHELVE, AlarmState.SUPPRESSED: Event.UNSUPPRESS}.get(
                    a.state, Event.RETURN
                ),
                t,
                who,
                note,
            )
        if a.active:
            a.held = False
            self._step(a, Event.CLEAR, t, who, note)
        if a.unacked:
            self._step(a, Event.ACK, t, who, note or "retired")
        a.condition = False
        self._held.discard(a.id)
        self._shelved.discard(a.id)

    # -- time (ticker thread) ---------------------------------------------------------------------------
    def tick(self, now: int | None = None) -> None:
        now = self.clock() if now is None else now
        with self._lock:
            try:
                self._apply_changes(self.index.tick(now))
                self._expire_shelving(now)
                self._release_chatter(now)
                self._escalate(now)
                for ev in self.policy.tick(now):
                    self._annunciate(ev)
                if self._cap is not None:
                    self._cap.tick(now)
            except Exception as exc:
                self.stats["errors"] += 1
                _once.error("tick", "alarm engine tick failed: %r", exc)
            self._commit()

    def _expire_shelving(self, now: int) -> None:
        for alarm_id in sorted(self._shelved):
            a = self._alarms[alarm_id]
            if a.state is AlarmState.SHELVED and a.shelved_until and now >= a.shelved_until:
                self._step(a, Event.UNSHELVE, now, SYSTEM, "shelving time ran out")
                self._after_release(a, now)

    def _release_chatter(self, now: int) -> None:
        for alarm_id in sorted(self._held):
            a = self._alarms[alarm_id]
            if not self.policy.quiet(alarm_id, now):
                continue
            self._held.discard(alarm_id)
            a.chattering = False
            self._marks[alarm_id] = self.version + 1
            if a.held:
                a.held = False
                if not a.condition and a.active:
                    self._step(a, Event.CLEAR, now, SYSTEM, "chattering over: clear released")

    def _escalate(self, now: int) -> None:
        for alarm_id, episode, level in self.escalation.due(now):
            a = self._alarms.get(alarm_id)
            if a is None or a.episode != episode or not a.unacked or a.escalation >= level:
                continue
            role = self.escalation.role(level)
            a.escalation = level
            note = f"escalated to {role.value}"
            self._record(self._transition(a, "escalate", a.state, now, operator=SYSTEM, note=note), True)
            if not a.grouped:  # grouped alarms escalate in the list and the journal, not out loud
                ev = self.policy.event(
                    "escalation", a.area, a.priority, now, alarm_id=a.id, detail=role.value
                )
                self._annunciate(ev)
                a.ann_seq = ev.seq  # sounds again, for the people it went up to
            self.escalation.schedule(a.id, a.priority, a.announced_ns, a.episode, level + 1)

    # -- other consoles ----------------------------------------------------------------------------------
    def apply_remote(self, items: Iterable[Any]) -> None:
        with self._lock:
            for tr in items:
                if not isinstance(tr, AlarmTransition) or tr.console == self.console:
                    self.stats["remote_ignored"] += 1
                    continue
                try:
                    self._apply_remote(tr)
                except IllegalTransition as exc:
                    self.stats["remote_ignored"] += 1
                    self._audit(
                        "alarm",
                        tr.operator or SYSTEM,
                        tr.alarm_id,
                        {"remote": tr.action, "refused": str(exc), "console": tr.console},
                    )
            self._commit()

    def _apply_remote(self, tr: AlarmTransition) -> None:
        a = self._alarms.get(tr.alarm_id)
        if a is None:
            a = self._from_transition(tr, before=True)
        self.journal.append(tr)
        self._marks[a.id] = self.version + 1
        action = tr.action
        if action == "ack":
            self._remote_ack(a, tr)
        elif action in ("activate", "clear"):
            if a.rule_id in self.index.rules:
                self.stats["remote_ignored"] += 1  # evaluated here as well: our own rules decide
                return
            self._remote_condition(a, tr)
        elif action == "escalate":
            a.escalation = max(a.escalation, 1)
        elif action in {e.value for e in Event}:
            event = Event(action)
            if a.state is tr.to_state:
                self.stats["remote_ignored"] += 1
                return
            new = step(Status(a.state, a.active), event, a.priority, tr.note or "remote")
            a.state, a.active, a.changed_t = new.state, new.active, tr.t
            if event is Event.SHELVE:
                a.shelved_by, a.shelve_reason = tr.operator, tr.note
                a.shelved_until = tr.until or tr.t + int(self.config.shelve_default_s * NS)
                self._shelved.add(a.id)
            elif event is Event.SUPPRESS:
                a.suppressed_by = f"operator:{tr.operator}"
            elif event is Event.REMOVE:
                a.oos_by, a.oos_reason = tr.operator, tr.note
            else:
                self._shelved.discard(a.id)
                self._after_release(a, tr.t)
        self.stats["remote_applied"] += 1

    def apply_superseded(self, items: Iterable[Any]) -> None:
        """Our transitions the database refused because another console's came first."""
        with self._lock:
            for tr in items:
                if not isinstance(tr, AlarmTransition) or tr.console != self.console:
                    continue
                a = self._alarms.get(tr.alarm_id)
                if a is None:
                    continue
                if tr.action == "ack" and a.acked_console == self.console and a.acked_t == tr.t:
                    # our acknowledgement lost: it becomes a late one; the winner arrives on alarm/remote
                    late = [x for x in a.late_acks if x[1] != self.console]
                    a.late_acks = (
                        *[x for x in a.late_acks if x[1] == self.console],
                        (tr.operator, tr.console, tr.t),
                    )
                    if late:  # the winner is already here (recorded as late): give it the attribution
                        op, console, t = min(late, key=lambda x: x[2])
                        a.late_acks = (*a.late_acks, *(x for x in late if x != (op, console, t)))
                        a.acked_by, a.acked_console, a.acked_t = op, console, t
                    else:
                        a.acked_by, a.acked_console, a.acked_t = "", "", 0
                    self._marks[a.id] = self.version + 1
                else:
                    _once.warning(
                        ("superseded", tr.action),
                        "alarm %s: our %s was superseded by another console",
                        tr.alarm_id,
                        tr.action,
                    )
            self._commit()

    def _remote_ack(self, a: Alarm, tr: AlarmTransition) -> None:
        if (
            not a.unacked and not a.acked_by and tr.t >= a.announced_ns
        ):  # ours lost in the database: theirs won
            a.acked_by, a.acked_t, a.acked_console, a.ack_note = tr.operator, tr.t, tr.console, tr.note
            return
        if a.unacked and tr.t >= a.announced_ns:
            new = step(Status(a.state, a.active), Event.ACK, a.priority, tr.note or "remote acknowledgement")
            a.state, a.active, a.changed_t = new.state, new.active, tr.t
            a.acked_by, a.acked_t, a.acked_console, a.ack_note = tr.operator, tr.t, tr.console, tr.note
            return
        # Already acknowledged (or an acknowledgement of an earlier episode): recorded, not applied twice.
        mine = (a.acked_t, a.acked_console, a.acked_by)
        theirs = (tr.t, tr.console, tr.operator)
        if a.acked_by and tr.t >= a.announced_ns and theirs[:2] < mine[:2]:
            a.acked_by, a.acked_t, a.acked_console, a.ack_note = tr.operator, tr.t, tr.console, tr.note
            late = mine
        else:
            late = theirs
        a.late_acks = (*a.late_acks, (late[2], late[1], late[0]))
        self.stats["late_acks"] += 1
        self._audit(
            "alarm",
            late[2],
            a.id,
            {
                "action": "ack-late",
                "console": late[1],
                "t": late[0],
                "first": {"operator": a.acked_by, "console": a.acked_console, "t": a.acked_t},
            },
        )

    def _remote_condition(self, a: Alarm, tr: AlarmTransition) -> None:
        a.message_fa, a.message_en = tr.message_fa or a.message_fa, tr.message_en or a.message_en
        self._place(a, tr.lat, tr.lon)
        active = tr.action == "activate"
        if a.active == active:
            return
        a.condition = active
        new = step(Status(a.state, a.active), Event.ACTIVATE if active else Event.CLEAR, a.priority)
        before = a.state
        a.state, a.active, a.changed_t = new.state, new.active, tr.t
        if a.state is AlarmState.UNACK and before is not AlarmState.UNACK:
            self._announce(a, tr.t, False)

    def _from_transition(self, tr: AlarmTransition, before: bool = False) -> Alarm:
        rule = self.index.rules.get(tr.rule_id)
        state = tr.from_state if before else tr.to_state
        a = Alarm(
            id=tr.alarm_id,
            rule_id=tr.rule_id,
            subject=tr.entity,
            kind=rule.kind if rule else ("cap" if tr.alarm_id.startswith("cap:") else ""),
            priority=tr.priority,
            state=state,
            # a hidden state does not say whether the condition is active: the state it came from does
            active=state in (AlarmState.UNACK, AlarmState.ACKED)
            or (
                not before
                and state in HIDDEN_STATES
                and tr.from_state in (AlarmState.UNACK, AlarmState.ACKED)
            ),
            title_fa=rule.title("fa") if rule else tr.message_fa,
            title_en=rule.title("en") if rule else tr.message_en,
            message_fa=tr.message_fa,
            message_en=tr.message_en,
            department=rule.department if rule else "",
            district=tr.district,
            area=self.config.area_of(tr.district),
            lat=tr.lat,
            lon=tr.lon,
            unit=rule.unit if rule else "",
            raised_t=tr.t,
            announced_ns=tr.t,
            changed_t=tr.t,
            episode=1,
        )
        a.condition = a.active
        self._alarms[a.id] = a
        self._by_rule.setdefault(a.rule_id, set()).add(a.id)
        return a

    # -- restore ----------------------------------------------------------------------------------------
    def restore(self, transitions: Iterable[AlarmTransition]) -> int:
        """Take over the latest state of each alarm (from storage); returns how many were restored."""
        latest: dict[str, AlarmTransition] = {}
        for tr in transitions:
            if isinstance(tr, AlarmTransition) and (
                tr.alarm_id not in latest or tr.t >= latest[tr.alarm_id].t
            ):
                latest[tr.alarm_id] = tr
        n = 0
        with self._lock:
            for tr in latest.values():
                if tr.to_state is AlarmState.NORMAL or tr.alarm_id in self._alarms:
                    continue
                a = self._from_transition(tr)
                if tr.action == "ack" or tr.to_state is AlarmState.ACKED:
                    a.acked_by, a.acked_t, a.acked_console = tr.operator, tr.t, tr.console
                if a.state is AlarmState.SHELVED:
                    a.shelved_by, a.shelve_reason = tr.operator, tr.note
                    a.shelved_until = tr.until or self.clock() + int(self.config.shelve_default_s * NS)
                    self._shelved.add(a.id)
                if a.condition:
                    self._active_by_rule[a.rule_id] = self._active_by_rule.get(a.rule_id, 0) + 1
                if a.unacked:
                    self.escalation.schedule(a.id, a.priority, tr.t, a.episode)
                self.index.seed(a.rule_id, a.subject, a.condition, a.lat, a.lon)
                self._marks[a.id] = self.version + 1
                n += 1
            self._commit()
        log.info("alarm engine: restored %d alarm states", n)
        return n

    def _find_provider(self) -> AlarmStateProvider | None:
        for name, svc in self.services.items():
            if name not in ("alarms", "history") and svc is not self and isinstance(svc, AlarmStateProvider):
                return svc
        return None

    # -- CAP --------------------------------------------------------------------------------------------
    def apply_cap(self, items: Iterable[Any]) -> None:
        """CAP alerts (Readings on cap/alert carrying a parsed alert, or CapAlert objects) become alarms."""
        from console.alarms.cap_alarms import CapAlarms

        with self._lock:
            if self._cap is None:
                self._cap = CapAlarms(self)
            for item in items:
                alert = item.attrs.get("cap") if isinstance(item, Reading) else item
                try:
                    self._cap.apply(alert)
                except IllegalTransition as exc:
                    self.stats["errors"] += 1
                    _once.error(("cap-fsm", str(exc)), "CAP alert: %s", exc)
            self._commit()

    def publish_cap(self, alert: Any, operator: Operator, reason: str, path: Path | None = None) -> Path:
        """Save a public warning as CAP 1.2 XML (needs cap.publish and a reason; audited).

        The document is checked by importing it back, and against `cap_schema` when configured.
        """
        from console.alarms.cap import CapError, parse_cap, to_xml, validate_xsd

        require(operator, "cap.publish", reason)
        xml = to_xml(alert, getattr(self.settings, "timezone", "Asia/Tehran"))
        parse_cap(xml)  # our own output must pass our own import
        if self.config.cap_schema:
            problems = validate_xsd(xml, Path(self.config.cap_schema))
            if problems:
                raise CapError(f"warning fails {Path(self.config.cap_schema).name}: {problems[0]}")
        if path is None:
            folder = Path(self.config.cap_dir) if self.config.cap_dir else data_dir() / "cap"
            path = folder / f"{alert.identifier}.xml"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(xml)
        tmp.replace(path)
        with self._lock:
            detail = {
                "reason": reason.strip(),
                "file": str(path),
                "msgType": alert.msg_type,
                "severity": alert.infos[0].severity if alert.infos else "",
                "references": alert.references,
            }
            self._audit("cap-publish", operator.name, alert.identifier, detail)
            self._commit()
        return path

    def cap_sender(self) -> str:
        return self.config.cap_sender or f"rasad@{self.console}"

    # -- views (any thread; copies) -----------------------------------------------------------------------
    def snapshot(self) -> tuple[int, list[Alarm]]:
        """(version, copies of every alarm that is not Normal)."""
        with self._lock:
            return self.version, [a.copy() for a in self._alarms.values() if a.standing]

    def changes_since(self, version: int) -> tuple[int, list[Alarm]]:
        """(version, copies of the alarms changed after `version`, Normal ones included so views drop them)."""
        with self._lock:
            return self.version, [self._alarms[i].copy() for i, v in self._marks.items() if v > version]

    def get(self, alarm_id: str) -> Alarm | None:
        with self._lock:
            a = self._alarms.get(alarm_id)
            return a.copy() if a else None

    def counts(self) -> dict[str, int]:
        with self._lock:
            out = {s.value: 0 for s in AlarmState}
            for a in self._alarms.values():
                out[a.state.value] += 1
            return out

    def floods(self) -> list[FloodSummary]:
        with self._lock:
            return [f for f in self.policy.floods() if f.active]

    def audible(self) -> Priority | None:
        """The priority that should sound now: unacknowledged, annunciated, not silenced."""
        with self._lock:
            best: Priority | None = None
            silenced = self.policy.silenced_seq
            for a in self._alarms.values():
                if (
                    a.unacked
                    and a.ann_seq > silenced
                    and not a.grouped
                    and (best is None or a.priority > best)
                ):
                    best = a.priority
            for f in self.policy.floods():
                if f.active and f.seq > silenced:
                    top = max(f.by_priority, default=Priority.MINOR)
                    best = top if best is None else max(best, top)
            return best

    def banner(self) -> Alarm | None:
        """The alarm the banner shows: the highest-priority unacknowledged one (grouped in a flood or
        not: grouping quiets the sound, never hides what is most urgent), escalated first, newest first."""
        with self._lock:
            best = None
            for a in self._alarms.values():
                if a.unacked and (
                    best is None
                    or (a.priority, a.escalation, a.announced_ns)
                    > (best.priority, best.escalation, best.announced_ns)
                ):
                    best = a
            return best.copy() if best else None

    # -- lifecycle --------------------------------------------------------------------------------------
    def restore_from_provider(self) -> int:
        provider = self._find_provider()
        if provider is None:
            return 0
        try:
            return self.restore(provider.alarm_snapshot().alarms)
        except Exception as exc:
            log.error("alarm engine: could not restore alarm states (%r); starting from normal", exc)
            return 0

    def start(self, restore: bool = True) -> None:
        if restore:
            self.restore_from_provider()
        self._unsubs.append(self.bus.subscribe("#", self.process, name="alarms", worker=True))
        fences = self.services.get("geofences")
        if fences is not None and hasattr(fences, "on_change") and self.geofence_rules is None:
            from console.alarms.geofence_rules import GeofenceRules

            self.geofence_rules = GeofenceRules(self, fences)
            self._unsubs.append(self.geofence_rules.stop)
        layers = self.services.get("maplayers")
        if layers is not None and self.maplink is None:
            from console.alarms.maplink import AlarmMapLink

            self.maplink = AlarmMapLink(self, layers)
            self._unsubs.append(self.bus.subscribe("alarm/#", self.maplink.refresh, name="alarms-map"))
        self._stop.clear()
        self._ticker = threading.Thread(target=self._tick_loop, name="alarms-ticker", daemon=True)
        self._ticker.start()
        log.info(
            "alarm engine: %d rules (%s), console %s",
            len(self.index),
            self.index.describe()["kinds"],
            self.console,
        )

    def _tick_loop(self) -> None:
        while not self._stop.wait(self.config.tick_s):
            self.tick()
            if self.maplink is not None:
                try:
                    self.maplink.refresh()
                except Exception as exc:  # the map never takes the alarms down
                    _once.error("maplink", "alarm map layer refresh failed: %r", exc)

    def stop(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=5)
            self._ticker = None
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        # a batch still being evaluated on the bus worker (the unsubscribe waits only 2 s for it) may
        # raise transitions: stopped means no more of them, so wait for it (bounded)
        if self._processing.acquire(timeout=10.0):
            self._processing.release()
        else:
            log.error("alarm engine: still evaluating a batch 10 s after stop")

    async def async_start(self) -> None:
        import asyncio

        await asyncio.to_thread(self.restore_from_provider)  # the store may wait for its database
        self.start(restore=False)

    async def async_stop(self) -> None:
        self.stop()

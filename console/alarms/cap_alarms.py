"""CAP alerts as alarms: one alarm per alert thread, updates and cancels following `references`.

- Only `status` Actual raises alarms; Test, Exercise, System and Draft are counted and logged once.
- Alert: a new alarm "cap:<sender>,<identifier>", priority from the highest `severity`, titles and
  messages from the Persian info when there is one (else the first), areas as GeoJSON geometry.
- Update: the alarm of the alert it references takes the new content (journaled); raised again if
  it had cleared.
- Cancel: the referenced alarm's condition clears ("cancelled by sender"); it still needs an
  acknowledgement if nobody acknowledged it.
- An alert whose `expires` has passed clears by itself (the engine's ticker).
- Ack and Error messages are counted, not alarms.
Runs under the engine's lock (called from `AlarmEngine.apply_cap` / `tick`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from console.alarms.alarm import Alarm
from console.alarms.cap import CapAlert, CapError, alert_from_attrs
from console.logsetup import LogOnce

if TYPE_CHECKING:
    from console.alarms.engine import AlarmEngine

log = logging.getLogger(__name__)
_once = LogOnce(log)
RULE_ID = "cap"


def _text(alert: CapAlert, language: str) -> tuple[str, str]:
    info = alert.info_for(language)
    if info is None:
        return alert.identifier, alert.note
    title = info.headline or info.event
    message = " — ".join(p for p in (info.event if info.headline else "", _areas(alert, language)) if p)
    return title, message


def _areas(alert: CapAlert, language: str) -> str:
    info = alert.info_for(language)
    names = [a.desc for a in info.areas] if info else []
    return "، ".join(names[:3]) if language == "fa" else ", ".join(names[:3])


def geometry(alert: CapAlert) -> dict[str, Any] | None:
    info = alert.info_for("fa")
    shapes = [g for a in (info.areas if info else []) for g in a.geojson()]
    return {"type": "GeometryCollection", "geometries": shapes} if shapes else None


class CapAlarms:
    def __init__(self, engine: AlarmEngine):
        self.engine = engine
        self.threads: dict[str, str] = {}  # "<sender>,<identifier>" of every alert seen -> alarm id
        self.expiry: dict[str, int] = {}

    def apply(self, value: Any) -> str | None:
        """Apply one alert; returns the alarm id it touched (None when it raises no alarm)."""
        e = self.engine
        try:
            alert = alert_from_attrs(value)
        except (CapError, TypeError, ValueError) as exc:
            e.stats["errors"] += 1
            _once.error("cap-bad", "CAP alert unusable, skipped: %s", exc)
            return None
        e.stats["cap_alerts"] += 1
        if alert.status != "Actual" or alert.msg_type in ("Ack", "Error"):
            e.stats["cap_ignored"] += 1
            _once.warning(
                ("cap-not-actual", alert.status, alert.msg_type),
                "CAP %s %s messages are not alarms (first: %s)",
                alert.status,
                alert.msg_type,
                alert.identifier,
            )
            return None
        alarm_id = next((self.threads[k] for k in alert.reference_keys() if k in self.threads), None)
        if alarm_id is None:
            if alert.msg_type == "Cancel":
                e.stats["cap_ignored"] += 1
                _once.warning(
                    ("cap-cancel-unknown", alert.key), "CAP cancel %s refers to no alert seen here", alert.key
                )
                return None
            alarm_id = f"cap:{alert.key}"
        self.threads[alert.key] = alarm_id
        a = e._alarms.get(alarm_id)
        if a is None:
            a = Alarm(id=alarm_id, rule_id=RULE_ID, subject=alert.identifier, kind="cap")
            e._alarms[alarm_id] = a
            e._by_rule.setdefault(RULE_ID, set()).add(alarm_id)
        self._fill(a, alert)
        now = e.clock()
        if alert.msg_type == "Cancel":
            self.expiry.pop(alarm_id, None)
            if a.condition:
                e._external_clear(a, now, f"cancelled by sender ({alert.identifier})")
            return alarm_id
        expires = alert.expires()
        if expires is not None and expires <= now:
            note = f"arrived expired ({alert.identifier})"
            if a.condition:
                e._external_clear(a, now, note)
            else:
                e._marks[a.id] = e.version + 1
            return alarm_id
        if expires is not None:
            self.expiry[alarm_id] = expires
        if a.condition:
            e._external_update(a, now, f"{alert.msg_type.lower()} from sender ({alert.identifier})")
        else:
            e._external_activate(a, now, f"CAP {alert.msg_type.lower()} {alert.identifier}")
        return alarm_id

    def _fill(self, a: Alarm, alert: CapAlert) -> None:
        a.priority = alert.priority
        a.title_fa, a.message_fa = _text(alert, "fa")
        a.title_en, a.message_en = _text(alert, "en")
        a.geometry = geometry(alert)
        info = alert.info_for("fa")
        center = next((c for area in (info.areas if info else []) if (c := area.center()) is not None), None)
        if center is not None:
            self.engine._place(a, center[0], center[1])
        a.expires_t = alert.expires() or 0
        previous = a.cap or {}
        a.cap = {
            "identifier": alert.identifier,
            "sender": alert.sender,
            "sent": alert.sent_text,
            "msgType": alert.msg_type,
            "event": info.event if info else "",
            "severity": info.severity if info else "",
            "urgency": info.urgency if info else "",
            "certainty": info.certainty if info else "",
            "areas": [ar.desc for ar in info.areas] if info else [],
            "instruction": info.instruction if info else "",
            "web": info.web if info else "",
            "thread": [*previous.get("thread", []), alert.identifier],
        }

    def tick(self, now: int) -> None:
        for alarm_id, expires in list(self.expiry.items()):
            if now >= expires:
                del self.expiry[alarm_id]
                a = self.engine._alarms.get(alarm_id)
                if a is not None and a.condition:
                    self.engine._external_clear(a, now, "expired")

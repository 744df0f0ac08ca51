"""One alarm as the engine keeps it. The engine owns and mutates these under its lock; everyone else
(UI, CLI, tests) gets copies through `AlarmEngine.snapshot()` / `changes_since()`.
"""

from __future__ import annotations

from typing import Any

import msgspec

from console.alarms.states import HIDDEN_STATES, UNACKED_STATES
from console.model import AlarmState, Priority


class Alarm(msgspec.Struct, kw_only=True):
    id: str  # "<rule id>:<subject>" or the rule id (composites), "cap:<identifier>" for CAP alerts
    rule_id: str
    subject: str = ""  # the entity, a cluster, "" for composites
    kind: str = ""  # rule kind, or "cap"
    priority: Priority = Priority.MODERATE
    state: AlarmState = AlarmState.NORMAL
    active: bool = False  # the state machine's view of the condition (held while chattering)
    condition: bool = False  # the raw condition as last evaluated
    title_fa: str = ""
    title_en: str = ""
    message_fa: str = ""
    message_en: str = ""
    department: str = ""
    district: str = ""
    area: str = "all"  # the operator area it is annunciated in
    lat: float | None = None
    lon: float | None = None
    value: float | None = None
    unit: str = ""
    raised_t: int = 0  # start of the current episode (last transition into Unacknowledged), data time
    announced_ns: int = 0  # when the room was told (engine clock): escalation and sync count from it
    changed_t: int = 0
    episode: int = 0
    acked_by: str = ""
    acked_t: int = 0
    acked_console: str = ""
    ack_note: str = ""
    late_acks: tuple[tuple[str, str, int], ...] = ()  # (operator, console, t) recorded, not applied
    shelved_by: str = ""
    shelve_reason: str = ""
    shelved_until: int = 0
    suppressed_by: str = ""  # parent alarm id (by design) or "operator:<name>"
    oos_by: str = ""
    oos_reason: str = ""
    escalation: int = 0  # 0 none, 1 supervisor, 2 crisis manager
    first_out: bool = False
    cascade: str = ""  # the first-out alarm of its cascade
    chattering: bool = False
    held: bool = False  # a clear held back because the alarm is chattering
    grouped: bool = False  # grouped into a flood summary: listed and journaled, not annunciated
    ann_seq: int = 0  # annunciation sequence (sound until acknowledged or silenced)
    geometry: dict[str, Any] | None = None  # GeoJSON geometry of an area (CAP)
    cap: dict[str, Any] | None = None  # CAP identifiers, event, sender, areas, expires ...
    expires_t: int = 0

    @property
    def unacked(self) -> bool:
        return self.state in UNACKED_STATES

    @property
    def hidden(self) -> bool:
        return self.state in HIDDEN_STATES

    @property
    def standing(self) -> bool:
        return self.state is not AlarmState.NORMAL

    def title(self, language: str) -> str:
        return (self.title_fa if language == "fa" else self.title_en) or self.title_en or self.rule_id

    def message(self, language: str) -> str:
        return (self.message_fa if language == "fa" else self.message_en) or self.message_en

    def copy(self) -> Alarm:
        return msgspec.structs.replace(self)

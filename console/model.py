"""The nouns every room shares. Immutable, cheap to create (msgspec Structs), Qt-free.

Time is always int nanoseconds since the Unix epoch, UTC (`t`); conversion to the city's local
time and to Jalali dates happens only at the edge (console.i18n).
"""

from __future__ import annotations

import enum
import time
from typing import Any

import msgspec


def now_ns() -> int:
    return time.time_ns()


class Priority(enum.IntEnum):
    """Alarm priority, higher = more urgent; each maps to one CAP 1.2 severity."""

    MINOR = 1
    MODERATE = 2
    SEVERE = 3
    EXTREME = 4

    @property
    def cap_severity(self) -> str:
        return self.name.capitalize()

    @classmethod
    def from_cap(cls, severity: str) -> Priority:
        try:
            return cls[severity.strip().upper()]
        except KeyError:
            return cls.MINOR


class Axis(enum.StrEnum):
    """The six smart-city axes of the supervisor dashboard."""

    INFRASTRUCTURE = "infrastructure"
    ENVIRONMENT = "environment"
    PEOPLE = "people"
    MOBILITY = "mobility"
    ECONOMY = "economy"
    GOVERNANCE = "governance"


class Role(enum.StrEnum):
    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    CRISIS_MANAGER = "crisis-manager"
    ADMIN = "admin"


class Operator(msgspec.Struct, frozen=True):
    name: str
    display_name: str = ""
    roles: frozenset[Role] = frozenset({Role.OPERATOR})

    def has(self, role: Role) -> bool:
        return role in self.roles or Role.ADMIN in self.roles


class Reading(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One decoded observation of one entity, as it crosses the FeedBus.

    `gc=False`: tens of thousands of Readings a second must not feed the cyclic garbage collector
    (a Reading holds strings, numbers and dicts, never itself, so it cannot be part of a cycle);
    tracked, they made generation-1 collections take ~40 ms on the UI thread (tests/perf/bench_map.py).

    `topic` routes it ("vehicle/bus", "air/station", "traffic/segment", "report/137", ...);
    `values` holds the numeric attributes (chartable: key -> float), `attrs` everything else
    (status, route, Persian text, image reference ...). `source`/`seq` identify the message for
    dedup, gap detection and resume.
    """

    source: str
    seq: int
    topic: str
    entity: str
    etype: str
    t: int
    values: dict[str, float] = {}
    attrs: dict[str, Any] = {}
    lat: float | None = None
    lon: float | None = None

    def signal(self, key: str) -> str:
        """The series id of one numeric attribute: "<entity>/<key>"."""
        return f"{self.entity}/{key}"


class SignalMeta(msgspec.Struct, frozen=True, kw_only=True):
    """What views need to draw and judge one kind of signal (by entity type and value key)."""

    etype: str
    key: str
    unit: str = ""
    title_fa: str = ""
    title_en: str = ""
    lo: float | None = None  # expected range
    hi: float | None = None
    warn_hi: float | None = None
    alarm_hi: float | None = None
    warn_lo: float | None = None
    alarm_lo: float | None = None
    sampling_s: float = 1.0
    stale_after_s: float = 30.0
    decimals: int = 1


class Kpi(msgspec.Struct, frozen=True):
    """A number a plugin contributes to one of the six axes; `fn` computes it on demand."""

    axis: Axis
    name: str
    title_fa: str
    title_en: str
    fn: Any  # Callable[[], float | None]
    unit: str = ""
    owner: str = ""


class AlarmState(enum.StrEnum):
    """ISA-18.2 alarm states."""

    NORMAL = "normal"
    UNACK = "unack"  # Unacknowledged-Active
    ACKED = "acked"  # Acknowledged-Active
    RTN_UNACK = "rtn_unack"  # Returned-to-normal, Unacknowledged
    SHELVED = "shelved"
    SUPPRESSED = "suppressed"  # Suppressed-by-design
    OUT_OF_SERVICE = "oos"


class AlarmTransition(msgspec.Struct, frozen=True, kw_only=True):
    """One journaled change of one alarm: what the alarm engine emits, storage keeps and sync shares."""

    alarm_id: str
    rule_id: str
    t: int
    action: (
        str  # activate | clear | ack | shelve | unshelve | suppress | unsuppress | oos | return | escalate
    )
    from_state: AlarmState
    to_state: AlarmState
    priority: Priority
    operator: str = ""
    note: str = ""
    console: str = ""  # which console made the change (multi-console sync)
    entity: str = ""
    district: str = ""
    message_fa: str = ""
    message_en: str = ""
    lat: float | None = None
    lon: float | None = None
    until: int | None = None  # shelve: when the shelving runs out (ns), so every console unshelves alike


class AuditEvent(msgspec.Struct, frozen=True, kw_only=True):
    """Something a person or the system did that must be attributable afterwards (hash-chained by storage).

    kinds: login, logout, handover, alarm (every AlarmTransition), shelve, config, rule-edit, cap-publish, ...
    """

    t: int
    kind: str
    operator: str
    console: str = ""
    subject: str = ""  # what it was done to (alarm id, rule id, setting key, CAP identifier)
    detail: dict[str, Any] = {}

"""What the room is told, and how loudly: flood control, chattering alarms, first-out, silence.

Qt-free policy. The engine asks it about every *new* alarm (a transition into Unacknowledged-Active)
and every raw change of an alarm condition; widgets draw what it decided.

Flood control, per operator area, over a sliding window (default 10 minutes):
- every new alarm counts towards the area's rate, whatever happens to it;
- at most `budget` (10) annunciations per window reach the room, the flood summary included: when
  the rate exceeds `flood_enter` (10), or the next annunciation would leave no room for the
  summary, the area enters flood; new alarms below `group_below` (Extreme) are then *grouped*
  into the area's flood summary (still listed, still journaled, no sound or banner of their own);
- the flood ends when the rate falls below `flood_exit` (5);
- **Extreme alarms are never grouped, never hidden, never counted against the budget.**

Chattering: an alarm whose condition changed ≥ `chatter_count` (3) times within `chatter_window_s`
(60 s) is *held*: it stays annunciated once, with an indication, and its clears are held back until
it has been quiet for a whole window (the engine applies the true condition then).

First-out: the first alarm of an area after `cascade_window_s` of quiet starts a cascade; the alarms
that follow within the window belong to it and point at their first-out alarm.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import msgspec

from console.model import Priority

NS = 1_000_000_000


class AnnunciationConfig(msgspec.Struct, frozen=True, kw_only=True):
    flood_window_s: float = 600.0
    flood_enter: int = 10  # more than this many new alarms per window: flood
    flood_exit: int = 5  # fewer than this: the flood is over
    budget: int = 10  # annunciations per window per area (the flood summary counts)
    group_below: Priority = Priority.EXTREME  # grouped in a flood: priorities below this one
    chatter_count: int = 3
    chatter_window_s: float = 60.0
    cascade_window_s: float = 60.0


class Annunciation(msgspec.Struct, frozen=True, kw_only=True):
    """One thing the room is told: an alarm, a flood starting/ending, an escalation, a chattering alarm."""

    seq: int
    t: int
    kind: str  # alarm | flood-start | flood-end | escalation | chatter
    area: str
    priority: Priority
    alarm_id: str = ""
    count: int = 0
    detail: str = ""


@dataclass
class Decision:
    annunciate: bool
    grouped: bool
    first_out: bool
    cascade: str
    events: list[Annunciation] = field(default_factory=list)


@dataclass
class FloodSummary:
    area: str
    active: bool = False
    since: int = 0
    ended: int = 0
    grouped: int = 0  # new alarms grouped in this flood
    by_priority: dict[Priority, int] = field(default_factory=dict)
    seq: int = 0  # annunciation seq of the flood start
    peak_rate: int = 0


class _Area:
    __slots__ = ("announced", "cascade", "cascade_t", "flood", "new")

    def __init__(self, name: str):
        self.new: deque[int] = deque()  # times of new alarms
        self.announced: deque[int] = deque()  # times of annunciations (budgeted)
        self.flood = FloodSummary(name)
        self.cascade = ""
        self.cascade_t = 0


class AnnunciationPolicy:
    def __init__(self, config: AnnunciationConfig | None = None):
        self.config = config or AnnunciationConfig()
        self._areas: dict[str, _Area] = {}
        self._chatter: dict[str, deque[int]] = {}
        self._seq = 0
        self.silenced_seq = 0
        self.counts = {"new": 0, "annunciated": 0, "grouped": 0, "floods": 0, "chatter": 0}

    # -- helpers ----------------------------------------------------------------------------------------
    def _area(self, name: str) -> _Area:
        area = self._areas.get(name)
        if area is None:
            area = self._areas[name] = _Area(name)
        return area

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    @property
    def seq(self) -> int:
        return self._seq

    def _prune(self, area: _Area, now: int) -> None:
        cutoff = now - int(self.config.flood_window_s * NS)
        for q in (area.new, area.announced):
            while q and q[0] <= cutoff:
                q.popleft()

    def event(self, kind: str, area: str, priority: Priority, t: int, **kw) -> Annunciation:
        return Annunciation(seq=self.next_seq(), t=t, kind=kind, area=area, priority=priority, **kw)

    # -- new alarms --------------------------------------------------------------------------------------
    def on_new_alarm(self, alarm_id: str, priority: Priority, area_name: str, t: int) -> Decision:
        cfg = self.config
        area = self._area(area_name)
        self._prune(area, t)
        events: list[Annunciation] = self._end_if_calm(area_name, area, t)
        area.new.append(t)
        self.counts["new"] += 1
        first_out = not area.cascade or t - area.cascade_t > cfg.cascade_window_s * NS
        if first_out:
            area.cascade = alarm_id
        area.cascade_t = t
        cascade = area.cascade
        flood = area.flood
        flood.peak_rate = max(flood.peak_rate, len(area.new))
        if priority >= cfg.group_below:
            self.counts["annunciated"] += 1
            events.append(self.event("alarm", area_name, priority, t, alarm_id=alarm_id))
            return Decision(True, False, first_out, cascade, events)
        if not flood.active and (
            len(area.new) > cfg.flood_enter or len(area.announced) >= max(cfg.budget - 1, 0)
        ):
            flood.active, flood.since, flood.grouped, flood.by_priority = True, t, 0, {}
            flood.ended = 0
            start = self.event("flood-start", area_name, priority, t, count=len(area.new))
            flood.seq = start.seq
            area.announced.append(t)
            self.counts["floods"] += 1
            events.append(start)
        if flood.active:
            flood.grouped += 1
            flood.by_priority[priority] = flood.by_priority.get(priority, 0) + 1
            self.counts["grouped"] += 1
            return Decision(False, True, first_out, cascade, events)
        area.announced.append(t)
        self.counts["annunciated"] += 1
        events.append(self.event("alarm", area_name, priority, t, alarm_id=alarm_id))
        return Decision(True, False, first_out, cascade, events)

    def _end_if_calm(self, name: str, area: _Area, now: int) -> list[Annunciation]:
        flood = area.flood
        if flood.active and len(area.new) < self.config.flood_exit:
            flood.active, flood.ended = False, now
            return [self.event("flood-end", name, Priority.MINOR, now, count=flood.grouped)]
        return []

    def tick(self, now: int) -> list[Annunciation]:
        """Floods that are over (rate below `flood_exit`)."""
        out = []
        for name, area in self._areas.items():
            self._prune(area, now)
            out += self._end_if_calm(name, area, now)
        return out

    def floods(self) -> list[FloodSummary]:
        return [a.flood for a in self._areas.values() if a.flood.active or a.flood.grouped]

    def flood(self, area: str) -> FloodSummary:
        return self._area(area).flood

    def rate(self, area: str, now: int) -> int:
        a = self._area(area)
        self._prune(a, now)
        return len(a.new)

    # -- chattering --------------------------------------------------------------------------------------
    def on_condition_change(self, alarm_id: str, t: int) -> bool:
        """Record one raw change of an alarm condition; True when the alarm is chattering."""
        q = self._chatter.get(alarm_id)
        if q is None:
            q = self._chatter[alarm_id] = deque()
        q.append(t)
        cutoff = t - int(self.config.chatter_window_s * NS)
        while q and q[0] <= cutoff:
            q.popleft()
        chattering = len(q) >= self.config.chatter_count
        if chattering and len(q) == self.config.chatter_count:
            self.counts["chatter"] += 1
        return chattering

    def quiet(self, alarm_id: str, now: int) -> bool:
        """No condition change for a whole chatter window: a held alarm may be released."""
        q = self._chatter.get(alarm_id)
        if not q:
            return True
        if now - q[-1] >= int(self.config.chatter_window_s * NS):
            del self._chatter[alarm_id]
            return True
        return False

    def forget(self, alarm_id: str) -> None:
        self._chatter.pop(alarm_id, None)

    # -- silence -----------------------------------------------------------------------------------------
    def silence(self) -> int:
        """Silence everything annunciated so far (sound only); returns the silenced seq."""
        self.silenced_seq = self._seq
        return self.silenced_seq

    def is_silenced(self, seq: int) -> bool:
        return seq <= self.silenced_seq

"""Escalation: an alarm left unacknowledged too long goes up the chain, visibly and journaled.

Per-priority times (defaults: Extreme 1 min, Severe 5, Moderate 15, Minor 60). After one period the
alarm is escalated to the supervisor role, after two to the crisis manager. The policy only keeps
the schedule (a heap of deadlines); the engine checks that the alarm is still unacknowledged in the
same episode before it acts, so acknowledging never needs to cancel anything here.
"""

from __future__ import annotations

import heapq

import msgspec

from console.model import Priority, Role

NS = 1_000_000_000


class EscalationConfig(msgspec.Struct, frozen=True, kw_only=True):
    after_s: dict[str, float] = msgspec.field(
        default_factory=lambda: {"extreme": 60.0, "severe": 300.0, "moderate": 900.0, "minor": 3600.0}
    )
    levels: tuple[Role, ...] = (Role.SUPERVISOR, Role.CRISIS_MANAGER)

    def period_ns(self, priority: Priority) -> int | None:
        seconds = self.after_s.get(priority.name.lower())
        return None if seconds is None or seconds <= 0 else int(seconds * NS)


class Escalation:
    def __init__(self, config: EscalationConfig | None = None):
        self.config = config or EscalationConfig()
        self._heap: list[tuple[int, int, str, int, int]] = []  # deadline, order, alarm id, episode, level
        self._order = 0

    def schedule(self, alarm_id: str, priority: Priority, since: int, episode: int, level: int = 1) -> None:
        """Escalate `alarm_id` to `level` one period per level after `since`, unless it is acknowledged."""
        period = self.config.period_ns(priority)
        if period is None or level > len(self.config.levels):
            return
        self._order += 1
        heapq.heappush(self._heap, (since + period * level, self._order, alarm_id, episode, level))

    def due(self, now: int) -> list[tuple[str, int, int]]:
        """(alarm id, episode, level) whose deadline has passed, in deadline order."""
        out = []
        while self._heap and self._heap[0][0] <= now:
            _deadline, _order, alarm_id, episode, level = heapq.heappop(self._heap)
            out.append((alarm_id, episode, level))
        return out

    def role(self, level: int) -> Role:
        return self.config.levels[level - 1]

    def pending(self) -> int:
        return len(self._heap)

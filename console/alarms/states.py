"""ISA-18.2 alarm states as a pure state machine: no clock, no I/O, no engine.

A `Status` is the alarm's annunciation state plus the process condition (`active`: is the alarm
condition true right now?). Hidden states (shelved, suppressed-by-design, out-of-service) keep
following the process condition, so that leaving them re-annunciates an alarm that is still active.

    NORMAL --activate--> UNACK --ack--> ACKED --clear--> NORMAL
                           |                               ^
                         clear                             |
                           v                               |
                        RTN_UNACK --------ack--------------+
                        RTN_UNACK --activate--> UNACK

    any annunciation state --shelve--> SHELVED --unshelve--> UNACK (active) | NORMAL
    any annunciation state --suppress--> SUPPRESSED --unsuppress--> UNACK | NORMAL
    any state but OOS --oos--> OUT_OF_SERVICE --return--> UNACK | NORMAL

Acknowledging an Extreme alarm needs a note. Anything else raises `IllegalTransition` with a
one-line reason; the engine decides what an illegal request means (e.g. a late acknowledgement
from another console is recorded, not applied twice).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from console.model import AlarmState, Priority


class Event(enum.StrEnum):
    """What can happen to an alarm; the values are the `action` of an AlarmTransition."""

    ACTIVATE = "activate"  # the alarm condition became true
    CLEAR = "clear"  # the alarm condition became false
    ACK = "ack"
    SHELVE = "shelve"
    UNSHELVE = "unshelve"  # by an operator or when the shelving time runs out
    SUPPRESS = "suppress"  # suppressed by design (e.g. its parent alarm is active)
    UNSUPPRESS = "unsuppress"
    REMOVE = "oos"  # taken out of service (maintenance)
    RETURN = "return"  # returned to service


class IllegalTransition(ValueError):
    """The event does not apply to the alarm in its current state."""


class NoteRequired(IllegalTransition):
    """Acknowledging an Extreme alarm needs a note saying what is being done."""


ANNUNCIATION_STATES = frozenset({AlarmState.NORMAL, AlarmState.UNACK, AlarmState.ACKED, AlarmState.RTN_UNACK})
HIDDEN_STATES = frozenset({AlarmState.SHELVED, AlarmState.SUPPRESSED, AlarmState.OUT_OF_SERVICE})
UNACKED_STATES = frozenset({AlarmState.UNACK, AlarmState.RTN_UNACK})
# Where each hidden state is left by, and which event leaves it.
_RELEASE = {
    AlarmState.SHELVED: Event.UNSHELVE,
    AlarmState.SUPPRESSED: Event.UNSUPPRESS,
    AlarmState.OUT_OF_SERVICE: Event.RETURN,
}


@dataclass(frozen=True, slots=True)
class Status:
    state: AlarmState = AlarmState.NORMAL
    active: bool = False

    @property
    def unacked(self) -> bool:
        return self.state in UNACKED_STATES

    @property
    def hidden(self) -> bool:
        return self.state in HIDDEN_STATES

    @property
    def standing(self) -> bool:
        """Shown in the alarm list: active or still waiting for an acknowledgement."""
        return self.state in (AlarmState.UNACK, AlarmState.ACKED, AlarmState.RTN_UNACK)


def consistent(status: Status) -> bool:
    """The invariant: the annunciation states say whether the condition is active."""
    if status.state in (AlarmState.UNACK, AlarmState.ACKED):
        return status.active
    if status.state in (AlarmState.NORMAL, AlarmState.RTN_UNACK):
        return not status.active
    return True


def _allowed(state: AlarmState, active: bool) -> frozenset[Event]:
    if state in HIDDEN_STATES:
        events = {_RELEASE[state], Event.CLEAR if active else Event.ACTIVATE}
        if state is not AlarmState.OUT_OF_SERVICE:
            events.add(Event.REMOVE)
        return frozenset(events)
    events = {Event.SHELVE, Event.SUPPRESS, Event.REMOVE, Event.CLEAR if active else Event.ACTIVATE}
    if state in UNACKED_STATES:
        events.add(Event.ACK)
    return frozenset(events)


def _target(state: AlarmState, active: bool, event: Event) -> Status:
    """Where an allowed event leads (the statement of ISA-18.2 the tables are built from)."""
    if event is Event.ACTIVATE:
        return Status(state if state in HIDDEN_STATES else AlarmState.UNACK, True)
    if event is Event.CLEAR:
        if state in HIDDEN_STATES:
            return Status(state, False)
        return Status(AlarmState.RTN_UNACK if state is AlarmState.UNACK else AlarmState.NORMAL, False)
    if event is Event.ACK:
        return Status(AlarmState.ACKED if active else AlarmState.NORMAL, active)
    if event is Event.SHELVE:
        return Status(AlarmState.SHELVED, active)
    if event is Event.SUPPRESS:
        return Status(AlarmState.SUPPRESSED, active)
    if event is Event.REMOVE:
        return Status(AlarmState.OUT_OF_SERVICE, active)
    return Status(AlarmState.UNACK if active else AlarmState.NORMAL, active)  # UNSHELVE, UNSUPPRESS, RETURN


# The machine as two lookup tables (the engine steps alarms at high rates).
_ALLOWED = {(st, act): _allowed(st, act) for st in AlarmState for act in (False, True)}
_NEXT = {(st, act, ev): _target(st, act, ev) for (st, act), evs in _ALLOWED.items() for ev in evs}


def allowed(status: Status) -> frozenset[Event]:
    """The events that apply to `status` (what the UI may offer)."""
    return _ALLOWED[(status.state, status.active)]


def step(status: Status, event: Event, priority: Priority = Priority.MINOR, note: str = "") -> Status:
    """The status after `event`; raises IllegalTransition (or NoteRequired) when it does not apply."""
    new = _NEXT.get((status.state, status.active, event))
    if new is None:
        raise IllegalTransition(f"{event.value} does not apply to an alarm in state {_describe(status)}")
    if event is Event.ACK and priority is Priority.EXTREME and not note.strip():
        raise NoteRequired("acknowledging an Extreme alarm needs a note")
    return new


def _describe(status: Status) -> str:
    return f"{status.state.value} ({'active' if status.active else 'inactive'})"

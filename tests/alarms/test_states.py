"""The ISA-18.2 state machine: explicit paths, then a Hypothesis stateful test against a reference model."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from console.alarms.states import (
    HIDDEN_STATES,
    Event,
    IllegalTransition,
    NoteRequired,
    Status,
    allowed,
    consistent,
    step,
)
from console.model import AlarmState as S
from console.model import Priority

N = Status(S.NORMAL, False)


def run(status: Status, *events: Event, priority: Priority = Priority.MINOR, note: str = "") -> Status:
    for e in events:
        status = step(status, e, priority, note)
    return status


def test_the_isa_cycle_ack_before_clear():
    assert run(N, Event.ACTIVATE) == Status(S.UNACK, True)
    assert run(N, Event.ACTIVATE, Event.ACK) == Status(S.ACKED, True)
    assert run(N, Event.ACTIVATE, Event.ACK, Event.CLEAR) == N


def test_the_isa_cycle_clear_before_ack():
    assert run(N, Event.ACTIVATE, Event.CLEAR) == Status(S.RTN_UNACK, False)
    assert run(N, Event.ACTIVATE, Event.CLEAR, Event.ACK) == N
    assert run(N, Event.ACTIVATE, Event.CLEAR, Event.ACTIVATE) == Status(S.UNACK, True)


def test_extreme_ack_needs_a_note():
    unack = run(N, Event.ACTIVATE)
    with pytest.raises(NoteRequired):
        step(unack, Event.ACK, Priority.EXTREME, "  ")
    assert step(unack, Event.ACK, Priority.EXTREME, "crew sent") == Status(S.ACKED, True)
    assert step(unack, Event.ACK, Priority.SEVERE) == Status(S.ACKED, True)


@pytest.mark.parametrize(
    ("hide", "release", "state"),
    [
        (Event.SHELVE, Event.UNSHELVE, S.SHELVED),
        (Event.SUPPRESS, Event.UNSUPPRESS, S.SUPPRESSED),
        (Event.REMOVE, Event.RETURN, S.OUT_OF_SERVICE),
    ],
)
def test_hidden_states_follow_the_process_and_reannunciate(hide, release, state):
    hidden = run(N, Event.ACTIVATE, Event.ACK, hide)
    assert hidden == Status(state, True)
    assert step(hidden, release) == Status(S.UNACK, True)  # still active: annunciated again
    cleared = step(hidden, Event.CLEAR)
    assert cleared == Status(state, False)
    assert step(cleared, release) == N
    assert step(cleared, Event.ACTIVATE) == Status(state, True)


def test_illegal_events_say_why():
    with pytest.raises(
        IllegalTransition, match=r"ack does not apply to an alarm in state normal \(inactive\)"
    ):
        step(N, Event.ACK)
    with pytest.raises(IllegalTransition):
        step(run(N, Event.ACTIVATE), Event.ACTIVATE)
    with pytest.raises(IllegalTransition):
        step(run(N, Event.SHELVE), Event.SHELVE)
    with pytest.raises(IllegalTransition):
        step(run(N, Event.REMOVE), Event.REMOVE)
    with pytest.raises(IllegalTransition):
        step(run(N, Event.SHELVE), Event.UNSUPPRESS)


def test_out_of_service_is_reachable_from_every_hidden_state_but_itself():
    for hide in (Event.SHELVE, Event.SUPPRESS):
        assert step(run(N, hide), Event.REMOVE).state is S.OUT_OF_SERVICE
    assert Event.REMOVE not in allowed(run(N, Event.REMOVE))


def test_status_properties():
    assert run(N, Event.ACTIVATE).unacked and run(N, Event.ACTIVATE, Event.CLEAR).unacked
    assert not run(N, Event.ACTIVATE, Event.ACK).unacked
    assert run(N, Event.SHELVE).hidden and not N.hidden
    assert run(N, Event.ACTIVATE, Event.ACK).standing and not N.standing
    assert not consistent(Status(S.UNACK, False)) and not consistent(Status(S.NORMAL, True))
    assert consistent(Status(S.SHELVED, True)) and consistent(Status(S.RTN_UNACK, False))


# -- stateful property test against an independent reference model ------------------------------------
def reference(state: S, active: bool, event: Event, has_note: bool, extreme: bool) -> tuple[S, bool] | None:
    """A second, table-driven statement of ISA-18.2 (None = must be refused)."""
    hidden = state in HIDDEN_STATES
    if event is Event.ACTIVATE:
        return None if active else ((state if hidden else S.UNACK), True)
    if event is Event.CLEAR:
        if not active:
            return None
        return (state if hidden else (S.RTN_UNACK if state is S.UNACK else S.NORMAL)), False
    if event is Event.ACK:
        if state not in (S.UNACK, S.RTN_UNACK) or (extreme and not has_note):
            return None
        return (S.ACKED if active else S.NORMAL), active
    releases = {Event.UNSHELVE: S.SHELVED, Event.UNSUPPRESS: S.SUPPRESSED, Event.RETURN: S.OUT_OF_SERVICE}
    if event in releases:
        return ((S.UNACK if active else S.NORMAL), active) if state is releases[event] else None
    targets = {Event.SHELVE: S.SHELVED, Event.SUPPRESS: S.SUPPRESSED, Event.REMOVE: S.OUT_OF_SERVICE}
    if event is Event.REMOVE:
        return None if state is S.OUT_OF_SERVICE else (S.OUT_OF_SERVICE, active)
    return None if hidden else (targets[event], active)


class AlarmMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.status = Status()
        self.journal: list[tuple[S, S, Event]] = []

    @rule(
        event=st.sampled_from(list(Event)),
        priority=st.sampled_from(list(Priority)),
        note=st.sampled_from(["", "   ", "crew on the way"]),
    )
    def apply(self, event, priority, note):
        expected = reference(
            self.status.state, self.status.active, event, bool(note.strip()), priority is Priority.EXTREME
        )
        try:
            new = step(self.status, event, priority, note)
        except IllegalTransition:
            assert expected is None, f"{event} refused in {self.status} but the reference allows it"
            return
        assert expected == (new.state, new.active), f"{self.status} --{event}--> {new}, expected {expected}"
        assert (event in allowed(self.status)) is True
        self.journal.append((self.status.state, new.state, event))
        self.status = new

    @invariant()
    def annunciation_state_matches_the_process(self):
        assert consistent(self.status)

    @invariant()
    def ack_is_offered_exactly_when_unacknowledged(self):
        assert (Event.ACK in allowed(self.status)) == self.status.unacked

    @invariant()
    def activation_is_never_lost(self):
        # An active alarm is either visible (unack/acked) or deliberately hidden.
        if self.status.active:
            assert self.status.state in (S.UNACK, S.ACKED) or self.status.hidden


AlarmMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("RASAD_FSM_EXAMPLES", "200")),
    stateful_step_count=40,
    deadline=None,
)
TestAlarmMachine = AlarmMachine.TestCase

"""A console-like writer for the SIGKILL test, started by fork from a launcher that imported everything
once (a fresh interpreter per run would spend most of the test importing).

    python -m tests.store.crash_child            (launcher; reads commands on stdin)
    RUN <url> <run>   fork a writer; prints "PID <pid>"
    WAIT <pid>        reap it; prints "EXIT <signal number>"
A writer prints "READY" once its store is open, "IN"/"OUT" around every readings batch it writes, and
"ACKED <alarm_id>" after each acknowledgement is committed (record_transitions returns only then).
"""

from __future__ import annotations

import os
import sys

from console.bus import FeedBus
from console.model import AlarmState, AlarmTransition, AuditEvent, Priority, Reading, now_ns
from console.settings import Settings
from console.store import Store


def say(text: str) -> None:
    os.write(1, (text + "\n").encode())


def writer(url: str, run: int) -> None:
    bus = FeedBus()
    settings = Settings(
        db=url,
        console_id="crash",
        store_batch_max=2000,
        store_flush_s=0.02,
        store_seal_after_s=0.5,
        store_maintenance_s=0.2,
    )
    store = Store(settings, bus)
    write_batch = store.writer.write_batch

    def marked(batch):
        say("IN")
        write_batch(batch)
        say("OUT")

    store.writer.write_batch = marked
    store.open()
    assert store.wait_ready(30), store.error
    say("READY")
    i = 0
    while True:
        t = now_ns()
        store.writer.submit(
            [
                Reading(
                    source="crash",
                    seq=i * 2000 + k,
                    topic="water/gauge",
                    entity=f"g{k % 200}",
                    etype="WaterObserved",
                    t=t + k,
                    values={"level": float(k), "flow": float(i)},
                    lat=34.6,
                    lon=50.9,
                )
                for k in range(2000)
            ]
        )
        alarm = f"r{run}-a{i}"
        base = dict(alarm_id=alarm, rule_id="water.level.high", priority=Priority.SEVERE)
        store.record_transitions(
            [
                AlarmTransition(
                    t=t, action="activate", from_state=AlarmState.NORMAL, to_state=AlarmState.UNACK, **base
                )
            ]
        )
        store.record_transitions(
            [
                AlarmTransition(
                    t=t + 1,
                    action="ack",
                    from_state=AlarmState.UNACK,
                    to_state=AlarmState.ACKED,
                    operator="sara",
                    **base,
                )
            ]
        )
        say(f"ACKED {alarm}")
        store.record_audit([AuditEvent(t=t, kind="note", operator="sara", subject=alarm, detail={"i": i})])
        i += 1


def launcher() -> None:
    for line in sys.stdin:
        cmd, *args = line.split()
        if cmd == "RUN":
            pid = os.fork()
            if pid == 0:
                try:
                    writer(args[0], int(args[1]))
                finally:
                    os._exit(1)
            say(f"PID {pid}")
        elif cmd == "WAIT":
            _, status = os.waitpid(int(args[0]), 0)
            say(f"EXIT {os.WTERMSIG(status) if os.WIFSIGNALED(status) else -os.WEXITSTATUS(status)}")


if __name__ == "__main__":
    launcher()

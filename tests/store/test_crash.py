"""A writer killed with SIGKILL 20 times mid-batch: the database stays intact, the journal chain holds,
and no acknowledged alarm is lost."""

from __future__ import annotations

import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import sqlalchemy as sa

from console.store import journal
from console.store.db import Database

ROOT = Path(__file__).resolve().parents[2]
KILLS = 20


class Launcher:
    def __init__(self, env: dict):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.store.crash_child"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.strip())

    def send(self, text: str) -> None:
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def expect(self, prefix: str, timeout: float = 30.0, seen: list | None = None) -> str:
        deadline = time.monotonic() + timeout
        while True:
            line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            if seen is not None:
                seen.append(line)
            if line.startswith(prefix):
                return line

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(10)


def test_sigkill_twenty_times_mid_batch(tmp_path):
    path = tmp_path / "crash.db"
    url = f"sqlite:///{path}"
    data = tmp_path / "data"
    db = Database(url)
    db.migrate()
    db.dispose()
    launcher = Launcher({**os.environ, "RASAD_DATA_DIR": str(data), "PYTHONPATH": str(ROOT)})
    rng = random.Random(8)
    acked: set[str] = set()
    mid_batch = 0
    try:
        for run in range(KILLS):
            launcher.send(f"RUN {url} {run}")
            pid = int(launcher.expect("PID").split()[1])
            seen: list[str] = []
            launcher.expect("READY", seen=seen)
            deadline = time.monotonic() + rng.uniform(0.02, 0.15)
            while time.monotonic() < deadline:  # let it work a little ...
                try:
                    seen.append(launcher.lines.get(timeout=max(0.001, deadline - time.monotonic())))
                except queue.Empty:
                    break
            launcher.expect("IN", timeout=10, seen=seen)  # ... then kill it inside a readings batch
            os.kill(pid, signal.SIGKILL)
            launcher.send(f"WAIT {pid}")
            assert launcher.expect("EXIT", seen=seen) == f"EXIT {int(signal.SIGKILL)}"
            markers = [x for x in seen if x in ("IN", "OUT")]
            mid_batch += markers[-1] == "IN"
            acked.update(x.split()[1] for x in seen if x.startswith("ACKED "))

            con = sqlite3.connect(path)
            assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            con.close()
            anchors = list((data / "anchors").glob("*.json"))
            check = Database(url)
            with check.read.connect() as conn:
                verdict = journal.verify(conn, journal.Anchor(anchors[0]).read() if anchors else None)
                states = dict(conn.execute(sa.text("SELECT alarm_id, state FROM alarm_state")).all())
            check.dispose()
            assert verdict.ok, f"after kill {run + 1}: {verdict.line()}"
            lost = sorted(a for a in acked if states.get(a) != "acked")
            assert not lost, f"after kill {run + 1}: acknowledged alarms lost: {lost[:5]}"
    finally:
        launcher.close()
    assert len(acked) >= KILLS  # every run acknowledged alarms before it died
    assert mid_batch >= KILLS - 2, f"only {mid_batch} of {KILLS} kills landed inside a batch"

"""Fixtures for the feeds room: free ports, a simulator subprocess, a real mosquitto broker."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 20.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(
                f"process exited with {proc.returncode}: {proc.stderr.read().decode() if proc.stderr else ''}"
            )
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"port {port} did not open")


class SimProcess:
    """`python main.py simulate` as a real process that tests may kill -9 and restart."""

    def __init__(self, port: int, journal: Path, *args: str, tmp: Path):
        self.port = port
        self.journal = journal
        self.args = args
        self.tmp = tmp
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        env = dict(os.environ, RASAD_CONFIG_DIR=str(self.tmp / "c"), RASAD_DATA_DIR=str(self.tmp / "d"))
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "main.py",
                "simulate",
                "--port",
                str(self.port),
                "--journal",
                str(self.journal),
                "--log-level",
                "WARNING",
                *self.args,
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.starts += 1
        wait_port(self.port, proc=self.proc)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def sim_process(tmp_path):
    procs: list[SimProcess] = []

    def make(*args: str) -> SimProcess:
        p = SimProcess(free_port(), tmp_path / f"journal{len(procs)}", *args, tmp=tmp_path)
        procs.append(p)
        return p

    yield make
    for p in procs:
        p.stop()


@pytest.fixture
def mosquitto(tmp_path):
    """A real mosquitto broker on a free port, configured in a temp dir (persistence for QoS 1 sessions)."""
    exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(exe).exists():
        pytest.fail("mosquitto is not installed (make system installs it)")
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\n"
        f"log_dest stderr\nlog_type error\nlog_type warning\n",
        encoding="utf-8",
    )
    proc = subprocess.Popen([exe, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_port(port, proc=proc)
        yield ("127.0.0.1", port)
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()

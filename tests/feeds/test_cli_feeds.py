"""The feeds room's command line: simulate, --scenario/--vehicles on run and snapshot, clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from console.cli.parser import parse
from tests.feeds.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, tmp_path: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {
        "RASAD_CONFIG_DIR": str(tmp_path / "c"),
        "RASAD_DATA_DIR": str(tmp_path / "d"),
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }
    return subprocess.run(
        [sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env
    )


def test_run_and_snapshot_take_scenario_vehicles_seed():
    a = parse(["run", "--headless", "--scenario", "flood", "--vehicles", "2000", "--seed", "7"])
    assert (a.scenario, a.vehicles, a.seed) == ("flood", 2000, 7)
    b = parse(["snapshot", "--out", "x.png", "--scenario", "earthquake", "--vehicles", "500"])
    assert (b.scenario, b.vehicles) == ("earthquake", 500)
    from console.cli.commands import settings_from_args

    s = settings_from_args(a)
    assert (s.scenario, s.vehicles, s.seed, s.feeds) == ("flood", 2000, 7, [])
    f = settings_from_args(
        parse(["run", "--feed", "ws://10.0.0.5:8765/", "--feed", "mqtt://broker:1883/city/#"])
    )
    assert [(x.kind, x.format) for x in f.feeds] == [("websocket", "native"), ("mqtt", "native")]
    assert f.feeds[1].topic == "city/#"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["run", "--scenario", "tsunami"], "unknown scenario 'tsunami'; known: "),
        (["run", "--vehicles", "many"], "vehicles must be a whole number"),
        (["simulate", "--port", "70000"], "port 70000 out of range"),
        (["simulate", "--mqtt", "nocolon"], "expected HOST:PORT"),
        (["ingest"], "the following arguments are required: FILE"),
    ],
)
def test_bad_arguments_are_one_clear_line(tmp_path, args, needle):
    out = cli(*args, tmp_path=tmp_path)
    assert out.returncode == 2 and needle in out.stderr and "Traceback" not in out.stderr


def test_simulate_serves_then_stops(tmp_path):
    port = free_port()
    out = cli(
        "simulate",
        "--port",
        str(port),
        "--seconds",
        "1.5",
        "--vehicles",
        "50",
        "--scenario",
        "calm",
        tmp_path=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert f"ws://127.0.0.1:{port}/" in out.stdout and "/gtfs-rt" in out.stdout
    assert "simulator stopped after" in out.stderr


def test_simulate_on_a_busy_port_is_a_clear_error(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        out = cli("simulate", "--port", str(port), "--seconds", "1", tmp_path=tmp_path)
    assert out.returncode == 2
    assert f"rasad: cannot serve on 127.0.0.1:{port}" in out.stderr and "Traceback" not in out.stderr

"""The storage commands: audit verify/head/list, operators, export, and --db on run."""

from __future__ import annotations

import csv
import io
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest
import sqlalchemy as sa

import main
from console.model import AuditEvent
from console.store import tiers
from tests.store.factories import T0, S, ack, activate, bus_fix, reading

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, stdin: str = "", monkeypatch=None) -> int:
    if monkeypatch is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main.main(list(args))


@pytest.fixture
def cheap_hashes(monkeypatch):
    import argon2

    from console.store import operators

    monkeypatch.setattr(
        operators, "_hasher", argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


def test_audit_verify_exit_codes_and_tampering(sqlite_url, make_store, capsys):
    store, _ = make_store(sqlite_url)
    store.record_audit(
        [AuditEvent(t=T0 + i, kind="config", operator="reza", subject=f"k{i}") for i in range(5)]
    )
    store.record_transitions([activate("a1"), ack("a1", "sara")])
    assert cli("audit", "verify", "--db", sqlite_url) == 0
    assert "journal intact: 7 entries" in capsys.readouterr().out
    assert cli("audit", "head", "--db", sqlite_url) == 0
    assert capsys.readouterr().out.startswith("7 ")
    assert cli("audit", "list", "--db", sqlite_url, "--kind", "alarm") == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 2 and "a1" in listed[0]
    with store.db.durable.begin() as conn:
        conn.execute(sa.text("DELETE FROM journal WHERE seq = 3"))
    assert cli("audit", "verify", "--db", sqlite_url) == 1
    assert "journal broken at entry 3: entry 3 is missing" in capsys.readouterr().out


def test_audit_on_something_else_is_one_line(tmp_path, capsys):
    assert cli("audit", "verify", "--db", str(tmp_path / "empty.db")) == 2
    assert "holds no Rasad data" in capsys.readouterr().err
    assert cli("audit", "verify", "--db", "mysql://u@h/x") == 2
    assert "unsupported database" in capsys.readouterr().err


def test_operators_commands(sqlite_url, monkeypatch, capsys, cheap_hashes):
    def ops(line: str, stdin: str = "") -> int:
        return cli("operators", *shlex.split(line), "--db", sqlite_url, stdin=stdin, monkeypatch=monkeypatch)

    assert ops("add root --role admin --display-name مدیر --password-stdin", "root-password\n") == 0
    assert ops("add sara --role operator --password-stdin", "sara-password\n") == 2
    assert "an admin exists" in capsys.readouterr().err
    assert ops("add sara --role operator --password-stdin --as root", "sara-password\nwrong-password\n") == 2
    assert "wrong operator name or password" in capsys.readouterr().err
    both = "sara-password\nroot-password\n"
    assert ops("add sara --role operator --role supervisor --password-stdin --as root", both) == 0
    assert ops("disable sara --password-stdin --as root", "root-password\n") == 0
    capsys.readouterr()
    assert ops("list") == 0
    out = capsys.readouterr().out
    assert "root" in out and "مدیر" in out and "operator,supervisor" in out and "disabled" in out
    assert cli("audit", "verify", "--db", sqlite_url) == 0


def _fill(make_store, url):
    store, _ = make_store(url)
    rows = []
    for i in range(120):
        rows.append(
            bus_fix(
                "bus-7",
                i,
                lat=34.64 + i * 1e-4,
                lon=50.88,
                values={"speed": float(i % 50)},
                attrs={"route": "۷"},
            )
        )
        gauge = reading("gauge-2", T0 + i * S, seq=i, level=1.0 + i / 100)
        rows.append(msgspec.structs.replace(gauge, lat=34.63, lon=50.87))
    store.writer.write_batch(rows)
    with store.db.bulk.begin() as conn:  # the first minute rolled up, the rest raw
        tiers.seal(conn, T0 + 60 * S)
        tiers.rollup(conn, T0 + 60 * S)
    store.record_transitions(
        [
            activate("gauge-2/level.high", lat=34.63, lon=50.87, message_fa="سطح آب بالا"),
            ack("gauge-2/level.high", "sara"),
        ]
    )
    return store


def test_export_series_layer_track_alarms(sqlite_url, make_store, tmp_path, capsys):
    _fill(make_store, sqlite_url)
    t0, t1 = "2026-05-28T20:00:00Z", "2026-05-28T23:00:00Z"

    def export(*what: str, out) -> int:
        return cli("export", *what, "--db", sqlite_url, "--from", t0, "--to", t1, "--out", str(out))

    assert T0 // 10**9 == 1_780_000_020  # 2026-05-28T20:27:00Z
    out = tmp_path / "level.csv"
    assert export("series", "gauge-2/level", out=out) == 0
    text = out.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["time_utc", "value", "count", "min", "max"]
    assert rows[1][0] == "2026-05-28T20:27:00.000Z" and rows[1][2] == "60"  # the rolled-up minute
    assert len(rows) == 1 + 1 + 60 and rows[2][2] == "1"
    geo = tmp_path / "level.geojson"
    assert export("series", "gauge-2/level", out=geo) == 0
    doc = json.loads(geo.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection" and doc["features"][5]["geometry"]["coordinates"] == [
        50.87,
        34.63,
    ]

    layer = tmp_path / "buses.geojson"
    assert export("layer", "vehicle/bus", out=layer) == 0
    feats = json.loads(layer.read_text(encoding="utf-8"))["features"]
    assert len(feats) == 1 and feats[0]["properties"]["entity"] == "bus-7"
    assert feats[0]["properties"]["speed"] == 119 % 50 and feats[0]["properties"]["route"] == "۷"
    assert feats[0]["geometry"]["coordinates"][1] == pytest.approx(34.64 + 119e-4)

    track = tmp_path / "bus7.geojson"
    assert export("track", "bus-7", out=track) == 0
    line = json.loads(track.read_text(encoding="utf-8"))["features"][0]
    # the rolled-up minute keeps its last fix only, the rest every second
    assert line["geometry"]["type"] == "LineString" and len(line["geometry"]["coordinates"]) == 1 + 60

    assert export("alarms", out="-") == 0
    alarms = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [a["action"] for a in alarms] == ["activate", "ack"] and alarms[0]["message_fa"] == "سطح آب بالا"
    assert cli("export", "series", "nope/level", "--db", sqlite_url, "--out", "-") == 2
    assert "no stored series named 'nope/level'" in capsys.readouterr().err
    assert cli("export", "layer", "vehicle/bus", "--db", sqlite_url, "--from", "yesterday", "--out", "-") == 2
    assert "bad time 'yesterday'" in capsys.readouterr().err


def test_parse_time_forms():
    import datetime as dt

    from console.cli.store_commands import parse_time

    now = dt.datetime(2026, 3, 21, 8, 0, tzinfo=dt.UTC)
    assert parse_time("now", "Asia/Tehran", now) == int(now.timestamp()) * 10**9
    assert parse_time("-2h", "Asia/Tehran", now) == (int(now.timestamp()) - 7200) * 10**9
    # local city time (Tehran, +03:30) unless an offset is given
    assert parse_time("2026-03-21T11:30", "Asia/Tehran") == int(now.timestamp()) * 10**9
    assert parse_time("2026-03-21T08:00:00Z", "Asia/Tehran") == int(now.timestamp()) * 10**9


def _run_main(*args: str, env_dir: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "RASAD_CONFIG_DIR": str(env_dir / "c"), "RASAD_DATA_DIR": str(env_dir / "d")}
    return subprocess.run(
        [sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env
    )


def test_headless_flood_run_on_postgresql_stores_everything(pg_url, tmp_path):
    """The simulated city in a flood, headless, into PostgreSQL: readings, positions, attributes,
    alarm transitions and audit entries all land, and the journal verifies. The flood's first alarms
    (gauges rising) come ~70 simulated seconds in: 60x with a small fleet reaches ~160 s in the 6 s
    (about 3 s of them starting up). It used to need none: a bus crossing the shrine's pedestrian
    precinct raised an alarm in the first second, on every run."""
    out = _run_main(
        "run",
        "--headless",
        "--seconds",
        "6",
        "--sim-speed",
        "60",
        "--vehicles",
        "100",
        "--db",
        pg_url,
        "--scenario",
        "flood",
        "--operator",
        "sara",
        "--console",
        "wall-1",
        env_dir=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert "store: postgresql+psycopg://postgres@" in out.stderr and "sync: connected" in out.stderr
    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        counts = {
            t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()
            for t in ("readings", "positions", "entity_attrs", "alarm_transitions", "alarm_state")
        }
        journal = [
            tuple(r)
            for r in conn.execute(sa.text("SELECT kind, operator, console FROM journal ORDER BY seq"))
        ]
    engine.dispose()
    assert counts["readings"] > 5000 and counts["positions"] > 1000 and counts["entity_attrs"] > 0, counts
    assert counts["alarm_transitions"] >= 1 and counts["alarm_state"] >= 1, counts
    assert journal[0] == ("login", "sara", "wall-1") and journal[-1] == ("logout", "sara", "wall-1")
    assert sum(1 for k, _, _ in journal if k == "alarm") == counts["alarm_transitions"]
    assert {c for _, _, c in journal} == {"wall-1"}  # engine, store and sync use one console name
    out = _run_main("audit", "verify", "--db", pg_url, env_dir=tmp_path)
    assert out.returncode == 0 and f"journal intact: {len(journal)} entries" in out.stdout


def test_malformed_db_url_is_one_line(tmp_path):
    out = _run_main("run", "--headless", "--seconds", "1", "--db", "mysql://u@h/x", env_dir=tmp_path)
    assert (
        out.returncode == 2
        and out.stderr.strip() == "rasad: unsupported database 'mysql' (use sqlite or postgresql+psycopg)"
    )

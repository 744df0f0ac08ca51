"""A department outside this repository ships its plugin as a pip package (packaging/examples/)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from console.bus import FeedBus
from console.model import Reading
from console.plugins import PluginHost

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "packaging" / "examples" / "rasad-firefighting"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site")
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-build-isolation",
            "--no-deps",
            "--no-index",
            "--target",
            str(target),
            str(EXAMPLE),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert res.returncode == 0, res.stderr
    assert list(target.glob("rasad_firefighting-*.dist-info"))
    return target


def test_pip_installed_plugin_is_found_through_the_entry_point(installed, tmp_path):
    env = dict(
        os.environ,
        PYTHONPATH=str(installed),
        RASAD_CONFIG_DIR=str(tmp_path / "c"),
        RASAD_DATA_DIR=str(tmp_path / "d"),
    )
    out = subprocess.run(
        [sys.executable, "main.py", "plugins", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    plugins = {p["name"]: p for p in json.loads(out.stdout)}
    fire = plugins["firefighting"]
    assert fire["state"] == "active", fire["error"]
    assert fire["origin"] == "entry-point:rasad-firefighting"
    assert fire["title_en"] == "Fire & rescue"


def test_plugin_works_and_leaves_nothing_behind(installed, monkeypatch):
    monkeypatch.syspath_prepend(str(installed))
    bus = FeedBus()
    host = PluginHost(bus=bus)
    host.discover(entry_points=True)
    host.activate_all()
    rec = host.records["firefighting"]
    assert rec.state == "active", rec.error
    kpis = {k.name: k for k in host.kpis.items()}
    assert kpis["fire_spread_risk"].fn() is None  # no weather yet: unknown, not zero
    bus.publish(
        "report/137",
        Reading(
            source="t",
            seq=1,
            topic="report/137",
            entity="r1",
            etype="CitizenReport",
            t=1,
            attrs={"category": "Fire", "district": "d3", "text": "دود"},
        ),
    )
    bus.publish(
        "report/137",
        Reading(
            source="t",
            seq=2,
            topic="report/137",
            entity="r2",
            etype="CitizenReport",
            t=2,
            attrs={"category": "pothole"},
        ),
    )
    bus.publish(
        "weather/station",
        Reading(
            source="t",
            seq=3,
            topic="weather/station",
            entity="wx-01",
            etype="WeatherObserved",
            t=3,
            values={"wind_speed": 5.0},
        ),
    )
    bus.flush()
    assert kpis["fire_reports_open"].fn() == 1.0
    assert kpis["fire_spread_risk"].fn() == pytest.approx(0.5)
    host.deactivate("firefighting")
    assert bus.subscriber_count() == 0
    assert len(host.kpis) == len(host.panels) == 0

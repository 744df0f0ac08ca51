from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from console.bus import FeedBus
from console.model import Axis
from console.plugins import ManifestError, PluginHost, parse_manifest

GOOD_MANIFEST = """
name = "{name}"
version = "1.2.0"
api = 1
title_fa = "آزمایش"
title_en = "Test"
requires = {requires}
"""

GOOD_CODE = """
STATE = {"deactivated": 0}

def activate(ctx):
    ctx.subscribe("air/#", lambda topic, items: None)
    ctx.add_panel(lambda parent: None, "پنل", "Panel")
    ctx.add_rule({"kind": "threshold"})
    ctx.add_map_layer({"kind": "points"}, "لایه", "Layer", key="test.layer")
    ctx.add_kpi("environment", "aqi", lambda: 42.0, title_fa="شاخص", title_en="AQI")
    ctx.on_dispose(lambda: STATE.__setitem__("disposed", True))

def deactivate():
    STATE["deactivated"] += 1
"""


def make_plugin(
    root: Path,
    name: str,
    code: str = GOOD_CODE,
    manifest: str | None = None,
    requires: list[str] | None = None,
) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    text = manifest if manifest is not None else GOOD_MANIFEST.format(name=name, requires=requires or [])
    (folder / "plugin.toml").write_text(textwrap.dedent(text), encoding="utf-8")
    (folder / "__init__.py").write_text(textwrap.dedent(code), encoding="utf-8")
    return folder


def host_for(root: Path, deadline: float = 2.0) -> tuple[PluginHost, FeedBus]:
    bus = FeedBus()
    host = PluginHost(bus=bus, deadline_s=deadline)
    host.discover(folders=[root], entry_points=False)
    host.activate_all()
    return host, bus


def test_valid_plugin_registers_everything_and_deactivate_disposes_all(tmp_path):
    make_plugin(tmp_path, "goodone")
    host, bus = host_for(tmp_path)
    rec = host.records["goodone"]
    assert rec.state == "active", rec.error
    assert rec.version == "1.2.0"
    assert bus.subscriber_count() == 1
    assert len(host.panels) == len(host.rules) == len(host.map_layers) == len(host.kpis) == 1
    kpi = host.kpis.items()[0]
    assert kpi.axis is Axis.ENVIRONMENT and kpi.fn() == 42.0 and kpi.owner == "goodone"
    host.deactivate("goodone")
    assert rec.state == "inactive"
    assert bus.subscriber_count() == 0
    assert len(host.panels) == len(host.rules) == len(host.map_layers) == len(host.kpis) == 0
    assert rec.module.STATE == {"deactivated": 1, "disposed": True}


@pytest.mark.parametrize(
    ("manifest", "needle"),
    [
        ('name = "x"\nversion = "1.0"\napi = 1\ntitle_fa = "ا"\n', "title_en"),
        ('name = "Bad Name"\nversion = "1.0"\napi = 1\ntitle_fa = "ا"\ntitle_en = "A"\n', "lowercase"),
        ('name = "x"\nversion = "one"\napi = 1\ntitle_fa = "ا"\ntitle_en = "A"\n', "version"),
        ('name = "x"\nversion = "1.0"\napi = 99\ntitle_fa = "ا"\ntitle_en = "A"\n', "api 99"),
        ('name = "x"\nversion = "1.0"\napi = 1\ntitle_fa = "ا"\ntitle_en = "A"\ncolour = 1\n', "colour"),
        ('name = "x"\nversion = "1.0"\napi = "1"\ntitle_fa = "ا"\ntitle_en = "A"\n', "api"),
        ("name = [", "not valid TOML"),
    ],
)
def test_invalid_manifests_give_clear_errors(manifest, needle):
    with pytest.raises(ManifestError) as exc:
        parse_manifest(manifest, "plugins/x/plugin.toml")
    assert "plugins/x/plugin.toml" in str(exc.value)
    assert needle in str(exc.value)


def test_invalid_manifest_plugin_is_failed_not_fatal(tmp_path):
    make_plugin(tmp_path, "broken", manifest='name = "broken"\nversion = "1.0"\n')
    make_plugin(tmp_path, "fine")
    host, _ = host_for(tmp_path)
    assert host.records["broken"].state == "failed"
    assert "api" in host.records["broken"].error
    assert host.records["fine"].state == "active"


def test_raising_plugin_is_contained_and_leaves_nothing(tmp_path):
    make_plugin(
        tmp_path,
        "raiser",
        code="""
        def activate(ctx):
            ctx.subscribe("x", lambda t, i: None)
            ctx.add_panel(lambda p: None, "پ", "P")
            raise RuntimeError("database unreachable")
    """,
    )
    make_plugin(tmp_path, "importfail", code="import no_such_module_rasad\n")
    host, bus = host_for(tmp_path)
    assert host.records["raiser"].state == "failed"
    assert host.records["raiser"].error == "RuntimeError: database unreachable"
    assert "no_such_module_rasad" in host.records["importfail"].error
    assert bus.subscriber_count() == 0 and len(host.panels) == 0


def test_hanging_plugin_hits_the_deadline_and_late_registrations_are_refused(tmp_path):
    make_plugin(
        tmp_path,
        "hanger",
        code="""
        import time
        LATE = {}
        def activate(ctx):
            time.sleep(1.0)
            try:
                ctx.add_panel(lambda p: None, "پ", "P")
            except RuntimeError as exc:
                LATE["refused"] = str(exc)
    """,
    )
    make_plugin(tmp_path, "after")
    t0 = time.monotonic()
    host, _ = host_for(tmp_path, deadline=0.3)
    assert time.monotonic() - t0 < 1.0
    rec = host.records["hanger"]
    assert rec.state == "failed" and "did not return within 0.3 s" in rec.error
    assert host.records["after"].state == "active"
    time.sleep(1.0)
    import sys

    assert "closed" in sys.modules[rec.module_name].LATE["refused"]
    assert len(host.panels) == 1  # only "after"'s panel


def test_requirements_order_and_missing_requirement(tmp_path):
    make_plugin(tmp_path, "base")
    make_plugin(tmp_path, "aaa-dependent", requires=["base"])
    make_plugin(tmp_path, "orphan", requires=["nowhere"])
    host, _ = host_for(tmp_path)
    assert host.records["aaa-dependent"].state == "active"
    assert host.records["orphan"].state == "failed"
    assert "nowhere" in host.records["orphan"].error


def test_dependent_of_failed_plugin_fails(tmp_path):
    make_plugin(tmp_path, "base", code="def activate(ctx):\n    raise ValueError('x')\n")
    make_plugin(tmp_path, "child", requires=["base"])
    host, _ = host_for(tmp_path)
    assert host.records["child"].state == "failed"
    assert "base" in host.records["child"].error


def test_deactivate_survives_a_raising_deactivate(tmp_path):
    make_plugin(
        tmp_path,
        "grumpy",
        code="""
        def activate(ctx):
            ctx.subscribe("x", lambda t, i: None)
        def deactivate():
            raise RuntimeError("nope")
    """,
    )
    host, bus = host_for(tmp_path)
    rec = host.deactivate("grumpy")
    assert rec.state == "inactive" and "nope" in rec.error
    assert bus.subscriber_count() == 0


def test_registry_listeners_see_adds_and_removes(tmp_path):
    make_plugin(tmp_path, "p1")
    bus = FeedBus()
    host = PluginHost(bus=bus)
    seen = []
    host.panels.on_change(lambda s: seen.append(("+", s.key)), lambda s: seen.append(("-", s.key)))
    host.discover(folders=[tmp_path], entry_points=False)
    host.activate_all()
    host.deactivate_all()
    assert seen == [("+", "p1.panel"), ("-", "p1.panel")]

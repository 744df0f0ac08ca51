"""Checks every department plugin test runs."""

from __future__ import annotations


def footprint(rig) -> dict[str, int]:
    host = rig.host
    return {
        "subscribers": rig.bus.subscriber_count(),
        "panels": len(host.panels),
        "rules": len(host.rules),
        "engine_rules": len(rig.engine.rules()),
        "kpis": len(host.kpis),
        "layer_specs": len(host.map_layers),
        "map_layers": len(rig.maplayers.layers()),
    }


def assert_leaves_nothing_behind(make_rig, name: str) -> None:
    """Activating registers subscriptions, a panel, rules, KPIs and layers; deactivating removes them all."""
    rig = make_rig()
    before = footprint(rig)
    rec = rig.host.activate(name)
    assert rec.state == "active", rec.error
    during = footprint(rig)
    for key in before:
        assert during[key] > before[key], f"{name} registered no {key}"
    assert rec.module.plugin.desk is not None
    rig.play("calm", 60)  # let it work: layers filled, derived readings published
    rig.host.deactivate(name)
    assert rec.state == "inactive" and not rec.error, rec.error
    assert footprint(rig) == before
    assert rec.module.plugin.desk is None
    # and again: a second activation starts clean
    rig.host.activate(name)
    assert footprint(rig) == during
    rig.host.deactivate(name)
    assert footprint(rig) == before

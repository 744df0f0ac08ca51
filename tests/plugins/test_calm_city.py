"""A calm afternoon raises no alarm at all: every rule the console ships (the catalog's bands and
resources/rules) and every in-tree department's rules, through the real alarm engine, over twenty
simulated minutes of the whole city. An alarm on a calm day is a nuisance operators learn to ignore;
when one fires here, either the rule or the simulator is wrong (bus.shrine.zone was the simulator:
its bus lines crossed the shrine's pedestrian precinct)."""

from __future__ import annotations

from collections import Counter

from console.alarms.rules import load_rule_files
from console.paths import resource
from tests.plugins.conftest import PLUGIN_NAMES, START_NS


def test_calm_day_raises_no_alarm_from_any_rule(make_rig):
    rig = make_rig(*PLUGIN_NAMES, rule_folders=None, band_rules=True)
    owners = Counter(r.owner for r in rig.engine.rules())
    shipped, errors = load_rule_files(resource("rules"))
    assert not errors and not rig.engine.rule_errors
    assert owners["catalog"] > 0 and owners["file:qom.toml"] == len(shipped) > 0
    assert {f"plugin:{name}" for name in PLUGIN_NAMES} <= set(owners), "every department brings rules"
    assert "bus.shrine.zone" in {r.id for r in shipped}  # still there: a bus entering is a real alarm

    rig.run("calm", 1200, vehicles=200)

    assert rig.engine.stats["readings"] > 100_000 and not rig.engine.stats["errors"]
    fired = [
        (round((t.t - START_NS) / 1e9), t.alarm_id)  # (simulated s, alarm)
        for t in rig.transitions
        if t.action == "activate"
    ]
    assert not fired, fired
    for name in PLUGIN_NAMES:
        assert not rig.department(name).errors, name

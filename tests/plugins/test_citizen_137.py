"""The 137 triage desk (Qt-free) and its plugin on the simulated city: intake, operator actions and
their audit trail, duplicate suggestions, service-level timers, clusters that become alarms."""

from __future__ import annotations

import importlib

import pytest

from console.model import AuditEvent, Operator, Reading, Role
from console.store import journal
from tests.plugins.conftest import START_NS, folder

triage = importlib.import_module("plugins.citizen-137.triage")
NS = 1_000_000_000
SARA = Operator("sara", roles=frozenset({Role.OPERATOR}))


def report(rid: str, t_s: float, category: str = "flooding", lat: float = 34.6, lon: float = 50.85, **attrs):
    return Reading(
        source="sim.137",
        seq=int(t_s * 10),
        topic="report/137",
        entity=rid,
        etype="CitizenReport",
        t=START_NS + int(t_s * NS),
        values={"count": 1.0, "urgency": float(attrs.pop("urgency", 3))},
        attrs={
            "category": category,
            "text": f"گزارش {rid}",
            "street": "کمربند ۳",
            "district": "d5",
            "image": "data:image/png;base64,iVBORw0KGgo=",
            **attrs,
        },
        lat=lat,
        lon=lon,
    )


class Clock:
    def __init__(self):
        self.now = START_NS

    def __call__(self):
        return self.now


@pytest.fixture
def desk():
    wall = Clock()
    from console.departments import DataClock

    actions = []
    d = triage.TriageDesk(
        triage.load_config(folder("citizen-137") / "triage.toml"),
        DataClock(wall=wall),
        on_action=lambda kind, subject, detail, op: actions.append((kind, subject, detail, op.name)),
    )
    d.wall, d.actions = wall, actions
    return d


def test_config_is_complete_and_refuses_gaps(tmp_path):
    cfg = triage.load_config(folder("citizen-137") / "triage.toml")
    assert set(cfg.sla) == {1, 2, 3, 4}
    assert {
        "traffic",
        "bus",
        "taxi",
        "terminals",
        "parking",
        "environment",
        "energy",
        "water",
        "parks",
        "civil-works",
        "crisis",
    } == set(cfg.departments)
    assert all(c.department in cfg.departments for c in cfg.categories.values())
    broken = tmp_path / "triage.toml"
    broken.write_text(
        (folder("citizen-137") / "triage.toml").read_text(encoding="utf-8").replace("[sla.2]", "[slaX]"),
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"sla\.2 is missing"):
        triage.load_config(broken)


def test_reports_open_cases_once_and_keep_the_photo(desk):
    desk.on_reports("report/137", [report("a", 0), report("b", 5, "pothole", urgency=1), "not a reading"])
    desk.on_reports("report/137", [report("a", 0)])  # re-sent: the operators' work stands
    assert len(desk) == 2 and desk.received == 3 and desk.ignored == 1
    a = desk.get("a")
    assert (
        a.status == "new"
        and a.suggested_department == "water"
        and a.report.image.startswith("data:image/png")
    )
    assert [c.id for c in desk.cases()] == ["a", "b"]  # urgent first


def test_actions_change_the_case_and_are_attributed(desk):
    desk.on_reports("report/137", [report("a", 0, "pothole", urgency=1)])
    desk.wall.now += 30 * NS
    c = desk.categorise("a", "water_leak", SARA)
    assert (c.category, c.urgency, c.status, c.suggested_department) == ("water_leak", 2, "triaged", "water")
    c = desk.assign("a", "water", SARA)
    assert (c.status, c.department) == ("assigned", "water")
    c = desk.close("a", "resolved", SARA, note="pipe fixed")
    assert c.status == "closed" and c.resolution == "resolved"
    assert [a[0] for a in desk.actions] == ["report-categorise", "report-assign", "report-close"]
    assert all(a[1] == "a" and a[3] == "sara" for a in desk.actions)
    assert desk.actions[0][2] == {"action": "categorise", "from": "pothole", "to": "water_leak", "urgency": 2}
    assert [h.action for h in c.history] == ["categorise", "assign", "close"]
    with pytest.raises(triage.TriageError, match="closed"):
        desk.assign("a", "water", SARA)
    assert desk.reopen("a", SARA).status == "assigned"
    with pytest.raises(triage.TriageError, match="unknown department"):
        desk.assign("a", "police", SARA)
    with pytest.raises(triage.TriageError, match="unknown category"):
        desk.categorise("a", "aliens", SARA)


def test_timers_follow_the_service_level_of_the_urgency(desk):
    desk.on_reports("report/137", [report("a", 0, "building_damage", urgency=4)])
    sla = desk.config.sla[4]
    tri, res = desk.timers(desk.get("a"))
    assert tri.state == "ok" and tri.budget_s == sla.triage_s and res.budget_s == sla.resolve_s
    desk.wall.now += int(sla.triage_s * 0.8 * NS)
    assert desk.timers(desk.get("a"))[0].state == "warn"
    desk.wall.now += int(sla.triage_s * 0.3 * NS)
    assert desk.timers(desk.get("a"))[0].state == "overdue" and desk.overdue(desk.get("a"))
    assert desk.stats().overdue == 1
    desk.assign("a", "crisis", SARA)
    tri, res = desk.timers(desk.get("a"))
    assert tri.state == "missed" and res.state == "ok"
    st = desk.stats()
    assert st.triaged_in_sla == 0.0 and st.median_triage_s == pytest.approx(sla.triage_s * 1.1, rel=0.01)


def test_duplicates_are_suggested_by_place_kind_and_time_and_merged_keeping_every_report(desk):
    near = 0.001  # ~110 m
    desk.on_reports(
        "report/137",
        [
            report("a", 0),
            report("b", 60, lat=34.6 + near),
            report("c", 90, lat=34.6 + near / 2, lon=50.8505),
            report("far", 100, lat=34.62),
            report("other-kind", 100, "pothole", urgency=1),
            report("late", 100 + 3 * 3600),
        ],
    )
    assert [s.case_id for s in desk.suggest_duplicates("a")] == [
        "c",
        "b",
    ]  # nearest and closest in time first
    assert desk.duplicate_counts() == {"a": 2, "b": 2, "c": 2}
    merged = desk.merge("a", ["b", "c"], SARA)
    assert [m.id for m in merged.members] == ["a", "b", "c"] and merged.status == "triaged"
    assert desk.get("b").status == "merged" and desk.get("b").merged_into == "a"
    assert desk.actions[-1][:2] == ("report-merge", "a") and desk.actions[-1][2]["reports"] == ["a", "b", "c"]
    desk.on_reports("report/137", [report("b", 60)])  # a merged report re-sent does not come back
    assert desk.get("b").status == "merged" and len(desk.cases()) == 4
    with pytest.raises(triage.TriageError, match="categorise them alike"):
        desk.merge("a", ["other-kind"], SARA)
    with pytest.raises(triage.TriageError, match="merged"):
        desk.merge("b", ["a"], SARA)


def test_done_cases_are_pruned_and_the_desk_stays_bounded(desk):
    desk.config = triage.TriageConfig(**{**desk.config.__dict__, "max_cases": 3, "keep_closed_s": 60})
    desk.on_reports("report/137", [report("a", 0), report("b", 1, lat=34.7)])
    desk.close("a", "resolved", SARA)
    desk.wall.now += 120 * NS
    desk.on_reports("report/137", [report("c", 130, lat=34.8)])
    assert desk.get("a") is None and {c.id for c in desk.cases()} == {"b", "c"}
    for i in range(5):  # open cases are never dropped silently
        desk.on_reports("report/137", [report(f"n{i}", 140 + i, lat=35 + i / 10)])
    assert len(desk) == 7


# -- the plugin in the console ---------------------------------------------------------------------------
def test_operator_actions_publish_audit_events_on_the_bus(city_core):
    core = city_core(["citizen-137"], store=True)
    seen = []
    core.bus.subscribe("audit/event", lambda topic, items: seen.extend(items))
    dept = importlib.import_module("plugins.citizen-137").plugin.desk
    dept.triage.on_reports("report/137", [report("a", 0), report("b", 30, lat=34.6005)])
    op = dept.operator()
    dept.triage.merge("a", ["b"], op)
    dept.triage.assign("a", "water", op)
    dept.triage.close("a", "resolved", op)
    core.bus.flush()
    assert [e.kind for e in seen] == ["report-merge", "report-assign", "report-close"]
    assert all(
        isinstance(e, AuditEvent) and e.subject == "a" and e.operator == core.settings.operator for e in seen
    )
    assert seen[0].detail["department"] == "citizen-137" and seen[0].detail["merged"] == ["b"]
    store = core.services["store"]  # the storage room journals them, hash-chained
    assert store.flush()
    with store.db.read.connect() as conn:
        kept = [journal.row_event(r) for r in journal.entries_after(conn, 0)]
    assert [e.kind for e in kept if e.kind.startswith("report-")] == [
        "report-merge",
        "report-assign",
        "report-close",
    ]
    assert store.verify_journal().ok

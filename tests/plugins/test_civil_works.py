"""Civil works plugin: planned sites from the start, emergency sites and full closures after the
flood's reports, crews from the service fleet, closures drawn on the map."""

from __future__ import annotations


def test_flood_opens_emergency_sites_with_crews_and_closures(make_rig):
    rig = make_rig("civil-works")
    rig.run("flood", 720, vehicles=700)
    fired = [a for a in rig.activations("civil-works")]
    assert any(a.rule_id == "works.emergency-closure" for a in fired)
    desk = rig.department("civil-works").state
    snap = desk.snapshot()
    kinds = [r.reading.attrs["kind"] for r in snap["sites"]]
    assert kinds.count("planned") == 6 and kinds.count("emergency") >= 3
    at_work = [r for r in snap["fleet"] if r.reading.attrs.get("status") in ("en_route", "on_site")]
    assert at_work and all(r.reading.attrs.get("site", "").startswith("ws-") for r in at_work)
    closures = rig.layers.layer("works.closures").features()
    assert any(f.props["closure"] == "full" and f.props["in force"] for f in closures)
    assert desk.closed_km() > 0 and desk.mean_response_min() is not None
    assert len(rig.layers.layer("works.sites")) == len([k for k in kinds])

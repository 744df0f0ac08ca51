from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from shapely.geometry import Point, shape

from console.city import load_city
from console.city.imported import district_override_path
from console.geoimport import GeoImportError, assemble_rings, import_files

ROOT = Path(__file__).resolve().parents[2]


def test_ring_assembly_joins_and_reverses_ways():
    rings, broken = assemble_rings([[1, 2, 3], [5, 4, 3], [5, 6, 1], [10, 11, 12, 10], [20, 21]])
    assert sorted(len(r) for r in rings) == [4, 7] and broken == [[20, 21]]
    big = next(r for r in rings if len(r) == 7)
    assert big[0] == big[-1] and set(big) == {1, 2, 3, 4, 5, 6}


def test_tehran_overpass_districts(corpus):
    files = sorted((corpus / "geo" / "tehran-districts-overpass").glob("*.json"))
    assert len(files) == 22
    report = import_files(files)
    feats = report.features
    assert len(feats) == 22, report.warnings
    names = [f["properties"]["name_en"] for f in feats]
    assert names[:3] == ["District 1", "District 2", "District 3"] and "District 22" in names
    by_name = {f["properties"]["name_en"]: f for f in feats}
    d12 = by_name["District 12"]
    assert d12["properties"]["name_fa"] == "منطقه ۱۲ شهر تهران" and d12["id"] == "osm-r6729112"
    geoms = {n: shape(f["geometry"]) for n, f in by_name.items()}
    assert all(g.is_valid and not g.is_empty for g in geoms.values())
    # Azadi Tower stands in district 9; Tajrish square in district 1; Grand Bazaar in district 12
    for name, (lat, lon) in {
        "District 9": (35.6997, 51.3380),
        "District 1": (35.8040, 51.4340),
        "District 12": (35.6760, 51.4220),
    }.items():
        hits = [n for n, g in geoms.items() if g.covers(Point(lon, lat))]
        assert hits == [name]
    total = sum(g.area for g in geoms.values())
    union = shape(json.loads(json.dumps(feats[0]["geometry"])))
    for g in list(geoms.values())[1:]:
        union = union.union(g)
    assert union.area == pytest.approx(total, rel=0.01)  # districts tile the city without overlaps


def test_iran_counties_geojson(corpus):
    report = import_files([corpus / "geo" / "iran-counties" / "IR-25.all.min.geojson"])
    assert len(report.features) == 3
    names = {f["properties"]["name_en"] for f in report.features}
    assert "Qom County" in names
    qom = next(f for f in report.features if f["properties"]["name_en"] == "Qom County")
    assert qom["properties"]["name_fa"] == "شهرستان قم"
    assert shape(qom["geometry"]).covers(Point(50.8764, 34.6401))  # the city centre
    assert any("non-polygon" in w for w in report.warnings)  # the three label points


def test_broken_inputs_say_why(tmp_path, corpus):
    bad = tmp_path / "bad.json"
    bad.write_text("{oops", encoding="utf-8")
    with pytest.raises(GeoImportError, match="not JSON"):
        import_files([bad])
    bad.write_text(
        json.dumps({"elements": [{"type": "node", "id": 1, "lat": 1, "lon": 1}]}), encoding="utf-8"
    )
    with pytest.raises(GeoImportError, match="no relation"):
        import_files([bad])
    src = json.loads((corpus / "geo" / "tehran-districts-overpass" / "district_9_boundary.json").read_text())
    src["elements"] = [
        e for e in src["elements"] if not (e["type"] == "way" and e is not None and e["id"] % 3 == 0)
    ]
    bad.write_text(json.dumps(src), encoding="utf-8")
    with pytest.raises(GeoImportError, match="no district polygon"):
        import_files([bad])


def test_cli_import_becomes_the_city_override(tmp_path, corpus):
    env_data = tmp_path / "data"
    src = corpus / "geo" / "iran-counties" / "IR-25.all.min.geojson"
    env = {"RASAD_DATA_DIR": str(env_data), "RASAD_CONFIG_DIR": str(tmp_path / "c"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "main.py", "geo", "import", str(src), "--city", "qom"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    assert "3 districts" in out.stdout
    target = env_data / "geo" / "qom" / "districts.geojson"
    assert target.is_file()
    code = (
        "from console.city import load_city; c = load_city('qom'); "
        "print(len(c.districts), c.districts_origin != 'synthetic', c.district_at(34.6401, 50.8764).name_en, "
        "c.districts_geojson()['features'][0]['properties']['synthetic'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env, timeout=120
    )
    assert out.stdout.split() == ["3", "True", "Qom", "County", "False"], out.stderr
    bad = subprocess.run(
        [sys.executable, "main.py", "geo", "import", str(tmp_path / "missing.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert bad.returncode == 2 and bad.stderr.startswith("rasad: ") and "Traceback" not in bad.stderr


def test_default_city_stays_synthetic_without_override():
    assert not district_override_path("qom").exists()
    city = load_city("qom")
    assert city.districts_origin == "synthetic" and len(city.districts) == 8

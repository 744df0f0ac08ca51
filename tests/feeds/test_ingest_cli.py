"""`python main.py ingest`: JSON lines out, one stderr line per rejected file, exit 0/2, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def ingest(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {
        "RASAD_CONFIG_DIR": str(tmp_path / "c"),
        "RASAD_DATA_DIR": str(tmp_path / "d"),
        "PATH": "/usr/bin:/bin",
    }
    return subprocess.run(
        [sys.executable, "main.py", "ingest", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_decodes_corpus_files_to_normalized_json_lines(corpus, tmp_path):
    files = [
        corpus / "fiware/WaterObserved/example-normalized.jsonld",
        corpus / "gtfs-rt/transitland-lib/ct-vehicle-positions.pb",
        corpus / "sensorthings/ogc-bblocks-sta/examples/Observation__Observation.json",
    ]
    out = ingest(*files, tmp_path=tmp_path)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == 1 + 14 + 1
    water = rows[0]
    assert water["type"] == "WaterObserved" and water["format"] == "ngsi-ld"
    assert water["time"] == "2020-03-17T08:45:00.209Z"
    assert water["attributes"]["level"] == {"value": 3.52, "unit": "m"}
    bus = rows[1]
    assert bus["topic"] == "vehicle/bus" and bus["time"].endswith("Z") and bus["location"]["lat"] > 37
    assert "Traceback" not in out.stderr


def test_rejections_one_line_per_file_exit_2(corpus, tmp_path):
    big = tmp_path / "big.json"
    big.write_bytes(b"[" + b"1," * (6 * 1024 * 1024) + b"1]")
    files = [
        corpus / "adversarial/json/JSONTestSuite/n/n_number_NaN.json",
        corpus / "adversarial/json/JSONTestSuite/n/n_structure_100000_opening_arrays.json",
        corpus / "adversarial/xml/defusedxml/xmlbomb.xml",
        corpus / "gtfs-rt/transitland-lib/invalid.pb",
        corpus / "cap/google-cap-library/testdata/invalid.cap",
        big,
        tmp_path / "missing.json",
        corpus / "fiware/Alert/example.json",  # a good one among the bad: still decoded
    ]
    out = ingest(*files, tmp_path=tmp_path)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert "Traceback" not in out.stderr
    rejected = [ln for ln in lines if ": warning:" not in ln and ": note:" not in ln]
    assert len(rejected) == 7, lines
    by_file = {Path(ln.split(": ", 1)[0]).name: ln.split(": ", 1)[1] for ln in rejected}
    assert "NaN/Infinity" in by_file["n_number_NaN.json"]
    assert "deeper than 512" in by_file["n_structure_100000_opening_arrays.json"]
    assert "DTD" in by_file["xmlbomb.xml"]
    assert "corrupt protobuf" in by_file["invalid.pb"]
    assert by_file["invalid.cap"] == "alert 12345: required <scope> is missing"
    assert "10 MB limit" in by_file["big.json"]
    assert by_file["missing.json"] == "no such file"
    assert json.loads(out.stdout)["type"] == "Alert"


def test_schema_violation_warns_by_default_and_rejects_with_strict_naming_the_field(corpus, tmp_path):
    path = corpus / "fiware/AirQualityObserved/example.json"
    schemas = corpus / "fiware"
    lenient = ingest("--schemas", schemas, path, tmp_path=tmp_path)
    assert lenient.returncode == 0
    assert f"{path}: warning: $.tsp: schema: 73.3 is not of type 'integer'" in lenient.stderr
    assert "$.dateObserved" in lenient.stderr
    assert json.loads(lenient.stdout)["entity"].startswith("Madrid")
    strict = ingest("--strict", "--schemas", schemas, path, tmp_path=tmp_path)
    assert strict.returncode == 2 and strict.stdout == ""
    assert strict.stderr.strip().splitlines()[-1].startswith(f"{path}: $.dateObserved: ")


def test_forced_format_mismatch_is_a_clear_rejection(corpus, tmp_path):
    out = ingest("--format", "gtfs-rt", corpus / "fiware/Alert/example.json", tmp_path=tmp_path)
    assert out.returncode == 2
    assert "GTFS-Realtime" in out.stderr and "Traceback" not in out.stderr

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from console import __version__

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, env_dir: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {
        "RASAD_CONFIG_DIR": str(env_dir / "c"),
        "RASAD_DATA_DIR": str(env_dir / "d"),
        "PATH": "/usr/bin:/bin",
        "QT_QPA_PLATFORM": "offscreen",
        "HOME": str(env_dir),
    }
    return subprocess.run(
        [sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env
    )


def test_version(tmp_path):
    out = run_cli("--version", env_dir=tmp_path)
    assert out.returncode == 0 and out.stdout.strip() == f"rasad {__version__}"


@pytest.mark.parametrize(
    "args",
    [
        ["frobnicate"],
        ["run", "--lang", "de"],
        ["snapshot"],
        ["snapshot", "--out", "x.png", "--size", "huge"],
        ["run", "--headless", "--seconds", "soon"],
        ["snapshot", "--out", "x.png", "--seconds", "-3"],
        ["snapshot", "--out", "x.png", "--sim-speed", "0"],
        ["run", "--headless", "--sim-speed", "fast"],
    ],
)
def test_bad_arguments_exit_2_without_traceback(tmp_path, args):
    out = run_cli(*args, env_dir=tmp_path)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert "error:" in out.stderr


def test_snapshot_rejects_unknown_view_in_one_line(tmp_path):
    out = run_cli("snapshot", "--out", str(tmp_path / "x.png"), "--view", "nowhere", env_dir=tmp_path)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert "unknown view 'nowhere'" in out.stderr


def test_help_is_english(tmp_path):
    out = run_cli("--help", env_dir=tmp_path)
    assert out.returncode == 0
    for word in ("run", "snapshot", "plugins", "--version"):
        assert word in out.stdout


def test_headless_run_stops_cleanly(tmp_path):
    out = run_cli("run", "--headless", "--seconds", "1", env_dir=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Rasad stopped" in out.stderr


def test_plugins_command_lists_extra_folder_plugins(tmp_path):
    folder = tmp_path / "extra" / "demo-dept"
    folder.mkdir(parents=True)
    (folder / "plugin.toml").write_text(
        textwrap.dedent("""
        name = "demo-dept"
        version = "0.3.1"
        api = 1
        title_fa = "نمایشی"
        title_en = "Demo"
    """),
        encoding="utf-8",
    )
    (folder / "__init__.py").write_text("def activate(ctx):\n    pass\n", encoding="utf-8")
    broken = tmp_path / "extra" / "broken"
    broken.mkdir()
    (broken / "plugin.toml").write_text('name = "broken"\n', encoding="utf-8")
    (broken / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "settings.toml").write_text(
        f'plugin_dirs = ["{tmp_path / "extra"}"]\n', encoding="utf-8"
    )
    out = run_cli("plugins", env_dir=tmp_path)
    assert out.returncode == 0, out.stderr
    line = next(line for line in out.stdout.splitlines() if line.startswith("demo-dept"))
    assert "0.3.1" in line and "active" in line
    bline = next(line for line in out.stdout.splitlines() if line.startswith("broken"))
    assert "failed:" in bline and "version" in bline
    out = run_cli("plugins", "--json", env_dir=tmp_path)
    states = {p["name"]: p["state"] for p in json.loads(out.stdout)}
    assert states["demo-dept"] == "active" and states["broken"] == "failed"


def test_sim_speed_reaches_the_embedded_simulator_settings():
    from console.cli.commands import settings_from_args
    from console.cli.parser import build_parser

    args = build_parser().parse_args(
        ["snapshot", "--out", "x.png", "--scenario", "earthquake", "--sim-speed", "20"]
    )
    assert settings_from_args(args).sim_speed == 20.0
    assert settings_from_args(build_parser().parse_args(["run"])).sim_speed == 1.0

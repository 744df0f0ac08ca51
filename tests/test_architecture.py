"""The rooms keep their walls: console/ is Qt-free, imports flow plugins -> widgets -> console."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QT_MODULES = ("PySide6", "shiboken6", "PyQt5", "PyQt6", "pyqtgraph", "qasync")


def _modules(package: str) -> list[str]:
    mods = []
    for path in sorted((ROOT / package).rglob("*.py")):
        if (
            "migrations" in path.parts
        ):  # Alembic scripts run inside alembic's context; the AST scan covers them
            continue
        rel = path.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods.append(".".join(parts))
    return mods


def test_every_console_module_imports_without_qt():
    mods = _modules("console")
    assert len(mods) > 10
    code = textwrap.dedent(f"""
        import importlib, sys
        bad = {{}}
        for m in {mods!r}:
            importlib.import_module(m)
            qt = sorted(k for k in sys.modules if k.split('.')[0] in {QT_MODULES!r})
            if qt:
                bad[m] = qt
                break
        print(repr(bad))
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "{}", f"Qt imported by console module: {out.stdout}"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_imports_flow_plugins_to_widgets_to_console():
    forbidden = {"console": {"widgets", "plugins", *QT_MODULES}, "widgets": {"plugins"}}
    violations = []
    for package, banned in forbidden.items():
        for path in (ROOT / package).rglob("*.py"):
            hit = _imports(path) & banned
            if hit:
                violations.append(f"{path.relative_to(ROOT)} imports {sorted(hit)}")
        for path in (ROOT / package).rglob("*.pyx"):
            text = path.read_text(encoding="utf-8")
            violations += [f"{path.relative_to(ROOT)} imports {b}" for b in banned if f"import {b}" in text]
    assert not violations, "\n".join(violations)


def test_plugin_rules_modules_are_qt_free():
    """Each department's rules.py must be usable headless."""
    for path in (ROOT / "plugins").glob("*/rules.py"):
        assert not (_imports(path) & {"widgets", *QT_MODULES}), f"{path} imports Qt or widgets"


def test_headless_run_imports_no_qt(tmp_path):
    code = textwrap.dedent(f"""
        import sys, main
        rc = main.main(["run", "--headless", "--seconds", "1"])
        qt = sorted(k for k in sys.modules if k.split('.')[0] in {QT_MODULES!r})
        print("QT=" + ",".join(qt))
        sys.exit(rc)
    """)
    env = {
        "RASAD_CONFIG_DIR": str(tmp_path / "c"),
        "RASAD_DATA_DIR": str(tmp_path / "d"),
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "QT=\n" in out.stdout or out.stdout.strip().endswith("QT="), out.stdout

"""The state module is fully covered, branches included: measured here, in the suite, every run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODULE = "console/alarms/states.py"


def test_state_module_has_full_branch_coverage(tmp_path):
    rc = tmp_path / "coveragerc"  # its own config: the project's [tool.coverage] measures everything
    rc.write_text(f"[run]\nbranch = True\ninclude = {MODULE}\n[report]\nshow_missing = True\n")
    env = dict(os.environ, COVERAGE_FILE=str(tmp_path / ".coverage"), RASAD_FSM_EXAMPLES="60")
    cov = [sys.executable, "-m", "coverage"]
    run = subprocess.run(
        [
            *cov,
            "run",
            f"--rcfile={rc}",
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/alarms/test_states.py",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    report = subprocess.run(
        [*cov, "report", f"--rcfile={rc}", "--fail-under=100"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    print(report.stdout)  # the suite reports it (pytest -rA / -s shows the table)
    assert report.returncode == 0, f"states.py is not fully covered:\n{report.stdout}"
    assert "100%" in report.stdout.splitlines()[-1]

"""Citizen reports (137): the triage desk of the observatory's call centre, as a department plugin.

Qt-free at import: the panel (panel.py, case_view.py) is imported only when the console builds it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .rules import CitizenDepartment

department: CitizenDepartment | None = None  # the active department (tests and other plugins may look)


def activate(ctx: Any) -> None:
    global department
    dept = CitizenDepartment(Path(__file__).parent)
    dept.activate(ctx)

    def make_panel(parent):
        from .panel import TriagePanel

        return TriagePanel(dept, parent)

    ctx.add_panel(make_panel, "گزارش‌های شهروندان (۱۳۷)", "Citizen reports (137)")
    ctx.on_dispose(_forget)
    department = dept


def _forget() -> None:
    global department
    department = None


def deactivate() -> None:
    """Everything was registered through ctx; the host undoes it."""
